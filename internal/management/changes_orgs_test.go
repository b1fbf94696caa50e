package management

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/change"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Organizations: memberships and organization roles of applications (the
// applications), the organization deleted or its members replaced (the
// organization), the template (organization roles, organization scopes).
func TestChangesOrganizations(t *testing.T) {
	runChangeCases(t, []changeCase{
		{name: "create", run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			_, err := f.s.CreateOrganization(f.ctx, store.Organization{Name: "o"})
			return change.Set{}, err
		}},
		{name: "update", run: func(f *changeFixture) (change.Set, error) {
			org, _, _, _, _ := f.orgMember()
			f.mark()
			_, err := f.s.UpdateOrganization(f.ctx, org, store.OrganizationUpdate{Name: ptr("renamed"), IsMfaRequired: ptr(true)})
			return change.Set{}, err
		}},
		{name: "update missing", fails: true, run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			_, err := f.s.UpdateOrganization(f.ctx, "no-such-org", store.OrganizationUpdate{Name: ptr("renamed")})
			return change.Set{}, err
		}},
		{name: "delete", run: func(f *changeFixture) (change.Set, error) {
			org, _, _, _, _ := f.orgMember()
			f.mark()
			return change.Set{Organizations: []string{org}}, f.s.DeleteOrganization(f.ctx, org)
		}},
		{name: "delete missing", fails: true, run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			return change.Set{}, f.s.DeleteOrganization(f.ctx, "no-such-org")
		}},
		{name: "applications add", run: func(f *changeFixture) (change.Set, error) {
			org := f.org()
			a1, a2 := f.app(), f.app()
			f.mark()
			return change.App(a1, a2), f.s.AddOrganizationApplications(f.ctx, org, []string{a1, a2, a1})
		}},
		{name: "applications add rolled back", fails: true, run: func(f *changeFixture) (change.Set, error) {
			org := f.org()
			app := f.app()
			f.mark()
			return change.Set{}, f.s.AddOrganizationApplications(f.ctx, org, []string{app, "no-such-app"})
		}},
		{name: "applications replace", run: func(f *changeFixture) (change.Set, error) {
			org, _, _, _, _ := f.orgMember()
			app := f.app()
			f.mark()
			return change.Set{Apps: []string{app}, Organizations: []string{org}},
				f.s.ReplaceOrganizationApplications(f.ctx, org, []string{app})
		}},
		{name: "applications replace by none", run: func(f *changeFixture) (change.Set, error) {
			org, _, _, _, _ := f.orgMember()
			f.mark()
			return change.Set{Organizations: []string{org}}, f.s.ReplaceOrganizationApplications(f.ctx, org, nil)
		}},
		{name: "applications replace missing", fails: true, run: func(f *changeFixture) (change.Set, error) {
			app := f.app()
			f.mark()
			return change.Set{}, f.s.ReplaceOrganizationApplications(f.ctx, "no-such-org", []string{app})
		}},
		{name: "application remove", run: func(f *changeFixture) (change.Set, error) {
			org, app, _, _, _ := f.orgMember()
			f.mark()
			return change.App(app), f.s.RemoveOrganizationApplication(f.ctx, org, app)
		}},
		{name: "application remove not member", fails: true, run: func(f *changeFixture) (change.Set, error) {
			org := f.org()
			app := f.app()
			f.mark()
			return change.Set{}, f.s.RemoveOrganizationApplication(f.ctx, org, app)
		}},
		{name: "application roles add", run: func(f *changeFixture) (change.Set, error) {
			org, app, role, _, _ := f.orgMember()
			other := f.app()
			f.must(f.s.AddOrganizationApplications(f.ctx, org, []string{other}))
			f.mark()
			return change.App(app, other), f.s.AddOrganizationApplicationRoles(f.ctx, org, []string{app, other}, []string{role}, false)
		}},
		{name: "application roles add none", run: func(f *changeFixture) (change.Set, error) {
			org, app, _, _, _ := f.orgMember()
			f.mark()
			return change.Set{}, f.s.AddOrganizationApplicationRoles(f.ctx, org, []string{app}, nil, true)
		}},
		{name: "application roles add not member", fails: true, run: func(f *changeFixture) (change.Set, error) {
			org, _, role, _, _ := f.orgMember()
			app := f.app()
			f.mark()
			return change.Set{}, f.s.AddOrganizationApplicationRoles(f.ctx, org, []string{app}, []string{role}, true)
		}},
		{name: "application roles add rolled back", fails: true, run: func(f *changeFixture) (change.Set, error) {
			org, app, _, _, _ := f.orgMember()
			role := f.orgRole(rbac.RoleMachineToMachine, []string{f.orgScope()}, nil)
			f.mark()
			return change.Set{}, f.s.AddOrganizationApplicationRoles(f.ctx, org, []string{app}, []string{role, "no-such-role"}, true)
		}},
		{name: "application roles replace", run: func(f *changeFixture) (change.Set, error) {
			org, app, _, _, _ := f.orgMember()
			f.mark()
			return change.App(app), f.s.ReplaceOrganizationApplicationRoles(f.ctx, org, app, nil)
		}},
		{name: "application roles replace not member", fails: true, run: func(f *changeFixture) (change.Set, error) {
			org, _, role, _, _ := f.orgMember()
			app := f.app()
			f.mark()
			return change.Set{}, f.s.ReplaceOrganizationApplicationRoles(f.ctx, org, app, []string{role})
		}},
		{name: "application role remove", run: func(f *changeFixture) (change.Set, error) {
			org, app, role, _, _ := f.orgMember()
			f.mark()
			return change.App(app), f.s.RemoveOrganizationApplicationRole(f.ctx, org, app, role)
		}},
		{name: "application role remove not held", fails: true, run: func(f *changeFixture) (change.Set, error) {
			org, app, _, _, _ := f.orgMember()
			role := f.orgRole(rbac.RoleMachineToMachine, nil, nil)
			f.mark()
			return change.Set{}, f.s.RemoveOrganizationApplicationRole(f.ctx, org, app, role)
		}},
		{name: "role create", run: func(f *changeFixture) (change.Set, error) {
			sc := f.orgScope()
			f.mark()
			_, err := f.s.CreateOrganizationRole(f.ctx, OrganizationRoleInput{Name: uniq("orgrole"), Type: rbac.RoleMachineToMachine,
				OrganizationScopeIDs: []string{sc}})
			return change.Set{}, err
		}},
		{name: "role update name", run: func(f *changeFixture) (change.Set, error) {
			_, _, role, _, _ := f.orgMember()
			f.mark()
			_, err := f.s.UpdateOrganizationRole(f.ctx, role, store.TemplateUpdate{Name: ptr(uniq("renamed"))})
			return change.Set{}, err
		}},
		{name: "role update type", run: func(f *changeFixture) (change.Set, error) {
			_, _, role, _, _ := f.orgMember()
			f.mark()
			_, err := f.s.UpdateOrganizationRole(f.ctx, role, store.TemplateUpdate{Type: rbac.RoleUser})
			return change.Set{OrganizationRoles: []string{role}}, err
		}},
		{name: "role update missing", fails: true, run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			_, err := f.s.UpdateOrganizationRole(f.ctx, "no-such-role", store.TemplateUpdate{Type: rbac.RoleUser})
			return change.Set{}, err
		}},
		{name: "role delete", run: func(f *changeFixture) (change.Set, error) {
			_, _, role, _, _ := f.orgMember()
			f.mark()
			return change.Set{OrganizationRoles: []string{role}}, f.s.DeleteOrganizationRole(f.ctx, role)
		}},
		{name: "role delete missing", fails: true, run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			return change.Set{}, f.s.DeleteOrganizationRole(f.ctx, "no-such-role")
		}},
		{name: "role scopes add", run: func(f *changeFixture) (change.Set, error) {
			_, _, role, _, _ := f.orgMember()
			sc := f.orgScope()
			f.mark()
			return change.Set{OrganizationRoles: []string{role}}, f.s.SetOrganizationRoleScopes(f.ctx, role, []string{sc}, false, false)
		}},
		{name: "role scopes add none", run: func(f *changeFixture) (change.Set, error) {
			_, _, role, _, _ := f.orgMember()
			f.mark()
			return change.Set{}, f.s.SetOrganizationRoleScopes(f.ctx, role, nil, false, false)
		}},
		{name: "role scopes replace", run: func(f *changeFixture) (change.Set, error) {
			_, _, role, _, _ := f.orgMember()
			f.mark()
			return change.Set{OrganizationRoles: []string{role}}, f.s.SetOrganizationRoleScopes(f.ctx, role, nil, false, true)
		}},
		{name: "role resource scopes add", run: func(f *changeFixture) (change.Set, error) {
			_, _, role, _, _ := f.orgMember()
			sc := f.scope(f.resource())
			f.mark()
			return change.Set{OrganizationRoles: []string{role}}, f.s.SetOrganizationRoleScopes(f.ctx, role, []string{sc}, true, false)
		}},
		{name: "role resource scopes replace", run: func(f *changeFixture) (change.Set, error) {
			_, _, role, _, _ := f.orgMember()
			sc := f.scope(f.resource())
			f.mark()
			return change.Set{OrganizationRoles: []string{role}}, f.s.SetOrganizationRoleScopes(f.ctx, role, []string{sc}, true, true)
		}},
		{name: "role scopes replace rolled back", fails: true, run: func(f *changeFixture) (change.Set, error) {
			_, _, role, _, _ := f.orgMember()
			f.mark()
			return change.Set{}, f.s.SetOrganizationRoleScopes(f.ctx, role, []string{"no-such-scope"}, true, true)
		}},
		{name: "role scopes of missing role", fails: true, run: func(f *changeFixture) (change.Set, error) {
			sc := f.orgScope()
			f.mark()
			return change.Set{}, f.s.SetOrganizationRoleScopes(f.ctx, "no-such-role", []string{sc}, false, false)
		}},
		{name: "role scope remove", run: func(f *changeFixture) (change.Set, error) {
			_, _, role, sc, _ := f.orgMember()
			f.mark()
			return change.Set{OrganizationRoles: []string{role}}, f.s.RemoveOrganizationRoleScope(f.ctx, role, sc, false)
		}},
		{name: "role resource scope remove", run: func(f *changeFixture) (change.Set, error) {
			_, _, role, _, res := f.orgMember()
			scopes, err := f.st.ListScopes(f.ctx, rbac.DefaultTenant, res)
			f.must(err)
			f.mark()
			return change.Set{OrganizationRoles: []string{role}}, f.s.RemoveOrganizationRoleScope(f.ctx, role, scopes[0].ID, true)
		}},
		{name: "role scope remove not held", fails: true, run: func(f *changeFixture) (change.Set, error) {
			_, _, role, _, _ := f.orgMember()
			sc := f.orgScope()
			f.mark()
			return change.Set{}, f.s.RemoveOrganizationRoleScope(f.ctx, role, sc, false)
		}},
		{name: "scope create", run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			_, err := f.s.CreateOrganizationScope(f.ctx, uniq("org:write"), nil)
			return change.Set{}, err
		}},
		{name: "scope create taken", fails: true, run: func(f *changeFixture) (change.Set, error) {
			_, _, _, sc, _ := f.orgMember()
			got, err := f.s.GetOrganizationScope(f.ctx, sc)
			f.must(err)
			f.mark()
			_, err = f.s.CreateOrganizationScope(f.ctx, got.Name, nil)
			return change.Set{}, err
		}},
		{name: "scope description", run: func(f *changeFixture) (change.Set, error) {
			_, _, _, sc, _ := f.orgMember()
			f.mark()
			_, err := f.s.UpdateOrganizationScope(f.ctx, sc, store.TemplateUpdate{Description: ptr("d"), DescriptionSet: true})
			return change.Set{}, err
		}},
		{name: "scope rename", run: func(f *changeFixture) (change.Set, error) {
			_, _, _, sc, _ := f.orgMember()
			f.mark()
			_, err := f.s.UpdateOrganizationScope(f.ctx, sc, store.TemplateUpdate{Name: ptr(uniq("org:renamed"))})
			return change.Set{OrganizationTemplate: true}, err
		}},
		{name: "scope rename missing", fails: true, run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			_, err := f.s.UpdateOrganizationScope(f.ctx, "no-such-scope", store.TemplateUpdate{Name: ptr(uniq("org:renamed"))})
			return change.Set{}, err
		}},
		{name: "scope delete", run: func(f *changeFixture) (change.Set, error) {
			_, _, _, sc, _ := f.orgMember()
			f.mark()
			return change.Set{OrganizationTemplate: true}, f.s.DeleteOrganizationScope(f.ctx, sc)
		}},
		{name: "scope delete missing", fails: true, run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			return change.Set{}, f.s.DeleteOrganizationScope(f.ctx, "no-such-scope")
		}},
	})
}
