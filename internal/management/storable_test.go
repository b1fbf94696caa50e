package management_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/management"
)

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// TestUnstorableInput sends what PostgreSQL cannot store (NUL, decoded or
// raw; escaped lone surrogates; invalid UTF-8) and invalid search patterns
// to every route family, on both engines: each is a 400, never a 500.
func TestUnstorableInput(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		admin := e.AdminToken()
		guard := func(what string, r *apptest.Response) {
			t.Helper()
			if r.Status != http.StatusBadRequest || r.Code() != "guard.invalid_input" {
				t.Errorf("%s: %d %s", what, r.Status, r.Body)
			}
		}
		bodies := []string{
			`{"name":"a\u0000b","description":"d","indicator":"https://x.example","type":"MachineToMachine"}`,
			`{"name":"n","customData":{"k":"\ud800"}}`,
			`{"name":"n","description":"\udc00 alone"}`,
			"{\"name\":\"raw \x00 nul\"}",
			"{\"name\":\"\xed\xa0\x80\"}",
		}
		for _, p := range management.Patterns() {
			method, path, _ := strings.Cut(p, " ")
			if strings.HasPrefix(path, "/api/swagger") || strings.HasPrefix(path, "/api/.well-known") || path == "/api/status" {
				continue // public and read-only
			}
			plain := pathParam.ReplaceAllString(path, "x")
			if plain != path {
				guard(p+" path", e.Do(method, pathParam.ReplaceAllString(path, "sec%00boot"), nil, admin))
			}
			guard(p+" query", e.Do(method, plain+"?search=%00&page=1", nil, admin))
			guard(p+" query key", e.Do(method, plain+"?search.na%00me=x", nil, admin))
			if method == "POST" || method == "PUT" || method == "PATCH" {
				for _, b := range bodies {
					guard(p+" body "+url.QueryEscape(b), e.Do(method, plain, b, admin))
				}
			}
		}
		// The OAuth endpoints: invalid_request.
		for _, c := range []struct{ path, ctype, body string }{
			{"/oidc/token", "application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=sec%00boot&client_secret=x&resource=" + url.QueryEscape(apptest.Indicator)},
			{"/oidc/token", "application/x-www-form-urlencoded", "grant_type=client_credentials&scope=all%00"},
			{"/oidc/token", "application/json", `{"grant_type":"client_credentials","client_id":"sec\u0000boot","client_secret":"x"}`},
			{"/oidc/token/introspection", "application/x-www-form-urlencoded", "token=a%00b&client_id=" + apptest.BootstrapID},
			{"/oidc/token/revocation", "application/x-www-form-urlencoded", "token=a%00b&client_id=" + apptest.BootstrapID},
		} {
			req, _ := http.NewRequest("POST", e.URL+c.path, strings.NewReader(c.body))
			req.Header.Set("Content-Type", c.ctype)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var body struct{ Error string }
			json.NewDecoder(res.Body).Decode(&body)
			res.Body.Close()
			if res.StatusCode != http.StatusBadRequest || body.Error != "invalid_request" {
				t.Errorf("POST %s %s: %d %q", c.path, c.body, res.StatusCode, body.Error)
			}
		}
		// Search patterns PostgreSQL cannot compile (SQLite runs neither
		// mode): 400, the store's backstop.
		for _, q := range []string{"search=(&mode=posix", "search=[z-a]&mode=posix", "search=a**&mode=similar_to"} {
			for _, list := range []string{"/api/applications", "/api/roles", "/api/users"} {
				r := e.Do("GET", list+"?"+q, nil, admin)
				if r.Status != http.StatusBadRequest {
					t.Errorf("GET %s?%s: %d %s", list, q, r.Status, r.Body)
				}
			}
		}
	})
}
