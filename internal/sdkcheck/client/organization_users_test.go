package client_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/gatehouse/gatehouse/client"
	"github.com/gatehouse/gatehouse/internal/apptest"
)

// TestOrganizationUsers walks the organization membership of users
// through the SDK against a started server.
func TestOrganizationUsers(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		defer fatalOnFailure(t)
		ctx := context.Background()
		m := admin(e)
		str := func(s string) *string { return &s }
		org := must(m.CreateOrganization(ctx, client.OrganizationWrite{Name: "Acme"}))
		alice := must(m.CreateUser(ctx, client.UserWrite{Username: str("alice"), Name: str("Alice")}))
		bob := must(m.CreateUser(ctx, client.UserWrite{Username: str("bob")}))
		carol := must(m.CreateUser(ctx, client.UserWrite{Username: str("carol")}))
		read := must(m.CreateOrganizationScope(ctx, client.OrganizationScopeWrite{Name: "read"}))
		member := must(m.CreateOrganizationRole(ctx, client.OrganizationRoleCreate{Name: "member", OrganizationScopeIDs: []string{read.ID}}))
		admin := must(m.CreateOrganizationRole(ctx, client.OrganizationRoleCreate{Name: "admin"}))
		bot := must(m.CreateOrganizationRole(ctx, client.OrganizationRoleCreate{Name: "bot", Type: "MachineToMachine"}))

		must(0, m.AddOrganizationUsers(ctx, org.ID, []string{alice.ID, bob.ID}))
		ids := must(m.AssignOrganizationRolesToUser(ctx, org.ID, alice.ID, client.OrganizationUserRoles{IDs: []string{member.ID}, Names: []string{"admin", "member"}}))
		if !slices.Equal(ids, []string{member.ID, admin.ID}) {
			t.Fatalf("assigned %v", ids)
		}
		var apiErr *client.Error
		if err := m.ReplaceOrganizationUserRoles(ctx, org.ID, alice.ID, client.OrganizationUserRoles{IDs: []string{bot.ID}}); !errors.As(err, &apiErr) ||
			apiErr.Status != 422 || apiErr.Code != "entity.db_constraint_violated" {
			t.Fatalf("M2M role: %v", err)
		}
		if err := m.AddOrganizationUsers(ctx, org.ID, []string{"nope"}); !errors.As(err, &apiErr) || apiErr.Code != "entity.relation_foreign_key_not_found" {
			t.Fatalf("unknown user: %v", err)
		}
		if _, err := m.ListOrganizationUserRoles(ctx, org.ID, carol.ID, client.OrganizationListOptions{}); !errors.As(err, &apiErr) ||
			apiErr.Code != "organization.require_membership" {
			t.Fatalf("non-member: %v", err)
		}
		must(0, m.AssignOrganizationRolesToUsers(ctx, org.ID, []string{bob.ID}, []string{member.ID}))

		users := must(m.ListOrganizationUsers(ctx, org.ID, client.OrganizationUserListOptions{OrganizationRoleID: admin.ID}))
		if len(users) != 1 || users[0].ID != alice.ID || users[0].Name != "Alice" || len(users[0].OrganizationRoles) != 2 {
			t.Fatalf("members with admin %+v", users)
		}
		var all []string
		for u, err := range m.AllOrganizationUsers(ctx, org.ID, client.OrganizationUserListOptions{PageSize: 1}) {
			must(0, err)
			all = append(all, u.ID)
		}
		if len(all) != 2 {
			t.Fatalf("all members %v", all)
		}
		roles := must(m.ListOrganizationUserRoles(ctx, org.ID, alice.ID, client.OrganizationListOptions{}))
		if len(roles) != 2 || roles[0].Name != "admin" {
			t.Fatalf("roles %+v", roles)
		}
		scopes := must(m.ListOrganizationUserScopes(ctx, org.ID, bob.ID))
		if len(scopes) != 1 || scopes[0].Name != "read" {
			t.Fatalf("scopes %+v", scopes)
		}
		orgs := must(m.ListUserOrganizations(ctx, alice.ID))
		if len(orgs) != 1 || orgs[0].ID != org.ID || len(orgs[0].OrganizationRoles) != 2 {
			t.Fatalf("alice's organizations %+v", orgs)
		}
		featured := must(m.ListOrganizations(ctx, client.OrganizationListOptions{ShowFeatured: true}))
		if len(featured) != 1 || featured[0].UsersCount != 2 || len(featured[0].FeaturedUsers) != 2 {
			t.Fatalf("featured %+v", featured)
		}
		outside := must(m.ListUsers(ctx, client.ListOptions{ExcludeOrganizationID: org.ID}))
		if len(outside) != 1 || outside[0].ID != carol.ID {
			t.Fatalf("users outside %+v", outside)
		}

		must(0, m.DeleteOrganizationUserRole(ctx, org.ID, alice.ID, admin.ID))
		must(0, m.ReplaceOrganizationUserRoles(ctx, org.ID, alice.ID, client.OrganizationUserRoles{Names: []string{"member"}}))
		must(0, m.ReplaceOrganizationUsers(ctx, org.ID, []string{alice.ID, carol.ID}))
		must(0, m.DeleteOrganizationUser(ctx, org.ID, carol.ID))
		if err := m.DeleteOrganizationUser(ctx, org.ID, carol.ID); !errors.Is(err, client.ErrNotFound) {
			t.Fatalf("delete again: %v", err)
		}
		users = must(m.ListOrganizationUsers(ctx, org.ID, client.OrganizationUserListOptions{}))
		if len(users) != 1 || users[0].ID != alice.ID || len(users[0].OrganizationRoles) != 1 || users[0].OrganizationRoles[0].ID != member.ID {
			t.Fatalf("members at the end %+v", users)
		}
	})
}
