package management_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/rbac"
)

func TestRoleScopeRoutes(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		shop := postResource(t, e, "Shop", "https://shopping.api")
		read := postScope(t, e, shop.ID, "read:products")
		write := postScope(t, e, shop.ID, "write:products")
		m2m := postRole(t, e, map[string]any{"name": "shop", "description": "d", "type": "MachineToMachine"})
		user := postRole(t, e, map[string]any{"name": "people", "description": "d"})
		base := "/api/roles/" + m2m.ID + "/scopes"

		// Add: 201 with every scope of the role.
		var scopes []scopeBody
		e.Must(201, "POST", base, map[string]any{"scopeIds": []string{read.ID}}, &scopes)
		if len(scopes) != 1 || scopes[0].ID != read.ID || scopes[0].Resource != nil {
			t.Fatalf("added %+v", scopes)
		}
		e.Must(201, "POST", base, map[string]any{"scopeIds": []string{write.ID, "management-api-all"}}, &scopes)
		if len(scopes) != 3 {
			t.Fatalf("all scopes %+v", scopes)
		}
		added := scopes
		wantErrorCode(t, "held", e.API("POST", base, map[string]any{"scopeIds": []string{"nope", read.ID}}),
			422, "role.scope_exists", "The scope id "+read.ID+" has already been added to this role")
		wantErrorCode(t, "unknown role", e.API("POST", "/api/roles/nope/scopes", map[string]any{"scopeIds": []string{read.ID}}), 404, "entity.not_exists_with_id", "")
		wantErrorCode(t, "unknown scope", e.API("POST", "/api/roles/"+user.ID+"/scopes", map[string]any{"scopeIds": []string{read.ID, "nope"}}),
			404, "entity.not_exists_with_id", "The scopes with ID `nope` does not exist.")
		wantErrorCode(t, "management scope on a user role", e.API("POST", "/api/roles/"+user.ID+"/scopes", map[string]any{"scopeIds": []string{"management-api-all"}}),
			400, "role.management_api_scopes_not_assignable_to_user_role", "")
		for name, body := range map[string]any{"empty": map[string]any{"scopeIds": []string{}}, "empty id": map[string]any{"scopeIds": []string{""}},
			"missing": map[string]any{}, "string": map[string]any{"scopeIds": "x"}} {
			wantErrorCode(t, name, e.API("POST", base, body), 400, "guard.invalid_input", "")
		}
		var none []scopeBody
		e.Must(200, "GET", "/api/roles/"+user.ID+"/scopes", nil, &none)
		if len(none) != 0 {
			t.Fatalf("failed adds left %+v", none)
		}

		// List: optional pagination, each scope with its resource.
		var list []scopeBody
		r := e.Must(200, "GET", base, nil, &list)
		if len(list) != 3 || r.Header.Get("Total-Number") != "" {
			t.Fatalf("list %v %s", r.Header, r.Body)
		}
		for i, sc := range list {
			if sc.ID != added[i].ID || sc.Name != added[i].Name {
				t.Fatalf("add answered %+v, list has %+v", added, list)
			}
			if sc.Resource == nil || sc.Resource.ID != sc.ResourceID || sc.Resource.Scopes != nil {
				t.Fatalf("embedded resource %+v", sc)
			}
		}
		r = e.Must(200, "GET", base+"?page_size=2", nil, &list)
		if len(list) != 2 || r.Header.Get("Total-Number") != "3" {
			t.Fatalf("page %v", r.Header)
		}
		e.Must(200, "GET", base+"?search=%25products", nil, &list)
		if len(list) != 2 {
			t.Fatalf("search %+v", list)
		}
		wantErrorCode(t, "list unknown role", e.API("GET", "/api/roles/nope/scopes", nil), 404, "entity.not_exists_with_id", "")
		wantErrorCode(t, "list bad search", e.API("GET", base+"?mode=nope&search=x", nil), 400, "request.invalid_input", "")

		// Remove.
		e.Must(204, "DELETE", base+"/"+read.ID, nil, nil)
		wantErrorCode(t, "remove again", e.API("DELETE", base+"/"+read.ID, nil), 404, "entity.not_found", "")
		wantErrorCode(t, "remove, unknown role", e.API("DELETE", "/api/roles/nope/scopes/"+write.ID, nil), 404, "entity.not_found", "")
	})
}

func TestRoleApplicationRoutes(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		m2m := postRole(t, e, map[string]any{"name": "shop", "description": "d", "type": "MachineToMachine"})
		user := postRole(t, e, map[string]any{"name": "people", "description": "d"})
		storeApp(t, e, "older", rbac.AppMachineToMachine, 1)
		storeApp(t, e, "newer", rbac.AppMachineToMachine, 2)
		storeApp(t, e, "web", rbac.AppTraditional, 3)
		base := "/api/roles/" + m2m.ID + "/applications"

		r := e.Must(201, "POST", base, map[string]any{"applicationIds": []string{"older", "web"}}, nil)
		if string(r.Body) != "Created" || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
			t.Fatalf("add: %q %v", r.Body, r.Header)
		}
		wantErrorCode(t, "held", e.API("POST", base, map[string]any{"applicationIds": []string{"newer", "older"}}),
			422, "role.application_exists", "The application id older is already been added to this role")
		wantErrorCode(t, "unknown role", e.API("POST", "/api/roles/nope/applications", map[string]any{"applicationIds": []string{"newer"}}), 404, "entity.not_exists_with_id", "")
		wantErrorCode(t, "unknown app", e.API("POST", base, map[string]any{"applicationIds": []string{"newer", "nope"}}),
			404, "entity.not_exists_with_id", "The applications with ID `nope` does not exist.")
		wantErrorCode(t, "user role", e.API("POST", "/api/roles/"+user.ID+"/applications", map[string]any{"applicationIds": []string{"newer"}}),
			422, "entity.db_constraint_violated", "")
		for name, body := range map[string]any{"empty": map[string]any{"applicationIds": []string{}}, "empty id": map[string]any{"applicationIds": []string{""}}, "missing": nil} {
			wantErrorCode(t, name, e.API("POST", base, body), 400, "guard.invalid_input", "")
		}
		e.Must(201, "POST", base, map[string]any{"applicationIds": []string{"newer", "newer"}}, nil)

		// List: always paginated, only machine-to-machine applications.
		var list []map[string]any
		r = e.Must(200, "GET", base, nil, &list)
		if r.Header.Get("Total-Number") != "2" || len(list) != 2 || list[0]["id"] != "newer" || list[1]["id"] != "older" {
			t.Fatalf("list %v %s", r.Header, r.Body)
		}
		var keys []string
		for k := range list[0] {
			keys = append(keys, k)
		}
		want := []string{"appLevelAccessControlEnabled", "createdAt", "customClientMetadata", "customData", "description", "id", "isThirdParty",
			"name", "oidcClientMetadata", "protectedAppMetadata", "tenantId", "type"}
		if slices.Sort(keys); !reflect.DeepEqual(keys, want) {
			t.Fatalf("application keys %v", keys)
		}
		e.Must(200, "GET", base+"?search.id=old%25", nil, &list)
		if len(list) != 1 || list[0]["id"] != "older" {
			t.Fatalf("search %v", list)
		}
		wantErrorCode(t, "list unknown role", e.API("GET", "/api/roles/nope/applications", nil), 404, "entity.not_exists_with_id", "")
		wantErrorCode(t, "list bad page", e.API("GET", base+"?page_size=0", nil), 400, "guard.invalid_pagination", "")

		// Remove.
		e.Must(204, "DELETE", base+"/older", nil, nil)
		for name, path := range map[string]string{"again": base + "/older", "unknown app": base + "/nope", "unknown role": "/api/roles/nope/applications/newer"} {
			wantErrorCode(t, "remove "+name, e.API("DELETE", path, nil), 404, "entity.not_found", "")
		}
	})
}

// TestRoleChangesReachTokens: a scope taken from a role, or a role taken
// from an application, stops being granted on the very next token request;
// giving them back grants them again at once.
func TestRoleChangesReachTokens(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		const appID, secret, indicator = "robot", "robot-secret", "https://shopping.api"
		// EnsureBootstrapApp is the Service's exported way to make an M2M
		// app with a known secret (it also gives it Management API access,
		// which does not matter here).
		if _, err := e.Server.Service().EnsureBootstrapApp(context.Background(), appID, secret); err != nil {
			t.Fatal(err)
		}
		shop := postResource(t, e, "Shop", indicator)
		read := postScope(t, e, shop.ID, "read:products")
		write := postScope(t, e, shop.ID, "write:products")
		role := postRole(t, e, map[string]any{"name": "shop", "description": "d", "type": "MachineToMachine", "scopeIds": []string{read.ID}})
		scopeOf := func() any {
			t.Helper()
			tok, status := e.TokenAs(appID, secret, indicator, "read:products write:products")
			if status != 200 {
				t.Fatalf("token: %d", status)
			}
			return decodeClaims(t, tok)["scope"]
		}
		if got := scopeOf(); got != nil {
			t.Fatalf("before the role: %v", got)
		}
		e.Must(201, "POST", "/api/roles/"+role.ID+"/applications", map[string]any{"applicationIds": []string{appID}}, nil)
		if got := scopeOf(); got != "read:products" {
			t.Fatalf("with the role: %v", got)
		}
		e.Must(201, "POST", "/api/roles/"+role.ID+"/scopes", map[string]any{"scopeIds": []string{write.ID}}, nil)
		if got := scopeOf(); got != "read:products write:products" {
			t.Fatalf("scope added: %v", got)
		}
		e.Must(204, "DELETE", "/api/roles/"+role.ID+"/scopes/"+read.ID, nil, nil)
		if got := scopeOf(); got != "write:products" {
			t.Fatalf("scope removed: %v", got)
		}
		e.Must(200, "PATCH", "/api/resources/"+shop.ID+"/scopes/"+write.ID, map[string]any{"name": "write:catalog"}, nil)
		if got := scopeOf(); got != nil {
			t.Fatalf("scope renamed: %v", got)
		}
		e.Must(200, "PATCH", "/api/resources/"+shop.ID+"/scopes/"+write.ID, map[string]any{"name": "write:products"}, nil)
		e.Must(204, "DELETE", "/api/roles/"+role.ID+"/applications/"+appID, nil, nil)
		if got := scopeOf(); got != nil {
			t.Fatalf("role removed from the app: %v", got)
		}
		e.Must(201, "POST", "/api/roles/"+role.ID+"/applications", map[string]any{"applicationIds": []string{appID}}, nil)
		e.Must(204, "DELETE", "/api/resources/"+shop.ID+"/scopes/"+write.ID, nil, nil)
		if got := scopeOf(); got != nil {
			t.Fatalf("scope deleted: %v", got)
		}
		e.Must(201, "POST", "/api/roles/"+role.ID+"/scopes", map[string]any{"scopeIds": []string{read.ID}}, nil)
		e.Must(204, "DELETE", "/api/roles/"+role.ID, nil, nil)
		if got := scopeOf(); got != nil {
			t.Fatalf("role deleted: %v", got)
		}
	})
}
