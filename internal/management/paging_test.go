package management

import (
	"net/http/httptest"
	"slices"
	"testing"
)

func TestParsePager(t *testing.T) {
	cases := []struct {
		query  string
		always bool
		want   Pager
		bad    bool
	}{
		{"", false, Pager{1, 20, false}, false},
		{"", true, Pager{1, 20, true}, false},
		{"page=3", false, Pager{3, 20, true}, false},
		{"page_size=100", false, Pager{1, 100, true}, false},
		{"page=0", true, Pager{}, true},
		{"page=-1", true, Pager{}, true},
		{"page=x", true, Pager{}, true},
		{"page_size=0", true, Pager{}, true},
		{"page_size=101", true, Pager{}, true},
	}
	for _, c := range cases {
		p, err := parsePager(httptest.NewRequest("GET", "/api/x?"+c.query, nil), c.always)
		if c.bad {
			if e, ok := err.(*Error); !ok || e.Code != "guard.invalid_pagination" || e.Status != 400 {
				t.Errorf("%q: err %v", c.query, err)
			}
			continue
		}
		if err != nil || p != c.want {
			t.Errorf("%q: %+v %v, want %+v", c.query, p, err, c.want)
		}
	}
	if (Pager{Page: 3, Size: 20, On: true}).Offset() != 40 || (Pager{}).Limit() != 0 {
		t.Error("limit/offset")
	}
}

func TestWritePaging(t *testing.T) {
	a := &api{endpoint: "http://localhost:3001"}
	r := httptest.NewRequest("GET", "/api/logs?logKey=K&page_size=1", nil)
	w := httptest.NewRecorder()
	a.writePaging(w, r, Pager{Page: 1, Size: 1, On: true}, 33)
	want := []string{
		`<http://localhost:3001/logs?logKey=K&page_size=1&page=1>; rel="first"`,
		`<http://localhost:3001/logs?logKey=K&page_size=1&page=2>; rel="next"`,
		`<http://localhost:3001/logs?logKey=K&page_size=1&page=33>; rel="last"`,
	}
	if got := w.Header().Values("Link"); !slices.Equal(got, want) || w.Header().Get("Total-Number") != "33" {
		t.Fatalf("links %q, total %q", got, w.Header().Get("Total-Number"))
	}

	r = httptest.NewRequest("GET", "/api/users?page=2&page_size=2", nil)
	w = httptest.NewRecorder()
	a.writePaging(w, r, Pager{Page: 2, Size: 2, On: true}, 3)
	want = []string{
		`<http://localhost:3001/users?page=1&page_size=2>; rel="first"`,
		`<http://localhost:3001/users?page=1&page_size=2>; rel="prev"`,
		`<http://localhost:3001/users?page=2&page_size=2>; rel="last"`,
	}
	if got := w.Header().Values("Link"); !slices.Equal(got, want) {
		t.Fatalf("links %q", got)
	}

	w = httptest.NewRecorder()
	a.writePaging(w, r, Pager{On: false}, 3)
	if len(w.Header()) != 0 {
		t.Fatal("unpaginated answers carry no paging headers")
	}
	w = httptest.NewRecorder()
	a.writePaging(w, httptest.NewRequest("GET", "/api/roles", nil), Pager{Page: 1, Size: 20, On: true}, 0)
	if got := w.Header().Values("Link"); len(got) != 2 || w.Header().Get("Total-Number") != "0" {
		t.Fatalf("empty list: %q", got)
	}
}
