package cli_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/cli"
	"go.yaml.in/yaml/v3"
)

// TestOutputFormats: -o table|json|yaml on list and show commands; --json
// is -o json; YAML has the JSON's fields in the JSON's order.
func TestOutputFormats(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		s := newSh(t, e)
		s.ok("resources", "create", "--name", "Shop", "--indicator", "https://shop.api", "--ttl", "900")
		s.ok("scopes", "create", "--resource", "https://shop.api", "read", "write")

		js := s.ok("resources", "show", "https://shop.api", "--json")
		if o := s.ok("resources", "show", "https://shop.api", "-o", "json"); o != js {
			t.Errorf("-o json differs from --json:\n%s\n%s", o, js)
		}
		if o := s.ok("resources", "show", "https://shop.api", "--json", "-o", "table"); !strings.HasPrefix(o, "ID ") {
			t.Errorf("the last of --json and -o table wins:\n%s", o)
		}
		y := s.ok("resources", "show", "https://shop.api", "--output", "yaml")
		var fromJSON, fromYAML map[string]any
		if err := json.Unmarshal([]byte(js), &fromJSON); err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal([]byte(y), &fromYAML); err != nil {
			t.Fatalf("%v\n%s", err, y)
		}
		// JSON numbers decode as float64, YAML integers as int: compare the re-encoded forms.
		a, _ := json.Marshal(fromJSON)
		b, _ := json.Marshal(fromYAML)
		if string(a) != string(b) {
			t.Errorf("yaml and json differ:\n%s\n%s", a, b)
		}
		if !strings.HasPrefix(y, "tenantId: ") || !strings.Contains(y, "\naccessTokenTtl: 900\n") || !strings.Contains(y, "\nscopes:\n  - tenantId: ") {
			t.Errorf("yaml keeps the API's order and types:\n%s", y)
		}
		var list []map[string]any
		if err := yaml.Unmarshal([]byte(s.ok("apps", "list", "-o", "yaml")), &list); err != nil || len(list) == 0 {
			t.Errorf("apps list -o yaml: %v %v", err, list)
		}
		if o := s.ok("keys", "list", "-o", "table"); !strings.HasPrefix(o, "ID ") {
			t.Errorf("keys list -o table:\n%s", o)
		}
		errs := s.code(cli.ExitUsage, "apps", "list", "-o", "xml")
		if !strings.Contains(errs, `invalid value "xml" for flag -o: want table, json or yaml, not "xml"`) {
			t.Errorf("-o xml: %s", errs)
		}
	})
}
