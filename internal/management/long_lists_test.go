package management_test

import (
	"fmt"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
)

// TestLongIDLists sends 70,000 ids, more than either engine takes as
// placeholders of one statement (SQLite 32,766, PostgreSQL 65,535), to every
// route that takes a list of ids or names: each answers the client error the
// first unknown one deserves, never a 500 (nor a 503 after reading them one
// by one).
func TestLongIDLists(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		ids := make([]string, 70000)
		for i := range ids {
			ids[i] = fmt.Sprintf("%x", i+4096)
		}
		var app, org, user, orgRole map[string]any
		e.Must(200, "POST", "/api/applications", map[string]any{"name": "a", "type": "MachineToMachine"}, &app)
		e.Must(201, "POST", "/api/organizations", map[string]any{"name": "o"}, &org)
		e.Must(200, "POST", "/api/users", map[string]any{"username": "u1", "name": "U"}, &user)
		e.Must(201, "POST", "/api/organization-roles", map[string]any{"name": "member"}, &orgRole)
		m2m := postRole(t, e, map[string]any{"name": "shop", "description": "d", "type": "MachineToMachine"})
		people := postRole(t, e, map[string]any{"name": "people", "description": "d"})
		aid, oid, uid, orid := app["id"].(string), org["id"].(string), user["id"].(string), orgRole["id"].(string)
		e.Must(201, "POST", "/api/organizations/"+oid+"/applications", map[string]any{"applicationIds": []string{aid}}, nil)
		e.Must(201, "POST", "/api/organizations/"+oid+"/users", map[string]any{"userIds": []string{uid}}, nil)
		orgApp, orgUser := "/api/organizations/"+oid+"/applications", "/api/organizations/"+oid+"/users"

		const notExists, noForeignKey = "entity.not_exists_with_id", "entity.relation_foreign_key_not_found"
		for _, c := range []struct {
			method, path string
			body         map[string]any
			status       int
			code         string
		}{
			{"POST", "/api/roles/" + m2m.ID + "/scopes", map[string]any{"scopeIds": ids}, 404, notExists},
			{"POST", "/api/roles", map[string]any{"name": "n", "description": "d", "type": "MachineToMachine", "scopeIds": ids}, 404, notExists},
			{"POST", "/api/roles/" + m2m.ID + "/applications", map[string]any{"applicationIds": ids}, 404, notExists},
			{"POST", "/api/roles/" + people.ID + "/users", map[string]any{"userIds": ids}, 404, notExists},
			{"POST", "/api/applications/" + aid + "/roles", map[string]any{"roleIds": ids}, 404, notExists},
			{"PUT", "/api/applications/" + aid + "/roles", map[string]any{"roleIds": ids}, 404, notExists},
			{"POST", "/api/users/" + uid + "/roles", map[string]any{"roleIds": ids}, 404, notExists},
			{"PUT", "/api/users/" + uid + "/roles", map[string]any{"roleIds": ids}, 404, notExists},
			{"POST", "/api/organization-roles", map[string]any{"name": "n", "organizationScopeIds": ids}, 422, noForeignKey},
			{"POST", "/api/organization-roles", map[string]any{"name": "n", "resourceScopeIds": ids}, 422, noForeignKey},
			{"POST", "/api/organization-roles/" + orid + "/scopes", map[string]any{"organizationScopeIds": ids}, 422, noForeignKey},
			{"PUT", "/api/organization-roles/" + orid + "/scopes", map[string]any{"organizationScopeIds": ids}, 422, noForeignKey},
			{"POST", "/api/organization-roles/" + orid + "/resource-scopes", map[string]any{"scopeIds": ids}, 422, noForeignKey},
			{"PUT", "/api/organization-roles/" + orid + "/resource-scopes", map[string]any{"scopeIds": ids}, 422, noForeignKey},
			{"POST", orgApp, map[string]any{"applicationIds": ids}, 422, noForeignKey},
			{"PUT", orgApp, map[string]any{"applicationIds": ids}, 422, noForeignKey},
			{"POST", orgApp + "/roles", map[string]any{"applicationIds": []string{aid}, "organizationRoleIds": ids}, 422, noForeignKey},
			{"POST", orgApp + "/roles", map[string]any{"applicationIds": ids, "organizationRoleIds": []string{orid}}, 422, "entity.db_constraint_violated"},
			{"POST", orgApp + "/" + aid + "/roles", map[string]any{"organizationRoleIds": ids}, 422, noForeignKey},
			{"PUT", orgApp + "/" + aid + "/roles", map[string]any{"organizationRoleIds": ids}, 422, noForeignKey},
			{"POST", orgUser, map[string]any{"userIds": ids}, 422, noForeignKey},
			{"PUT", orgUser, map[string]any{"userIds": ids}, 422, noForeignKey},
			{"POST", orgUser + "/roles", map[string]any{"userIds": []string{uid}, "organizationRoleIds": ids}, 422, noForeignKey},
			{"POST", orgUser + "/roles", map[string]any{"userIds": ids, "organizationRoleIds": []string{orid}}, 422, noForeignKey},
			{"POST", orgUser + "/" + uid + "/roles", map[string]any{"organizationRoleIds": ids}, 422, noForeignKey},
			{"PUT", orgUser + "/" + uid + "/roles", map[string]any{"organizationRoleIds": ids}, 422, noForeignKey},
			{"POST", orgUser + "/" + uid + "/roles", map[string]any{"organizationRoleNames": ids}, 422, "organization.role_names_not_found"},
			{"PUT", orgUser + "/" + uid + "/roles", map[string]any{"organizationRoleNames": ids}, 422, "organization.role_names_not_found"},
		} {
			name := c.method + " " + c.path
			for k, v := range c.body {
				if l, ok := v.([]string); ok && len(l) == len(ids) {
					name += " " + k
				}
			}
			wantErrorCode(t, name, e.API(c.method, c.path, c.body), c.status, c.code, "")
		}
	})
}
