package management

import (
	"bytes"
	"io"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// checkStorable refuses a request whose path, query or body holds what
// PostgreSQL cannot store or compare (NUL, decoded or raw; invalid UTF-8;
// an escaped lone surrogate in JSON) with 400 guard.invalid_input, before
// any handler sees it: on both engines, for every route. The body is read
// (it is bounded by MaxBodyBytes) and handed on unchanged.
func checkStorable(r *http.Request) error {
	if !rbac.Storable(r.URL.Path) {
		return unstorable("params", "path")
	}
	for k, vs := range r.URL.Query() {
		if !rbac.Storable(k) {
			return unstorable("query", "query")
		}
		for _, v := range vs {
			if !rbac.Storable(v) {
				return unstorable("query", k)
			}
		}
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		// Too large or cut short: the handler's reader meets the same.
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(b), errReader{err}))
		return nil
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	if !rbac.StorableJSON(b) {
		return unstorable("body", "body")
	}
	return nil
}

// unstorable is the 400 of checkStorable.
func unstorable(where, name string) error {
	g := &Guard{where: where}
	g.add(issue{Code: "custom", Path: []any{name},
		Message: "Text must be valid UTF-8 without NUL characters or lone surrogates"})
	return g.Err()
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
