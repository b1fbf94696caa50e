package management_test

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// roleBody is a role as the API returns it (list items add the usage).
type roleBody struct {
	TenantID             string           `json:"tenantId"`
	ID                   string           `json:"id"`
	Name                 string           `json:"name"`
	Description          string           `json:"description"`
	Type                 string           `json:"type"`
	IsDefault            bool             `json:"isDefault"`
	UsersCount           *int             `json:"usersCount"`
	FeaturedUsers        []map[string]any `json:"featuredUsers"`
	ApplicationsCount    *int             `json:"applicationsCount"`
	FeaturedApplications []map[string]any `json:"featuredApplications"`
}

// postRole creates a role through the API.
func postRole(t *testing.T, e *apptest.Env, body map[string]any) roleBody {
	t.Helper()
	var role roleBody
	e.Must(http.StatusOK, "POST", "/api/roles", body, &role)
	return role
}

// storeApp inserts an application straight into the store (the
// application routes are another family's).
func storeApp(t *testing.T, e *apptest.Env, id string, typ rbac.AppType, createdAt int64) {
	t.Helper()
	err := e.Server.Store().InsertApplication(context.Background(), &rbac.Application{TenantID: rbac.DefaultTenant, ID: id,
		Name: "App " + id, Type: typ, CreatedAt: createdAt})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRoleRoutes(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		shop := postResource(t, e, "Shop", "https://shopping.api")
		read := postScope(t, e, shop.ID, "read:products")

		// Create: 200 with the role, scopes given in the same transaction.
		r := e.Must(200, "POST", "/api/roles", map[string]any{"name": "shop-reader", "description": "Reads products",
			"type": "MachineToMachine", "scopeIds": []string{read.ID, read.ID}}, nil)
		if got := jsonKeys(t, r); !reflect.DeepEqual(got, []string{"description", "id", "isDefault", "name", "tenantId", "type"}) {
			t.Fatalf("keys %v", got)
		}
		var reader roleBody
		r.JSON(t, &reader)
		if reader.Type != "MachineToMachine" || reader.IsDefault || len(reader.ID) != 21 {
			t.Fatalf("created %+v", reader)
		}
		user := postRole(t, e, map[string]any{"name": "people", "description": "for users", "isDefault": true})
		if user.Type != "User" || !user.IsDefault {
			t.Fatalf("user role %+v", user)
		}
		r = e.API("POST", "/api/roles", map[string]any{"name": "x-rec1"})
		wantErrorCode(t, "no description", r, 400, "guard.invalid_input", "The request body is invalid.")
		if !strings.Contains(string(r.Body), `"details":"Error in key path \"description\": (invalid_type) Expected string but received undefined."`) {
			t.Fatalf("details %s", r.Body)
		}
		for name, body := range map[string]any{
			"bad type":        map[string]any{"name": "x", "description": "d", "type": "Robot"},
			"long name":       map[string]any{"name": strings.Repeat("n", 129), "description": "d"},
			"long desc":       map[string]any{"name": "x", "description": strings.Repeat("d", 129)},
			"scopeIds string": map[string]any{"name": "x", "description": "d", "scopeIds": "abc"},
			"empty scope id":  map[string]any{"name": "x", "description": "d", "scopeIds": []string{""}},
		} {
			wantErrorCode(t, name, e.API("POST", "/api/roles", body), 400, "guard.invalid_input", "")
		}
		wantErrorCode(t, "duplicate", e.API("POST", "/api/roles", map[string]any{"name": "shop-reader", "description": "d"}),
			422, "role.name_in_use", "This role name shop-reader is already in use")
		wantErrorCode(t, "internal name", e.API("POST", "/api/roles", map[string]any{"name": "#internal:x", "description": "d"}),
			403, "role.internal_role_violation", "")
		// A bad scope id creates nothing (Gatehouse's decision: one transaction).
		wantErrorCode(t, "unknown scope", e.API("POST", "/api/roles", map[string]any{"name": "half", "description": "d", "scopeIds": []string{read.ID, "nope"}}),
			404, "entity.not_exists_with_id", "The scopes with ID `nope` does not exist.")
		wantErrorCode(t, "management scope on a user role", e.API("POST", "/api/roles",
			map[string]any{"name": "half", "description": "d", "scopeIds": []string{"management-api-all"}}),
			400, "role.management_api_scopes_not_assignable_to_user_role", "Cannot assign management API scopes to a user role.")
		var list []roleBody
		e.Must(200, "GET", "/api/roles?search.name=half&mode.name=exact", nil, &list)
		if len(list) != 0 {
			t.Fatalf("a failed create left %+v", list)
		}
		admin := postRole(t, e, map[string]any{"name": "half", "description": "d", "type": "MachineToMachine", "scopeIds": []string{"management-api-all"}})

		// Get, patch, delete.
		var got roleBody
		e.Must(200, "GET", "/api/roles/"+reader.ID, nil, &got)
		if got.Name != "shop-reader" || got.UsersCount != nil {
			t.Fatalf("get %+v", got)
		}
		wantErrorCode(t, "get unknown", e.API("GET", "/api/roles/nope", nil), 404, "entity.not_exists_with_id", "The roles with ID `nope` does not exist.")
		e.Must(200, "PATCH", "/api/roles/"+reader.ID, map[string]any{"name": "catalog-reader", "description": "Reads the catalog",
			"isDefault": true, "type": "User"}, &got)
		if got.Name != "catalog-reader" || got.Description != "Reads the catalog" || !got.IsDefault || got.Type != "MachineToMachine" {
			t.Fatalf("patched %+v", got)
		}
		e.Must(200, "PATCH", "/api/roles/"+reader.ID, map[string]any{"name": "catalog-reader"}, &got)
		wantErrorCode(t, "patch taken", e.API("PATCH", "/api/roles/"+reader.ID, map[string]any{"name": "people"}), 422, "role.name_in_use", "")
		wantErrorCode(t, "patch unknown", e.API("PATCH", "/api/roles/nope", map[string]any{"name": "x"}), 404, "entity.not_exists_with_id", "")
		wantErrorCode(t, "patch empty", e.API("PATCH", "/api/roles/"+reader.ID, map[string]any{"description": ""}), 400, "guard.invalid_input", "")
		wantErrorCode(t, "patch default", e.API("PATCH", "/api/roles/"+reader.ID, map[string]any{"isDefault": "yes"}), 400, "guard.invalid_input", "")
		e.Must(204, "DELETE", "/api/roles/"+admin.ID, nil, nil)
		wantErrorCode(t, "delete again", e.API("DELETE", "/api/roles/"+admin.ID, nil), 404, "entity.not_exists_with_id", "")
	})
}

func TestListRoles(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		ctx := context.Background()
		m2m := postRole(t, e, map[string]any{"name": "b-m2m", "description": "machines", "type": "MachineToMachine"})
		people := postRole(t, e, map[string]any{"name": "c-people", "description": "humans"})
		if err := e.Server.Store().InsertRole(ctx, &rbac.Role{TenantID: rbac.DefaultTenant, ID: "internal-test", Name: "#internal:test",
			Description: "hidden", Type: rbac.RoleMachineToMachine}); err != nil {
			t.Fatal(err)
		}
		for i, id := range []string{"app1", "app2", "app3", "app4"} {
			storeApp(t, e, id, rbac.AppMachineToMachine, int64(i+1))
		}
		e.Must(201, "POST", "/api/roles/"+m2m.ID+"/applications", map[string]any{"applicationIds": []string{"app4", "app3", "app2", "app1"}}, nil)
		name := "Ada"
		st := e.Server.Store()
		if err := st.InsertUser(ctx, &store.User{TenantID: rbac.DefaultTenant, ID: "ada", Name: &name, CreatedAt: 1, UpdatedAt: 1}); err != nil {
			t.Fatal(err)
		}
		if err := st.InsertUserRole(ctx, rbac.DefaultTenant, "ul1", "ada", people.ID); err != nil {
			t.Fatal(err)
		}

		// Always paginated; internal roles hidden; usage attached.
		var list []roleBody
		r := e.Must(200, "GET", "/api/roles", nil, &list)
		if r.Header.Get("Total-Number") != "3" || len(list) != 3 { // with "Logto Management API access"
			t.Fatalf("list %v %s", r.Header, r.Body)
		}
		byName := map[string]roleBody{}
		for _, role := range list {
			byName[role.Name] = role
		}
		got := byName["b-m2m"]
		if *got.ApplicationsCount != 4 || len(got.FeaturedApplications) != 3 || *got.UsersCount != 0 || got.FeaturedUsers == nil {
			t.Fatalf("usage %+v", got)
		}
		if f := got.FeaturedApplications[0]; !reflect.DeepEqual(f, map[string]any{"id": "app1", "name": "App app1", "type": "MachineToMachine"}) {
			t.Fatalf("featured %v", f)
		}
		if u := byName["c-people"]; *u.UsersCount != 1 || !reflect.DeepEqual(u.FeaturedUsers, []map[string]any{{"id": "ada", "name": "Ada", "avatar": nil}}) ||
			*u.ApplicationsCount != 0 || u.FeaturedApplications == nil {
			t.Fatalf("user role usage %+v", u)
		}
		if mgmt := byName["Logto Management API access"]; *mgmt.ApplicationsCount != 1 || mgmt.FeaturedApplications[0]["id"] != apptest.BootstrapID {
			t.Fatalf("management role %+v", mgmt)
		}
		r = e.Must(200, "GET", "/api/roles?page=1&page_size=1", nil, &list)
		if len(list) != 1 || r.Header.Get("Total-Number") != "3" || len(r.Header.Values("Link")) != 3 {
			t.Fatalf("page %v", r.Header)
		}

		// Filters.
		names := func(query string) []string {
			t.Helper()
			var l []roleBody
			e.Must(200, "GET", "/api/roles"+query, nil, &l)
			var out []string
			for _, role := range l {
				out = append(out, role.Name)
			}
			return out
		}
		if got := names("?type=User"); !reflect.DeepEqual(got, []string{"c-people"}) {
			t.Fatalf("type User: %v", got)
		}
		if got := names("?type=MachineToMachine&excludeApplicationId=app1"); !reflect.DeepEqual(got, []string{"Logto Management API access"}) {
			t.Fatalf("exclude app: %v", got)
		}
		if got := names("?excludeApplicationId=" + apptest.BootstrapID + "&search.name=%25m2m%25"); !reflect.DeepEqual(got, []string{"b-m2m"}) {
			t.Fatalf("exclude + search: %v", got)
		}
		if got := names("?type=User&excludeUserId=ada"); len(got) != 0 {
			t.Fatalf("exclude user: %v", got)
		}
		if got := names("?excludeUserId=nobody&search.description=humans&mode.description=exact"); !reflect.DeepEqual(got, []string{people.Name}) {
			t.Fatalf("search description: %v", got)
		}
		wantErrorCode(t, "bad type", e.API("GET", "/api/roles?type=Robot", nil), 400, "guard.invalid_input", "The request query is invalid.")
		wantErrorCode(t, "bad search", e.API("GET", "/api/roles?search.type=x", nil), 400, "request.invalid_input", "")
		wantErrorCode(t, "bad page", e.API("GET", "/api/roles?page=x", nil), 400, "guard.invalid_pagination", "")
	})
}
