package console_test

import (
	"net/http"
	"net/url"
	"testing"
)

// TestDatabaseUnavailable closes the database pool under a signed-in
// console: pages and forms answer the 503 error page, not a 500.
func TestDatabaseUnavailable(t *testing.T) {
	engines(t, nil, func(t *testing.T, e *env) {
		e.signIn()
		if err := e.srv.Store().Close(); err != nil {
			t.Fatal(err)
		}
		for what, r := range map[string]resp{
			"list page":   e.get("/console/applications"),
			"create form": e.post("/console/applications/new", url.Values{"name": {"during outage"}}),
		} {
			must(t, what, r, http.StatusServiceUnavailable, "The database cannot be reached")
			if r.header.Get("Retry-After") == "" {
				t.Errorf("%s: no Retry-After", what)
			}
		}
	})
}
