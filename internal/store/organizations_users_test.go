package store

import (
	"context"
	"reflect"
	"testing"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

func TestOrganizationUsers(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		must := func(what string, err error) {
			t.Helper()
			wantErr(t, what, err, nil)
		}
		name := func(v string) *string { return &v }
		for i, id := range []string{"ua", "ub", "uc", "ud"} {
			must("user "+id, s.InsertUser(ctx, &User{TenantID: tenant, ID: id, Name: name("N" + id), Username: name("user_" + id),
				CreatedAt: int64(i), UpdatedAt: int64(i)}))
		}
		for i, id := range []string{"o1", "o2", "o3"} {
			must("org "+id, s.InsertOrganization(ctx, &Organization{TenantID: tenant, ID: id, Name: "Org " + id, CreatedAt: int64(i)}))
		}
		must("user role", s.InsertOrganizationRole(ctx, &OrganizationRole{TenantID: tenant, ID: "ru", Name: "member", Type: rbac.RoleUser}))
		must("user role 2", s.InsertOrganizationRole(ctx, &OrganizationRole{TenantID: tenant, ID: "rv", Name: "admin", Type: rbac.RoleUser}))
		must("m2m role", s.InsertOrganizationRole(ctx, &OrganizationRole{TenantID: tenant, ID: "rm", Name: "bot", Type: rbac.RoleMachineToMachine}))
		for _, n := range []string{"read", "write"} {
			must("scope "+n, s.InsertOrganizationScope(ctx, &OrganizationScope{TenantID: tenant, ID: "s" + n, Name: n}))
		}
		must("ru read", s.InsertOrganizationRoleScope(ctx, tenant, "ru", "sread"))
		must("rv read", s.InsertOrganizationRoleScope(ctx, tenant, "rv", "sread"))
		must("rv write", s.InsertOrganizationRoleScope(ctx, tenant, "rv", "swrite"))

		// Membership.
		for _, u := range []string{"ua", "ub", "uc"} {
			must("o1 "+u, s.InsertOrganizationUser(ctx, tenant, "o1", u))
		}
		must("o1 ua again", s.InsertOrganizationUser(ctx, tenant, "o1", "ua"))
		must("o2 ua", s.InsertOrganizationUser(ctx, tenant, "o2", "ua"))
		wantErr(t, "unknown user", s.InsertOrganizationUser(ctx, tenant, "o1", "nope"), ErrForeignKey)
		wantErr(t, "unknown org", s.InsertOrganizationUser(ctx, tenant, "nope", "ua"), ErrForeignKey)
		if ok, err := s.IsOrganizationUser(ctx, tenant, "o1", "ub"); !ok || err != nil {
			t.Fatalf("ub member: %v %v", ok, err)
		}
		if ok, _ := s.IsOrganizationUser(ctx, tenant, "o2", "ub"); ok {
			t.Fatal("ub member of o2")
		}

		// Roles: User roles, members only.
		must("ua ru", s.InsertOrganizationUserRole(ctx, tenant, "o1", "ua", "ru"))
		must("ua rv", s.InsertOrganizationUserRole(ctx, tenant, "o1", "ua", "rv"))
		must("ua rv again", s.InsertOrganizationUserRole(ctx, tenant, "o1", "ua", "rv"))
		must("ub ru", s.InsertOrganizationUserRole(ctx, tenant, "o1", "ub", "ru"))
		wantErr(t, "m2m role", s.InsertOrganizationUserRole(ctx, tenant, "o1", "ua", "rm"), ErrCheck)
		wantErr(t, "unknown role", s.InsertOrganizationUserRole(ctx, tenant, "o1", "ua", "nope"), ErrForeignKey)
		wantErr(t, "not a member", s.InsertOrganizationUserRole(ctx, tenant, "o3", "ua", "ru"), ErrForeignKey)

		roles, total, err := s.ListOrganizationUserRoles(ctx, tenant, "o1", "ua", 0, 0)
		if err != nil || total != 2 || len(roles) != 2 || roles[0].Name != "admin" || roles[1].Name != "member" {
			t.Fatalf("roles %+v %d %v", roles, total, err)
		}
		roles, total, _ = s.ListOrganizationUserRoles(ctx, tenant, "o1", "ua", 1, 1)
		if total != 2 || len(roles) != 1 || roles[0].ID != "ru" {
			t.Fatalf("roles page 2 %+v %d", roles, total)
		}
		scopes, err := s.OrganizationUserScopes(ctx, tenant, "o1", "ua")
		if err != nil || len(scopes) != 2 || scopes[0].Name != "read" || scopes[1].Name != "write" {
			t.Fatalf("scopes %+v %v", scopes, err)
		}
		if scopes, _ := s.OrganizationUserScopes(ctx, tenant, "o2", "ua"); len(scopes) != 0 {
			t.Fatalf("o2 scopes %+v", scopes)
		}
		byName, err := s.OrganizationRolesByName(ctx, tenant, []string{"member", "ghost", "bot"})
		if err != nil || len(byName) != 2 || byName[0].ID != "rm" || byName[1].ID != "ru" {
			t.Fatalf("by name %+v %v", byName, err)
		}

		// Members: by id, search, organization role filter.
		list := func(roleID string, search Search, limit, offset int) ([]string, int64) {
			t.Helper()
			us, total, err := s.ListOrganizationUsersPage(ctx, tenant, "o1", roleID, search, limit, offset)
			if err != nil {
				t.Fatal(err)
			}
			ids := []string{}
			for _, u := range us {
				ids = append(ids, u.ID)
			}
			return ids, total
		}
		if ids, total := list("", Search{}, 0, 0); !reflect.DeepEqual(ids, []string{"ua", "ub", "uc"}) || total != 3 {
			t.Fatalf("members %v %d", ids, total)
		}
		if ids, total := list("", Search{}, 2, 1); !reflect.DeepEqual(ids, []string{"ub", "uc"}) || total != 3 {
			t.Fatalf("members page %v %d", ids, total)
		}
		if ids, total := list("ru", Search{}, 0, 0); !reflect.DeepEqual(ids, []string{"ua", "ub"}) || total != 2 {
			t.Fatalf("members with ru %v %d", ids, total)
		}
		like := Search{Matches: []Match{{Fields: []string{"name", "username"}, Values: []string{"%uc%"}, Mode: ModeLike}}}
		if ids, total := list("", like, 0, 0); !reflect.DeepEqual(ids, []string{"uc"}) || total != 1 {
			t.Fatalf("members like uc %v %d", ids, total)
		}
		refs, err := s.OrganizationUserRoleRefs(ctx, tenant, "o1", []string{"ua", "uc"})
		if err != nil || len(refs["ua"]) != 2 || refs["ua"][0].Name != "admin" || refs["uc"] == nil || len(refs["uc"]) != 0 {
			t.Fatalf("role refs %+v %v", refs, err)
		}

		// A user's organizations, newest first, with roles.
		orgs, err := s.ListUserOrganizations(ctx, tenant, "ua")
		if err != nil || len(orgs) != 2 || orgs[0].ID != "o2" || orgs[1].ID != "o1" {
			t.Fatalf("user organizations %+v %v", orgs, err)
		}
		orefs, _ := s.UserOrganizationRoleRefs(ctx, tenant, "ua", []string{"o1", "o2"})
		if len(orefs["o1"]) != 2 || len(orefs["o2"]) != 0 {
			t.Fatalf("user org refs %+v", orefs)
		}

		// Summaries for showFeatured: counts and the first three by id.
		must("o1 ud", s.InsertOrganizationUser(ctx, tenant, "o1", "ud"))
		sums, err := s.OrganizationUsersSummaries(ctx, tenant, []string{"o1", "o2", "o3"})
		if err != nil || sums["o1"].Count != 4 || len(sums["o1"].Featured) != 3 || sums["o1"].Featured[0].ID != "ua" ||
			*sums["o1"].Featured[0].Name != "Nua" || sums["o2"].Count != 1 || sums["o3"].Count != 0 || sums["o3"].Featured == nil {
			t.Fatalf("summaries %+v %v", sums, err)
		}

		// excludeOrganizationId on the user list.
		us, total, err := s.ListUsers(ctx, tenant, UserFilter{ExcludeOrganizationID: "o2"})
		if err != nil || total != 3 || len(us) != 3 {
			t.Fatalf("users not in o2: %d %v", total, err)
		}
		for _, u := range us {
			if u.ID == "ua" {
				t.Fatal("ua listed")
			}
		}

		// Replace: the others leave with their roles, those that stay keep theirs.
		must("replace", s.DeleteOrganizationUsersExcept(ctx, tenant, "o1", []string{"ua", "uc"}))
		if ids, _ := list("", Search{}, 0, 0); !reflect.DeepEqual(ids, []string{"ua", "uc"}) {
			t.Fatalf("after replace %v", ids)
		}
		if roles, _, _ := s.ListOrganizationUserRoles(ctx, tenant, "o1", "ua", 0, 0); len(roles) != 2 {
			t.Fatalf("ua lost its roles: %+v", roles)
		}
		must("ub rejoins", s.InsertOrganizationUser(ctx, tenant, "o1", "ub"))
		if roles, _, _ := s.ListOrganizationUserRoles(ctx, tenant, "o1", "ub", 0, 0); len(roles) != 0 {
			t.Fatalf("ub's roles survived leaving: %+v", roles)
		}

		// Role removal, leaving, cascades.
		must("ua -rv", s.DeleteOrganizationUserRole(ctx, tenant, "o1", "ua", "rv"))
		wantErr(t, "ua -rv again", s.DeleteOrganizationUserRole(ctx, tenant, "o1", "ua", "rv"), ErrNotFound)
		must("ua roles off", s.DeleteOrganizationUserRoles(ctx, tenant, "o1", "ua"))
		must("uc leaves", s.DeleteOrganizationUser(ctx, tenant, "o1", "uc"))
		wantErr(t, "uc leaves again", s.DeleteOrganizationUser(ctx, tenant, "o1", "uc"), ErrNotFound)
		must("ub ru", s.InsertOrganizationUserRole(ctx, tenant, "o1", "ub", "ru"))
		must("delete role ru", s.DeleteOrganizationRole(ctx, tenant, "ru"))
		if roles, _, _ := s.ListOrganizationUserRoles(ctx, tenant, "o1", "ub", 0, 0); len(roles) != 0 {
			t.Fatalf("deleted role held: %+v", roles)
		}
		must("delete user ua", s.DeleteUser(ctx, tenant, "ua"))
		if ok, _ := s.IsOrganizationUser(ctx, tenant, "o2", "ua"); ok {
			t.Fatal("deleted user still a member")
		}
		must("delete org o1", s.DeleteOrganization(ctx, tenant, "o1"))
		if orgs, _ := s.ListUserOrganizations(ctx, tenant, "ub"); len(orgs) != 0 {
			t.Fatalf("deleted org listed: %+v", orgs)
		}
	})
}
