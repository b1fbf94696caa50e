package protect_test

import (
	"os"
	"regexp"
	"testing"
)

// TestDocumentedRequireCompiles: Require returns func(http.Handler)
// http.Handler, so a plain handler function must be wrapped in
// http.HandlerFunc, the form ExampleNew compiles. The documents that show
// Require must use that form (issue 14: they passed a plain function).
func TestDocumentedRequireCompiles(t *testing.T) {
	call := regexp.MustCompile(`\.Require\(("[^"]*"(?:, *"[^"]*")*)\)\(([^()]*(?:\([^()]*\))?)\)`)
	wrapped := regexp.MustCompile(`^http\.HandlerFunc\(\w+\)$`)
	for _, f := range []string{"../../../README.md", "../../../docs/protect-your-api.md", "../../../examples/shopping-api/README.md", "../../../protect/doc.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, m := range call.FindAllStringSubmatch(string(b), -1) {
			n++
			if !wrapped.MatchString(m[2]) {
				t.Errorf("%s: %s passes %q, not http.HandlerFunc(name) (see ExampleNew)", f, m[0], m[2])
			}
		}
		if n == 0 {
			t.Errorf("%s: no Require(...)(handler) example found", f)
		}
	}
}
