package store

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// insertUserRow adds a user (raw SQL: these tests need only the columns
// the role list reads).
func insertUserRow(t *testing.T, s *Store, id string, name *string, createdAt int64) {
	t.Helper()
	if _, err := s.db.ExecContext(context.Background(), `INSERT INTO users (tenant_id, id, name, created_at, updated_at)
VALUES ($1, $2, $3, $4, $4)`, tenant, id, name, createdAt); err != nil {
		t.Fatal(err)
	}
}

func giveUserRole(t *testing.T, s *Store, linkID, userID, roleID string) {
	t.Helper()
	if _, err := s.db.ExecContext(context.Background(), `INSERT INTO users_roles (tenant_id, id, user_id, role_id)
VALUES ($1, $2, $3, $4)`, tenant, linkID, userID, roleID); err != nil {
		t.Fatal(err)
	}
}

func roleIDs(roles []rbac.Role) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = r.ID
	}
	return out
}

func TestRolePages(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		roles := []*rbac.Role{
			{ID: "r1", Name: "b-reader", Description: "reads B", Type: rbac.RoleMachineToMachine},
			{ID: "r2", Name: "a-writer", Description: "writes A", Type: rbac.RoleMachineToMachine},
			{ID: "r3", Name: "c-user", Description: "people", Type: rbac.RoleUser},
			{ID: "r4", Name: "#internal:admin", Description: "hidden", Type: rbac.RoleMachineToMachine},
			{ID: "r5", Name: "#INTERNAL:shown", Description: "the prefix is case-sensitive", Type: rbac.RoleUser},
		}
		for _, r := range roles {
			r.TenantID = tenant
			wantErr(t, "role "+r.ID, s.InsertRole(ctx, r), nil)
		}
		wantErr(t, "app", s.InsertApplication(ctx, m2mApp("app")), nil)
		wantErr(t, "app role", s.InsertApplicationRole(ctx, tenant, "l1", "app", "r1"), nil)
		insertUserRow(t, s, "u1", nil, 1)
		giveUserRole(t, s, "l2", "u1", "r3")

		// Lists are by name; names of one case are compared here, because
		// the engines' collations order "#INTERNAL:..." differently.
		cases := []struct {
			f     RoleFilter
			want  []string
			total int64
		}{
			{RoleFilter{Type: rbac.RoleMachineToMachine}, []string{"r2", "r1"}, 2},
			{RoleFilter{Type: rbac.RoleMachineToMachine, Limit: 1, Offset: 1}, []string{"r1"}, 2},
			{RoleFilter{Type: rbac.RoleMachineToMachine, ExcludeApplicationID: "app"}, []string{"r2"}, 1},
			{RoleFilter{Type: rbac.RoleUser, ExcludeUserID: "u1"}, []string{"r5"}, 1},
			{RoleFilter{Type: rbac.RoleMachineToMachine, ExcludeUserID: "ghost", ExcludeApplicationID: "ghost"}, []string{"r2", "r1"}, 2},
			{RoleFilter{Search: Search{Matches: []Match{{Fields: []string{"id", "name", "description"}, Values: []string{"%READ%"}, Mode: ModeLike}}}}, []string{"r1"}, 1},
			{RoleFilter{Search: Search{Matches: []Match{{Fields: []string{"description"}, Values: []string{"hidden"}, Mode: ModeExact}}}}, []string{}, 0},
		}
		for i, c := range cases {
			got, total, err := s.ListRolesPage(ctx, tenant, c.f)
			wantErr(t, fmt.Sprint("case ", i), err, nil)
			if ids := roleIDs(got); total != c.total || !reflect.DeepEqual(ids, c.want) {
				t.Errorf("case %d: got %v (%d), want %v (%d)", i, ids, total, c.want, c.total)
			}
		}
		all, total, err := s.ListRolesPage(ctx, tenant, RoleFilter{})
		wantErr(t, "all", err, nil)
		if ids := roleIDs(all); total != 4 || !sameSet(ids, []string{"r1", "r2", "r3", "r5"}) {
			t.Errorf("all (internal roles hidden, case-sensitively): %v (%d)", ids, total)
		}
	})
}

func sameSet(a, b []string) bool {
	a, b = append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(a)
	sort.Strings(b)
	return reflect.DeepEqual(a, b)
}

func TestRoleUsages(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for _, r := range []*rbac.Role{m2mRole("m"), userRole("u"), m2mRole("none")} {
			wantErr(t, "role "+r.ID, s.InsertRole(ctx, r), nil)
		}
		for i := range 5 {
			app := m2mApp(fmt.Sprint("app", i))
			app.CreatedAt = int64(10 - i) // app4 is the oldest
			if i == 4 {
				app.Type = rbac.AppTraditional // counted and featured, whatever its type
			}
			wantErr(t, "app", s.InsertApplication(ctx, app), nil)
			wantErr(t, "link", s.InsertApplicationRole(ctx, tenant, fmt.Sprint("al", i), app.ID, "m"), nil)
		}
		name := "Ada"
		insertUserRow(t, s, "u1", &name, 2)
		insertUserRow(t, s, "u2", nil, 1)
		giveUserRole(t, s, "ul1", "u1", "u")
		giveUserRole(t, s, "ul2", "u2", "u")

		got, err := s.RoleUsages(ctx, tenant, []string{"m", "u", "none", "ghost"})
		wantErr(t, "usages", err, nil)
		m := got["m"]
		if m.ApplicationsCount != 5 || m.UsersCount != 0 || len(m.FeaturedUsers) != 0 || len(m.FeaturedApplications) != 3 {
			t.Fatalf("m2m role: %+v", m)
		}
		if f := m.FeaturedApplications[0]; f.ID != "app4" || f.Type != rbac.AppTraditional || f.Name != "App app4" {
			t.Fatalf("first featured app: %+v", f)
		}
		u := got["u"]
		if u.UsersCount != 2 || u.ApplicationsCount != 0 || len(u.FeaturedUsers) != 2 || u.FeaturedApplications == nil {
			t.Fatalf("user role: %+v", u)
		}
		if u.FeaturedUsers[0].ID != "u2" || u.FeaturedUsers[0].Name != nil || *u.FeaturedUsers[1].Name != "Ada" {
			t.Fatalf("featured users: %+v", u.FeaturedUsers)
		}
		for _, id := range []string{"none", "ghost"} {
			if n := got[id]; n == nil || n.UsersCount != 0 || n.FeaturedUsers == nil || n.FeaturedApplications == nil {
				t.Fatalf("%s: %+v", id, n)
			}
		}
		if got, err := s.RoleUsages(ctx, tenant, nil); err != nil || len(got) != 0 {
			t.Fatalf("no roles: %v %v", got, err)
		}
	})
}

func TestRoleWrites(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		wantErr(t, "r1", s.InsertRole(ctx, m2mRole("r1")), nil)
		wantErr(t, "r2", s.InsertRole(ctx, m2mRole("r2")), nil)
		name, desc, yes := "Renamed", "new description", true
		got, err := s.UpdateRole(ctx, tenant, "r1", RoleUpdate{Name: &name})
		wantErr(t, "rename", err, nil)
		if got.Name != name || got.Description != "d r1" || got.IsDefault || got.Type != rbac.RoleMachineToMachine {
			t.Fatalf("rename: %+v", got)
		}
		got, err = s.UpdateRole(ctx, tenant, "r1", RoleUpdate{Description: &desc, IsDefault: &yes})
		wantErr(t, "describe", err, nil)
		if got.Name != name || got.Description != desc || !got.IsDefault {
			t.Fatalf("describe: %+v", got)
		}
		taken := "role r2"
		_, err = s.UpdateRole(ctx, tenant, "r1", RoleUpdate{Name: &taken})
		wantErr(t, "name taken", err, ErrConflict)
		_, err = s.UpdateRole(ctx, tenant, "ghost", RoleUpdate{Name: &name})
		wantErr(t, "update missing", err, ErrNotFound)
		_, err = s.UpdateRole(ctx, tenant, "ghost", RoleUpdate{})
		wantErr(t, "no-op update missing", err, ErrNotFound)
		wantErr(t, "delete", s.DeleteRole(ctx, tenant, "r2"), nil)
		wantErr(t, "delete again", s.DeleteRole(ctx, tenant, "r2"), ErrNotFound)
	})
}

func TestRoleScopePages(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		wantErr(t, "res a", s.InsertResource(ctx, resource("ra", "https://a")), nil)
		wantErr(t, "res b", s.InsertResource(ctx, resource("rb", "https://b")), nil)
		for i, sc := range []rbac.Scope{
			{ID: "s1", ResourceID: "ra", Name: "read"},
			{ID: "s2", ResourceID: "rb", Name: "write"},
			{ID: "s3", ResourceID: "rb", Name: "unheld"},
		} {
			sc.TenantID, sc.CreatedAt = tenant, int64(i)
			wantErr(t, "scope", s.InsertScope(ctx, &sc), nil)
		}
		wantErr(t, "role", s.InsertRole(ctx, m2mRole("r")), nil)
		wantErr(t, "link 1", s.InsertRoleScope(ctx, tenant, "l1", "r", "s1"), nil)
		wantErr(t, "link 2", s.InsertRoleScope(ctx, tenant, "l2", "r", "s2"), nil)

		list, total, err := s.ListRoleScopesPage(ctx, tenant, "r", Search{}, 0, 0)
		wantErr(t, "list", err, nil)
		if total != 2 || len(list) != 2 || list[0].Scope.ID != "s1" || list[0].Resource.ID != "ra" ||
			list[1].Scope.ID != "s2" || list[1].Resource.Indicator != "https://b" {
			t.Fatalf("list: %d %+v", total, list)
		}
		list, total, _ = s.ListRoleScopesPage(ctx, tenant, "r", Search{}, 1, 1)
		if total != 2 || len(list) != 1 || list[0].Scope.ID != "s2" {
			t.Fatalf("page: %d %+v", total, list)
		}
		search := Search{Matches: []Match{{Fields: []string{"name"}, Values: []string{"wr%"}, Mode: ModeLike}}}
		list, total, _ = s.ListRoleScopesPage(ctx, tenant, "r", search, 0, 0)
		if total != 1 || len(list) != 1 || list[0].Scope.ID != "s2" {
			t.Fatalf("search: %d %+v", total, list)
		}
		with, err := s.ListRoleScopesWith(ctx, tenant, "r", []string{"s3", "ghost", "s1"})
		wantErr(t, "with", err, nil)
		if got := heldScopes(with); got != "s1:held:https://a s2:held:https://b s3:-:https://b" {
			t.Fatalf("with: %s", got)
		}
		with, _ = s.ListRoleScopesWith(ctx, tenant, "r", nil)
		if got := heldScopes(with); got != "s1:held:https://a s2:held:https://b" {
			t.Fatalf("held only: %s", got)
		}
		// Removed by one statement that, on PostgreSQL, notifies its
		// announcement only when it deleted the link.
		until := listenUntil(t, s)
		remove := func(name, scopeID, announce string, want error) {
			t.Helper()
			deleted, err := s.DeleteRoleScopeAnnounced(ctx, tenant, "r", scopeID, announce)
			wantErr(t, name, err, want)
			if deleted != (want == nil) {
				t.Fatalf("%s: deleted %t with %v", name, deleted, err)
			}
		}
		remove("remove", "s1", "role r changed", nil)
		remove("remove again", "s1", "role r again", ErrNotFound)
		remove("remove unheld", "s3", "role r unheld", ErrNotFound)
		if s.Dialect() == dialectPostgres {
			wantErr(t, "sentinel", s.Notify(ctx, "roles end"), nil)
			if got := until("roles end"); !slices.Equal(got, []string{"role r changed", "roles end"}) {
				t.Fatalf("notifications %q, want only the one of the delete that deleted", got)
			}
		}
		if with, _ := s.ListRoleScopesWith(ctx, tenant, "r", nil); heldScopes(with) != "s2:held:https://b" {
			t.Fatalf("after remove: %s", heldScopes(with))
		}
		if with, _ := s.ListRoleScopesWith(ctx, tenant, "ghost", []string{"s1"}); heldScopes(with) != "s1:-:https://a" {
			t.Fatalf("unknown role: %s", heldScopes(with))
		}
	})
}

// heldScopes renders ListRoleScopesWith's answer as "id:held|-:indicator"
// words in its order.
func heldScopes(list []RoleScope) string {
	words := make([]string, len(list))
	for i, rs := range list {
		held := "-"
		if rs.Held {
			held = "held"
		}
		words[i] = rs.Scope.ID + ":" + held + ":" + rs.Resource.Indicator
	}
	return strings.Join(words, " ")
}

func TestRoleApplicationPages(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		wantErr(t, "role", s.InsertRole(ctx, m2mRole("r")), nil)
		for i, typ := range []rbac.AppType{rbac.AppMachineToMachine, rbac.AppMachineToMachine, rbac.AppTraditional, rbac.AppMachineToMachine} {
			app := m2mApp(fmt.Sprint("a", i))
			app.Type, app.CreatedAt = typ, int64(i)
			wantErr(t, "app", s.InsertApplication(ctx, app), nil)
			if i < 3 {
				wantErr(t, "link", s.InsertApplicationRole(ctx, tenant, fmt.Sprint("l", i), app.ID, "r"), nil)
			}
		}
		list, total, err := s.ListRoleApplicationsPage(ctx, tenant, "r", Search{}, 20, 0)
		wantErr(t, "list", err, nil)
		if total != 2 || len(list) != 2 || list[0].ID != "a1" || list[1].ID != "a0" || string(list[0].CustomData) != "{}" {
			t.Fatalf("list (M2M holders, newest first): %d %+v", total, list)
		}
		search := Search{Matches: []Match{{Fields: []string{"id"}, Values: []string{"a0"}, Mode: ModeExact}}}
		if list, total, _ = s.ListRoleApplicationsPage(ctx, tenant, "r", search, 20, 0); total != 1 || list[0].ID != "a0" {
			t.Fatalf("search: %d %+v", total, list)
		}
		ids, err := s.ListRoleApplicationIDs(ctx, tenant, "r")
		wantErr(t, "ids", err, nil)
		if !sameSet(ids, []string{"a0", "a1", "a2"}) {
			t.Fatalf("ids (every holder): %v", ids)
		}
	})
}
