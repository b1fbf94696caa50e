package store

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

func TestOrganizationGrants(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		must := func(what string, err error) {
			t.Helper()
			wantErr(t, what, err, nil)
		}
		must("app", s.InsertApplication(ctx, m2mApp("app")))
		web := m2mApp("web")
		web.Type = rbac.AppTraditional
		must("web app", s.InsertApplication(ctx, web))
		must("res", s.InsertResource(ctx, resource("ra", "https://a.example")))
		must("scope read", s.InsertScope(ctx, &rbac.Scope{TenantID: tenant, ID: "read", ResourceID: "ra", Name: "read"}))
		must("scope write", s.InsertScope(ctx, &rbac.Scope{TenantID: tenant, ID: "write", ResourceID: "ra", Name: "write"}))
		for _, id := range []string{"o1", "o2", "o3"} {
			must("org "+id, s.InsertOrganization(ctx, &Organization{TenantID: tenant, ID: id, Name: "Org " + id, CreatedAt: 1}))
		}
		for _, n := range []string{"z", "a", "m"} {
			must("org scope "+n, s.InsertOrganizationScope(ctx, &OrganizationScope{TenantID: tenant, ID: "s" + n, Name: n}))
		}
		must("m1", s.InsertOrganizationRole(ctx, &OrganizationRole{TenantID: tenant, ID: "m1", Name: "m1", Type: rbac.RoleMachineToMachine}))
		must("m2", s.InsertOrganizationRole(ctx, &OrganizationRole{TenantID: tenant, ID: "m2", Name: "m2", Type: rbac.RoleMachineToMachine}))
		must("u1", s.InsertOrganizationRole(ctx, &OrganizationRole{TenantID: tenant, ID: "u1", Name: "u1", Type: rbac.RoleUser}))
		for _, l := range [][2]string{{"m1", "sz"}, {"m1", "sa"}, {"m2", "sa"}, {"u1", "sm"}} {
			must("role scope", s.InsertOrganizationRoleScope(ctx, tenant, l[0], l[1]))
		}
		must("role scope again", s.InsertOrganizationRoleScope(ctx, tenant, "m1", "sz"))
		wantErr(t, "role scope unknown", s.InsertOrganizationRoleScope(ctx, tenant, "m1", "nope"), ErrForeignKey)
		must("resource scope", s.InsertOrganizationRoleResourceScope(ctx, tenant, "m2", "read"))
		must("resource scope u1", s.InsertOrganizationRoleResourceScope(ctx, tenant, "u1", "write"))

		// Membership: M2M apps only.
		must("member o1", s.InsertOrganizationApplication(ctx, tenant, "o1", "app"))
		must("member o1 again", s.InsertOrganizationApplication(ctx, tenant, "o1", "app"))
		must("member o2", s.InsertOrganizationApplication(ctx, tenant, "o2", "app"))
		wantErr(t, "web app", s.InsertOrganizationApplication(ctx, tenant, "o1", "web"), ErrCheck)
		wantErr(t, "unknown app", s.InsertOrganizationApplication(ctx, tenant, "o1", "nope"), ErrForeignKey)
		wantErr(t, "unknown org", s.InsertOrganizationApplication(ctx, tenant, "nope", "app"), ErrForeignKey)

		// Roles: M2M roles, members only.
		must("o1 m1", s.InsertOrganizationApplicationRole(ctx, tenant, "o1", "app", "m1"))
		must("o1 m2", s.InsertOrganizationApplicationRole(ctx, tenant, "o1", "app", "m2"))
		must("o1 m2 again", s.InsertOrganizationApplicationRole(ctx, tenant, "o1", "app", "m2"))
		wantErr(t, "User role", s.InsertOrganizationApplicationRole(ctx, tenant, "o1", "app", "u1"), ErrCheck)
		wantErr(t, "unknown role", s.InsertOrganizationApplicationRole(ctx, tenant, "o1", "app", "nope"), ErrForeignKey)
		wantErr(t, "not a member", s.InsertOrganizationApplicationRole(ctx, tenant, "o3", "app", "m1"), ErrForeignKey)
		// Slip a User role past the rule: the grants must still ignore it.
		if _, err := s.db.ExecContext(ctx, `INSERT INTO organization_role_application_relations
  (tenant_id, organization_id, organization_role_id, application_id) VALUES ($1, 'o1', 'u1', 'app')`, tenant); err != nil {
			t.Fatal(err)
		}

		_, got := loadedGrants(t, s, tenant, "app")
		want := map[string]*orgGrant{
			"o1": {Scopes: []string{"a", "z"}, Resources: map[string][]string{"https://a.example": {"read"}}},
			"o2": {Scopes: []string{}, Resources: map[string][]string{}},
		}
		if !reflect.DeepEqual(got, want) {
			b1, _ := json.Marshal(got)
			b2, _ := json.Marshal(want)
			t.Fatalf("grants %s, want %s", b1, b2)
		}
		if _, got := loadedGrants(t, s, tenant, "web"); len(got) != 0 {
			t.Fatalf("web grants %v", got)
		}

		// Leaving the organization drops the roles held there.
		must("leave o1", s.DeleteOrganizationApplication(ctx, tenant, "o1", "app"))
		wantErr(t, "leave again", s.DeleteOrganizationApplication(ctx, tenant, "o1", "app"), ErrNotFound)
		must("rejoin o1", s.InsertOrganizationApplication(ctx, tenant, "o1", "app"))
		if roles, _ := s.ListOrganizationApplicationRoles(ctx, tenant, "o1", "app"); len(roles) != 0 {
			t.Fatalf("roles survived leaving: %v", roles)
		}
		// Deleting the organization drops the membership.
		must("delete o2", s.DeleteOrganization(ctx, tenant, "o2"))
		_, got = loadedGrants(t, s, tenant, "app")
		if _, ok := got["o2"]; ok || got["o1"] == nil {
			t.Fatalf("after deleting o2: %v", got)
		}
	})
}
