package management

import (
	"net/url"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
)

func TestParseSearch(t *testing.T) {
	fields := []string{"id", "name", "description"}
	q := func(s string) url.Values { v, _ := url.ParseQuery(s); return v }

	s, err := parseSearch(q("search=%25stats%25"), fields)
	if err != nil || len(s.Matches) != 1 || len(s.Matches[0].Fields) != 3 || s.Matches[0].Mode != store.ModeLike || s.And || s.CaseSensitive {
		t.Fatalf("%+v %v", s, err)
	}
	s, err = parseSearch(q("search.name=a&mode.name=exact&search.id=x&search.id=y&mode=exact&joint=and&isCaseSensitive=true"), fields)
	if err != nil || len(s.Matches) != 2 || !s.And || !s.CaseSensitive {
		t.Fatalf("%+v %v", s, err)
	}
	if m := s.Matches[0]; m.Fields[0] != "id" || len(m.Values) != 2 || m.Mode != store.ModeExact {
		t.Fatalf("id match %+v", m)
	}
	if s, err := parseSearch(q("page=1"), fields); err != nil || !s.Empty() {
		t.Fatalf("no search: %+v %v", s, err)
	}
	for _, bad := range []string{
		"search.secret=x",              // not a searchable field
		"search=a&search=b",            // like takes one value
		"search=",                      // and a non-empty one
		"search=a&mode=regex",          // unknown mode
		"search=a&joint=xor",           // unknown joint
		"search=a&isCaseSensitive=yes", // not a boolean
	} {
		if _, err := parseSearch(q(bad), fields); err == nil {
			t.Errorf("%q accepted", bad)
		} else if e := err.(*Error); e.Code != "request.invalid_input" || e.Status != 400 {
			t.Errorf("%q: %+v", bad, e)
		}
	}
}
