package management_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/pgcluster"
)

// TestDatabaseUnavailable closes the server's database pool under it, as a
// shutdown does, and checks that the Management API answers reads and
// writes with 503, Retry-After and an error body (not a 500, not a hang),
// and that a valid token is still accepted: the token check needs no
// database. TestOutage stops a real PostgreSQL server instead.
func TestDatabaseUnavailable(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		tok := e.AdminToken()
		if err := e.Server.Store().Close(); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/api/applications", nil},
			{"GET", "/api/applications/nope", nil},
			{"POST", "/api/applications", map[string]any{"name": "during outage", "type": "MachineToMachine"}},
			{"PATCH", "/api/applications/nope", map[string]any{"description": "x"}},
			{"POST", "/api/resources", map[string]any{"name": "r", "indicator": "https://r.example"}},
			{"GET", "/api/roles", nil},
		} {
			checkUnavailable(t, tc.method+" "+tc.path, e.Do(tc.method, tc.path, tc.body, tok))
		}
		// Without a token it is still a 401: the check comes first.
		if r := e.Do("GET", "/api/applications", nil, ""); r.Status != http.StatusUnauthorized {
			t.Errorf("no token: status %d, want 401", r.Status)
		}
	})
}

// checkUnavailable fails the test unless r is the 503 of a database that
// cannot be reached.
func checkUnavailable(t *testing.T, what string, r *apptest.Response) {
	t.Helper()
	if r.Status != http.StatusServiceUnavailable {
		t.Errorf("%s: status %d, want 503: %s", what, r.Status, r.Body)
		return
	}
	if got := r.Header.Get("Retry-After"); got != "5" {
		t.Errorf("%s: Retry-After %q, want 5", what, got)
	}
	var body struct{ Code, Message string }
	r.JSON(t, &body)
	if body.Code != "entity.database_unavailable" || body.Message == "" {
		t.Errorf("%s: body %s", what, r.Body)
	}
}

// TestOutage stops the server's PostgreSQL (a private cluster) under it:
// Management API reads and writes answer 503 meanwhile, and once the
// database is back the same server serves them again, its connection pool
// having replaced the connections the restart broke.
func TestOutage(t *testing.T) {
	c := pgcluster.New(t)
	e := apptest.New(t, c.DSN)
	newApp := func(name string) map[string]any { return map[string]any{"name": name, "type": "MachineToMachine"} }
	var before struct{ ID string }
	e.Must(http.StatusOK, "POST", "/api/applications", newApp("before"), &before)

	c.Stop()
	start := time.Now()
	checkUnavailable(t, "POST during the outage", e.API("POST", "/api/applications", newApp("during")))
	checkUnavailable(t, "PATCH during the outage", e.API("PATCH", "/api/applications/"+before.ID, map[string]any{"description": "x"}))
	checkUnavailable(t, "GET during the outage", e.API("GET", "/api/applications/"+before.ID, nil))
	// Logged, not asserted: tests do not time. Refused connections fail at
	// once; the bound is the request timeout.
	t.Logf("three requests during the outage took %v", time.Since(start))

	c.Start()
	var after struct{ ID string }
	e.Must(http.StatusOK, "POST", "/api/applications", newApp("after"), &after)
	e.Must(http.StatusOK, "PATCH", "/api/applications/"+before.ID, map[string]any{"description": "after the outage"}, nil)
	var list []struct{ Name string }
	e.Must(http.StatusOK, "GET", "/api/applications", nil, &list)
	names := map[string]bool{}
	for _, a := range list {
		names[a.Name] = true
	}
	if !names["before"] || !names["after"] || names["during"] {
		t.Errorf("applications after the outage: %v; want before and after, not during", names)
	}
}
