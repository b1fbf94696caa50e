package bench

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testID     = "m2m-app"
	testSecret = "a b+c/d:e%f" // every character here changes under form encoding
	testRes    = "https://api.example.com/v1"
	testScope  = "read:things write:things"
)

// tokenServer is a fake token endpoint that checks each request's shape and
// remembers the first problem it saw.
type tokenServer struct {
	*httptest.Server
	auth    string // basic or post
	status  int    // answer status; 0 = 200
	delay   time.Duration
	close   bool // answer with Connection: close
	hits    atomic.Int64
	conns   atomic.Int64
	mu      sync.Mutex
	problem string
}

func newTokenServer(t *testing.T, ts *tokenServer) *tokenServer {
	t.Helper()
	ts.Server = httptest.NewUnstartedServer(http.HandlerFunc(ts.serve))
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			ts.conns.Add(1)
		}
	}
	ts.Start()
	t.Cleanup(ts.Close)
	return ts
}

func (ts *tokenServer) fail(format string, args ...any) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.problem == "" {
		ts.problem = fmt.Sprintf(format, args...)
	}
}

func (ts *tokenServer) check(t *testing.T) {
	t.Helper()
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.problem != "" {
		t.Errorf("server saw a bad request: %s", ts.problem)
	}
}

func (ts *tokenServer) serve(w http.ResponseWriter, r *http.Request) {
	ts.hits.Add(1)
	if r.Method != http.MethodPost || r.URL.Path != "/oidc/token" {
		ts.fail("%s %s", r.Method, r.URL.Path)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		ts.fail("content-type %q", ct)
	}
	if err := r.ParseForm(); err != nil {
		ts.fail("form: %v", err)
	}
	f := r.PostForm
	if f.Get("grant_type") != "client_credentials" || f.Get("resource") != testRes || f.Get("scope") != testScope {
		ts.fail("form %v", f)
	}
	switch ts.auth {
	case authBasic:
		// RFC 6749 §2.3.1: base64(urlencode(id) ":" urlencode(secret)).
		want := "Basic " + base64.StdEncoding.EncodeToString([]byte("m2m-app:a+b%2Bc%2Fd%3Ae%25f"))
		if got := r.Header.Get("Authorization"); got != want {
			ts.fail("authorization %q, want %q", got, want)
		}
		enc, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Basic ")
		raw, _ := base64.StdEncoding.DecodeString(enc)
		id, secret, _ := strings.Cut(string(raw), ":")
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
		if id != testID || secret != testSecret {
			ts.fail("basic credentials decode to %q %q", id, secret)
		}
		if f.Has("client_id") || f.Has("client_secret") {
			ts.fail("basic mode sent credentials in the body")
		}
	case authPost:
		if r.Header.Get("Authorization") != "" || f.Get("client_id") != testID || f.Get("client_secret") != testSecret {
			ts.fail("post credentials: header %q form %v", r.Header.Get("Authorization"), f)
		}
	}
	if ts.delay > 0 {
		time.Sleep(ts.delay)
	}
	if ts.close {
		w.Header().Set("Connection", "close")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if ts.status != 0 && ts.status != http.StatusOK {
		w.WriteHeader(ts.status)
		fmt.Fprint(w, `{"error":"invalid_client","error_description":"client authentication failed"}`)
		return
	}
	fmt.Fprint(w, `{"access_token":"eyJhbGciOiJFUzI1NiJ9.e30.sig","token_type":"Bearer","expires_in":3600,"scope":"read:things write:things"}`)
}

// bench runs Run with args and returns the exit code, stdout and stderr.
func bench(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string { return env[k] }
	code := Run(context.Background(), args, getenv, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func decodeReport(t *testing.T, out string) report {
	t.Helper()
	var r report
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("decoding the JSON report: %v\n%s", err, out)
	}
	return r
}

func TestRunBasicJSON(t *testing.T) {
	ts := newTokenServer(t, &tokenServer{auth: authBasic})
	code, out, errOut := bench(t, nil, "-url", ts.URL+"/oidc/token", "-client-id", testID, "-client-secret", testSecret,
		"-resource", testRes, "-scope", testScope, "-c", "4", "-d", "300ms", "-warmup", "50ms", "-json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	ts.check(t)
	r := decodeReport(t, out)
	if r.Requests == 0 || r.Status["200"] != r.Requests || r.OK != r.Requests || len(r.Status) != 1 {
		t.Errorf("requests %d ok %d status %v", r.Requests, r.OK, r.Status)
	}
	if r.Errors != (errorReport{}) || len(r.ErrorSamples) != 0 || r.Late != 0 {
		t.Errorf("errors %+v samples %v late %d", r.Errors, r.ErrorSamples, r.Late)
	}
	if uint64(ts.hits.Load()) < r.Requests {
		t.Errorf("server saw %d requests, report says %d", ts.hits.Load(), r.Requests)
	}
	l := r.Latency
	if !(0 < l.Min && l.Min <= l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.P999 && l.P999 <= l.Max) ||
		l.Mean < l.Min || l.Mean > l.Max {
		t.Errorf("latency not ordered: %+v", l)
	}
	if r.DurationUS < 300_000 || r.DurationUS > 1_300_000 || r.WarmupUS != 50_000 || r.Connections != 4 || r.Auth != authBasic || r.Rate != 0 {
		t.Errorf("header fields: %+v", r)
	}
	if want := float64(r.Requests) / (r.DurationUS / 1e6); r.RequestsPerSec < want*0.999 || r.RequestsPerSec > want*1.001 {
		t.Errorf("requests/s %v, want %v", r.RequestsPerSec, want)
	}
	// A keep-alive client: no more connections than -c (plus none re-dialled).
	if n := ts.conns.Load(); n != 4 {
		t.Errorf("server saw %d connections, want 4", n)
	}
	// snake_case field names.
	for _, key := range []string{`"requests_per_sec"`, `"latency_us"`, `"p99_9"`, `"duration_us"`, `"status"`} {
		if !strings.Contains(out, key) {
			t.Errorf("JSON report lacks %s", key)
		}
	}
}

func TestRunPostTextAndEnv(t *testing.T) {
	ts := newTokenServer(t, &tokenServer{auth: authPost})
	env := map[string]string{
		envURL:          ts.URL + "/oidc/token",
		envClientID:     testID,
		envClientSecret: testSecret,
	}
	code, out, errOut := bench(t, env, "-auth", "post", "-resource", testRes, "-scope", testScope,
		"-c", "4", "-d", "300ms", "-warmup", "0")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	ts.check(t)
	if ts.hits.Load() == 0 {
		t.Fatal("server saw no requests")
	}
	for _, want := range []string{
		"Target       " + ts.URL + "/oidc/token (auth post)",
		"Load         4 connections, closed loop, ", "ms measured after 0s warm-up",
		"Requests     ", " req/s",
		"Latency      p50 ", " p90 ", " p99 ", " p99.9 ", " max ",
		"Status       200: ",
		"Errors       none",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
	t.Logf("report:\n%s", out)
}

func TestRunNon2xx(t *testing.T) {
	ts := newTokenServer(t, &tokenServer{auth: authBasic, status: http.StatusUnauthorized})
	code, out, errOut := bench(t, nil, "-url", ts.URL+"/oidc/token", "-client-id", testID, "-client-secret", testSecret,
		"-resource", testRes, "-scope", testScope, "-c", "2", "-d", "200ms", "-warmup", "0", "-json")
	if code != 1 || !strings.Contains(errOut, "no request succeeded") {
		t.Errorf("exit %d stderr %q, want 1 and a reason", code, errOut)
	}
	r := decodeReport(t, out)
	if r.Requests == 0 || r.Status["401"] != r.Requests || r.OK != 0 {
		t.Errorf("requests %d status %v ok %d", r.Requests, r.Status, r.OK)
	}
	if r.Errors.Status != r.Requests || r.Errors.Total != r.Requests {
		t.Errorf("errors %+v, want %d status errors", r.Errors, r.Requests)
	}
	if len(r.ErrorSamples) != 1 {
		t.Fatalf("samples %+v, want one distinct", r.ErrorSamples)
	}
	s := r.ErrorSamples[0]
	if s.Kind != "status" || s.Status != 401 || s.Count != r.Requests || !strings.Contains(s.Message, `"invalid_client"`) {
		t.Errorf("sample %+v", s)
	}
	// Text form of the same.
	_, text, _ := bench(t, nil, "-url", ts.URL+"/oidc/token", "-client-id", testID, "-client-secret", testSecret,
		"-c", "1", "-d", "50ms", "-warmup", "0")
	if !strings.Contains(text, "  HTTP 401 ×") || !strings.Contains(text, `{"error":"invalid_client"`) {
		t.Errorf("text report lacks the error sample:\n%s", text)
	}
}

func TestRunConnectionClose(t *testing.T) {
	ts := newTokenServer(t, &tokenServer{close: true})
	code, out, errOut := bench(t, nil, "-url", ts.URL+"/oidc/token", "-client-id", testID, "-client-secret", testSecret,
		"-c", "2", "-d", "200ms", "-warmup", "0", "-json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	r := decodeReport(t, out)
	if r.Requests < 2 || r.OK != r.Requests || r.Errors.Total != 0 {
		t.Errorf("requests %d ok %d errors %+v", r.Requests, r.OK, r.Errors)
	}
	// Each answer closed its connection, so the client reconnected for the next.
	if n := ts.conns.Load(); uint64(n) < r.Requests {
		t.Errorf("server saw %d connections for %d requests", n, r.Requests)
	}
}

func TestRunServerDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	code, out, errOut := bench(t, nil, "-url", "http://"+addr+"/oidc/token", "-client-id", testID, "-client-secret", testSecret,
		"-c", "2", "-d", "200ms", "-warmup", "0", "-json")
	if code != 1 {
		t.Errorf("exit %d, want 1; stderr %s", code, errOut)
	}
	r := decodeReport(t, out)
	if r.Requests != 0 || r.Errors.Connect == 0 || r.Errors.Total != r.Errors.Connect {
		t.Errorf("requests %d errors %+v", r.Requests, r.Errors)
	}
	// Backoff keeps a dead server from being hammered: 2 connections for
	// 200ms with ≥5ms pauses make far fewer than 200 attempts.
	if r.Errors.Connect > 200 {
		t.Errorf("%d connect attempts: no backoff?", r.Errors.Connect)
	}
	if len(r.ErrorSamples) == 0 || r.ErrorSamples[0].Kind != "connect" || !strings.Contains(r.ErrorSamples[0].Message, "refused") {
		t.Errorf("samples %+v", r.ErrorSamples)
	}
}

func TestRunServerHangsUp(t *testing.T) {
	// A raw server that reads a request and closes without answering.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				buf := make([]byte, 4096)
				c.Read(buf)
				c.Close()
			}()
		}
	}()
	code, out, _ := bench(t, nil, "-url", "http://"+ln.Addr().String()+"/oidc/token", "-client-id", testID, "-client-secret", testSecret,
		"-c", "1", "-d", "100ms", "-warmup", "0", "-json")
	r := decodeReport(t, out)
	if code != 1 || r.Requests != 0 || r.Errors.Total == 0 || r.Errors.Connect != 0 {
		t.Errorf("exit %d requests %d errors %+v", code, r.Requests, r.Errors)
	}
}

func TestRunTimeout(t *testing.T) {
	ts := newTokenServer(t, &tokenServer{delay: 300 * time.Millisecond})
	code, out, _ := bench(t, nil, "-url", ts.URL+"/oidc/token", "-client-id", testID, "-client-secret", testSecret,
		"-c", "1", "-d", "100ms", "-warmup", "0", "-timeout", "50ms", "-json")
	r := decodeReport(t, out)
	if code != 1 || r.Errors.Timeout == 0 || r.Requests != 0 {
		t.Errorf("exit %d requests %d errors %+v", code, r.Requests, r.Errors)
	}
}

func TestRunTLS(t *testing.T) {
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"x","token_type":"Bearer","expires_in":3600}`)
	}))
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted-certificate case logs handshake errors
	ts.StartTLS()
	t.Cleanup(ts.Close)
	args := []string{"-url", ts.URL + "/oidc/token", "-client-id", testID, "-client-secret", testSecret,
		"-c", "2", "-d", "150ms", "-warmup", "0", "-json"}
	code, out, errOut := bench(t, nil, append(args, "-insecure")...)
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	if r := decodeReport(t, out); r.OK == 0 || r.Errors.Total != 0 {
		t.Errorf("ok %d errors %+v", r.OK, r.Errors)
	}
	// Without -insecure the test certificate is not trusted: connect errors.
	code, out, _ = bench(t, nil, args...)
	if r := decodeReport(t, out); code != 1 || r.Errors.Connect == 0 {
		t.Errorf("verified TLS: exit %d errors %+v", code, r.Errors)
	}
}

func TestRunOpenLoopRate(t *testing.T) {
	ts := newTokenServer(t, &tokenServer{})
	code, out, errOut := bench(t, nil, "-url", ts.URL+"/oidc/token", "-client-id", testID, "-client-secret", testSecret,
		"-rate", "200", "-c", "4", "-d", "500ms", "-warmup", "100ms", "-json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	r := decodeReport(t, out)
	// The schedule has exactly rate×duration = 100 slots in the window; every
	// one is either answered or reported (never silently skipped).
	if got := r.Requests + r.Errors.Total; got != 100 {
		t.Errorf("answered %d + failed %d = %d, want exactly 100 slots", r.Requests, r.Errors.Total, got)
	}
	// Slots the generator could not send on time are sent late, so all 100
	// are answered unless one was over -timeout (5s) behind; allow for a
	// very loaded machine anyway.
	if r.Requests < 80 || r.Rate != 200 {
		t.Errorf("requests %d rate %v; report:\n%s", r.Requests, r.Rate, out)
	}
	// Never faster than asked; slower only if the run overran -d.
	if r.RequestsPerSec > 200.001 || r.RequestsPerSec < float64(r.Requests)/(0.5+5) {
		t.Errorf("requests/s %v over %vµs, want ≤200", r.RequestsPerSec, r.DurationUS)
	}
	// Open loop does not run faster than asked: the server saw the warm-up
	// (20) and window (100) slots, not thousands.
	if h := ts.hits.Load(); h > 125 {
		t.Errorf("server saw %d requests for 120 scheduled", h)
	}
}

func TestRunOpenLoopCoordinatedOmission(t *testing.T) {
	// The server takes 50ms per request, so one connection can serve 20/s;
	// asked for 100/s, the schedule falls further behind with every request.
	// Latency counted from the intended start grows far beyond the 50ms
	// service time (a closed-loop tool would report ~50ms throughout).
	// Slots more than -timeout (500ms) behind are dropped: with slot k
	// intended at 10k ms and sent at ~50k ms, that is from k ≈ 13 on.
	ts := newTokenServer(t, &tokenServer{delay: 50 * time.Millisecond})
	code, out, errOut := bench(t, nil, "-url", ts.URL+"/oidc/token", "-client-id", testID, "-client-secret", testSecret,
		"-rate", "100", "-c", "1", "-d", "300ms", "-timeout", "500ms", "-warmup", "0", "-json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	r := decodeReport(t, out)
	if r.Requests < 2 {
		t.Fatalf("only %d requests answered", r.Requests)
	}
	// Request k (from 0) is intended at 10k ms and answered at ≥50(k+1) ms,
	// so the second one alone takes ≥90ms from its intended start.
	if r.Latency.Max < 85_000 || r.Latency.P50 < 50_000 {
		t.Errorf("latency %+v: coordinated omission not corrected", r.Latency)
	}
	if r.Late == 0 || r.Errors.Dropped == 0 {
		t.Errorf("late %d dropped %d: falling behind was not reported", r.Late, r.Errors.Dropped)
	}
	if got := r.Requests + r.Errors.Total; got != 30 {
		t.Errorf("answered + failed = %d, want 30 slots", got)
	}
	// The backlog took longer than -d to send: requests/s is what the
	// server really did (≈20/s), not slots over -d.
	if r.DurationUS <= 300_000 || r.RequestsPerSec > 30 {
		t.Errorf("duration %vµs, %v req/s: overrun not accounted", r.DurationUS, r.RequestsPerSec)
	}
	_, text, _ := bench(t, nil, "-url", ts.URL+"/oidc/token", "-client-id", testID, "-client-secret", testSecret,
		"-rate", "100", "-c", "1", "-d", "100ms", "-timeout", "200ms", "-warmup", "0")
	if !strings.Contains(text, "open loop at 100 req/s") || !strings.Contains(text, "Schedule     latency from intended start times;") {
		t.Errorf("text report lacks the open-loop lines:\n%s", text)
	}
}

func TestRunInterrupted(t *testing.T) {
	ts := newTokenServer(t, &tokenServer{})
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := Run(ctx, []string{"-url", ts.URL + "/oidc/token", "-client-id", testID, "-client-secret", testSecret,
		"-c", "2", "-d", "1h", "-warmup", "0", "-json"}, func(string) string { return "" }, &stdout, &stderr)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("cancelled run took %v", took)
	}
	r := decodeReport(t, stdout.String())
	if code != 0 || !r.Interrupted || r.OK == 0 || r.DurationUS > 5e6 || r.Errors.Total != 0 {
		t.Errorf("exit %d report %+v", code, r)
	}
}

func TestRunUsage(t *testing.T) {
	creds := []string{"-client-id", "x", "-client-secret", "y"}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no credentials", nil, "-client-id is required"},
		{"bad auth", append([]string{"-auth", "jwt"}, creds...), "-auth must be basic, post or private_key_jwt"},
		{"bad scheme", append([]string{"-url", "ftp://x/oidc/token"}, creds...), "scheme must be http or https"},
		{"no host", append([]string{"-url", "http:///oidc/token"}, creds...), "no host"},
		{"zero connections", append([]string{"-c", "0"}, creds...), "-c must be at least 1"},
		{"negative rate", append([]string{"-rate", "-5"}, creds...), "-rate must be"},
		{"zero duration", append([]string{"-d", "0s"}, creds...), "-d must be positive"},
		{"bad duration", append([]string{"-d", "ten"}, creds...), "invalid value"},
		{"unknown flag", append([]string{"-n", "5"}, creds...), "flag provided but not defined"},
		{"extra argument", append(creds, "http://x"), `unexpected argument "http://x"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := bench(t, nil, tc.args...)
			if code != 2 || out != "" || !strings.Contains(errOut, tc.want) || !strings.Contains(errOut, "gatehouse bench -h") {
				t.Errorf("exit %d stdout %q stderr %q, want 2 and %q", code, out, errOut, tc.want)
			}
		})
	}
	// Every problem at once.
	_, _, errOut := bench(t, nil, "-c", "0", "-auth", "x")
	for _, want := range []string{"-client-id", "-client-secret", "-auth", "-c must"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("combined errors lack %q: %s", want, errOut)
		}
	}
}

func TestRunHelp(t *testing.T) {
	code, out, errOut := bench(t, map[string]string{envClientSecret: "do-not-print-me"}, "-h")
	if code != 0 || errOut != "" {
		t.Errorf("exit %d stderr %q", code, errOut)
	}
	for _, want := range []string{"Usage: gatehouse bench", "Example:", "-rate", "GATEHOUSE_BENCH_URL", "coordinated omission", defaultURL} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "do-not-print-me") {
		t.Error("help printed the secret from the environment")
	}
}

func TestBasicAuthEncoding(t *testing.T) {
	got := basicAuth("id:1", testSecret)
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("id%3A1:a+b%2Bc%2Fd%3Ae%25f"))
	if got != want {
		t.Errorf("basicAuth = %q, want %q", got, want)
	}
}
