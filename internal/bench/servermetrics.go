package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

const (
	// cpuMetric is the process collector's CPU counter (client_golang and
	// most Prometheus clients export it): user plus system seconds.
	cpuMetric = "process_cpu_seconds_total"
	// maxMetricsBody bounds what a scrape reads.
	maxMetricsBody = 16 << 20
)

// errNoCPUMetric: the page scraped has no process_cpu_seconds_total.
var errNoCPUMetric = errors.New("no " + cpuMetric + " sample in the page (is it the server's metrics endpoint, GATEHOUSE_METRICS_LISTEN's /metrics?)")

// cpuSample is one reading of the server's CPU counter.
type cpuSample struct {
	seconds float64
	at      time.Time // halfway through the scrape
}

// scrapeCPU reads process_cpu_seconds_total at url.
func scrapeCPU(ctx context.Context, hc *http.Client, url string) (cpuSample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return cpuSample{}, fmt.Errorf("-server-metrics: %w", err)
	}
	// The text format, not OpenMetrics or protobuf.
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return cpuSample{}, fmt.Errorf("-server-metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return cpuSample{}, fmt.Errorf("-server-metrics %s: status %d", url, resp.StatusCode)
	}
	v, err := parseCPUSeconds(io.LimitReader(resp.Body, maxMetricsBody))
	if err != nil {
		return cpuSample{}, fmt.Errorf("-server-metrics %s: %w", url, err)
	}
	end := time.Now()
	return cpuSample{seconds: v, at: start.Add(end.Sub(start) / 2)}, nil
}

// parseCPUSeconds finds the process_cpu_seconds_total sample in a page of
// the Prometheus text format: "name[{labels}] value [timestamp]".
func parseCPUSeconds(r io.Reader) (float64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		rest, ok := bytes.CutPrefix(line, []byte(cpuMetric))
		if !ok || len(rest) == 0 {
			continue
		}
		switch rest[0] {
		case '{':
			end := bytes.IndexByte(rest, '}')
			if end < 0 {
				return 0, fmt.Errorf("malformed %s line %q", cpuMetric, line)
			}
			rest = rest[end+1:]
		case ' ', '\t':
		default:
			continue // another metric whose name starts the same
		}
		fields := bytes.Fields(rest)
		if len(fields) == 0 {
			return 0, fmt.Errorf("malformed %s line %q", cpuMetric, line)
		}
		v, err := strconv.ParseFloat(string(fields[0]), 64)
		if err != nil || v < 0 || v != v {
			return 0, fmt.Errorf("malformed %s value in %q", cpuMetric, line)
		}
		return v, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errNoCPUMetric
}

// serverReport is the server's CPU over the measured phase, from its
// process_cpu_seconds_total read as the phase starts and after it ends.
type serverReport struct {
	MetricsURL string  `json:"metrics_url"`
	CPUSeconds float64 `json:"cpu_seconds"` // CPU time the server spent between the two readings
	WindowUS   float64 `json:"window_us"`   // wall time between the two readings
	// CPUPerRequestUS is CPUSeconds over the requests answered in the
	// measured phase.
	CPUPerRequestUS float64 `json:"cpu_per_request_us"`
	// CPUUtilisation is CPUSeconds over the window: the cores kept busy on
	// average (1 = one core all the time).
	CPUUtilisation float64 `json:"cpu_utilisation"`
	Error          string  `json:"error,omitempty"` // why there are no figures
}

// newServerReport computes the figures from the two readings.
func newServerReport(url string, before, after cpuSample, requests uint64) *serverReport {
	r := &serverReport{MetricsURL: url, CPUSeconds: after.seconds - before.seconds, WindowUS: us(after.at.Sub(before.at))}
	if r.CPUSeconds < 0 {
		r.Error = "process_cpu_seconds_total went down: the server restarted during the run"
		return r
	}
	if requests > 0 {
		r.CPUPerRequestUS = r.CPUSeconds * 1e6 / float64(requests)
	}
	if r.WindowUS > 0 {
		r.CPUUtilisation = r.CPUSeconds * 1e6 / r.WindowUS
	}
	return r
}
