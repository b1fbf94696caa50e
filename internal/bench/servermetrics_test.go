package bench

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParseCPUSeconds(t *testing.T) {
	page := `# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 12
# HELP process_cpu_seconds_total_other A metric whose name starts the same.
process_cpu_seconds_total_other 99
# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total %s
process_max_fds 1024
`
	for _, tc := range []struct {
		sample string
		want   float64
	}{
		{"12.34", 12.34},
		{"1.5e+02", 150},
		{"7 1700000000000", 7}, // with a timestamp
		{"0", 0},
	} {
		got, err := parseCPUSeconds(strings.NewReader(fmt.Sprintf(page, tc.sample)))
		if err != nil || got != tc.want {
			t.Errorf("%q: got %v, %v; want %v", tc.sample, got, err, tc.want)
		}
	}
	got, err := parseCPUSeconds(strings.NewReader("process_cpu_seconds_total{instance=\"a\"} 3.25\n"))
	if err != nil || got != 3.25 {
		t.Errorf("with labels: got %v, %v", got, err)
	}
	for _, tc := range []struct{ name, page, want string }{
		{"missing", "# HELP go_goroutines x\ngo_goroutines 12\nprocess_cpu_seconds_total_other 1\n", "no process_cpu_seconds_total sample"},
		{"empty", "", "no process_cpu_seconds_total sample"},
		{"not a number", "process_cpu_seconds_total abc\n", "malformed process_cpu_seconds_total value"},
		{"negative", "process_cpu_seconds_total -1\n", "malformed process_cpu_seconds_total value"},
		{"no value", "process_cpu_seconds_total{a=\"b\"}\n", "malformed process_cpu_seconds_total line"},
		{"unclosed labels", "process_cpu_seconds_total{a=\"b\" 1\n", "malformed process_cpu_seconds_total line"},
	} {
		_, err := parseCPUSeconds(strings.NewReader(tc.page))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := parseCPUSeconds(strings.NewReader("")); !errors.Is(err, errNoCPUMetric) {
		t.Errorf("missing metric: %v is not errNoCPUMetric", err)
	}
}

// metricsServer serves a process_cpu_seconds_total that grows by perHit
// seconds for each request ts answered, so the CPU per request is known.
func metricsServer(t *testing.T, hits func() int64, perHit float64) *httptest.Server {
	t.Helper()
	ms := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %g\n", float64(hits())*perHit)
	}))
	t.Cleanup(ms.Close)
	return ms
}

func TestRunServerMetrics(t *testing.T) {
	ts := newTokenServer(t, &tokenServer{auth: authBasic})
	ms := metricsServer(t, ts.hits.Load, 250e-6)
	base := []string{"-url", ts.URL + "/oidc/token", "-client-id", testID, "-client-secret", testSecret,
		"-resource", testRes, "-scope", testScope, "-server-metrics", ms.URL + "/metrics"}

	// No warm-up: the first reading comes before any request and the last
	// after every answer, so the server's CPU is exactly 250 µs a request.
	code, out, errOut := bench(t, nil, append(base, "-c", "2", "-d", "200ms", "-warmup", "0s", "-json")...)
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	ts.check(t)
	r := decodeReport(t, out)
	s := r.Server
	if s == nil || s.Error != "" || s.MetricsURL != ms.URL+"/metrics" {
		t.Fatalf("server report %+v", s)
	}
	if uint64(ts.hits.Load()) != r.Requests || r.Errors.Total != 0 {
		t.Fatalf("server answered %d, report counts %d (errors %+v)", ts.hits.Load(), r.Requests, r.Errors)
	}
	if d := s.CPUPerRequestUS - 250; d > 1e-6 || d < -1e-6 {
		t.Errorf("CPU per request %v µs, want 250", s.CPUPerRequestUS)
	}
	if want := float64(r.Requests) * 250e-6; s.CPUSeconds < want-1e-9 || s.CPUSeconds > want+1e-9 {
		t.Errorf("CPU seconds %v, want %v", s.CPUSeconds, want)
	}
	if s.WindowUS < 200_000 || s.CPUUtilisation <= 0 || s.CPUUtilisation != s.CPUSeconds*1e6/s.WindowUS {
		t.Errorf("window %v µs, utilisation %v", s.WindowUS, s.CPUUtilisation)
	}
	for _, key := range []string{`"server"`, `"cpu_per_request_us"`, `"cpu_utilisation"`, `"cpu_seconds"`, `"window_us"`} {
		if !strings.Contains(out, key) {
			t.Errorf("JSON report lacks %s", key)
		}
	}

	// With a warm-up, in text.
	code, out, errOut = bench(t, nil, append(base, "-c", "1", "-d", "100ms", "-warmup", "50ms")...)
	if code != 0 || !strings.Contains(out, "Server CPU   ") || !strings.Contains(out, "per request; ") ||
		!strings.Contains(out, "cores busy (process_cpu_seconds_total at "+ms.URL+"/metrics)") {
		t.Errorf("exit %d stderr %s\n%s", code, errOut, out)
	}
}

// A metrics URL that serves no CPU counter fails before any load is sent.
func TestRunServerMetricsMissing(t *testing.T) {
	ts := newTokenServer(t, &tokenServer{auth: authBasic})
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, "# TYPE go_goroutines gauge\ngo_goroutines 3\n")
	}))
	defer page.Close()
	for _, tc := range []struct{ url, want string }{
		{page.URL + "/metrics", "no process_cpu_seconds_total sample in the page (is it the server's metrics endpoint"},
		{page.URL + "/nothing", "status 404"},
	} {
		code, out, errOut := bench(t, nil, "-url", ts.URL+"/oidc/token", "-client-id", testID, "-client-secret", testSecret,
			"-server-metrics", tc.url, "-d", "50ms")
		if code != 1 || out != "" || !strings.Contains(errOut, "-server-metrics") || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d stdout %q stderr %q, want 1 and %q", tc.url, code, out, errOut, tc.want)
		}
	}
	if n := ts.hits.Load(); n != 0 {
		t.Errorf("token server saw %d requests, want none", n)
	}
}

func TestNewServerReport(t *testing.T) {
	var before, after cpuSample
	before.seconds, after.seconds = 10, 9
	if r := newServerReport("u", before, after, 5); !strings.Contains(r.Error, "restarted") {
		t.Errorf("counter went down: %+v", r)
	}
}
