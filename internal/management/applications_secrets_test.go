package management_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/rbac"
)

func TestApplicationSecrets(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		app, def := newApp(t, e, "secrets")
		base := "/api/applications/" + app.ID
		future := time.Now().Add(time.Hour).UnixMilli()

		var sec secretBody
		e.Must(201, "POST", base+"/secrets", map[string]any{"name": "rotation", "expiresAt": future}, &sec)
		if sec.Name != "rotation" || !secretValue.MatchString(sec.Value) || sec.Value == def || sec.ExpiresAt == nil ||
			*sec.ExpiresAt != future || sec.ApplicationID != app.ID || sec.TenantID != "default" || sec.CreatedAt == 0 {
			t.Fatalf("created: %+v", sec)
		}
		if _, status := e.TokenAs(app.ID, sec.Value, apptest.Indicator, ""); status != 200 {
			t.Fatalf("token with the new secret: %d", status)
		}
		var never secretBody
		e.Must(201, "POST", base+"/secrets", map[string]any{"name": "never", "expiresAt": nil}, &never)
		if never.ExpiresAt != nil {
			t.Fatalf("expiresAt null: %+v", never)
		}
		var list []secretBody
		e.Must(200, "GET", base+"/secrets", nil, &list)
		if len(list) != 3 || list[0].Value != def || list[1].Value != sec.Value || list[2].Value != never.Value {
			t.Fatalf("list: %+v", list)
		}

		wantCode(t, "duplicate", e.API("POST", base+"/secrets", map[string]any{"name": "rotation"}), 422, "application.secret_name_exists")
		wantCode(t, "past expiry", e.API("POST", base+"/secrets", map[string]any{"name": "old", "expiresAt": 1000}), 400, "request.invalid_input")
		if r := e.API("POST", base+"/secrets", map[string]any{"name": "old", "expiresAt": 1000}); !strings.Contains(string(r.Body), "The value of `expiresAt` must be in the future.") {
			t.Errorf("past expiry body: %s", r.Body)
		}
		wantCode(t, "empty name", e.API("POST", base+"/secrets", map[string]any{"name": ""}), 400, "guard.invalid_input")
		wantCode(t, "long name", e.API("POST", base+"/secrets", map[string]any{"name": strings.Repeat("x", 257)}), 400, "guard.invalid_input")
		wantCode(t, "expiry not a number", e.API("POST", base+"/secrets", map[string]any{"name": "x", "expiresAt": "soon"}), 400, "guard.invalid_input")
		wantCode(t, "expiry too big", e.API("POST", base+"/secrets", `{"name":"x","expiresAt":1e300}`), 400, "guard.invalid_input")
		wantCode(t, "unknown app", e.API("POST", "/api/applications/nope/secrets", map[string]any{"name": "x"}), 404, "entity.relation_foreign_key_not_found")
		wantCode(t, "list unknown app", e.API("GET", "/api/applications/nope/secrets", nil), 404, "entity.not_exists_with_id")

		// A renamed secret keeps its value and keeps working.
		var renamed secretBody
		e.Must(200, "PATCH", base+"/secrets/rotation", map[string]any{"name": "rotation 2", "expiresAt": 5}, &renamed)
		if renamed.Name != "rotation 2" || renamed.Value != sec.Value || *renamed.ExpiresAt != future {
			t.Fatalf("renamed: %+v", renamed)
		}
		if _, status := e.TokenAs(app.ID, sec.Value, apptest.Indicator, ""); status != 200 {
			t.Fatalf("token with the renamed secret: %d", status)
		}
		wantCode(t, "rename unknown", e.API("PATCH", base+"/secrets/rotation", map[string]any{"name": "z"}), 404, "entity.not_exists")
		wantCode(t, "rename onto existing", e.API("PATCH", base+"/secrets/rotation%202", map[string]any{"name": "never"}), 422, "application.secret_name_exists")
		wantCode(t, "rename without name", e.API("PATCH", base+"/secrets/never", map[string]any{}), 400, "guard.invalid_input")

		// A deleted secret stops working at once; the others do not.
		e.Must(204, "DELETE", base+"/secrets/rotation%202", nil, nil)
		if _, status := e.TokenAs(app.ID, sec.Value, apptest.Indicator, ""); status != 401 {
			t.Fatalf("token with a deleted secret: %d", status)
		}
		if _, status := e.TokenAs(app.ID, def, apptest.Indicator, ""); status != 200 {
			t.Fatalf("token with the default secret: %d", status)
		}
		wantCode(t, "delete unknown", e.API("DELETE", base+"/secrets/rotation%202", nil), 404, "entity.not_found")
		e.Must(204, "DELETE", base+"/secrets/Default%20secret", nil, nil)
		e.Must(204, "DELETE", base+"/secrets/never", nil, nil)
		e.Must(200, "GET", base+"/secrets", nil, &list)
		if len(list) != 0 {
			t.Fatalf("after deleting all: %+v", list)
		}

		wantCode(t, "legacy", e.API("DELETE", base+"/legacy-secret", nil), 400, "application.no_legacy_secret_found")
		wantCode(t, "legacy unknown", e.API("DELETE", "/api/applications/nope/legacy-secret", nil), 404, "entity.not_exists_with_id")
	})
}

func TestApplicationRoles(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		app, plain := newApp(t, e, "roles")
		base := "/api/applications/" + app.ID + "/roles"
		ra := mkRole(t, e, "ra", rbac.RoleMachineToMachine)
		rb := mkRole(t, e, "rb", rbac.RoleMachineToMachine)
		user := mkRole(t, e, "ru", rbac.RoleUser)

		type addBody struct {
			RoleIDs      []string `json:"roleIds"`
			AddedRoleIDs []string `json:"addedRoleIds"`
		}
		var added addBody
		e.Must(201, "POST", base, map[string]any{"roleIds": []string{ra, ra}}, &added)
		if strings.Join(added.RoleIDs, ",") != "ra,ra" || strings.Join(added.AddedRoleIDs, ",") != "ra" {
			t.Fatalf("added: %+v", added)
		}
		e.Must(201, "POST", base, map[string]any{"roleIds": []string{ra}}, &added)
		if added.AddedRoleIDs == nil || len(added.AddedRoleIDs) != 0 {
			t.Fatalf("added again: %+v", added)
		}
		e.Must(201, "POST", base, map[string]any{"roleIds": []string{}}, nil)
		wantCode(t, "user role", e.API("POST", base, map[string]any{"roleIds": []string{rb, user}}), 422, "application.invalid_role_type")
		wantCode(t, "unknown role", e.API("POST", base, map[string]any{"roleIds": []string{rb, "nope"}}), 404, "entity.not_exists_with_id")
		wantCode(t, "empty id", e.API("POST", base, map[string]any{"roleIds": []string{""}}), 400, "guard.invalid_input")
		wantCode(t, "no roleIds", e.API("POST", base, map[string]any{}), 400, "guard.invalid_input")
		wantCode(t, "unknown app", e.API("POST", "/api/applications/nope/roles", map[string]any{"roleIds": []string{ra}}), 404, "entity.not_exists_with_id")

		// rb was not added by the failed requests (one transaction each).
		r := e.Must(200, "GET", base, nil, nil)
		var roles []rbac.Role
		r.JSON(t, &roles)
		if r.Header.Get("Total-Number") != "1" || len(roles) != 1 || roles[0].ID != ra || roles[0].Name != "role ra" ||
			roles[0].Description != "about ra" || roles[0].Type != rbac.RoleMachineToMachine || roles[0].TenantID != "default" {
			t.Fatalf("list: %v %s", r.Header, r.Body)
		}

		// PUT replaces the set; it answers the text "OK".
		r = e.Must(200, "PUT", base, map[string]any{"roleIds": []string{rb, rb}}, nil)
		if string(r.Body) != "OK" || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
			t.Fatalf("PUT body %q %q", r.Body, r.Header.Get("Content-Type"))
		}
		r = e.Must(200, "GET", base+"?page=1&page_size=10&search=%25RB%25", nil, nil)
		r.JSON(t, &roles)
		if len(roles) != 1 || roles[0].ID != rb || r.Header.Get("Total-Number") != "1" {
			t.Fatalf("after PUT: %s", r.Body)
		}
		e.Must(200, "GET", base+"?search=%25ra%25", nil, &roles)
		if len(roles) != 0 {
			t.Fatalf("search ra after PUT: %+v", roles)
		}
		wantCode(t, "PUT unknown role", e.API("PUT", base, map[string]any{"roleIds": []string{"nope"}}), 404, "entity.not_exists_with_id")
		wantCode(t, "PUT user role", e.API("PUT", base, map[string]any{"roleIds": []string{user}}), 422, "entity.db_constraint_violated")
		wantCode(t, "PUT bad body", e.API("PUT", base, map[string]any{"roleIds": "ra"}), 400, "guard.invalid_input")
		wantCode(t, "PUT unknown app", e.API("PUT", "/api/applications/nope/roles", map[string]any{"roleIds": []string{}}), 404, "entity.not_exists_with_id")
		wantCode(t, "list unknown app", e.API("GET", "/api/applications/nope/roles", nil), 404, "entity.not_exists_with_id")
		wantCode(t, "list bad paging", e.API("GET", base+"?page_size=0", nil), 400, "guard.invalid_pagination")
		wantCode(t, "list bad search", e.API("GET", base+"?search.secret=x", nil), 400, "request.invalid_input")

		// Roles change what the token grants at once: give rb the
		// Management API scope and the app gets a working admin token.
		if err := e.Server.Store().InsertRoleScope(t.Context(), rbac.DefaultTenant, "rs1", rb, "management-api-all"); err != nil {
			t.Fatal(err)
		}
		e.Must(200, "PUT", base, map[string]any{"roleIds": []string{ra}}, nil)
		e.Must(200, "PUT", base, map[string]any{"roleIds": []string{ra, rb}}, nil)
		tok, _ := e.TokenAs(app.ID, plain, apptest.Indicator, "all")
		if r := e.Do("GET", "/api/applications", nil, tok); r.Status != 200 {
			t.Fatalf("token via rb: %d", r.Status)
		}
		e.Must(204, "DELETE", base+"/"+rb, nil, nil)
		tok, _ = e.TokenAs(app.ID, plain, apptest.Indicator, "all")
		if r := e.Do("GET", "/api/applications", nil, tok); r.Status != 403 {
			t.Fatalf("token after removing rb: %d", r.Status)
		}
		wantCode(t, "delete unheld", e.API("DELETE", base+"/"+rb, nil), 404, "entity.not_found")
		wantCode(t, "delete unknown app", e.API("DELETE", "/api/applications/nope/roles/"+ra, nil), 404, "entity.not_exists_with_id")
	})
}

// TestApplicationRolesNonM2M: role routes refuse other application types
// (none can be made through the API; one is written to the store).
func TestApplicationRolesNonM2M(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		spa := &rbac.Application{TenantID: rbac.DefaultTenant, ID: "spa1", Name: "spa", Type: rbac.AppSPA, CreatedAt: 1}
		if err := e.Server.Store().InsertApplication(t.Context(), spa); err != nil {
			t.Fatal(err)
		}
		ra := mkRole(t, e, "ra", rbac.RoleMachineToMachine)
		for _, c := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/api/applications/spa1/roles", nil},
			{"POST", "/api/applications/spa1/roles", map[string]any{"roleIds": []string{ra}}},
			{"PUT", "/api/applications/spa1/roles", map[string]any{"roleIds": []string{ra}}},
			{"DELETE", "/api/applications/spa1/roles/" + ra, nil},
		} {
			wantCode(t, c.method, e.API(c.method, c.path, c.body), 422, "application.invalid_type")
		}
		wantCode(t, "SPA secret", e.API("POST", "/api/applications/spa1/secrets", map[string]any{"name": "x"}), 422, "entity.db_constraint_violated")
		var list []appBody
		e.Must(200, "GET", "/api/applications?types=SPA", nil, &list)
		if len(list) != 0 {
			t.Fatalf("a filter on SPA lists %d apps, want none", len(list))
		}
	})
}
