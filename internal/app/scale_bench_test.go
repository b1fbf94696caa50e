package app

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	gh "github.com/gatehouse/gatehouse/client"
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

	// With role changes: write on https://scale.api is made, added to
	// scale-reader and removed in turn (changes due at 0, 40 and 80 ms, so
	// the last add is undone at the end), and the role ends as it began.
	code, out, errOut = run(context.Background(), append([]string{"bench", "writes", "-rate", "50", "-role-scope-rate", "25", "-d", "100ms", "-json"}, admin...)...)
	var rw struct {
		Writes, Failed uint64
		RoleScopes     *struct {
			Writes, Failed, Skipped, Adds, Removes uint64
			RoleApps                               int `json:"role_apps"`
		} `json:"role_scopes"`
	}
	if err := json.Unmarshal([]byte(out), &rw); code != 0 || err != nil || rw.Writes == 0 || rw.Failed != 0 {
		t.Fatalf("writes with role changes: exit %d %+v (%v), stderr %s", code, rw, err, errOut)
	}
	if rs := rw.RoleScopes; rs == nil || rs.Writes == 0 || rs.Failed != 0 || rs.Writes+rs.Skipped != 3 ||
		rs.Adds+rs.Removes != rs.Writes || rs.Adds-rs.Removes > 1 || rs.RoleApps != apps+1 {
		t.Errorf("role scopes %+v", rs)
	}
	api := gh.NewManagementAPI("default", gh.ManagementOptions{ClientID: bootID, ClientSecret: bootSecret, BaseURL: hs.URL})
	var roleID string
	for r, err := range api.AllRoles(context.Background(), gh.ListRolesParams{}) {
		if err != nil {
			t.Fatal(err)
		}
		if r.Name == "scale-reader" {
			roleID = r.ID
		}
	}
	var held []string
	for s, err := range api.AllRoleScopes(context.Background(), roleID, gh.ListOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, s.Name)
	}
	if !slices.Equal(held, []string{"read"}) {
		t.Errorf("scale-reader ends holding %q, want read alone", held)
	}
	// The apps still get their tokens for read.
	code, out, errOut = run(context.Background(), "bench", "-url", hs.URL+"/oidc/token", "-credentials", file,
		"-resource", "https://scale.api", "-scope", "read", "-c", "2", "-d", "200ms", "-warmup", "0", "-json")
	if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil || r.Requests == 0 || r.OK != r.Requests {
		t.Errorf("bench after the role changes: exit %d %+v (%v), stderr %s", code, r, err, errOut)
	}
}
