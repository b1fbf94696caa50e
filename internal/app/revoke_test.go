package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/storetest"
)

// TestInstancesShareRevocations: two instances on one PostgreSQL database.
// A Management API token revoked through one is refused by the other (its
// denylist reloads on the "revoked" notification), and by a third
// instance started afterwards (it loads the denylist at start).
func TestInstancesShareRevocations(t *testing.T) {
	dsn := storetest.Postgres(t)
	dir := t.TempDir()
	start := func() *fixture {
		cfg := testConfig(t, dsn, dir) // one data dir: one master key file
		srv, err := New(context.Background(), cfg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(srv.Handler())
		t.Cleanup(func() { hs.Close(); srv.Close(context.Background()) })
		return &fixture{t: t, srv: srv, http: hs, cfg: cfg}
	}
	a, b := start(), start()

	m, _ := readJSON(t, a.post("grant_type=client_credentials&resource="+mapi+"&scope=all", "Authorization", basic(bootID, bootSecret)))
	tok, _ := m["access_token"].(string)
	if tok == "" {
		t.Fatalf("no token: %v", m)
	}
	api := func(f *fixture) int {
		return f.do("GET", f.http.URL+"/api/applications", "", "", "Authorization", "Bearer "+tok).StatusCode
	}
	if got := api(b); got != http.StatusOK {
		t.Fatalf("b before the revocation: %d", got)
	}
	resp := a.do("POST", a.http.URL+"/oidc/token/revocation", "application/x-www-form-urlencoded",
		url.Values{"token": {tok}}.Encode(), "Authorization", basic(bootID, bootSecret))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke at a: %d", resp.StatusCode)
	}
	if got := api(a); got != http.StatusUnauthorized {
		t.Fatalf("a right after its own revocation: %d", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for api(b) != http.StatusUnauthorized {
		if time.Now().After(deadline) {
			t.Fatal("instance b never saw the revocation made through instance a")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := api(start()); got != http.StatusUnauthorized {
		t.Fatalf("an instance started after the revocation: %d", got)
	}
}
