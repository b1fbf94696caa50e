package prio

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// bulk runs n goroutines through the gated section at once and returns
// the most that were inside it together.
func bulk(g *Gate, n int) int {
	var inside, most atomic.Int64
	var start, wg sync.WaitGroup
	start.Add(1)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start.Wait()
			held := g.EnterBulk()
			now := inside.Add(1)
			for {
				m := most.Load()
				if now <= m || most.CompareAndSwap(m, now) {
					break
				}
			}
			time.Sleep(2 * time.Millisecond) // stand-in for CPU work, so that callers overlap
			inside.Add(-1)
			if held {
				g.LeaveBulk()
			}
		}()
	}
	start.Done()
	wg.Wait()
	return int(most.Load())
}

func TestGateOpenWithoutUrgentWork(t *testing.T) {
	g := NewGate(2, time.Nanosecond)
	if got := bulk(g, 16); got < 2 {
		t.Errorf("at most %d callers inside an open gate at once, want all 16 free to enter", got)
	}
	if g.EnterBulk() {
		t.Error("EnterBulk took a slot with no urgent work in flight")
	}
}

func TestGateLimitsWhileUrgent(t *testing.T) {
	for _, procs := range []int{1, 2, 4} {
		g := NewGate(procs, time.Nanosecond)
		want := max(1, procs-1)
		if g.Slots() != want {
			t.Fatalf("procs %d: %d slots, want %d", procs, g.Slots(), want)
		}
		g.BeginUrgent()
		if got := bulk(g, 16); got != want {
			t.Errorf("procs %d: %d callers inside at once while urgent work is in flight, want %d", procs, got, want)
		}
		g.EndUrgent()
		time.Sleep(time.Millisecond) // past the linger
		if g.Urgent() != 0 || g.Closed() || g.EnterBulk() {
			t.Errorf("procs %d: the gate did not open again after EndUrgent and its linger", procs)
		}
	}
}

func TestGateWaiterEntersWhenSlotFreed(t *testing.T) {
	g := NewGate(2, time.Nanosecond)
	g.BeginUrgent()
	defer g.EndUrgent()
	if !g.EnterBulk() {
		t.Fatal("EnterBulk did not take a slot while urgent work is in flight")
	}
	entered := make(chan bool)
	go func() { entered <- g.EnterBulk() }()
	select {
	case <-entered:
		t.Fatal("a second caller entered while the only slot was held")
	case <-time.After(50 * time.Millisecond):
	}
	g.LeaveBulk()
	select {
	case held := <-entered:
		if !held {
			t.Error("the waiter entered without a slot")
		}
		g.LeaveBulk()
	case <-time.After(5 * time.Second):
		t.Fatal("the waiter did not enter after the slot was given back")
	}
}

func TestGateLingers(t *testing.T) {
	g := NewGate(2, time.Hour)
	if g.Closed() {
		t.Fatal("a new gate is closed")
	}
	g.BeginUrgent()
	g.EndUrgent()
	if !g.Closed() {
		t.Fatal("the gate opened at once after the urgent request ended, not after its linger")
	}
	if got := bulk(g, 8); got != 1 {
		t.Errorf("%d callers inside at once within the linger, want 1", got)
	}
	short := NewGate(2, 20*time.Millisecond)
	short.BeginUrgent()
	short.EndUrgent()
	deadline := time.Now().Add(5 * time.Second)
	for short.Closed() {
		if time.Now().After(deadline) {
			t.Fatal("the gate stayed closed long after its 20ms linger")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestNilGate(t *testing.T) {
	var g *Gate
	g.BeginUrgent()
	if g.EnterBulk() || g.Closed() || g.Urgent() != 0 || g.Slots() != 0 {
		t.Error("a nil gate is not open")
	}
	g.EndUrgent()
}

func TestNewGateDefaultsToGOMAXPROCS(t *testing.T) {
	if NewGate(0, 0).Slots() < 1 {
		t.Error("NewGate(0) has no slot")
	}
}

func BenchmarkEnterBulkOpen(b *testing.B) {
	g := NewGate(2, time.Nanosecond)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if g.EnterBulk() {
				g.LeaveBulk()
			}
		}
	})
}
