package store

import (
	"context"
	"reflect"
	"testing"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

func m2mRole(id string) *rbac.Role {
	return &rbac.Role{TenantID: tenant, ID: id, Name: "role " + id, Description: "d " + id, Type: rbac.RoleMachineToMachine}
}

func userRole(id string) *rbac.Role {
	r := m2mRole(id)
	r.Type = rbac.RoleUser
	return r
}

func TestRoles(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		r := &rbac.Role{TenantID: tenant, ID: "r1", Name: "Billing reader", Description: "reads billing", Type: rbac.RoleMachineToMachine, IsDefault: true}
		wantErr(t, "insert", s.InsertRole(ctx, r), nil)
		wantErr(t, "insert user role", s.InsertRole(ctx, userRole("r2")), nil)
		got, err := s.GetRole(ctx, tenant, "r1")
		wantErr(t, "get", err, nil)
		if *got != *r {
			t.Fatalf("round trip %+v, want %+v", got, r)
		}
		got, err = s.GetRoleByName(ctx, tenant, "role r2")
		wantErr(t, "by name", err, nil)
		if got.ID != "r2" || got.Type != rbac.RoleUser || got.IsDefault {
			t.Fatalf("by name: %+v", got)
		}
		_, err = s.GetRole(ctx, tenant, "ghost")
		wantErr(t, "get missing", err, ErrNotFound)
		_, err = s.GetRoleByName(ctx, tenant, "Billing Reader")
		wantErr(t, "name is case sensitive", err, ErrNotFound)
		dupName := m2mRole("r3")
		dupName.Name = "Billing reader"
		wantErr(t, "duplicate name", s.InsertRole(ctx, dupName), ErrConflict)
		wantErr(t, "duplicate id", s.InsertRole(ctx, m2mRole("r1")), ErrConflict)
		bad := m2mRole("r4")
		bad.Type = "Robot"
		wantErr(t, "bad type", s.InsertRole(ctx, bad), ErrCheck)
	})
}

func TestRoleScopes(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		wantErr(t, "resource", s.InsertResource(ctx, resource("ra", "https://a")), nil)
		wantErr(t, "scope", s.InsertScope(ctx, &rbac.Scope{TenantID: tenant, ID: "s1", ResourceID: "ra", Name: "read"}), nil)
		wantErr(t, "role", s.InsertRole(ctx, m2mRole("r1")), nil)
		wantErr(t, "link", s.InsertRoleScope(ctx, tenant, "rs1", "r1", "s1"), nil)
		wantErr(t, "duplicate pair", s.InsertRoleScope(ctx, tenant, "rs2", "r1", "s1"), ErrConflict)
		wantErr(t, "unknown role", s.InsertRoleScope(ctx, tenant, "rs3", "ghost", "s1"), ErrForeignKey)
		wantErr(t, "unknown scope", s.InsertRoleScope(ctx, tenant, "rs4", "r1", "ghost"), ErrForeignKey)
		// Deleting the role cascades its links.
		if _, err := s.db.ExecContext(ctx, `DELETE FROM roles WHERE id = $1`, "r1"); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM roles_scopes`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("links after role delete = %d, %v", n, err)
		}
	})
}

func TestApplicationRoles(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		wantErr(t, "app", s.InsertApplication(ctx, m2mApp("app")), nil)
		for _, r := range []*rbac.Role{m2mRole("rb"), m2mRole("ra"), userRole("ru")} {
			wantErr(t, "role "+r.ID, s.InsertRole(ctx, r), nil)
		}
		wantErr(t, "link rb", s.InsertApplicationRole(ctx, tenant, "l1", "app", "rb"), nil)
		wantErr(t, "link ra", s.InsertApplicationRole(ctx, tenant, "l2", "app", "ra"), nil)
		wantErr(t, "user role", s.InsertApplicationRole(ctx, tenant, "l3", "app", "ru"), ErrCheck)
		wantErr(t, "unknown role", s.InsertApplicationRole(ctx, tenant, "l4", "app", "ghost"), ErrForeignKey)
		wantErr(t, "unknown app", s.InsertApplicationRole(ctx, tenant, "l5", "ghost", "ra"), ErrForeignKey)
		wantErr(t, "duplicate pair", s.InsertApplicationRole(ctx, tenant, "l6", "app", "ra"), ErrConflict)
		wantErr(t, "duplicate link id", s.InsertApplicationRole(ctx, tenant, "l1", "app", "rb"), ErrConflict)

		ids, err := s.ListApplicationRoleIDs(ctx, tenant, "app")
		wantErr(t, "list", err, nil)
		if !reflect.DeepEqual(ids, []string{"ra", "rb"}) {
			t.Fatalf("role ids = %v", ids)
		}
		wantErr(t, "delete", s.DeleteApplicationRole(ctx, tenant, "app", "rb"), nil)
		wantErr(t, "delete again", s.DeleteApplicationRole(ctx, tenant, "app", "rb"), ErrNotFound)
		wantErr(t, "delete never linked", s.DeleteApplicationRole(ctx, tenant, "app", "ru"), ErrNotFound)
		ids, _ = s.ListApplicationRoleIDs(ctx, tenant, "app")
		if !reflect.DeepEqual(ids, []string{"ra"}) {
			t.Fatalf("role ids after delete = %v", ids)
		}
		// Deleting the role cascades the link.
		if _, err := s.db.ExecContext(ctx, `DELETE FROM roles WHERE id = $1`, "ra"); err != nil {
			t.Fatal(err)
		}
		if ids, _ = s.ListApplicationRoleIDs(ctx, tenant, "app"); len(ids) != 0 {
			t.Fatalf("role ids after role delete = %v", ids)
		}
	})
}

func TestApplicationGrants(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		must := func(what string, err error) {
			t.Helper()
			wantErr(t, what, err, nil)
		}
		must("app", s.InsertApplication(ctx, m2mApp("app")))
		must("bare app", s.InsertApplication(ctx, m2mApp("bare")))
		must("res a", s.InsertResource(ctx, resource("ra", "https://a.example")))
		must("res b", s.InsertResource(ctx, resource("rb", "https://b.example")))
		must("res c", s.InsertResource(ctx, resource("rc", "https://c.example")))
		scopes := map[string][2]string{ // id: resource, name
			"a-read": {"ra", "read"}, "a-write": {"ra", "write"}, "a-admin": {"ra", "admin"},
			"b-read": {"rb", "read"}, "b-list": {"rb", "list"},
			"c-all": {"rc", "all"},
		}
		for id, v := range scopes {
			must("scope "+id, s.InsertScope(ctx, &rbac.Scope{TenantID: tenant, ID: id, ResourceID: v[0], Name: v[1]}))
		}
		must("role 1", s.InsertRole(ctx, m2mRole("m1")))
		must("role 2", s.InsertRole(ctx, m2mRole("m2")))
		must("role unlinked", s.InsertRole(ctx, m2mRole("m3")))
		must("user role", s.InsertRole(ctx, userRole("u1")))
		links := [][2]string{
			{"m1", "a-read"}, {"m1", "a-write"}, {"m1", "b-read"},
			{"m2", "a-read"}, {"m2", "b-read"}, {"m2", "b-list"}, // overlaps m1
			{"m3", "c-all"},                    // role not given to the app
			{"u1", "a-admin"}, {"u1", "c-all"}, // a User role
		}
		for i, l := range links {
			must("role scope", s.InsertRoleScope(ctx, tenant, "rs"+string(rune('a'+i)), l[0], l[1]))
		}
		must("app m1", s.InsertApplicationRole(ctx, tenant, "ar1", "app", "m1"))
		must("app m2", s.InsertApplicationRole(ctx, tenant, "ar2", "app", "m2"))
		// Slip a User role past InsertApplicationRole's rule: the grant
		// query must still ignore it.
		if _, err := s.db.ExecContext(ctx, `INSERT INTO applications_roles (tenant_id, id, application_id, role_id) VALUES ($1, 'ar3', 'app', 'u1')`, tenant); err != nil {
			t.Fatal(err)
		}

		got, _ := loadedGrants(t, s, tenant, "app")
		want := map[string][]string{
			"https://a.example": {"read", "write"},
			"https://b.example": {"list", "read"},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("grants = %v, want %v", got, want)
		}
		for _, app := range []string{"bare", "ghost"} {
			if got, _ = loadedGrants(t, s, tenant, app); len(got) != 0 {
				t.Fatalf("grants of %s = %#v, want empty map", app, got)
			}
		}
		if got, _ = loadedGrants(t, s, "other-tenant", "app"); len(got) != 0 {
			t.Fatalf("grants across tenants: %v", got)
		}
	})
}
