package management_test

import (
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
)

// TestSeedsWalk follows the seeds' M2M guide through the Management API,
// on SQLite and PostgreSQL: an API resource with two permissions, an M2M
// role holding one, an M2M app assigned the role, its Default secret, a
// token that carries exactly the granted scope; then the role is removed
// and the very next token carries none.
func TestSeedsWalk(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		var res struct{ ID, Indicator string }
		e.Must(201, "POST", "/api/resources", map[string]any{"name": "Online shopping", "indicator": "https://shopping.api"}, &res)
		var read, write struct{ ID string }
		e.Must(201, "POST", "/api/resources/"+res.ID+"/scopes", map[string]any{"name": "read:products", "description": "Read products"}, &read)
		e.Must(201, "POST", "/api/resources/"+res.ID+"/scopes", map[string]any{"name": "write:products"}, &write)

		var role struct{ ID, Type string }
		e.Must(200, "POST", "/api/roles", map[string]any{"name": "shop-reader", "description": "Reads products",
			"type": "MachineToMachine", "scopeIds": []string{read.ID}}, &role)

		var app struct{ ID, Type string }
		e.Must(200, "POST", "/api/applications", map[string]any{"name": "Daily orders", "type": "MachineToMachine"}, &app)
		var added struct {
			AddedRoleIDs []string `json:"addedRoleIds"`
		}
		e.Must(201, "POST", "/api/applications/"+app.ID+"/roles", map[string]any{"roleIds": []string{role.ID}}, &added)
		if len(added.AddedRoleIDs) != 1 {
			t.Fatalf("added %v", added.AddedRoleIDs)
		}

		var secrets []struct{ Name, Value string }
		e.Must(200, "GET", "/api/applications/"+app.ID+"/secrets", nil, &secrets)
		if len(secrets) != 1 || secrets[0].Name != "Default secret" || len(secrets[0].Value) != 32 {
			t.Fatalf("secrets %+v", secrets)
		}
		secret := secrets[0].Value

		scopeOf := func() string {
			t.Helper()
			tok, status := e.TokenAs(app.ID, secret, "https://shopping.api", "read:products write:products")
			if status != 200 {
				t.Fatalf("token: %d", status)
			}
			claims := decodeClaims(t, tok)
			if claims["sub"] != app.ID || claims["aud"] != "https://shopping.api" {
				t.Fatalf("claims %v", claims)
			}
			s, _ := claims["scope"].(string)
			return s
		}
		if got := scopeOf(); got != "read:products" {
			t.Fatalf("scope %q, want read:products", got)
		}

		e.Must(204, "DELETE", "/api/applications/"+app.ID+"/roles/"+role.ID, nil, nil)
		if got := scopeOf(); got != "" {
			t.Fatalf("after removing the role: scope %q, want none", got)
		}
		if strings.Contains(secret, " ") {
			t.Fatal("generated secrets are alphanumeric")
		}
	})
}
