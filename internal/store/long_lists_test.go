package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// TestLongLists holds the queries that take a list a request names to any
// length: 70,000 values, more than either engine takes as placeholders of
// one statement (SQLite 32,766, PostgreSQL 65,535), go as one parameter.
func TestLongLists(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		ids := make([]string, 70000)
		for i := range ids {
			ids[i] = fmt.Sprintf("x%d", i)
		}
		ids[len(ids)-1] = "r" // the one that exists, last
		wantErr(t, "role", s.InsertRole(ctx, m2mRole("r")), nil)
		types, err := s.RoleTypes(ctx, tenant, ids)
		wantErr(t, "role types", err, nil)
		if len(types) != 1 || types["r"] != rbac.RoleMachineToMachine {
			t.Fatalf("role types = %v, want only r", types)
		}
		if types, err := s.RoleTypes(ctx, tenant, nil); err != nil || len(types) != 0 {
			t.Fatalf("no ids: %v, %v", types, err)
		}

		wantErr(t, "org role", s.InsertOrganizationRole(ctx, &OrganizationRole{TenantID: tenant, ID: "or", Name: "x9", Type: rbac.RoleUser}), nil)
		roles, err := s.OrganizationRolesByName(ctx, tenant, ids)
		wantErr(t, "roles by name", err, nil)
		if len(roles) != 1 || roles[0].ID != "or" {
			t.Fatalf("roles by name = %+v, want or", roles)
		}

		with, err := s.ListRoleScopesWith(ctx, tenant, "r", ids)
		wantErr(t, "role scopes with", err, nil)
		if len(with) != 0 {
			t.Fatalf("role scopes with = %+v, want none", with)
		}
		wantErr(t, "org", s.InsertOrganization(ctx, &Organization{TenantID: tenant, ID: "o", Name: "o", CustomData: []byte(`{}`)}), nil)
		// Members kept when named in the list (x5), dropped when not (gone).
		for _, id := range []string{"x5", "gone"} {
			wantErr(t, "app "+id, s.InsertApplication(ctx, m2mApp(id)), nil)
			wantErr(t, "member app "+id, s.InsertOrganizationApplication(ctx, tenant, "o", id), nil)
			insertUserRow(t, s, id, nil, 1)
			wantErr(t, "member user "+id, s.InsertOrganizationUser(ctx, tenant, "o", id), nil)
		}
		wantErr(t, "apps except", s.DeleteOrganizationApplicationsExcept(ctx, tenant, "o", ids), nil)
		wantErr(t, "users except", s.DeleteOrganizationUsersExcept(ctx, tenant, "o", ids), nil)
		for id, want := range map[string]bool{"x5": true, "gone": false} {
			app, err := s.IsOrganizationMember(ctx, tenant, "o", id)
			wantErr(t, "member app", err, nil)
			user, err := s.IsOrganizationUser(ctx, tenant, "o", id)
			wantErr(t, "member user", err, nil)
			if app != want || user != want {
				t.Fatalf("%s: app member %t, user member %t, want %t", id, app, user, want)
			}
		}
	})
}
