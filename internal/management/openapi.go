package management

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	// kin-openapi parses the document (YAML, with $refs) into a typed model
	// we can set servers on and render as JSON, and its validator checks
	// the document in tests (spec §4.13: Logto's own test validates it with
	// two validators). It is the most used OpenAPI 3 library for Go, keeps
	// its dependencies few, and writing an OpenAPI loader and validator by
	// hand would be far more code than this one import.
	"github.com/getkin/kin-openapi/openapi3"

	apidoc "github.com/gatehouse/gatehouse/api"
)

// openAPIRoutes registers the anonymous routes serving the Management
// API's OpenAPI document as JSON (spec §4.13), with servers set to the
// public endpoint. The document is parsed once, at the first request
// rather than at start: it takes tens of milliseconds and a few MiB that a
// server which never serves it should not pay.
func (a *api) openAPIRoutes() {
	render := sync.OnceValues(func() ([]byte, error) { return openAPIJSON(a.endpoint) })
	serve := func(w http.ResponseWriter, r *http.Request) error {
		body, err := render()
		if err != nil {
			return err // a document that does not load is a build bug: 500, logged
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, werr := w.Write(body)
		return werr
	}
	a.handlePublic("GET /api/swagger.json", serve)
	a.handlePublic("GET /api/.well-known/management.openapi.json", serve)
}

// OpenAPI loads the embedded OpenAPI document.
func OpenAPI(ctx context.Context) (*openapi3.T, error) {
	l := openapi3.NewLoader()
	l.Context = ctx
	doc, err := l.LoadFromData(apidoc.OpenAPIYAML())
	if err != nil {
		return nil, fmt.Errorf("management: openapi document: %w", err)
	}
	return doc, nil
}

// openAPIJSON renders the document as JSON, with the one server endpoint
// (the paths start with /api) when it is known.
func openAPIJSON(endpoint string) ([]byte, error) {
	doc, err := OpenAPI(context.Background())
	if err != nil {
		return nil, err
	}
	if endpoint != "" {
		doc.Servers = openapi3.Servers{{URL: endpoint}}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("management: openapi document: %w", err)
	}
	return b, nil
}
