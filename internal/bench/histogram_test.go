package bench

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistogramBuckets(t *testing.T) {
	// Every value maps to a bucket that contains it, buckets are contiguous,
	// and none is wider than 1/histHalf of its lower bound (above the exact range).
	prevLo, prevW := uint64(0), uint64(0)
	for i := range histBuckets {
		lo, w := histBounds(i)
		if i > 0 && lo != prevLo+prevW {
			t.Fatalf("bucket %d starts at %d, want %d", i, lo, prevLo+prevW)
		}
		if lo >= histExact && float64(w)/float64(lo) > 1.0/histHalf {
			t.Fatalf("bucket %d [%d,+%d) too wide", i, lo, w)
		}
		for _, v := range []uint64{lo, lo + w - 1} {
			if got := histIndex(v); got != i {
				t.Fatalf("histIndex(%d) = %d, want %d", v, got, i)
			}
		}
		prevLo, prevW = lo, w
	}
	if got := histIndex(histMaxUS); got != histBuckets-1 {
		t.Fatalf("histIndex(max) = %d, want %d", got, histBuckets-1)
	}
}

func TestHistogramExactLowEnd(t *testing.T) {
	var h histogram
	for v := 1; v <= 100; v++ {
		h.record(time.Duration(v) * time.Microsecond)
	}
	for _, tc := range []struct{ q, want float64 }{{0.01, 1}, {0.5, 50}, {0.9, 90}, {0.99, 99}, {1, 100}} {
		if got := h.quantile(tc.q); got != tc.want {
			t.Errorf("quantile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if h.count() != 100 || h.mean() != 50.5 || h.minUS != 1 || h.maxUS != 100 {
		t.Errorf("count %d mean %v min %d max %d", h.count(), h.mean(), h.minUS, h.maxUS)
	}
	// Rounding to the nearest microsecond.
	var r histogram
	r.record(1499 * time.Nanosecond)
	r.record(1500 * time.Nanosecond)
	if r.minUS != 1 || r.maxUS != 2 {
		t.Errorf("rounding: min %d max %d, want 1 2", r.minUS, r.maxUS)
	}
}

// TestHistogramDistributions compares quantiles against the exact ones of
// sorted samples: within 1% for uniform, exponential and log-normal data.
func TestHistogramDistributions(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dists := map[string]func() float64{
		"uniform 1µs-1s":   func() float64 { return 1 + rng.Float64()*1e6 },
		"exponential 2ms":  func() float64 { return 1 + rng.ExpFloat64()*2000 },
		"lognormal ~500µs": func() float64 { return math.Exp(6.2 + 1.2*rng.NormFloat64()) },
		"bimodal 80µs / 40ms": func() float64 {
			if rng.IntN(10) == 0 {
				return 40000 + rng.Float64()*5000
			}
			return 80 + rng.Float64()*20
		},
	}
	for name, gen := range dists {
		t.Run(name, func(t *testing.T) {
			// Merge four per-connection histograms, as a run does.
			var parts [4]histogram
			vals := make([]float64, 200_000)
			for i := range vals {
				us := math.Round(gen())
				vals[i] = us
				parts[i%4].record(time.Duration(us * float64(time.Microsecond)))
			}
			var h histogram
			for i := range parts {
				h.merge(&parts[i])
			}
			slices.Sort(vals)
			for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
				exact := vals[int(math.Ceil(q*float64(len(vals))))-1]
				got := h.quantile(q)
				if math.Abs(got-exact) > 0.01*exact+0.5 {
					t.Errorf("q%v = %v, exact %v (%.2f%% off)", q, got, exact, 100*math.Abs(got-exact)/exact)
				}
			}
			if h.count() != uint64(len(vals)) || float64(h.minUS) != vals[0] || float64(h.maxUS) != vals[len(vals)-1] {
				t.Errorf("count %d min %d max %d", h.count(), h.minUS, h.maxUS)
			}
		})
	}
}

func TestHistogramSaturates(t *testing.T) {
	var h histogram
	h.record(2 * time.Minute)
	h.record(-time.Second)
	if h.maxUS != 120e6 || h.minUS != 0 || h.quantile(1) != 120e6 {
		t.Errorf("max %d min %d q1 %v", h.maxUS, h.minUS, h.quantile(1))
	}
	var empty histogram
	if empty.quantile(0.5) != 0 || empty.mean() != 0 {
		t.Error("empty histogram should report zeros")
	}
}

func TestHistogramRecordAllocs(t *testing.T) {
	var h histogram
	if n := testing.AllocsPerRun(1000, func() { h.record(1234 * time.Microsecond) }); n != 0 {
		t.Errorf("record allocates %v times", n)
	}
}
