package management_test

import (
	"fmt"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
)

// TestLongIDLists sends 70,000 ids, more than either engine takes as
// placeholders of one statement (SQLite 32,766, PostgreSQL 65,535), to every
// route that takes a list of ids: each answers the client error the first
// unknown id deserves, never a 500.
func TestLongIDLists(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		ids := make([]string, 70000)
		for i := range ids {
			ids[i] = fmt.Sprintf("%x", i+4096)
		}
		var app, org map[string]any
		e.Must(200, "POST", "/api/applications", map[string]any{"name": "a", "type": "MachineToMachine"}, &app)
		e.Must(201, "POST", "/api/organizations", map[string]any{"name": "o"}, &org)
		m2m := postRole(t, e, map[string]any{"name": "shop", "description": "d", "type": "MachineToMachine"})
		aid, oid := app["id"].(string), org["id"].(string)
		for _, c := range []struct {
			method, path, field string
			status              int
			code                string
		}{
			{"POST", "/api/roles/" + m2m.ID + "/scopes", "scopeIds", 404, "entity.not_exists_with_id"},
			{"POST", "/api/roles", "scopeIds", 404, "entity.not_exists_with_id"},
			{"POST", "/api/roles/" + m2m.ID + "/applications", "applicationIds", 404, "entity.not_exists_with_id"},
			{"POST", "/api/applications/" + aid + "/roles", "roleIds", 404, "entity.not_exists_with_id"},
			{"PUT", "/api/applications/" + aid + "/roles", "roleIds", 404, "entity.not_exists_with_id"},
			{"POST", "/api/organizations/" + oid + "/applications", "applicationIds", 422, "entity.relation_foreign_key_not_found"},
			{"PUT", "/api/organizations/" + oid + "/applications", "applicationIds", 422, "entity.relation_foreign_key_not_found"},
			{"POST", "/api/organizations/" + oid + "/users", "userIds", 422, "entity.relation_foreign_key_not_found"},
			{"PUT", "/api/organizations/" + oid + "/users", "userIds", 422, "entity.relation_foreign_key_not_found"},
			{"POST", "/api/organization-roles", "organizationScopeIds", 422, "entity.relation_foreign_key_not_found"},
		} {
			body := map[string]any{c.field: ids, "name": "n"}
			if c.path == "/api/roles" {
				body["type"], body["description"] = "MachineToMachine", "d"
			}
			wantErrorCode(t, c.method+" "+c.path, e.API(c.method, c.path, body), c.status, c.code, "")
		}
	})
}
