package management

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestParseSearch(t *testing.T) {
	fields := userSearchFields // id, primaryEmail, primaryPhone, username, name
	all := strings.Join(fields, ",")
	// show renders a parsed search compactly: joint, case, then each match
	// as mode:fields=values.
	show := func(raw string) (string, error) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			t.Fatal(err)
		}
		s, err := parseSearch(q, fields)
		if err != nil {
			return "", err
		}
		out := fmt.Sprintf("and=%v cs=%v", s.And, s.CaseSensitive)
		for _, m := range s.Matches {
			out += fmt.Sprintf(" %s:%s=%s", m.Mode, strings.Join(m.Fields, ","), strings.Join(m.Values, "|"))
		}
		return out, nil
	}
	for _, c := range []struct{ query, want string }{
		{"", "and=false cs=false"},
		{"page=1&excludeRoleId=x", "and=false cs=false"},
		{"search=%25a%25", "and=false cs=false like:" + all + "=%a%"},
		{"search.name=a", "and=false cs=false like:name=a"},
		{"search.primaryEmail=a", "and=false cs=false like:primaryEmail=a"},
		// Logto snake-cases the field: every spelling of a column is it.
		{"search.primary_email=a", "and=false cs=false like:primaryEmail=a"},
		{"search.PrimaryEmail=a", "and=false cs=false like:primaryEmail=a"},
		{"search.ID=a", "and=false cs=false like:id=a"},
		// Exact takes several values; the general mode applies to fields
		// without their own.
		{"search.id=a&search.id=b&mode=exact", "and=false cs=false exact:id=a|b"},
		{"search=a&search=b&mode=exact", "and=false cs=false exact:" + all + "=a|b"},
		// Hybrid: a general search and field searches, each with its mode.
		{"search=%25a%25&search.name=x&search.name=y&mode.name=exact&search.username=^u&mode.username=posix&joint=and",
			"and=true cs=false like:" + all + "=%a% exact:name=x|y posix:username=^u"},
		{"search.name=x&mode=posix&mode.name=like", "and=false cs=false like:name=x"},
		{"search.name=x&mode=posix", "and=false cs=false posix:name=x"},
		// The last mode given wins.
		{"search.name=x&mode.name=posix&mode.name=exact", "and=false cs=false exact:name=x"},
		// A mode for a field nobody searches is ignored (Logto checks only
		// its value).
		{"search=x&mode.nosuch=exact", "and=false cs=false like:" + all + "=x"},
		{"search.name=a&isCaseSensitive=true&mode=similar_to", "and=false cs=true similar_to:name=a"},
		{"search.name=a&isCaseSensitive=yes", "and=false cs=true like:name=a"},
		{"search.name=a&isCaseSensitive=1", "and=false cs=true like:name=a"},
		{"search.name=a&isCaseSensitive=TRUE", "and=false cs=false like:name=a"},
		{"search.name=a&isCaseSensitive=nonsense", "and=false cs=false like:name=a"},
		{"search.name=a&jointMode=and", "and=true cs=false like:name=a"},
		{"search.name=a&joint=or&jointMode=and", "and=false cs=false like:name=a"},
		{"search.name=a&joint=&jointMode=and", "and=false cs=false like:name=a"},
		// Keys that merely start with search or mode are Logto's general ones.
		{"searchText=a", "and=false cs=false like:" + all + "=a"},
		{"search.=a", "and=false cs=false like:" + all + "=a"},
	} {
		got, err := show(c.query)
		if err != nil || got != c.want {
			t.Errorf("%q:\n got %s %v\nwant %s", c.query, got, err, c.want)
		}
	}

	for _, c := range []struct{ query, details string }{
		{"search=x&mode=fuzzy", "Search match mode `fuzzy` is not valid, expect one of exact, like, similar_to, posix."},
		{"mode.name=regex", "Search match mode `regex` for field `name` is not valid, expect one of exact, like, similar_to, posix."},
		{"mode=", "Search match mode `` is not valid, expect one of exact, like, similar_to, posix."},
		{"search=x&joint=xor", "Search joint mode `xor` is not valid, expect one of and, or."},
		{"jointMode=both", "Search joint mode `both` is not valid, expect one of and, or."},
		{"search.secret=x", "Search field `secret` is not valid, expect one of id, primary_email, primary_phone, username, name."},
		{"search.customData=x", "Search field `custom_data` is not valid, expect one of id, primary_email, primary_phone, username, name."},
		{"search.profile.name=x", "Unsupported nested search field path `profile.name` detected. Only the first level field is supported."},
		{"mode.a.b=exact", "Unsupported nested search field path `a.b` detected. Only the first level field is supported."},
		{"search=a&search=b", "Only one search value is allowed when search mode is not `exact`."},
		{"search.name=a&search.name=b&mode=posix", "Only one search value is allowed when search mode is not `exact`."},
		{"search=", "Search value cannot be empty."},
		{"search.name=&mode.name=posix", "Search value cannot be empty."},
		{"search.id=a&search.id=&mode=exact", "Search value cannot be empty."},
		{"search.name=a&mode=similar_to", "Cannot use case-insensitive match for `similar to`."},
		{"search.name=a&mode.name=similar_to&isCaseSensitive=false", "Cannot use case-insensitive match for `similar to`."},
		{"search=" + strings.Repeat("x", 1025), "A search value has at most 1024 characters."},
		{"mode=exact&search.id=" + strings.Repeat("a&search.id=", 100) + "a", "A search takes at most 100 values."},
	} {
		_, err := show(c.query)
		e, ok := err.(*Error)
		if !ok || e.Status != 400 || e.Code != "request.invalid_input" || e.Details != c.details {
			t.Errorf("%.60q: %v, want 400 request.invalid_input %q", c.query, err, c.details)
		}
	}
}

func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{
		"id": "id", "ID": "id", "primaryEmail": "primary_email", "PrimaryEmail": "primary_email",
		"primary_email": "primary_email", "primary-email": "primary_email", "PRIMARY_EMAIL": "primary_email",
		"userID2fa": "user_id2fa", "XMLHttpRequest": "xml_http_request", "": "",
	} {
		if got := snakeCase(in); got != want {
			t.Errorf("snakeCase(%q) = %q, want %q", in, got, want)
		}
	}
}
