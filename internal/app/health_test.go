package app

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/pgcluster"
)

// probe GETs path and returns the status and the decoded body.
func probe(t *testing.T, f *fixture, path string) (int, readiness) {
	t.Helper()
	resp, err := http.Get(f.http.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rd readiness
	if err := json.NewDecoder(resp.Body).Decode(&rd); err != nil {
		t.Fatalf("%s: body is not JSON: %v", path, err)
	}
	return resp.StatusCode, rd
}

func TestHealthAndReadiness(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		if st, rd := probe(t, f, "/healthz"); st != 200 || rd.Status != "ok" {
			t.Fatalf("/healthz: %d %+v", st, rd)
		}
		st, rd := probe(t, f, "/readyz")
		if st != 200 || rd.Status != "ready" || rd.Checks["database"] != "ok" || rd.Checks["migrations"] != "ok" || rd.Checks["signing_keys"] != "ok" {
			t.Fatalf("/readyz: %d %+v", st, rd)
		}
		resp, err := http.Get(f.http.URL + "/api/status")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 204 {
			t.Fatalf("/api/status: %d", resp.StatusCode)
		}
		// A database that lost a migration of this binary (an older
		// backup restored under it) is named.
		if _, err := f.srv.store.Pools()["main"].ExecContext(t.Context(), `DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)`); err != nil {
			t.Fatal(err)
		}
		st, rd = probe(t, f, "/readyz")
		if st != 503 || rd.Status != "unavailable" || rd.Checks["migrations"] == "ok" || rd.Checks["database"] != "ok" {
			t.Fatalf("/readyz without a migration: %d %+v", st, rd)
		}
	})
}

// TestReadinessOutage: /readyz turns 503 naming the database while it is
// down, and 200 once it is back; /healthz stays 200 throughout.
func TestReadinessOutage(t *testing.T) {
	pg := pgcluster.New(t)
	_, f := startOn(t, testConfig(t, pg.DSN, t.TempDir()), Options{})
	if st, _ := probe(t, f, "/readyz"); st != 200 {
		t.Fatalf("/readyz before the outage: %d", st)
	}
	pg.Stop()
	st, rd := probe(t, f, "/readyz")
	if st != 503 || rd.Status != "unavailable" || rd.Checks["database"] != "unreachable" || rd.Checks["signing_keys"] != "ok" {
		t.Fatalf("/readyz during the outage: %d %+v", st, rd)
	}
	if st, _ := probe(t, f, "/healthz"); st != 200 {
		t.Fatalf("/healthz during the outage: %d", st)
	}
	pg.Start()
	eventually(t, 30*time.Second, "/readyz never turned 200 after the database came back", func() bool {
		st, _ := probe(t, f, "/readyz")
		return st == 200
	})
}
