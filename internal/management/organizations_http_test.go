package management_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/rbac"
)

// orgBody is an organization as the API returns it.
type orgBody struct {
	TenantID          string           `json:"tenantId"`
	ID                string           `json:"id"`
	Name              string           `json:"name"`
	Description       *string          `json:"description"`
	CustomData        map[string]any   `json:"customData"`
	IsMfaRequired     bool             `json:"isMfaRequired"`
	Branding          map[string]any   `json:"branding"`
	CreatedAt         int64            `json:"createdAt"`
	UsersCount        *int             `json:"usersCount"`
	OrganizationRoles []map[string]any `json:"organizationRoles"`
}

// roleRefs returns the ids of a list of {id, name}.
func refIDs(list []map[string]any) []string {
	out := []string{}
	for _, m := range list {
		out = append(out, m["id"].(string))
	}
	return out
}

func TestOrganizationRoutes(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		// Create: 201, a 12-character id, defaults.
		var acme orgBody
		r := e.Must(201, "POST", "/api/organizations", map[string]any{"name": "Acme", "description": "The company", "customData": map[string]any{"k": 1}}, &acme)
		if got := jsonKeys(t, r); !reflect.DeepEqual(got, []string{"branding", "color", "createdAt", "customCss", "customData", "description", "id", "isMfaRequired", "name", "tenantId"}) {
			t.Fatalf("keys %v", got)
		}
		if len(acme.ID) != 12 || acme.TenantID != "default" || acme.CustomData["k"] != 1.0 || acme.Branding == nil || acme.IsMfaRequired {
			t.Fatalf("created %+v", acme)
		}
		wantCode(t, "no name", e.API("POST", "/api/organizations", map[string]any{}), 400, "guard.invalid_input")
		wantCode(t, "long name", e.API("POST", "/api/organizations", map[string]any{"name": string(make([]byte, 129))}), 400, "guard.invalid_input")
		var beta orgBody
		e.Must(201, "POST", "/api/organizations", map[string]any{"name": "Beta", "isMfaRequired": true}, &beta)

		// Get, patch (description to null), 404s.
		var got orgBody
		e.Must(200, "GET", "/api/organizations/"+acme.ID, nil, &got)
		if got.Name != "Acme" || *got.Description != "The company" {
			t.Fatalf("get %+v", got)
		}
		e.Must(200, "PATCH", "/api/organizations/"+acme.ID, map[string]any{"name": "Acme Inc", "description": nil, "branding": map[string]any{"logoUrl": "https://x"}}, &got)
		if got.Name != "Acme Inc" || got.Description != nil || got.Branding["logoUrl"] != "https://x" || got.CustomData["k"] != 1.0 {
			t.Fatalf("patched %+v", got)
		}
		if !strings.Contains(string(r.Body), `"color":{}`) || !strings.Contains(string(r.Body), `"customCss":null`) {
			t.Fatalf("created body %s", r.Body)
		}
		wantCode(t, "get unknown", e.API("GET", "/api/organizations/nope", nil), 404, "entity.not_exists_with_id")
		wantCode(t, "patch unknown", e.API("PATCH", "/api/organizations/nope", map[string]any{"name": "x"}), 404, "entity.not_exists_with_id")
		wantCode(t, "delete unknown", e.API("DELETE", "/api/organizations/nope", nil), 404, "entity.not_found")

		// color and customCss are stored and returned (Logto keeps them);
		// each PATCH leaves the fields it does not name alone.
		colorCases := []struct {
			name      string
			body      map[string]any
			color     string // the stored color, as JSON
			customCSS string // "null" or the JSON string
		}{
			{"color", map[string]any{"color": map[string]any{"primaryColor": "#A1b2C3", "isDarkModeEnabled": true, "darkPrimaryColor": "#fff"}},
				`{"darkPrimaryColor":"#fff","isDarkModeEnabled":true,"primaryColor":"#A1b2C3"}`, "null"},
			{"customCss", map[string]any{"customCss": ".a{color:red}"},
				`{"darkPrimaryColor":"#fff","isDarkModeEnabled":true,"primaryColor":"#A1b2C3"}`, `".a{color:red}"`},
			{"unknown color keys dropped", map[string]any{"color": map[string]any{"primaryColor": "#123", "x": 1}}, `{"primaryColor":"#123"}`, `".a{color:red}"`},
			{"customCss null", map[string]any{"customCss": nil}, `{"primaryColor":"#123"}`, "null"},
			{"empty color", map[string]any{"color": map[string]any{}, "customCss": ""}, `{}`, `""`},
		}
		for _, c := range colorCases {
			r := e.Must(200, "PATCH", "/api/organizations/"+acme.ID, c.body, nil)
			for _, body := range [][]byte{r.Body, e.Must(200, "GET", "/api/organizations/"+acme.ID, nil, nil).Body} {
				var o struct {
					Color     json.RawMessage `json:"color"`
					CustomCSS json.RawMessage `json:"customCss"`
				}
				if err := json.Unmarshal(body, &o); err != nil {
					t.Fatal(err)
				}
				var color any
				json.Unmarshal(o.Color, &color)
				canon, _ := json.Marshal(color)
				if string(canon) != c.color || string(o.CustomCSS) != c.customCSS {
					t.Fatalf("%s: color %s customCss %s, want %s %s", c.name, canon, o.CustomCSS, c.color, c.customCSS)
				}
			}
		}
		var created orgBody
		r = e.Must(201, "POST", "/api/organizations", map[string]any{"name": "Gamma", "color": map[string]any{"primaryColor": "#abcdef"}, "customCss": "b{}"}, &created)
		if !strings.Contains(string(r.Body), `"color":{"primaryColor":"#abcdef"}`) || !strings.Contains(string(r.Body), `"customCss":"b{}"`) {
			t.Fatalf("create with color %s", r.Body)
		}
		e.Must(204, "DELETE", "/api/organizations/"+created.ID, nil, nil)
		badColor := []map[string]any{
			{"color": "red"},
			{"color": map[string]any{"primaryColor": "red"}},
			{"color": map[string]any{"primaryColor": "#12"}},
			{"color": map[string]any{"darkPrimaryColor": 12}},
			{"color": map[string]any{"isDarkModeEnabled": "yes"}},
			{"customCss": 1},
		}
		for _, b := range badColor {
			wantCode(t, fmt.Sprint("bad ", b), e.API("PATCH", "/api/organizations/"+acme.ID, b), 400, "guard.invalid_input")
			wantCode(t, fmt.Sprint("bad create ", b), e.API("POST", "/api/organizations", mergeMap(b, "name", "Bad")), 400, "guard.invalid_input")
		}

		// List: always paginated, newest first, q over id and name.
		var list []orgBody
		r = e.Must(200, "GET", "/api/organizations?page_size=1", nil, &list)
		newest := list[0].ID == beta.ID || beta.CreatedAt == acme.CreatedAt // a tie: by id
		if len(list) != 1 || !newest || r.Header.Get("Total-Number") != "2" || list[0].UsersCount != nil {
			t.Fatalf("list %+v %v", list, r.Header)
		}
		e.Must(200, "GET", "/api/organizations?q=acme", nil, &list)
		if len(list) != 1 || list[0].ID != acme.ID {
			t.Fatalf("q=acme %+v", list)
		}
		e.Must(200, "GET", "/api/organizations?q="+beta.ID+"&showFeatured=true", nil, &list)
		if len(list) != 1 || list[0].UsersCount == nil || *list[0].UsersCount != 0 {
			t.Fatalf("showFeatured %+v", list)
		}
		wantCode(t, "bad page", e.API("GET", "/api/organizations?page=0", nil), 400, "guard.invalid_pagination")

		e.Must(204, "DELETE", "/api/organizations/"+beta.ID, nil, nil)
		wantCode(t, "deleted", e.API("GET", "/api/organizations/"+beta.ID, nil), 404, "entity.not_exists_with_id")
	})
}

func TestOrganizationScopeRoutes(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		var read map[string]any
		r := e.Must(201, "POST", "/api/organization-scopes", map[string]any{"name": "read:data", "description": "Read"}, &read)
		if got := jsonKeys(t, r); !reflect.DeepEqual(got, []string{"description", "id", "name", "tenantId"}) {
			t.Fatalf("keys %v", got)
		}
		id := read["id"].(string)
		e.Must(201, "POST", "/api/organization-scopes", map[string]any{"name": "write:data"}, nil)
		wantCode(t, "taken", e.API("POST", "/api/organization-scopes", map[string]any{"name": "read:data"}), 422, "entity.unique_integrity_violation")
		wantCode(t, "no name", e.API("POST", "/api/organization-scopes", map[string]any{"description": "x"}), 400, "guard.invalid_input")

		var list []map[string]any
		r = e.Must(200, "GET", "/api/organization-scopes?page=1", nil, &list)
		if len(list) != 2 || list[0]["name"] != "read:data" || r.Header.Get("Total-Number") != "2" {
			t.Fatalf("list %v", list)
		}
		e.Must(200, "GET", "/api/organization-scopes?q=WRITE", nil, &list)
		if len(list) != 1 || list[0]["name"] != "write:data" {
			t.Fatalf("q %v", list)
		}
		var sc map[string]any
		e.Must(200, "PATCH", "/api/organization-scopes/"+id, map[string]any{"name": "read:all", "description": nil}, &sc)
		if sc["name"] != "read:all" || sc["description"] != nil {
			t.Fatalf("patched %v", sc)
		}
		wantCode(t, "rename to taken", e.API("PATCH", "/api/organization-scopes/"+id, map[string]any{"name": "write:data"}), 422, "entity.unique_integrity_violation")
		e.Must(200, "GET", "/api/organization-scopes/"+id, nil, &sc)
		wantCode(t, "get unknown", e.API("GET", "/api/organization-scopes/nope", nil), 404, "entity.not_exists_with_id")
		e.Must(204, "DELETE", "/api/organization-scopes/"+id, nil, nil)
		wantCode(t, "delete again", e.API("DELETE", "/api/organization-scopes/"+id, nil), 404, "entity.not_found")
	})
}

func TestOrganizationRoleRoutes(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		res := postResource(t, e, "API", "https://api.example")
		rs1 := postScope(t, e, res.ID, "r1")
		rs2 := postScope(t, e, res.ID, "r2")
		var s1, s2 map[string]any
		e.Must(201, "POST", "/api/organization-scopes", map[string]any{"name": "s1"}, &s1)
		e.Must(201, "POST", "/api/organization-scopes", map[string]any{"name": "s2"}, &s2)

		var role map[string]any
		r := e.Must(201, "POST", "/api/organization-roles", map[string]any{"name": "admin", "description": "Admins",
			"organizationScopeIds": []any{s1["id"]}, "resourceScopeIds": []string{rs1.ID}}, &role)
		if got := jsonKeys(t, r); !reflect.DeepEqual(got, []string{"description", "id", "name", "tenantId", "type"}) || role["type"] != "User" {
			t.Fatalf("created %v %v", got, role)
		}
		id := role["id"].(string)
		wantCode(t, "taken", e.API("POST", "/api/organization-roles", map[string]any{"name": "admin"}), 422, "entity.unique_integrity_violation")
		wantCode(t, "bad type", e.API("POST", "/api/organization-roles", map[string]any{"name": "x", "type": "Robot"}), 400, "guard.invalid_input")
		// An unknown scope: 422, and nothing is created.
		wantCode(t, "unknown scope", e.API("POST", "/api/organization-roles", map[string]any{"name": "ghost", "organizationScopeIds": []string{"nope"}}), 422, "entity.relation_foreign_key_not_found")
		var list []map[string]any
		e.Must(200, "GET", "/api/organization-roles?q=ghost", nil, &list)
		if len(list) != 0 {
			t.Fatalf("ghost created: %v", list)
		}

		// List items carry their scopes.
		var m2m map[string]any
		e.Must(201, "POST", "/api/organization-roles", map[string]any{"name": "machine", "type": "MachineToMachine"}, &m2m)
		r = e.Must(200, "GET", "/api/organization-roles", nil, &list)
		if len(list) != 2 || list[0]["name"] != "admin" || r.Header.Get("Total-Number") != "2" {
			t.Fatalf("list %v", list)
		}
		sc := list[0]["scopes"].([]any)
		rsc := list[0]["resourceScopes"].([]any)
		if len(sc) != 1 || sc[0].(map[string]any)["name"] != "s1" || len(rsc) != 1 ||
			rsc[0].(map[string]any)["resource"].(map[string]any)["indicator"] != "https://api.example" {
			t.Fatalf("scopes %v %v", sc, rsc)
		}
		e.Must(200, "GET", "/api/organization-roles?q=mach", nil, &list)
		if len(list) != 1 || list[0]["type"] != "MachineToMachine" || len(list[0]["scopes"].([]any)) != 0 {
			t.Fatalf("q %v", list)
		}

		// Organization scopes sub-routes.
		base := "/api/organization-roles/" + id
		e.Must(201, "POST", base+"/scopes", map[string]any{"organizationScopeIds": []any{s2["id"], s1["id"]}}, nil)
		var scopes []map[string]any
		r = e.Must(200, "GET", base+"/scopes", nil, &scopes)
		if !reflect.DeepEqual(refIDs(scopes), []string{s1["id"].(string), s2["id"].(string)}) || r.Header.Get("Total-Number") != "2" {
			t.Fatalf("scopes %v", scopes)
		}
		wantCode(t, "scopes: unknown", e.API("POST", base+"/scopes", map[string]any{"organizationScopeIds": []string{"nope"}}), 422, "entity.relation_foreign_key_not_found")
		wantCode(t, "scopes: empty", e.API("POST", base+"/scopes", map[string]any{"organizationScopeIds": []string{}}), 400, "guard.invalid_input")
		wantCode(t, "scopes: unknown role", e.API("POST", "/api/organization-roles/nope/scopes", map[string]any{"organizationScopeIds": []any{s1["id"]}}), 422, "entity.relation_foreign_key_not_found")
		wantCode(t, "scopes: list unknown role", e.API("GET", "/api/organization-roles/nope/scopes", nil), 404, "entity.not_exists_with_id")
		e.Must(204, "PUT", base+"/scopes", map[string]any{"organizationScopeIds": []any{s2["id"]}}, nil)
		e.Must(200, "GET", base+"/scopes", nil, &scopes)
		if !reflect.DeepEqual(refIDs(scopes), []string{s2["id"].(string)}) {
			t.Fatalf("after PUT %v", scopes)
		}
		e.Must(204, "DELETE", base+"/scopes/"+s2["id"].(string), nil, nil)
		wantCode(t, "scopes: delete again", e.API("DELETE", base+"/scopes/"+s2["id"].(string), nil), 404, "entity.not_found")
		e.Must(204, "PUT", base+"/scopes", map[string]any{"organizationScopeIds": []string{}}, nil)

		// Resource scopes sub-routes.
		e.Must(201, "POST", base+"/resource-scopes", map[string]any{"scopeIds": []string{rs2.ID}}, nil)
		var rscopes []scopeBody
		e.Must(200, "GET", base+"/resource-scopes", nil, &rscopes)
		if len(rscopes) != 2 || rscopes[0].ID == rscopes[1].ID || rscopes[0].ID != rs1.ID && rscopes[0].ID != rs2.ID || rscopes[1].ResourceID != res.ID {
			t.Fatalf("resource scopes %+v", rscopes)
		}
		wantCode(t, "resource scopes: unknown", e.API("POST", base+"/resource-scopes", map[string]any{"scopeIds": []string{"nope"}}), 422, "entity.relation_foreign_key_not_found")
		e.Must(204, "PUT", base+"/resource-scopes", map[string]any{"scopeIds": []string{rs2.ID}}, nil)
		e.Must(204, "DELETE", base+"/resource-scopes/"+rs2.ID, nil, nil)
		wantCode(t, "resource scopes: delete again", e.API("DELETE", base+"/resource-scopes/"+rs2.ID, nil), 404, "entity.not_found")
		e.Must(200, "GET", base+"/resource-scopes", nil, &rscopes)
		if len(rscopes) != 0 {
			t.Fatalf("resource scopes left %+v", rscopes)
		}

		// Get, patch, delete.
		e.Must(200, "PATCH", base, map[string]any{"name": "owner", "description": nil, "type": "MachineToMachine"}, &role)
		if role["name"] != "owner" || role["description"] != nil || role["type"] != "MachineToMachine" {
			t.Fatalf("patched %v", role)
		}
		wantCode(t, "rename to taken", e.API("PATCH", base, map[string]any{"name": "machine"}), 422, "entity.unique_integrity_violation")
		e.Must(200, "GET", base, nil, &role)
		wantCode(t, "get unknown", e.API("GET", "/api/organization-roles/nope", nil), 404, "entity.not_exists_with_id")
		e.Must(204, "DELETE", base, nil, nil)
		wantCode(t, "delete again", e.API("DELETE", base, nil), 404, "entity.not_found")
	})
}

func TestOrganizationApplicationRoutes(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		a1, _ := newApp(t, e, "Billing worker")
		a2, _ := newApp(t, e, "Search indexer")
		storeApp(t, e, "webapp", rbac.AppTraditional, 1)
		var org, other orgBody
		e.Must(201, "POST", "/api/organizations", map[string]any{"name": "Acme"}, &org)
		e.Must(201, "POST", "/api/organizations", map[string]any{"name": "Other"}, &other)
		var m2m, user, m2m2 map[string]any
		e.Must(201, "POST", "/api/organization-roles", map[string]any{"name": "bot", "type": "MachineToMachine"}, &m2m)
		e.Must(201, "POST", "/api/organization-roles", map[string]any{"name": "auditor", "type": "MachineToMachine"}, &m2m2)
		e.Must(201, "POST", "/api/organization-roles", map[string]any{"name": "member"}, &user)
		base := "/api/organizations/" + org.ID + "/applications"

		// Membership.
		r := e.Must(201, "POST", base, map[string]any{"applicationIds": []string{a1.ID, a1.ID}}, nil)
		if string(r.Body) != "Created" {
			t.Fatalf("body %q", r.Body)
		}
		e.Must(201, "POST", base, map[string]any{"applicationIds": []string{a1.ID}}, nil) // already in: kept
		wantCode(t, "non-M2M app", e.API("POST", base, map[string]any{"applicationIds": []string{"webapp"}}), 422, "entity.db_constraint_violated")
		wantCode(t, "unknown app", e.API("POST", base, map[string]any{"applicationIds": []string{"nope"}}), 422, "entity.relation_foreign_key_not_found")
		wantCode(t, "unknown org", e.API("POST", "/api/organizations/nope/applications", map[string]any{"applicationIds": []string{a1.ID}}), 422, "entity.relation_foreign_key_not_found")
		wantCode(t, "empty", e.API("POST", base, map[string]any{"applicationIds": []string{}}), 400, "guard.invalid_input")

		// Roles of one member.
		rolesOf := base + "/" + a1.ID + "/roles"
		e.Must(201, "POST", rolesOf, map[string]any{"organizationRoleIds": []any{m2m["id"]}}, nil)
		wantCode(t, "User role", e.API("POST", rolesOf, map[string]any{"organizationRoleIds": []any{user["id"]}}), 422, "entity.db_constraint_violated")
		wantCode(t, "unknown role", e.API("POST", rolesOf, map[string]any{"organizationRoleIds": []string{"nope"}}), 422, "entity.relation_foreign_key_not_found")
		for _, m := range []string{"GET", "POST", "PUT"} {
			wantCode(t, m+" non-member", e.API(m, base+"/"+a2.ID+"/roles", map[string]any{"organizationRoleIds": []any{m2m["id"]}}), 422, "organization.require_membership")
		}
		wantCode(t, "DELETE non-member", e.API("DELETE", base+"/"+a2.ID+"/roles/"+m2m["id"].(string), nil), 422, "organization.require_membership")
		var roles []map[string]any
		r = e.Must(200, "GET", rolesOf, nil, &roles)
		if len(roles) != 1 || roles[0]["id"] != m2m["id"] || roles[0]["type"] != "MachineToMachine" || r.Header.Get("Total-Number") != "1" {
			t.Fatalf("roles %v", roles)
		}
		e.Must(204, "PUT", rolesOf, map[string]any{"organizationRoleIds": []any{m2m2["id"]}}, nil)
		e.Must(200, "GET", rolesOf, nil, &roles)
		if !reflect.DeepEqual(refIDs(roles), []string{m2m2["id"].(string)}) {
			t.Fatalf("after PUT %v", roles)
		}
		wantCode(t, "PUT empty", e.API("PUT", rolesOf, map[string]any{"organizationRoleIds": []string{}}), 400, "guard.invalid_input")

		// Bulk: every role to every app; a non-member is a foreign-key error.
		e.Must(201, "POST", base, map[string]any{"applicationIds": []string{a2.ID}}, nil)
		e.Must(201, "POST", base+"/roles", map[string]any{"applicationIds": []string{a1.ID, a2.ID}, "organizationRoleIds": []any{m2m["id"], m2m2["id"]}}, nil)
		wantCode(t, "bulk non-member", e.API("POST", "/api/organizations/"+other.ID+"/applications/roles",
			map[string]any{"applicationIds": []string{a1.ID}, "organizationRoleIds": []any{m2m["id"]}}), 422, "entity.relation_foreign_key_not_found")
		wantCode(t, "bulk User role", e.API("POST", base+"/roles",
			map[string]any{"applicationIds": []string{a1.ID}, "organizationRoleIds": []any{user["id"]}}), 422, "entity.db_constraint_violated")
		wantCode(t, "bulk no roles", e.API("POST", base+"/roles", map[string]any{"applicationIds": []string{a1.ID}}), 400, "guard.invalid_input")

		// List: always paginated, newest first, with organizationRoles; q.
		var apps []struct {
			appBody
			OrganizationRoles []map[string]any `json:"organizationRoles"`
		}
		r = e.Must(200, "GET", base, nil, &apps)
		if len(apps) != 2 || apps[0].CreatedAt < apps[1].CreatedAt || r.Header.Get("Total-Number") != "2" ||
			!reflect.DeepEqual(refIDs(apps[0].OrganizationRoles), []string{m2m2["id"].(string), m2m["id"].(string)}) {
			t.Fatalf("list %+v", apps)
		}
		e.Must(200, "GET", base+"?q=BILLING&page_size=1", nil, &apps)
		if len(apps) != 1 || apps[0].ID != a1.ID {
			t.Fatalf("q %+v", apps)
		}
		wantCode(t, "list unknown org", e.API("GET", "/api/organizations/nope/applications", nil), 404, "entity.not_exists_with_id")

		// An application's organizations: pagination optional.
		e.Must(201, "POST", "/api/organizations/"+other.ID+"/applications", map[string]any{"applicationIds": []string{a1.ID}}, nil)
		var orgs []orgBody
		r = e.Must(200, "GET", "/api/applications/"+a1.ID+"/organizations", nil, &orgs)
		// (Both were made in the same millisecond: their order is the ids'.)
		byID := map[string]orgBody{}
		for _, o := range orgs {
			byID[o.ID] = o
		}
		if len(orgs) != 2 || len(byID[other.ID].OrganizationRoles) != 0 || len(byID[org.ID].OrganizationRoles) != 2 || r.Header.Get("Total-Number") != "" {
			t.Fatalf("app organizations %+v %v", orgs, r.Header)
		}
		r = e.Must(200, "GET", "/api/applications/"+a1.ID+"/organizations?page=2&page_size=1", nil, &orgs)
		if _, ok := byID[orgs[0].ID]; len(orgs) != 1 || !ok || r.Header.Get("Total-Number") != "2" {
			t.Fatalf("page 2 %+v", orgs)
		}
		wantCode(t, "unknown app", e.API("GET", "/api/applications/nope/organizations", nil), 404, "entity.not_exists_with_id")

		// Remove a role, then replace the members: a2 leaves, a1 keeps its roles.
		e.Must(204, "DELETE", rolesOf+"/"+m2m["id"].(string), nil, nil)
		wantCode(t, "role not held", e.API("DELETE", rolesOf+"/"+m2m["id"].(string), nil), 404, "entity.not_found")
		e.Must(204, "PUT", base, map[string]any{"applicationIds": []string{a1.ID}}, nil)
		e.Must(200, "GET", base, nil, &apps)
		if len(apps) != 1 || apps[0].ID != a1.ID || len(apps[0].OrganizationRoles) != 1 {
			t.Fatalf("after PUT %+v", apps)
		}
		wantCode(t, "PUT non-M2M", e.API("PUT", base, map[string]any{"applicationIds": []string{"webapp"}}), 422, "entity.db_constraint_violated")
		wantCode(t, "PUT unknown org", e.API("PUT", "/api/organizations/nope/applications", map[string]any{"applicationIds": []string{}}), 422, "entity.relation_foreign_key_not_found")
		e.Must(204, "DELETE", base+"/"+a1.ID, nil, nil)
		wantCode(t, "not a member", e.API("DELETE", base+"/"+a1.ID, nil), 404, "entity.not_found")
		e.Must(204, "PUT", base, map[string]any{"applicationIds": []string{}}, nil)

		// Deleting an application drops its memberships.
		e.Must(204, "DELETE", "/api/applications/"+a1.ID, nil, nil)
		e.Must(200, "GET", "/api/organizations/"+other.ID+"/applications", nil, &apps)
		if len(apps) != 0 {
			t.Fatalf("deleted app still a member: %+v", apps)
		}
	})
}

// mergeMap returns a copy of m with k set to v.
func mergeMap(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{k: v}
	for mk, mv := range m {
		out[mk] = mv
	}
	return out
}

// TestOrganizationScopesPagination: as in Logto (isPaginationOptional),
// without page or page_size every organization scope comes back, with no
// paging headers; with either, the list is paginated (20 by default).
func TestOrganizationScopesPagination(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		const n = 23
		for i := range n {
			e.Must(201, "POST", "/api/organization-scopes", map[string]any{"name": fmt.Sprintf("scope:%02d", i)}, nil)
		}
		cases := []struct {
			query       string
			count       int
			first       string
			totalNumber string // "" for none
		}{
			{"", n, "scope:00", ""},
			{"?q=scope:1", 10, "scope:10", ""},
			{"?page=1", 20, "scope:00", "23"},
			{"?page=2", 3, "scope:20", "23"},
			{"?page_size=5", 5, "scope:00", "23"},
			{"?page=5&page_size=5", 3, "scope:20", "23"},
			{"?q=scope:1&page_size=4&page=3", 2, "scope:18", "10"},
		}
		for _, c := range cases {
			var list []map[string]any
			r := e.Must(200, "GET", "/api/organization-scopes"+c.query, nil, &list)
			if len(list) != c.count || list[0]["name"] != c.first || r.Header.Get("Total-Number") != c.totalNumber {
				t.Fatalf("%q: %d scopes from %v, Total-Number %q; want %d from %s, %q", c.query, len(list), list[0]["name"],
					r.Header.Get("Total-Number"), c.count, c.first, c.totalNumber)
			}
		}
		for _, q := range []string{"?page=0", "?page_size=0", "?page_size=101", "?page=x"} {
			wantCode(t, q, e.API("GET", "/api/organization-scopes"+q, nil), 400, "guard.invalid_pagination")
		}
	})
}
