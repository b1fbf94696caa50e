package limit

import (
	"hash/maphash"
	"math/bits"
	"runtime"
	"sync/atomic"
	"time"
)

// ways is how many keys share a bucket: a key lives in one of the ways
// slots of the bucket its hash names, and a full bucket drops one of them.
const ways = 8

// Table applies a Rate to each key, in a fixed amount of memory. A nil
// *Table limits nothing: Check reports every key clean and Fail does
// nothing. Its methods are safe for concurrent use.
//
// Time is always the caller's: every method takes now, so that a table
// follows the clock the server was given (tests move it by hand).
type Table struct {
	interval  int64 // Rate.Interval in ns: what one failure adds
	tolerance int64 // Per - interval: how far ahead a key may run before it is over
	per       int64 // Per in ns: how far ahead a key may run at most
	seed      maphash.Seed
	mask      uint64 // len(buckets) - 1
	buckets   []bucket
}

// bucket holds up to ways keys (0: empty slot) with the time, in unix ns,
// at which each key's failures are paid off. seq is a sequence lock:
// odd while a writer changes the bucket. Readers never write to it, so
// checks from many cores do not contend.
type bucket struct {
	seq  atomic.Uint64
	keys [ways]atomic.Uint64
	tats [ways]atomic.Int64
}

// New returns a table for r holding at most capacity keys (rounded up to
// a power of two, at least ways), or nil when r is off. Its memory, 17
// bytes a key, is allocated here once and never grows.
func New(r Rate, capacity int) *Table {
	if r.Off() {
		return nil
	}
	n := max(1, (capacity+ways-1)/ways)
	n = 1 << bits.Len(uint(n-1)) // next power of two
	per := int64(r.Per)
	interval := int64(r.Interval())
	return &Table{
		interval: interval, tolerance: per - interval, per: per,
		seed: maphash.MakeSeed(), mask: uint64(n - 1), buckets: make([]bucket, n),
	}
}

// Key is the table's key for s. Distinct strings share a key with
// probability 2⁻⁶⁴, under a seed an outsider cannot know.
func (t *Table) Key(s string) uint64 {
	if t == nil {
		return 0
	}
	return nonzero(maphash.String(t.seed, s))
}

// KeyBytes is Key for a byte slice; KeyBytes(b) == Key(string(b)).
func (t *Table) KeyBytes(b []byte) uint64 {
	if t == nil {
		return 0
	}
	return nonzero(maphash.Bytes(t.seed, b))
}

// nonzero keeps 0 free to mark an empty slot.
func nonzero(k uint64) uint64 {
	if k == 0 {
		return 1
	}
	return k
}

// Check tells whether key is over the limit at now, and if so how long
// until it may fail once more (at most one Interval). recent reports that
// the key has failed within about the last window (it still has failures
// to pay off beyond one window's tolerance); it is true whenever wait is
// not 0. Check only reads memory: no lock, no allocation.
func (t *Table) Check(key uint64, now time.Time) (wait time.Duration, recent bool) {
	if t == nil {
		return 0, false
	}
	tat, ok := t.load(nonzero(key))
	if !ok {
		return 0, false
	}
	d := tat - now.UnixNano()
	if d > t.tolerance {
		return time.Duration(d - t.tolerance), true
	}
	return 0, d > -t.tolerance
}

// load reads key's paid-off time, retrying while a writer is in its
// bucket.
func (t *Table) load(key uint64) (tat int64, ok bool) {
	b := &t.buckets[key&t.mask]
	for spin := 0; ; spin++ {
		s := b.seq.Load()
		if s&1 == 0 {
			tat, ok = 0, false
			for i := range b.keys {
				if b.keys[i].Load() == key {
					tat, ok = b.tats[i].Load(), true
					break
				}
			}
			if b.seq.Load() == s {
				return tat, ok
			}
		}
		if spin > 16 {
			runtime.Gosched()
		}
	}
}

// Fail records one failure of key at now. A key never runs more than one
// window ahead of now, so whatever the failures before, a key that stops
// failing is no longer over the limit after one Interval, and no longer
// recent after two windows at most.
//
// A new key in a full bucket takes the slot of a key that is already
// clean, else of the one that will be clean soonest: under a flood of
// one-time keys the keys that failed most stay.
func (t *Table) Fail(key uint64, now time.Time) {
	if t == nil {
		return
	}
	key = nonzero(key)
	n := now.UnixNano()
	b := &t.buckets[key&t.mask]
	b.lock()
	slot, soonest := -1, int64(0)
	for i := range b.keys {
		k := b.keys[i].Load()
		if k == key {
			slot = i
			break
		}
		tat := b.tats[i].Load()
		if k == 0 {
			tat = -1 << 63 // an empty slot is the best choice
		}
		if slot < 0 || tat < soonest {
			slot, soonest = i, tat
		}
	}
	tat := int64(0)
	if b.keys[slot].Load() == key {
		tat = b.tats[slot].Load()
	}
	b.keys[slot].Store(key)
	b.tats[slot].Store(min(max(tat, n)+t.interval, n+t.per))
	b.seq.Add(1) // unlock
}

// lock makes the bucket's sequence odd, waiting for another writer.
func (b *bucket) lock() {
	for spin := 0; ; spin++ {
		s := b.seq.Load()
		if s&1 == 0 && b.seq.CompareAndSwap(s, s+1) {
			return
		}
		if spin > 16 {
			runtime.Gosched()
		}
	}
}

// Len is the number of keys held, live or not yet replaced.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	n := 0
	for i := range t.buckets {
		for j := range t.buckets[i].keys {
			if t.buckets[i].keys[j].Load() != 0 {
				n++
			}
		}
	}
	return n
}

// Cap is the most keys the table holds.
func (t *Table) Cap() int {
	if t == nil {
		return 0
	}
	return len(t.buckets) * ways
}
