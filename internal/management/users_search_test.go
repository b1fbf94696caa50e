package management_test

import (
	"encoding/json"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
)

// TestUserSearch runs Logto's search (utils/search.ts) on GET /api/users:
// every mode, joint and case rule, hybrids of general and field searches,
// and each refusal with Logto's 400 request.invalid_input, on both engines.
func TestUserSearch(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		for _, u := range []map[string]any{
			{"username": "alice", "primaryEmail": "alice@example.com", "name": "Alice Liddell"},
			{"username": "bob", "primaryEmail": "bob@Example.org", "name": "Bob Builder"},
			{"username": "carol", "primaryPhone": "15550001", "name": "carol"},
			{"username": "dave_1", "primaryEmail": "dave@example.com"},
		} {
			createTestUser(t, e, u)
		}
		names := func(query string) []string {
			t.Helper()
			var us []userBody
			r := e.Must(200, "GET", "/api/users?"+query, nil, &us)
			var out []string
			for _, u := range us {
				out = append(out, *u.Username)
			}
			slices.Sort(out)
			if n := r.Header.Get("Total-Number"); n != strconv.Itoa(len(out)) {
				t.Errorf("%s: Total-Number %s for %d users", query, n, len(out))
			}
			return out
		}
		q := url.QueryEscape
		for _, c := range []struct {
			query string
			want  []string
		}{
			{"search=" + q("%example%"), []string{"alice", "bob", "dave_1"}},
			{"search=" + q("%EXAMPLE.COM"), []string{"alice", "dave_1"}},
			{"search=" + q("%Example%") + "&isCaseSensitive=true", []string{"bob"}},
			{"search=" + q("%l_ce%"), []string{"alice"}}, // _ is any one character
			{"search.username=ALICE&mode.username=exact", []string{"alice"}},
			{"search.username=ALICE&mode.username=exact&isCaseSensitive=true", nil},
			{"search.username=alice&search.username=bob&mode=exact", []string{"alice", "bob"}},
			{"search.primary_email=" + q("bob@example.org") + "&mode=exact", []string{"bob"}},
			{"search=carol&mode=exact", []string{"carol"}}, // username and name both
			{"search.name=" + q("^(Alice|Bob) ") + "&mode.name=posix", []string{"alice", "bob"}},
			{"search.name=" + q("^alice") + "&mode.name=posix&isCaseSensitive=true", nil},
			{"search.primaryPhone=" + q("^[0-9]{8}$") + "&mode.primaryPhone=posix", []string{"carol"}},
			{"search.username=" + q("(a|b)%") + "&mode=similar_to&isCaseSensitive=true", []string{"alice", "bob"}},
			{"search.username=" + q("dave\\_[0-9]") + "&mode=similar_to&isCaseSensitive=true", []string{"dave_1"}},
			{"search.username=" + q("dav.%") + "&mode=similar_to&isCaseSensitive=true", nil}, // . is literal
			// Hybrids: a general search with field searches, each its mode.
			{"search=" + q("%example%") + "&search.name=" + q("^B") + "&mode.name=posix&joint=and", []string{"bob"}},
			{"search=" + q("%example%") + "&search.name=" + q("^B") + "&mode.name=posix", []string{"alice", "bob", "dave_1"}},
			{"search=" + q("%.com") + "&search.username=carol&search.username=bob&mode.username=exact&jointMode=or", []string{"alice", "bob", "carol", "dave_1"}},
			{"search.username=" + q("%o%") + "&search.name=" + q("Bob%") + "&mode.name=similar_to&isCaseSensitive=1&joint=and", []string{"bob"}},
			{"search.username=" + q("%") + "&mode.unknown=exact", []string{"alice", "bob", "carol", "dave_1"}},
		} {
			if got := names(c.query); !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s: %v, want %v", c.query, got, c.want)
			}
		}
		for query, details := range map[string]string{
			"search=a&search=b":                      "Only one search value is allowed when search mode is not `exact`.",
			"search.name=a&search.name=b&mode=posix": "Only one search value is allowed when search mode is not `exact`.",
			"search=":                                "Search value cannot be empty.",
			"search.id=a&search.id=&mode=exact":      "Search value cannot be empty.",
			"search.name=a&mode=similar_to":          "Cannot use case-insensitive match for `similar to`.",
			"search.avatar=x":                        "Search field `avatar` is not valid, expect one of id, primary_email, primary_phone, username, name.",
			"search.profile.name=x":                  "Unsupported nested search field path `profile.name` detected. Only the first level field is supported.",
			"search=x&mode=regex":                    "Search match mode `regex` is not valid, expect one of exact, like, similar_to, posix.",
			"joint=xor":                              "Search joint mode `xor` is not valid, expect one of and, or.",
		} {
			r := e.API("GET", "/api/users?"+query, nil)
			var body struct{ Code, Message, Details string }
			json.Unmarshal(r.Body, &body)
			if r.Status != 400 || body.Code != "request.invalid_input" || body.Message != "Input is invalid. "+details {
				t.Errorf("%s: %d %s, want 400 %q", query, r.Status, r.Body, details)
			}
		}
		// Patterns that do not compile: 400 on both engines, never 500.
		for _, query := range []string{
			"search.name=" + q("(") + "&mode=posix",
			"search.name=" + q("a**") + "&mode=similar_to&isCaseSensitive=true",
		} {
			if r := e.API("GET", "/api/users?"+query, nil); r.Status != 400 {
				t.Errorf("%s: %d %s", query, r.Status, r.Body)
			}
		}
		// Look-around: PostgreSQL runs it, RE2 (SQLite) refuses it with 400.
		want := 200
		if e.Server.Store().Dialect() == "sqlite" {
			want = 400
		}
		if r := e.API("GET", "/api/users?search.name="+q("^(?=B)")+"&mode=posix", nil); r.Status != want {
			t.Errorf("look-ahead: %d %s, want %d", r.Status, r.Body, want)
		}
	})
}
