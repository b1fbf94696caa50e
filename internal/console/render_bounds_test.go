package console

import (
	"strings"
	"testing"
)

// TestPrettyJSONBounded: a 9,000-deep value (stored before depth was
// bounded) renders as it is, not indented to 162 MB.
func TestPrettyJSONBounded(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 9000) + "1" + strings.Repeat("}", 9000)
	if got := prettyJSON([]byte(deep)); len(got) != len(deep) {
		t.Fatalf("rendered %d bytes from %d", len(got), len(deep))
	}
	if got := prettyJSON([]byte(`{"a":{"b":1}}`)); !strings.Contains(got, "\n    \"b\": 1") {
		t.Fatalf("shallow data not indented: %q", got)
	}
}
