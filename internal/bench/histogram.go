package bench

import (
	"math"
	"math/bits"
	"time"
)

// The histogram is log-linear, like HdrHistogram: values (whole
// microseconds) below histExact are counted exactly; above that every power
// of two [2^e, 2^(e+1)) is split into histHalf equal sub-buckets. A bucket is
// therefore at most 1/histHalf of its lower bound wide, and reporting its
// midpoint is off by at most 1/(2*histHalf) ≈ 0.4% of the true value.
const (
	histSubBits = 8
	histExact   = 1 << histSubBits // 256 exact 1 µs buckets
	histHalf    = histExact / 2    // 128 sub-buckets per power of two above
	histTopBits = 26               // values up to 2^26-1 µs ≈ 67 s
	histBuckets = histExact + (histTopBits-histSubBits)*histHalf
	histMaxUS   = 1<<histTopBits - 1
)

// histogram records latencies. Its zero value is empty and ready; it is not
// safe for concurrent use: each connection owns one and they are merged when
// the run ends. Recording never allocates.
type histogram struct {
	counts [histBuckets]uint64
	n      uint64
	sumUS  float64 // exact sum, for the mean
	minUS  uint64  // exact extremes; counts saturate at histMaxUS, these do not
	maxUS  uint64
}

// record adds one latency, rounded to the nearest microsecond.
func (h *histogram) record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	us := uint64((d + time.Microsecond/2) / time.Microsecond)
	if h.n == 0 || us < h.minUS {
		h.minUS = us
	}
	if us > h.maxUS {
		h.maxUS = us
	}
	h.n++
	h.sumUS += float64(us)
	h.counts[histIndex(min(us, histMaxUS))]++
}

// histIndex maps a value in microseconds (≤ histMaxUS) to its bucket.
func histIndex(us uint64) int {
	if us < histExact {
		return int(us)
	}
	// shift keeps the top histSubBits bits of us, so us>>shift is in
	// [histHalf, histExact).
	shift := bits.Len64(us) - histSubBits
	return histExact + (shift-1)*histHalf + int(us>>shift) - histHalf
}

// histBounds returns the lowest value in bucket i and the bucket's width.
func histBounds(i int) (lo, width uint64) {
	if i < histExact {
		return uint64(i), 1
	}
	j := i - histExact
	shift := j/histHalf + 1
	sub := uint64(j%histHalf + histHalf)
	return sub << shift, 1 << shift
}

// merge adds every value recorded in o to h.
func (h *histogram) merge(o *histogram) {
	if o.n == 0 {
		return
	}
	if h.n == 0 || o.minUS < h.minUS {
		h.minUS = o.minUS
	}
	h.maxUS = max(h.maxUS, o.maxUS)
	h.n += o.n
	h.sumUS += o.sumUS
	for i, c := range o.counts {
		h.counts[i] += c
	}
}

// count returns how many values were recorded.
func (h *histogram) count() uint64 { return h.n }

// mean returns the exact mean in microseconds (0 if empty).
func (h *histogram) mean() float64 {
	if h.n == 0 {
		return 0
	}
	return h.sumUS / float64(h.n)
}

// quantile returns the value in microseconds below or at which a fraction q
// (0 ≤ q ≤ 1) of the recorded values lie: the midpoint of the bucket holding
// the value of rank ⌈q·n⌉ (at least 1), clamped to the exact minimum and
// maximum; the top rank is the exact maximum.
// It returns 0 for an empty histogram.
func (h *histogram) quantile(q float64) float64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = max(rank, 1)
	if rank >= h.n {
		return float64(h.maxUS) // the top value is known exactly
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen < rank {
			continue
		}
		if i == histBuckets-1 {
			return float64(h.maxUS) // the saturated bucket has no upper bound
		}
		lo, width := histBounds(i)
		v := float64(lo) + float64(width-1)/2
		return math.Min(math.Max(v, float64(h.minUS)), float64(h.maxUS))
	}
	return float64(h.maxUS)
}
