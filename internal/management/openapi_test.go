package management_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/management"
	"github.com/gatehouse/gatehouse/internal/storetest"
)

// TestOpenAPIValid validates api/openapi.yaml with kin-openapi.
func TestOpenAPIValid(t *testing.T) {
	ctx := context.Background()
	doc, err := management.OpenAPI(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(ctx); err != nil {
		t.Fatalf("api/openapi.yaml: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.0.") {
		t.Fatalf("openapi %q, want 3.0.x", doc.OpenAPI)
	}
}

// TestOpenAPIMatchesRoutes holds the document to the route table: every
// route served is documented, and nothing else is.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc, err := management.OpenAPI(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	served := management.Patterns()
	for _, p := range served {
		if !slices.Contains(documented, p) {
			t.Errorf("served but not in api/openapi.yaml: %s", p)
		}
	}
	for _, p := range documented {
		if !slices.Contains(served, p) {
			t.Errorf("in api/openapi.yaml but not served: %s", p)
		}
	}
	slices.Sort(served)
	if c := slices.Compact(slices.Clone(served)); len(c) != len(served) {
		t.Errorf("a pattern is registered twice: %v", served)
	}
}

// TestOpenAPIServed fetches the document from both of its URLs, without a
// token: the same JSON, a valid OpenAPI 3 document, with the server's
// public endpoint as its one server.
func TestOpenAPIServed(t *testing.T) {
	e := apptest.New(t, storetest.SQLite(t))
	a := e.Do("GET", "/api/swagger.json", nil, "")
	b := e.Do("GET", "/api/.well-known/management.openapi.json", nil, "")
	if a.Status != 200 || b.Status != 200 {
		t.Fatalf("status %d, %d", a.Status, b.Status)
	}
	if ct := a.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q", ct)
	}
	if string(a.Body) != string(b.Body) {
		t.Fatal("the two URLs serve different documents")
	}
	var raw map[string]any
	if err := json.Unmarshal(a.Body, &raw); err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(a.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("served document: %v", err)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != e.Config.Endpoint {
		t.Fatalf("servers %v, want [%s]", doc.Servers, e.Config.Endpoint)
	}
	if doc.Paths.Find("/api/logs/{id}") == nil {
		t.Fatal("paths missing")
	}
}
