package app

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// gcHeadroom is the garbage the collector lets accumulate between cycles
// while the live heap is small: a token server makes a few KB of
// short-lived garbage per request, so at 30,000 requests/s Go's default
// (GOGC=100 over a ~10 MiB live heap) collects every few milliseconds and
// the collections show in tail latency.
const gcHeadroom = 12 << 20

// gcPercent is the GOGC that gives a heap of live bytes its headroom: the
// larger of gcHeadroom and the live heap itself (Go's default), never more
// than four times the live heap. The rule suits 10 apps and 100,000 alike:
//
//   - 10 apps: live ≈ 7 MiB, GOGC ≈ 170, heap goal ≈ 19 MiB: 61 MiB RSS
//     under full load and the same throughput as the fixed 28 MiB memory
//     limit this replaces (55 MiB), measured in one run; 24 MiB of
//     headroom gave 74 MiB for 10% more throughput;
//   - 100,000 apps: the cache alone is 43–70 MiB (430–700 bytes an app),
//     GOGC 100, a heap goal of twice the live heap (RSS 170–201 MiB under
//     load, measured); the fixed limit made the collector run
//     continuously here (most CPU in GC at 10,000 apps).
//
// docs/operations.md has the measurements and a sizing table.
func gcPercent(live uint64) int {
	if live == 0 {
		return 400
	}
	p := int(100 * max(live, gcHeadroom) / live)
	return min(max(p, 100), 400)
}

// tuneGC keeps GOGC at gcPercent of the live heap, checked twice a second,
// unless the operator set GOGC. GOMEMLIMIT, when set, is left to the
// runtime. It returns when ctx ends.
func tuneGC(ctx context.Context, getenv func(string) string) {
	if getenv("GOGC") != "" {
		return
	}
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	current := gcPercent(0)
	debug.SetGCPercent(current)
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return
		}
		if p := gcPercent(sample[0].Value.Uint64()); p != current {
			debug.SetGCPercent(p)
			current = p
		}
	}
}
