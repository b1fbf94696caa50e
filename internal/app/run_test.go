package app

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/cli"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeGracefulShutdown runs "gatehouse serve" as the binary does,
// gets a token over real HTTP, then cancels the context (as SIGTERM does):
// serve must exit 0 with the request's audit entry written.
func TestServeGracefulShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	env := map[string]string{
		"GATEHOUSE_LISTEN":               addr,
		"GATEHOUSE_DATA_DIR":             dir,
		"GATEHOUSE_BOOTSTRAP_APP_ID":     bootID,
		"GATEHOUSE_BOOTSTRAP_APP_SECRET": bootSecret,
		"GATEHOUSE_AUDIT_FLUSH_INTERVAL": "1h", // only the shutdown flush can write the entry
		"GATEHOUSE_LOG_FORMAT":           "json",
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() { done <- Run(ctx, []string{"serve"}, func(k string) string { return env[k] }, &stdout, &stderr) }()

	base := "http://" + addr
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(base + "/api/status")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent || resp.Header.Get(RequestIDHeader) == "" {
				t.Fatalf("status: %d %v", resp.StatusCode, resp.Header)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready: %v\n%s", err, stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	req, _ := http.NewRequest("POST", base+"/oidc/token", strings.NewReader("grant_type=client_credentials&resource="+mapi+"&scope=all"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", basic(bootID, bootSecret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("token: %v %v", resp, err)
	}
	resp.Body.Close()

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit code %d\n%s", code, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	logs := stderr.String()
	if !strings.Contains(logs, `"msg":"gatehouse ready"`) || !strings.Contains(logs, `"msg":"stopped"`) || strings.Contains(logs, bootSecret) {
		t.Fatalf("logs:\n%s", logs)
	}

	st, err := store.Open(context.Background(), dir+"/gatehouse.db")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	entries, _, err := st.ListLogs(context.Background(), rbac.LogFilter{TenantID: rbac.DefaultTenant, Key: rbac.LogKeyClientCredentials})
	if err != nil || len(entries) != 1 || entries[0].Result != rbac.ResultSuccess {
		t.Fatalf("audit entries after shutdown: %d, %v", len(entries), err)
	}
}

// TestVersion: "gatehouse version" and "--version" print the build info's
// version, commit and Go version, and exit 0.
func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version", "-version"} {
		var stdout, stderr bytes.Buffer
		if code := Run(context.Background(), []string{arg}, func(string) string { return "" }, &stdout, &stderr); code != 0 {
			t.Fatalf("%s: exit %d: %s", arg, code, stderr.String())
		}
		out := stdout.String()
		if !strings.HasPrefix(out, "gatehouse ") || !strings.Contains(out, "commit ") || !strings.Contains(out, runtime.Version()) || strings.Count(out, "\n") != 1 {
			t.Fatalf("%s: %q", arg, out)
		}
	}
}

// freeAddr returns a loopback address with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServeMetricsListener runs "gatehouse serve" with
// GATEHOUSE_METRICS_LISTEN: the metrics are on that address, not on the
// public one.
func TestServeMetricsListener(t *testing.T) {
	addr, maddr := freeAddr(t), freeAddr(t)
	env := map[string]string{
		"GATEHOUSE_LISTEN": addr, "GATEHOUSE_METRICS_LISTEN": maddr, "GATEHOUSE_DATA_DIR": t.TempDir(),
		"GATEHOUSE_BOOTSTRAP_APP_ID": bootID, "GATEHOUSE_BOOTSTRAP_APP_SECRET": bootSecret,
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"serve"}, func(k string) string { return env[k] }, io.Discard, &stderr)
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("exit code %d\n%s", code, stderr.String())
		}
	}()
	get := func(u string) (int, string) {
		resp, err := http.Get(u)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	deadline := time.Now().Add(10 * time.Second)
	for st, _ := get("http://" + addr + "/healthz"); st != 200; st, _ = get("http://" + addr + "/healthz") {
		if time.Now().After(deadline) {
			t.Fatalf("server not ready\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st, body := get("http://" + maddr + "/metrics"); st != 200 || !strings.Contains(body, "gatehouse_build_info{") || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("metrics listener: %d %.300s", st, body)
	}
	if st, _ := get("http://" + addr + "/metrics"); st == 200 {
		t.Fatal("/metrics served on the public listener")
	}
}

// TestCLICommandsDispatched: every command family of the management CLI
// is reachable through the binary's Run (its --help answers, exit 0).
func TestCLICommandsDispatched(t *testing.T) {
	for _, cmd := range cli.Commands() {
		var stdout, stderr bytes.Buffer
		code := Run(context.Background(), []string{cmd, "--help"}, func(string) string { return "" }, &stdout, &stderr)
		if code != 0 || !strings.Contains(stdout.String(), "Usage:") {
			t.Errorf("%s --help: exit %d\n%s%s", cmd, code, stdout.String(), stderr.String())
		}
	}
}
