package app

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestBenchScaleTools runs the tools of docs/operations.md's "Reproducing
// the scale figures" against a real server: provision apps through the
// Management API, drive the token endpoint over all of them, and write to
// the Management API meanwhile. The bench run ends after a number of
// requests, not after a time.
func TestBenchScaleTools(t *testing.T) {
	f := newFixture(t, sqliteDSN(t))
	const apps, enough = 12, 600
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var hits atomic.Int64
	inner := f.srv.Handler()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner.ServeHTTP(w, r)
		if r.URL.Path == "/oidc/token" && hits.Add(1) == enough {
			cancel()
		}
	}))
	defer hs.Close()
	run := func(ctx context.Context, args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := Run(ctx, args, func(string) string { return "" }, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	admin := []string{"-url", hs.URL, "-client-id", bootID, "-client-secret", bootSecret}

	file := filepath.Join(t.TempDir(), "apps.txt")
	code, _, errOut := run(context.Background(), append([]string{"bench", "provision", "-n", "12", "-out", file, "-c", "3"}, admin...)...)
	if code != 0 || !strings.Contains(errOut, "provisioned 12 apps") {
		t.Fatalf("provision: exit %d, stderr %s", code, errOut)
	}
	raw, _ := os.ReadFile(file)
	if lines := strings.Split(strings.TrimSpace(string(raw)), "\n"); len(lines) != apps {
		t.Fatalf("%d lines in the credentials file:\n%s", len(lines), raw)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("credentials file mode %v (%v), want 0600", fi.Mode(), err)
	}
	// A second run reuses the resource, permission and role.
	if code, _, errOut := run(context.Background(), append([]string{"bench", "provision", "-n", "1", "-out", filepath.Join(t.TempDir(), "more.txt")}, admin...)...); code != 0 {
		t.Fatalf("second provision: exit %d, stderr %s", code, errOut)
	}

	code, out, errOut := run(ctx, "bench", "-url", hs.URL+"/oidc/token", "-credentials", file, "-zipf", "1.2",
		"-resource", "https://scale.api", "-scope", "read", "-c", "4", "-d", "10m", "-warmup", "0", "-json")
	if code != 0 {
		t.Fatalf("bench: exit %d, stderr %s", code, errOut)
	}
	var r struct {
		Requests  uint64            `json:"requests"`
		OK        uint64            `json:"ok"`
		Status    map[string]uint64 `json:"status"`
		AppsGiven int               `json:"apps_given"`
		AppsUsed  int               `json:"apps_used"`
		Spread    string            `json:"spread"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// Every provisioned app gets a token for read on https://scale.api, and
	// ~600 requests over 12 apps, even skewed (the coldest has ~2%), use all.
	if r.Requests == 0 || r.OK != r.Requests || r.AppsGiven != apps || r.AppsUsed != apps || r.Spread != "zipf" {
		t.Errorf("report %+v", r)
	}

	code, out, errOut = run(context.Background(), append([]string{"bench", "writes", "-rate", "50", "-d", "100ms", "-json"}, admin...)...)
	var w struct {
		Writes, Failed uint64
	}
	if err := json.Unmarshal([]byte(out), &w); code != 0 || err != nil || w.Writes == 0 || w.Failed != 0 {
		t.Errorf("writes: exit %d %+v (%v), stderr %s", code, w, err, errOut)
	}
}
