// Command tracewait splits the time of the server's Management API
// requests, from a runtime trace, into running, runnable (ready, waiting
// for a P) and blocked (a database read, mostly), and sums the blocked
// time by where the goroutine blocked.
//
// Usage: go run . TRACE
//
// TRACE is a runtime trace of the server taken during
// scripts/scale/writes.sh (GATEHOUSE_DEBUG_LISTEN set, then
// curl -o TRACE http://ADDR/debug/pprof/trace?seconds=5). A request is
// followed from the first time its goroutine blocks inside package
// management to the goroutine's next request read; the first part of a
// request, before it first blocks, is not counted. See docs/operations.md
// ("Where a write's time goes"). It is a module of its own, so that the
// server does not depend on golang.org/x/exp.
package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/exp/trace"
)

// request is the time one request spent in each state.
type request struct {
	mgmt                       bool // the goroutine has blocked in the handler
	runnable, blocked, running time.Duration
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: tracewait TRACE")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	r, err := trace.NewReader(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cur := map[trace.GoID]*request{}
	since := map[trace.GoID]trace.Time{}
	blockedAt := map[trace.GoID]string{}
	byPlace := map[string]time.Duration{}
	var done []request
	for {
		ev, err := r.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if ev.Kind() != trace.EventStateTransition {
			continue
		}
		st := ev.StateTransition()
		if st.Resource.Kind != trace.ResourceGoroutine {
			continue
		}
		id := st.Resource.Goroutine()
		q := cur[id]
		if q == nil {
			q = &request{}
			cur[id] = q
		}
		from, to := st.Goroutine()
		if t0, ok := since[id]; ok && q.mgmt {
			d := time.Duration(ev.Time() - t0)
			switch from {
			case trace.GoRunnable:
				q.runnable += d
			case trace.GoWaiting, trace.GoSyscall:
				q.blocked += d
				byPlace[blockedAt[id]] += d
			case trace.GoRunning:
				q.running += d
			}
		}
		since[id] = ev.Time()
		if to != trace.GoWaiting && to != trace.GoSyscall {
			continue
		}
		s := st.Stack
		if s == trace.NoStack {
			s = ev.Stack()
		}
		inMgmt, reading, place := false, false, ""
		for fr := range s.Frames() {
			if strings.Contains(fr.Func, "internal/management.") {
				inMgmt = true
			}
			if strings.Contains(fr.Func, "net/http.(*connReader).Read") {
				reading = true
			}
			if place == "" && !strings.HasPrefix(fr.Func, "runtime.") && !strings.HasPrefix(fr.Func, "internal/poll.") &&
				!strings.HasPrefix(fr.Func, "net.") && !strings.HasPrefix(fr.Func, "sync.") &&
				!strings.HasPrefix(fr.Func, "io.") && !strings.HasPrefix(fr.Func, "bufio.") {
				place = fr.Func
			}
		}
		blockedAt[id] = st.Reason + " @ " + place
		switch {
		case inMgmt:
			q.mgmt = true
		case reading && q.mgmt: // the next request: this one is over
			done = append(done, *q)
			*q = request{}
		}
	}
	fmt.Printf("%d requests\n", len(done))
	pct := func(get func(request) time.Duration, p float64) time.Duration {
		v := make([]time.Duration, len(done))
		for i, q := range done {
			v[i] = get(q)
		}
		slices.Sort(v)
		return v[int(float64(len(v)-1)*p)]
	}
	if len(done) > 0 {
		for _, p := range []float64{.5, .9, .99, 1} {
			fmt.Printf("p%-4v runnable %-12v blocked %-12v running %v\n", p*100,
				pct(func(q request) time.Duration { return q.runnable }, p),
				pct(func(q request) time.Duration { return q.blocked }, p),
				pct(func(q request) time.Duration { return q.running }, p))
		}
	}
	fmt.Println("blocked time by place (over 50 ms in all):")
	for place, d := range byPlace {
		if d > 50*time.Millisecond {
			fmt.Printf("  %-12v %s\n", d, place)
		}
	}
}
