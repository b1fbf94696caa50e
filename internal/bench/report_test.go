package bench

import (
	"strings"
	"testing"
	"time"
)

func TestHumanUS(t *testing.T) {
	for _, tc := range []struct {
		us   float64
		want string
	}{
		{0, "0s"}, {12, "12µs"}, {999, "999µs"}, {1000, "1.00ms"}, {1234, "1.23ms"}, {45678, "45.7ms"},
		{456789, "457ms"}, {1.5e6, "1.50s"}, {61e6, "61.0s"},
	} {
		if got := humanUS(tc.us); got != tc.want {
			t.Errorf("humanUS(%v) = %q, want %q", tc.us, got, tc.want)
		}
	}
}

func TestReportText(t *testing.T) {
	var s stats
	for i := 1; i <= 1000; i++ {
		s.hist.record(time.Duration(i) * 10 * time.Microsecond)
		s.status[200]++
	}
	s.hist.record(50 * time.Millisecond)
	s.status[401]++
	s.addError(kindStatus, 401, []byte("{\"error\":\n  \"invalid_client\"}"))
	s.addError(kindConnect, 0, []byte("dial tcp: connection refused"))
	s.addError(kindConnect, 0, []byte("dial tcp: connection refused"))
	s.errs[kindDropped] += 3
	s.late = 7
	o := options{url: "http://h/oidc/token", auth: authBasic, conns: 8, rate: 500, warmup: time.Second}
	r := newReport(o, &s, 2*time.Second, false)
	var b strings.Builder
	if err := r.writeText(&b); err != nil {
		t.Fatal(err)
	}
	want := `Target       http://h/oidc/token (auth basic)
Load         8 connections, open loop at 500 req/s, 2.00s measured after 1.00s warm-up
Requests     1001 answered (1000 2xx), 500.5 req/s
Latency      p50 5.01ms  p90 8.99ms  p99 9.89ms  p99.9 10.0ms  max 50.0ms  (min 10µs, mean 5.05ms)
Schedule     latency from intended start times; 7 sent late (>1ms behind), 3 dropped
Status       200: 1000, 401: 1
Errors       6 (status 1, connect 2, dropped 3)
  HTTP 401 ×1: {"error": "invalid_client"}
  connect ×2: dial tcp: connection refused
`
	if got := b.String(); got != want {
		t.Errorf("text report:\n%s\nwant:\n%s", got, want)
	}
}

func TestReportAppsLine(t *testing.T) {
	s := stats{apps: newAppSet(300)}
	for _, i := range []int{0, 1, 1, 299} {
		s.apps.add(i)
		s.hist.record(time.Millisecond)
		s.status[200]++
	}
	creds := make([]credential, 300)
	for _, tc := range []struct {
		zipf float64
		want string
	}{
		{0, "Apps         3 used of 300 given (apps.txt, uniform)\n"},
		{1.25, "Apps         3 used of 300 given (apps.txt, zipf s=1.25)\n"},
	} {
		o := options{url: "http://h/oidc/token", auth: authBasic, conns: 1, credentials: "apps.txt", creds: creds, zipf: tc.zipf}
		r := newReport(o, &s, time.Second, false)
		var b strings.Builder
		if err := r.writeText(&b); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), tc.want) {
			t.Errorf("text report lacks %q:\n%s", tc.want, b.String())
		}
	}
	// One app (-client-id): the text report has no Apps line, the JSON one
	// says 1 given.
	r := newReport(options{url: "http://h/oidc/token", creds: creds[:1]}, &stats{apps: newAppSet(1)}, time.Second, false)
	var b strings.Builder
	r.writeText(&b)
	if strings.Contains(b.String(), "Apps") || r.AppsGiven != 1 || r.Spread != "uniform" {
		t.Errorf("single app: %+v\n%s", r, b.String())
	}
}
