package management_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
)

// TestResourceBounds: indicators must be absolute URIs without a fragment
// and not urn:logto:; an indicator equal to another after case and
// trailing-slash normalization is a conflict; lifetimes, names,
// descriptions, search values and custom data depth are bounded.
func TestResourceBounds(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		for _, ind := range []string{"javascript:alert(1)", "not a url", "#frag", "https://api.example/#x", "urn:logto:organization:org_1", "https://" + strings.Repeat("a", 2050)} {
			if r := e.API("POST", "/api/resources", map[string]any{"name": "n", "indicator": ind}); r.Status != 400 || r.Code() != "guard.invalid_input" {
				t.Errorf("indicator %.40q: %d %s", ind, r.Status, r.Body)
			}
		}
		e.Must(201, "POST", "/api/resources", map[string]any{"name": "Shopping", "indicator": "https://shopping.api"}, nil)
		for _, ind := range []string{"https://shopping.api/", "HTTPS://SHOPPING.API"} {
			if r := e.API("POST", "/api/resources", map[string]any{"name": "n", "indicator": ind}); r.Status != 422 || r.Code() != "resource.resource_identifier_in_use" {
				t.Errorf("look-alike %q: %d %s", ind, r.Status, r.Body)
			}
		}
		for _, ttl := range []float64{-1, 0, 1 << 53, 31536001} {
			if r := e.API("POST", "/api/resources", map[string]any{"name": "n", "indicator": "https://ttl.example", "accessTokenTtl": ttl}); r.Status != 400 {
				t.Errorf("accessTokenTtl %v: %d %s", ttl, r.Status, r.Body)
			}
		}
		e.Must(201, "POST", "/api/resources", map[string]any{"name": "n", "indicator": "https://ttl.example", "accessTokenTtl": 31536000}, nil)
		if r := e.API("POST", "/api/resources", map[string]any{"name": strings.Repeat("n", 257), "indicator": "https://long.example"}); r.Status != 400 {
			t.Errorf("long name: %d %s", r.Status, r.Body)
		}
		if r := e.API("POST", "/api/applications", map[string]any{"name": "a", "type": "MachineToMachine", "description": strings.Repeat("d", 2049)}); r.Status != 400 {
			t.Errorf("long description: %d %s", r.Status, r.Body)
		}
		deep := strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40)
		if r := e.API("POST", "/api/applications", `{"name":"a","type":"MachineToMachine","customData":`+deep+`}`); r.Status != 400 {
			t.Errorf("deep custom data: %d %s", r.Status, r.Body)
		}
		q := "/api/applications?mode=exact" + strings.Repeat("&search=x", 101)
		if r := e.API("GET", q, nil); r.Status != http.StatusBadRequest {
			t.Errorf("101 search values: %d %s", r.Status, r.Body)
		}
	})
}
