package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/pgcluster"
	"github.com/gatehouse/gatehouse/internal/rbac"
)

// eventually polls ok every 20 ms for up to d; the test fails with what
// when it never holds.
func eventually(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal(what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func tokenStatus(f *fixture, id, secret, scope string) (int, map[string]any, http.Header) {
	resp := f.post("grant_type=client_credentials&resource="+mapi+"&scope="+scope, "Authorization", basic(id, secret))
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var body map[string]any
	json.Unmarshal(b, &body)
	return resp.StatusCode, body, resp.Header
}

// TestTokensDuringDatabaseOutage stops a private PostgreSQL under two
// running instances: cached apps keep getting tokens, anything only the
// database could answer gets 503 with Retry-After, and once the database is
// back, both instances resync on their own and see a change made by the
// other while the first was not listening.
func TestTokensDuringDatabaseOutage(t *testing.T) {
	pg := pgcluster.New(t)
	dir := t.TempDir()
	cfg := testConfig(t, pg.DSN, dir)
	a, fa := startOn(t, cfg, Options{})
	b, fb := startOn(t, cfg, Options{})
	if _, err := b.Service().EnsureBootstrapApp(context.Background(), "other-app", "other secret 0123456789"); err != nil {
		t.Fatal(err)
	}
	for _, f := range []*fixture{fa, fb} {
		for _, c := range [][2]string{{bootID, bootSecret}, {"other-app", "other secret 0123456789"}} {
			eventually(t, 5*time.Second, "no token before the outage", func() bool {
				st, body, _ := tokenStatus(f, c[0], c[1], "all")
				return st == 200 && body["scope"] == "all"
			})
		}
	}
	_, body, _ := tokenStatus(fa, bootID, bootSecret, "all")
	admin, _ := body["access_token"].(string)
	eventually(t, 10*time.Second, "the cache never finished warming", func() bool { return a.cache.Stats().Complete })

	countLogs := func() int64 {
		_, n, err := a.Store().ListLogs(context.Background(), rbac.LogFilter{ApplicationID: bootID, Key: rbac.LogKeyClientCredentials, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := a.FlushAudit(context.Background()); err != nil {
		t.Fatal(err)
	}
	logged := countLogs()

	pg.Stop()
	eventually(t, 10*time.Second, "the instance never noticed the outage", func() bool { return !a.cache.Synced() })
	for range 200 {
		if st, body, _ := tokenStatus(fa, bootID, bootSecret, "all"); st != 200 || body["scope"] != "all" {
			t.Fatalf("cached app during the outage: %d %v", st, body)
		}
	}
	start := time.Now()
	st, body, h := tokenStatus(fa, "never-seen-app", "some secret of 16+", "all")
	if st != 503 || body["error"] != "temporarily_unavailable" || h.Get("Retry-After") == "" {
		t.Fatalf("unknown app during the outage: %d %v %v", st, body, h)
	}
	if d := time.Since(start); d > 6*time.Second {
		t.Fatalf("the unknown app's 503 took %v", d)
	}
	mresp := fa.do("PATCH", fa.http.URL+"/api/applications/"+bootID, "application/json", `{"description":"x"}`,
		"Authorization", "Bearer "+admin)
	mresp.Body.Close()
	if mresp.StatusCode != 503 || mresp.Header.Get("Retry-After") == "" {
		t.Fatalf("management write during the outage: %d", mresp.StatusCode)
	}

	pg.Start()
	eventually(t, 30*time.Second, "instance b never resynced", func() bool { return b.cache.Synced() })
	// A change through b while a may not be listening yet: a picks it up
	// from its notification or, if it missed it, from its resync.
	if err := b.Service().DeleteApplication(context.Background(), "other-app"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "instance a never resynced", func() bool { return a.cache.Synced() })
	eventually(t, 10*time.Second, "instance a kept serving an app deleted through b", func() bool {
		st, body, _ := tokenStatus(fa, "other-app", "other secret 0123456789", "all")
		return st == 400 && body["error"] == "invalid_client"
	})
	if st, body, _ := tokenStatus(fa, "never-seen-app", "some secret of 16+", "all"); st != 400 || body["error"] != "invalid_client" {
		t.Fatalf("unknown app after recovery: %d %v", st, body)
	}
	if st, body, _ := tokenStatus(fa, bootID, bootSecret, "all"); st != 200 || body["scope"] != "all" {
		t.Fatalf("after recovery: %d %v", st, body)
	}
	// Every token request of the outage reached the audit log (through the
	// spool), with the one after it.
	deadline := time.Now().Add(20 * time.Second)
	for n := countLogs(); n != logged+201; n = countLogs() {
		if time.Now().After(deadline) {
			t.Fatalf("audit entries: %d, want %d (%d before the outage); stats %+v", n, logged+201, logged, a.audit.Stats())
		}
		a.FlushAudit(context.Background())
		time.Sleep(50 * time.Millisecond)
	}
	if st := a.audit.Stats(); st.Spooled < 200 || st.Dropped != 0 {
		t.Fatalf("audit stats %+v", st)
	}
}
