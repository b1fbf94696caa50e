// Package api holds the Management API's contract: the OpenAPI 3 document
// api/openapi.yaml, embedded so that the server can serve it (package
// management turns it into JSON at /api/swagger.json). A test in package
// management holds the document to the routes served, route for route.
//
// It holds no code of the API itself.
package api

import (
	_ "embed"
	"slices"
)

//go:embed openapi.yaml
var openAPI []byte

// OpenAPIYAML returns the Management API's OpenAPI 3.0 document, as YAML.
// The bytes are the caller's.
func OpenAPIYAML() []byte { return slices.Clone(openAPI) }
