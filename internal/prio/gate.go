package prio

import (
	"runtime"
	"sync/atomic"
	"time"
)

// DefaultLinger is how long a Gate stays closed after the last urgent
// request ended: long enough that the next request of an administrator or
// an automation at work finds it closed already, so that it does not queue
// behind the token requests on its way in.
const DefaultLinger = time.Second

// epoch makes monotonic timestamps of the deadlines.
var epoch = time.Now()

// Gate gives latency-bound work precedence over a CPU-bound section. The
// zero value is not usable; a nil *Gate is always open.
type Gate struct {
	urgent atomic.Int64
	until  atomic.Int64 // since epoch (ns): closed until then after the last urgent request
	linger time.Duration
	slots  chan struct{}
}

// NewGate returns a gate for procs Ps (runtime.GOMAXPROCS(0) when procs
// is 0 or less): while urgent work is in flight, and for linger after it
// (DefaultLinger when 0 or less), max(1, procs-1) goroutines at a time
// pass EnterBulk.
func NewGate(procs int, linger time.Duration) *Gate {
	if procs <= 0 {
		procs = runtime.GOMAXPROCS(0)
	}
	if linger <= 0 {
		linger = DefaultLinger
	}
	return &Gate{slots: make(chan struct{}, max(1, procs-1)), linger: linger}
}

// BeginUrgent marks one latency-bound request in flight until the
// matching EndUrgent.
func (g *Gate) BeginUrgent() {
	if g != nil {
		g.urgent.Add(1)
	}
}

// EndUrgent ends what BeginUrgent began.
func (g *Gate) EndUrgent() {
	if g != nil {
		g.until.Store(int64(time.Since(epoch) + g.linger))
		g.urgent.Add(-1)
	}
}

// Urgent reports how many latency-bound requests are in flight.
func (g *Gate) Urgent() int {
	if g == nil {
		return 0
	}
	return int(g.urgent.Load())
}

// Slots is how many goroutines at a time pass EnterBulk while urgent work
// is in flight.
func (g *Gate) Slots() int {
	if g == nil {
		return 0
	}
	return cap(g.slots)
}

// Closed reports whether EnterBulk waits for a slot: urgent work is in
// flight or ended less than the linger ago.
func (g *Gate) Closed() bool {
	if g == nil {
		return false
	}
	if g.urgent.Load() > 0 {
		return true
	}
	u := g.until.Load()
	return u != 0 && int64(time.Since(epoch)) < u
}

// EnterBulk is called before the gated section. With the gate open (no
// urgent work in flight, nor within the linger) it returns false at once;
// otherwise it waits for a slot and returns true, and the caller must call
// LeaveBulk after the section. The section must not block on anything but
// the CPU: a slot held across I/O would stall every other caller.
func (g *Gate) EnterBulk() bool {
	if !g.Closed() {
		return false
	}
	g.slots <- struct{}{}
	return true
}

// LeaveBulk gives back the slot EnterBulk took.
func (g *Gate) LeaveBulk() {
	<-g.slots
}
