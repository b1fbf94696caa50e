package management_test

import (
	"net/http"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
)

// TestDatabaseUnavailable closes the server's database pool under it, as a
// shutdown does, and checks that the Management API answers reads and
// writes with 503, Retry-After and an error body (not a 500, not a hang),
// and that a valid token is still accepted: the token check needs no
// database. A real outage of a PostgreSQL server is TestOutage in
// internal/app.
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
			r := e.Do(tc.method, tc.path, tc.body, tok)
			if r.Status != http.StatusServiceUnavailable {
				t.Errorf("%s %s: status %d, want 503: %s", tc.method, tc.path, r.Status, r.Body)
				continue
			}
			if got := r.Header.Get("Retry-After"); got != "5" {
				t.Errorf("%s %s: Retry-After %q, want 5", tc.method, tc.path, got)
			}
			var body struct{ Code, Message string }
			r.JSON(t, &body)
			if body.Code != "entity.database_unavailable" || body.Message == "" {
				t.Errorf("%s %s: body %s", tc.method, tc.path, r.Body)
			}
		}
		// Without a token it is still a 401: the check comes first.
		if r := e.Do("GET", "/api/applications", nil, ""); r.Status != http.StatusUnauthorized {
			t.Errorf("no token: status %d, want 401", r.Status)
		}
	})
}
