package limit

import (
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	ok := []struct {
		in   string
		want Rate
		str  string
	}{
		{"30/1m", Rate{30, time.Minute}, "30/1m"},
		{" 5 / 30s ", Rate{5, 30 * time.Second}, "5/30s"},
		{"100/1h", Rate{100, time.Hour}, "100/1h"},
		{"1/90s", Rate{1, 90 * time.Second}, "1/1m30s"},
		{"1000000/24h", Rate{MaxN, MaxPer}, "1000000/24h"},
		{"7/1s", Rate{7, time.Second}, "7/1s"},
		{"0", Rate{}, "off"},
		{"off", Rate{}, "off"},
		{"OFF", Rate{}, "off"},
		{"0/1m", Rate{}, "off"},
	}
	for _, tt := range ok {
		got, err := ParseRate(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			continue
		}
		if got.String() != tt.str {
			t.Errorf("ParseRate(%q).String() = %q, want %q", tt.in, got.String(), tt.str)
		}
		if back, err := ParseRate(got.String()); err != nil || back != got {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", got.String(), back, err, got)
		}
	}
	for _, in := range []string{"", "30", "30/", "/1m", "x/1m", "-1/1m", "1.5/1m", "30/1", "30/minute", "30/0s", "30/999ms", "30/25h", "1000001/1h", "30/1m/1m"} {
		if r, err := ParseRate(in); err == nil {
			t.Errorf("ParseRate(%q) = %v, want an error", in, r)
		}
	}
}

func TestRateOff(t *testing.T) {
	for _, r := range []Rate{{}, {N: 5}, {Per: time.Minute}, {N: -1, Per: time.Minute}} {
		if !r.Off() || r.Interval() != 0 || New(r, 10) != nil {
			t.Errorf("%+v: Off %v, Interval %v", r, r.Off(), r.Interval())
		}
	}
	if got := (Rate{30, time.Minute}).Interval(); got != 2*time.Second {
		t.Errorf("Interval = %v, want 2s", got)
	}
}

// A nil table is "off": everything is clean and failures are not kept.
func TestNilTable(t *testing.T) {
	var tb *Table
	now := time.Unix(1e9, 0)
	tb.Fail(tb.Key("a"), now)
	if w, recent := tb.Check(tb.KeyBytes([]byte("a")), now); w != 0 || recent {
		t.Errorf("nil table: Check = %v, %v", w, recent)
	}
	if tb.Len() != 0 || tb.Cap() != 0 {
		t.Error("nil table holds keys")
	}
}

func TestKey(t *testing.T) {
	tb := New(Rate{1, time.Second}, 1)
	if tb.Key("203.0.113.9") != tb.KeyBytes([]byte("203.0.113.9")) || tb.Key("a") == tb.Key("b") {
		t.Error("Key and KeyBytes disagree, or two keys collide")
	}
}

// TestBurstThenDrip: N failures at once are allowed; then the key is over
// the limit until one interval has passed, and may then fail once more.
func TestBurstThenDrip(t *testing.T) {
	tb := New(Rate{3, time.Minute}, 100) // interval 20s
	k := tb.Key("k")
	now := time.Unix(1_700_000_000, 0)
	for i := range 3 {
		if w, _ := tb.Check(k, now); w != 0 {
			t.Fatalf("before failure %d: wait %v", i+1, w)
		}
		tb.Fail(k, now)
		if _, recent := tb.Check(k, now); !recent {
			t.Fatalf("after failure %d: not recent", i+1)
		}
	}
	w, recent := tb.Check(k, now)
	if w != 20*time.Second || !recent {
		t.Fatalf("after 3 failures: wait %v, recent %v; want 20s, true", w, recent)
	}
	if w, _ := tb.Check(k, now.Add(19*time.Second)); w != time.Second {
		t.Errorf("19s later: wait %v, want 1s", w)
	}
	now = now.Add(20 * time.Second)
	if w, _ := tb.Check(k, now); w != 0 {
		t.Fatalf("one interval later: wait %v, want 0", w)
	}
	tb.Fail(k, now)
	if w, _ := tb.Check(k, now); w != 20*time.Second {
		t.Errorf("after the next failure: wait %v, want 20s", w)
	}
	// A window after the last failure the key is no longer over, and it
	// may fail a full burst again two windows after it.
	if w, recent := tb.Check(k, now.Add(time.Minute)); w != 0 || !recent {
		t.Errorf("a window later: wait %v, recent %v; want 0, true", w, recent)
	}
	now = now.Add(2 * time.Minute)
	if w, recent := tb.Check(k, now); w != 0 || recent {
		t.Errorf("two windows later: wait %v, recent %v; want clean", w, recent)
	}
	for range 3 {
		tb.Fail(k, now)
	}
	if w, _ := tb.Check(k, now); w != 20*time.Second {
		t.Errorf("second burst: wait %v, want 20s", w)
	}
}

// TestRecentIsOneWindow: a single failure marks the key recent for one
// window, without putting it over the limit.
func TestRecentIsOneWindow(t *testing.T) {
	tb := New(Rate{30, time.Minute}, 100)
	k := tb.Key("k")
	now := time.Unix(1_700_000_000, 0)
	tb.Fail(k, now)
	for _, tt := range []struct {
		after  time.Duration
		recent bool
	}{{0, true}, {30 * time.Second, true}, {time.Minute - time.Nanosecond, true}, {time.Minute, false}, {time.Hour, false}} {
		if w, recent := tb.Check(k, now.Add(tt.after)); w != 0 || recent != tt.recent {
			t.Errorf("%v after: wait %v, recent %v; want 0, %v", tt.after, w, recent, tt.recent)
		}
	}
	if w, recent := tb.Check(tb.Key("other"), now); w != 0 || recent {
		t.Errorf("unseen key: wait %v, recent %v", w, recent)
	}
}

// TestRunAheadIsCapped: failures far beyond the limit (concurrent requests
// that all passed the check) leave the key at most one window ahead.
func TestRunAheadIsCapped(t *testing.T) {
	tb := New(Rate{10, 10 * time.Second}, 100) // interval 1s
	k := tb.Key("k")
	now := time.Unix(1_700_000_000, 0)
	for range 1000 {
		tb.Fail(k, now)
	}
	if w, _ := tb.Check(k, now); w != time.Second {
		t.Errorf("wait %v, want one interval (1s)", w)
	}
	if w, recent := tb.Check(k, now.Add(20*time.Second)); w != 0 || recent {
		t.Errorf("two windows later: wait %v, recent %v; want clean", w, recent)
	}
}

// TestOneFailurePerWindow: with N=1 a failure blocks for the whole window.
func TestOneFailurePerWindow(t *testing.T) {
	tb := New(Rate{1, time.Minute}, 100)
	k := tb.Key("k")
	now := time.Unix(1_700_000_000, 0)
	tb.Fail(k, now)
	if w, _ := tb.Check(k, now.Add(10*time.Second)); w != 50*time.Second {
		t.Errorf("wait %v, want 50s", w)
	}
	if w, recent := tb.Check(k, now.Add(time.Minute)); w != 0 || recent {
		t.Errorf("a window later: %v, %v; want clean", w, recent)
	}
}

// TestBoundedUnderFlood: a million distinct keys (a tenth of that under the
// race detector) never make the table hold
// more than its capacity, nor grow the heap by more than a few MiB; and a
// key that keeps failing survives the flood.
func TestBoundedUnderFlood(t *testing.T) {
	const capacity = 1 << 16
	tb := New(Rate{30, time.Minute}, capacity)
	if tb.Cap() != capacity {
		t.Fatalf("Cap = %d, want %d", tb.Cap(), capacity)
	}
	now := time.Unix(1_700_000_000, 0)
	heavy := tb.Key("heavy")
	for range 30 {
		tb.Fail(heavy, now)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rng := rand.New(rand.NewPCG(1, 2))
	n := 1_000_000
	if raceEnabled {
		n = 100_000
	}
	for i := range n {
		tb.Fail(rng.Uint64(), now.Add(time.Duration(i)*time.Microsecond))
		if i%100_000 == 0 {
			tb.Fail(heavy, now) // still hammering, blocked or not
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if n := tb.Len(); n > capacity {
		t.Errorf("Len = %d after a million keys, want at most %d", n, capacity)
	}
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 16<<20 {
		t.Errorf("heap grew by %d MiB for %d keys", grew>>20, tb.Len())
	}
	if w, _ := tb.Check(heavy, now.Add(time.Second)); w == 0 {
		t.Error("the heavy key was dropped by the flood")
	}
}

// TestCheckDoesNotAllocate keeps the clean path free.
func TestCheckDoesNotAllocate(t *testing.T) {
	tb := New(Rate{30, time.Minute}, 1<<16)
	now := time.Unix(1_700_000_000, 0)
	tb.Fail(tb.Key("seen"), now)
	allocs := testing.AllocsPerRun(1000, func() {
		tb.Check(tb.Key("198.51.100.7"), now)
		tb.Check(tb.Key("seen"), now)
	})
	if allocs != 0 {
		t.Errorf("Check allocates %v times", allocs)
	}
}

// TestConcurrent is for the race detector.
func TestConcurrent(t *testing.T) {
	tb := New(Rate{5, time.Second}, 256)
	now := time.Unix(1_700_000_000, 0)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				k := tb.Key(strconv.Itoa(g*1_000_000 + i%300))
				if w, _ := tb.Check(k, now); w == 0 {
					tb.Fail(k, now)
				}
			}
		})
	}
	wg.Wait()
	if tb.Len() > tb.Cap() {
		t.Errorf("Len %d > Cap %d", tb.Len(), tb.Cap())
	}
}

func BenchmarkCheckClean(b *testing.B) {
	tb := New(Rate{30, time.Minute}, 1<<16)
	now := time.Unix(1_700_000_000, 0)
	for i := range 10_000 {
		tb.Fail(tb.Key(strconv.Itoa(i)), now)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			tb.Check(tb.Key("192.0.2.10"), now)
		}
	})
}

func BenchmarkFail(b *testing.B) {
	tb := New(Rate{30, time.Minute}, 1<<16)
	now := time.Unix(1_700_000_000, 0)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewPCG(rand.Uint64(), 0))
		for pb.Next() {
			tb.Fail(rng.Uint64(), now)
		}
	})
}
