package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"

	gh "github.com/gatehouse/gatehouse/client"
)

const writesUsage = `Usage: gatehouse bench writes [flags]

Sends Management API writes at a fixed rate while "gatehouse bench" measures
the token endpoint: the steady admin and automation traffic of a real fleet.
Each write is a PATCH of one app's description (-app, or an app made for the
run and deleted after it), an app no benchmark requests a token for: any
effect on token throughput is the cost of the write itself and of the cache
invalidation it causes. Up to -c writes are in flight; a write whose turn
comes while all are busy is skipped and counted. Prints writes, failures,
skips and the latency of the writes themselves.

Example (in a second terminal, or with & before the bench):
  gatehouse bench writes -url http://127.0.0.1:3001 -rate 5 -d 12s

Flags:
`

// Writes runs "gatehouse bench writes". Exit codes: 0 ok, 1 failure (any
// write failed, or none could be made), 2 bad usage.
func Writes(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	var (
		conn   mgmtConn
		rate   float64
		d      time.Duration
		appID  string
		asJSON bool
	)
	fs := flag.NewFlagSet("gatehouse bench writes", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	conn.register(fs)
	fs.Float64Var(&rate, "rate", 5, "`writes/s`")
	fs.DurationVar(&d, "d", 10*time.Second, "how long to write (`duration`)")
	fs.StringVar(&appID, "app", "", "`id` of the app to PATCH; default: one made for the run")
	fs.BoolVar(&asJSON, "json", false, "print the result as one JSON object")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, writesUsage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return 0
		}
		return usageError(stderr, "gatehouse bench writes", err)
	}
	errs := conn.resolve(getenv)
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	if !(rate > 0 && rate <= 1e5) {
		errs = append(errs, errors.New("-rate must be between 0 (excluded) and 100000"))
	}
	if d <= 0 {
		errs = append(errs, errors.New("-d must be positive"))
	}
	if len(errs) > 0 {
		return usageError(stderr, "gatehouse bench writes", errors.Join(errs...))
	}
	api := conn.api()
	if appID == "" {
		app, err := api.CreateApplication(ctx, gh.ApplicationCreate{Name: "bench-writes", Type: gh.TypeMachineToMachine})
		if err != nil {
			fmt.Fprintln(stderr, "gatehouse bench writes: making the app to write to:", err)
			return 1
		}
		appID = app.ID
		defer api.DeleteApplication(context.WithoutCancel(ctx), appID)
	}
	r := writeLoad(ctx, api, appID, rate, d, conn.conns)
	var err error
	if asJSON {
		err = writeJSONTo(stdout, r)
	} else {
		_, err = fmt.Fprintf(stdout, "Writes       %d at %s/s for %s to app %s: %d failed, %d skipped (no free slot of -c %d)\n"+
			"Latency      p50 %s  p99 %s  max %s\n",
			r.Writes, strconv.FormatFloat(rate, 'f', -1, 64), d, appID, r.Failed, r.Skipped, conn.conns,
			humanUS(r.Latency.P50), humanUS(r.Latency.P99), humanUS(r.Latency.Max))
	}
	for _, e := range r.samples {
		fmt.Fprintln(stderr, "gatehouse bench writes:", e)
	}
	if err != nil || r.Failed > 0 || r.Writes == 0 {
		return 1
	}
	return 0
}

// writeReport is the result of "gatehouse bench writes"; latencies in µs.
type writeReport struct {
	Writes  uint64        `json:"writes"` // answered or failed, not skipped
	Failed  uint64        `json:"failed"`
	Skipped uint64        `json:"skipped"`
	Latency latencyReport `json:"latency_us"`
	samples []string      // the first few distinct failures
}

// writeLoad PATCHes appID's description at rate for d, at most conns at
// once, and measures each write from when it was sent.
func writeLoad(ctx context.Context, api *gh.ManagementAPI, appID string, rate float64, d time.Duration, conns int) writeReport {
	var (
		mu   sync.Mutex
		hist histogram
		r    writeReport
		wg   sync.WaitGroup
	)
	slots := make(chan struct{}, conns)
	start := time.Now()
	tm := time.NewTimer(0)
	defer tm.Stop()
	for k := 0; ; k++ {
		due := start.Add(time.Duration(float64(k) * float64(time.Second) / rate))
		if due.Sub(start) >= d {
			break
		}
		tm.Reset(time.Until(due))
		select {
		case <-ctx.Done():
		case <-tm.C:
		}
		if ctx.Err() != nil {
			break
		}
		select {
		case slots <- struct{}{}:
		default:
			r.Skipped++
			continue
		}
		wg.Go(func() {
			defer func() { <-slots }()
			desc := "gatehouse bench writes " + strconv.Itoa(k)
			t0 := time.Now()
			_, err := api.UpdateApplication(ctx, appID, gh.ApplicationUpdate{Description: &desc})
			took := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			if ctx.Err() != nil {
				return // interrupted: not the server's failure
			}
			r.Writes++
			hist.record(took)
			if err != nil {
				r.Failed++
				if msg := err.Error(); len(r.samples) < maxSamples && !slices.Contains(r.samples, msg) {
					r.samples = append(r.samples, msg)
				}
			}
		})
	}
	wg.Wait()
	r.Latency = latencyReport{Min: hist.quantile(0), Mean: hist.mean(), P50: hist.quantile(0.5), P90: hist.quantile(0.9),
		P99: hist.quantile(0.99), P999: hist.quantile(0.999), Max: float64(hist.maxUS)}
	return r
}
