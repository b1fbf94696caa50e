package management

import (
	"net/http"
	"strconv"
	"strings"
)

// Pagination limits (spec §4.0).
const (
	defaultPageSize = 20
	maxPageSize     = 100
)

// Pager is a request's page. On is false when an optionally paginated
// route was called without page or page_size: it then returns everything.
type Pager struct {
	Page, Size int
	On         bool
}

// Limit and Offset of the page, for SQL; Limit 0 means no limit.
func (p Pager) Limit() int {
	if !p.On {
		return 0
	}
	return p.Size
}

// Offset is the number of rows before the page.
func (p Pager) Offset() int {
	if !p.On {
		return 0
	}
	return (p.Page - 1) * p.Size
}

// parsePager reads page and page_size. always: the route is always
// paginated. Both must be positive integers, page_size at most 100, else
// 400 guard.invalid_pagination.
func parsePager(r *http.Request, always bool) (Pager, error) {
	q := r.URL.Query()
	ps, hasPage := q["page"]
	ss, hasSize := q["page_size"]
	p := Pager{Page: 1, Size: defaultPageSize, On: always || hasPage || hasSize}
	bad := &Error{Status: http.StatusBadRequest, Code: "guard.invalid_pagination", Message: "The request pagination value is invalid."}
	if hasPage {
		n, err := strconv.Atoi(ps[0])
		if err != nil || n < 1 {
			return p, bad
		}
		p.Page = n
	}
	if hasSize {
		n, err := strconv.Atoi(ss[0])
		if err != nil || n < 1 || n > maxPageSize {
			return p, bad
		}
		p.Size = n
	}
	return p, nil
}

// writePaging sets Total-Number and the Link headers (first, prev, next,
// last) of a paginated answer. Like Logto, links name the path without the
// /api prefix, on the public endpoint, with the request's query and page
// replaced.
func (a *api) writePaging(w http.ResponseWriter, r *http.Request, p Pager, total int64) {
	if !p.On {
		return
	}
	h := w.Header()
	h.Set("Total-Number", strconv.FormatInt(total, 10))
	last := int((total + int64(p.Size) - 1) / int64(p.Size))
	if last < 1 {
		last = 1
	}
	base := a.endpoint + strings.TrimPrefix(r.URL.Path, "/api")
	link := func(page int, rel string) {
		h.Add("Link", "<"+base+"?"+withPage(r.URL.RawQuery, page)+`>; rel="`+rel+`"`)
	}
	link(1, "first")
	if p.Page > 1 {
		link(p.Page-1, "prev")
	}
	if p.Page < last {
		link(p.Page+1, "next")
	}
	link(last, "last")
}

// withPage sets page=n in a raw query, keeping the other parameters in
// place, or appends it.
func withPage(raw string, n int) string {
	parts := strings.Split(raw, "&")
	if raw == "" {
		parts = nil
	}
	set := false
	for i, p := range parts {
		if p == "page" || strings.HasPrefix(p, "page=") {
			parts[i] = "page=" + strconv.Itoa(n)
			set = true
		}
	}
	if !set {
		parts = append(parts, "page="+strconv.Itoa(n))
	}
	return strings.Join(parts, "&")
}
