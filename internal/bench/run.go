package bench

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

const (
	// lateAfter: an open-loop request sent this long after its intended
	// start counts as late (its latency still runs from the intended time).
	lateAfter = time.Millisecond
	// timerSlack: Go's timers can fire up to about 1 ms late on an idle
	// machine (the Linux netpoller sleeps in whole milliseconds). Measuring
	// from the intended time, that overshoot would be added to every
	// latency, so open-loop connections aim this much early instead, and a
	// request sent early is measured from when it was really sent.
	timerSlack = time.Millisecond
	// Reconnect backoff after failed connects, so a server that is down is
	// not hammered by a spinning generator on the same machine.
	backoffMin = 5 * time.Millisecond
	backoffMax = 200 * time.Millisecond
)

// Run parses args (the words after "gatehouse bench"), runs the load and prints the report.
// Exit codes: 0 ok, 1 run failed (e.g. every request failed / could not connect,
// the server's metrics could not be read), 2 bad usage.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	o, err := parseArgs(args, getenv, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var t *target
	if err == nil {
		t, err = newTarget(o)
	}
	if err != nil {
		fmt.Fprintf(stderr, "gatehouse bench: %v\nRun 'gatehouse bench -h' for usage.\n", err)
		return 2
	}
	// Read the server's metrics once before any load, so that a wrong URL
	// fails at once rather than after the run.
	var hc *http.Client
	if o.serverMetrics != "" {
		hc = &http.Client{Timeout: o.timeout}
		if _, err := scrapeCPU(ctx, hc, o.serverMetrics); err != nil {
			fmt.Fprintf(stderr, "gatehouse bench: %v\n", err)
			return 1
		}
	}
	if o.auth == authPrivateKeyJWT {
		u, _ := parseTarget(o.url)
		if t.assertions, err = newAssertionPool(ctx, o, u); err != nil {
			fmt.Fprintf(stderr, "gatehouse bench: %v\n", err)
			return 1
		}
		t.assertions.start(ctx)
	}
	var (
		before    cpuSample
		beforeErr error = errors.New("the run ended before the measured phase began")
	)
	var mark func()
	if hc != nil {
		mark = func() { before, beforeErr = scrapeCPU(ctx, hc, o.serverMetrics) }
	}
	st, measured, interrupted := execute(ctx, o, t, mark)
	r := newReport(o, st, measured, interrupted)
	if t.assertions != nil {
		t.assertions.close()
		r.Assertions = t.assertions.report(o)
	}
	if hc != nil {
		// Read even if interrupted: the figures cover the phase that ran.
		after, err := scrapeCPU(context.WithoutCancel(ctx), hc, o.serverMetrics)
		if err = cmp.Or(beforeErr, err); err != nil {
			r.Server = &serverReport{MetricsURL: o.serverMetrics, Error: err.Error()}
		} else {
			r.Server = newServerReport(o.serverMetrics, before, after, r.Requests)
		}
	}
	if o.json {
		err = r.writeJSON(stdout)
	} else {
		err = r.writeText(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "gatehouse bench: writing the report: %v\n", err)
		return 1
	}
	if r.OK == 0 {
		fmt.Fprintln(stderr, "gatehouse bench: no request succeeded (no 2xx answer)")
		return 1
	}
	return 0
}

// schedule is the run's timeline, fixed before any worker starts.
type schedule struct {
	start   time.Time // warm-up begins; slot 0 of the open-loop schedule
	from    time.Time // measuring begins: requests intended earlier are not counted
	end     time.Time // no request is intended at or after end
	rate    float64   // open loop: total requests/s; 0 = closed loop
	conns   int
	timeout time.Duration
}

// execute runs one worker per connection and merges their stats. It returns
// the merged stats, the measured window and whether ctx ended the run early.
// mark, if not nil, is called as the measured phase begins (before any
// request is sent if there is no warm-up), unless ctx ends first; execute
// returns after it did.
func execute(ctx context.Context, o options, t *target, mark func()) (*stats, time.Duration, bool) {
	s := &schedule{rate: o.rate, conns: o.conns, timeout: o.timeout}
	workers := make([]*worker, o.conns)
	// Each worker picks apps from its own stream; the clock seeds the run so
	// that two runs do not replay the same sequence.
	seed := time.Now().UnixNano()
	var ready, done sync.WaitGroup
	begin := make(chan struct{})
	for i := range workers {
		w := newWorker(i, t)
		w.pick = newPicker(len(t.requests), o.zipf, seed+int64(i))
		workers[i] = w
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			stop := context.AfterFunc(ctx, w.c.abort)
			defer stop()
			// Connect before the clock starts, so that with no warm-up the
			// first requests do not carry the handshakes. A failure is
			// counted when the run retries it.
			_ = w.c.connect(ctx)
			ready.Done()
			<-begin
			w.run(ctx, s)
			w.c.close()
		}()
	}
	ready.Wait()
	if mark != nil && o.warmup <= 0 {
		mark()
		mark = nil
	}
	s.start = time.Now()
	s.from = s.start.Add(o.warmup)
	s.end = s.from.Add(o.duration)
	close(begin) // publishes s to the workers
	if mark != nil {
		done.Go(func() {
			tm := time.NewTimer(time.Until(s.from))
			defer tm.Stop()
			select {
			case <-tm.C:
				mark()
			case <-ctx.Done():
			}
		})
	}
	done.Wait()

	stopped := time.Now()

	// The measured window runs from s.from to the last counted answer, and
	// is at least -d: requests in flight at the end, and in open loop the
	// backlog sent after it, are counted, so they count against the time
	// they really took.
	total := &stats{}
	last := s.end
	for _, w := range workers {
		total.merge(&w.st)
		if w.lastDone.After(last) {
			last = w.lastDone
		}
	}
	interrupted := ctx.Err() != nil
	if interrupted && stopped.Before(last) {
		last = stopped
	}
	return total, max(last.Sub(s.from), 0), interrupted
}

// worker drives one connection. Only its own goroutine touches it (the
// client's abort aside), so its stats need no locks.
type worker struct {
	id       int
	c        *client
	st       stats
	timer    *time.Timer // reused for every wait: no allocation per request
	failures int         // consecutive failed connects, for the backoff
	lastDone time.Time   // when the last counted request finished
	pick     picker      // which app the next request is for
}

func newWorker(id int, t *target) *worker {
	tm := time.NewTimer(time.Hour)
	tm.Stop()
	return &worker{id: id, c: newClient(t), timer: tm, st: stats{apps: newAppSet(len(t.requests))}}
}

func (w *worker) run(ctx context.Context, s *schedule) {
	if s.rate > 0 {
		w.openLoop(ctx, s)
		return
	}
	for ctx.Err() == nil {
		now := time.Now()
		if !now.Before(s.end) {
			return
		}
		w.send(ctx, s, !now.Before(s.from), now, now)
	}
}

// openLoop sends this connection's share of a fixed schedule.
//
// Design: the global schedule has slot n at start + n/rate, and connection
// i owns slots i, i+c, i+2c, ... — an evenly interleaved share. That needs
// no scheduler goroutine, channel or lock: each connection computes its next
// intended time from a multiplication, so the open loop costs no more per
// request than the closed one. The price is that a connection stuck on a slow
// answer cannot hand its slots to an idle one; but that is what we want to
// see: its next requests start late, their latency still counts from the
// intended time (no coordinated omission) and the lateness is reported.
// A connection that is behind at the end of -d still sends the slots that
// were due (so a stall just before the end is measured, not hidden); only
// slots more than -timeout behind are skipped, and they are reported as
// dropped. Every slot of the window is thus either answered or counted as an
// error, and the run overruns -d by at most twice -timeout (one late send
// plus its answer).
func (w *worker) openLoop(ctx context.Context, s *schedule) {
	interval := float64(time.Second) / s.rate
	for k := 0; ; k++ {
		intended := s.start.Add(time.Duration(float64(w.id+k*s.conns) * interval))
		if !intended.Before(s.end) {
			return
		}
		counted := !intended.Before(s.from)
		now := time.Now()
		if wait := intended.Sub(now) - timerSlack; wait > 0 {
			if !w.sleep(ctx, wait) {
				return
			}
			now = time.Now()
		} else if now.Sub(intended) > s.timeout {
			// It would time out before it was sent: drop it and catch up.
			if counted {
				w.st.errs[kindDropped]++
			}
			continue
		}
		if ctx.Err() != nil {
			return
		}
		if counted && now.Sub(intended) > lateAfter {
			w.st.late++
		}
		// Late: latency runs from the intended time. Early (within
		// timerSlack): from the real start.
		origin := intended
		if now.Before(intended) {
			origin = now
		}
		w.send(ctx, s, counted, origin, now)
	}
}

// send makes one request, started at now, and records it if counted (it was
// intended inside the measured window), its latency running from origin.
func (w *worker) send(ctx context.Context, s *schedule, counted bool, origin, now time.Time) {
	app := w.pick.next()
	req := w.c.t.requests[app]
	var (
		status int
		kind   errKind
		err    error
	)
	if w.c.t.assertions != nil {
		req, err = w.c.t.assertions.take(ctx)
		if err != nil {
			kind, w.c.sent = kindWrite, false
		}
	}
	if kind == kindNone {
		status, kind, err = w.c.roundTrip(ctx, now.Add(s.timeout), req)
	}
	done := time.Now()
	if ctx.Err() != nil {
		return // interrupted: not the server's failure
	}
	if counted {
		w.lastDone = done
		if w.c.sent {
			w.st.apps.add(app)
		}
	}
	if kind != kindNone {
		if counted {
			w.st.addError(kind, 0, []byte(err.Error()))
		}
		if kind == kindConnect {
			w.failures++
			w.sleep(ctx, min(backoffMin<<min(w.failures-1, 8), backoffMax, max(s.end.Sub(done), 0)))
		}
		return
	}
	w.failures = 0
	if !counted {
		return
	}
	w.st.hist.record(done.Sub(origin))
	w.st.status[status]++
	if status < 200 || status > 299 {
		w.st.addError(kindStatus, status, w.c.body)
	}
}

// sleep waits for d or until ctx ends; it reports whether d passed.
func (w *worker) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	w.timer.Reset(d)
	select {
	case <-w.timer.C:
		return true
	case <-ctx.Done():
		w.timer.Stop()
		return false
	}
}
