package management

import (
	"encoding/json"
	"testing"

	"github.com/gatehouse/gatehouse/internal/change"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Applications, their secrets and their roles as the application side
// writes them: the application itself.
func TestChangesApplications(t *testing.T) {
	ghost := "no-such-app"
	runChangeCases(t, []changeCase{
		{name: "create", run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			a, err := f.s.CreateApplication(f.ctx, AppCreate{Name: "new", Type: rbac.AppMachineToMachine})
			if err != nil {
				return change.Set{}, err
			}
			return change.App(a.ID), nil
		}},
		{name: "create SAML", fails: true, run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			_, err := f.s.CreateApplication(f.ctx, AppCreate{Name: "new", Type: rbac.AppSAML})
			return change.Set{}, err
		}},
		{name: "update name", run: func(f *changeFixture) (change.Set, error) {
			app := f.app()
			f.mark()
			_, err := f.s.UpdateApplication(f.ctx, app, AppPatch{Name: ptr("renamed")})
			return change.App(app), err
		}},
		{name: "update metadata", run: func(f *changeFixture) (change.Set, error) {
			app := f.app()
			f.mark()
			_, err := f.s.UpdateApplication(f.ctx, app, AppPatch{CustomClientMetadata: json.RawMessage(`{"corsAllowedOrigins":["https://x"]}`)})
			return change.App(app), err
		}},
		{name: "update isAdmin", run: func(f *changeFixture) (change.Set, error) {
			app := f.app()
			f.mark()
			_, err := f.s.UpdateApplication(f.ctx, app, AppPatch{IsAdmin: ptr(true)})
			return change.App(app), err
		}},
		{name: "update isAdmin as it is", run: func(f *changeFixture) (change.Set, error) {
			app := f.app()
			f.mark()
			_, err := f.s.UpdateApplication(f.ctx, app, AppPatch{IsAdmin: ptr(false)})
			return change.Set{}, err
		}},
		{name: "update nothing", run: func(f *changeFixture) (change.Set, error) {
			app := f.app()
			f.mark()
			_, err := f.s.UpdateApplication(f.ctx, app, AppPatch{})
			return change.Set{}, err
		}},
		{name: "update missing", fails: true, run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			_, err := f.s.UpdateApplication(f.ctx, ghost, AppPatch{Name: ptr("x")})
			return change.Set{}, err
		}},
		{name: "update rolled back", fails: true, run: func(f *changeFixture) (change.Set, error) {
			app := f.app()
			f.mark()
			// The admin role is given, then the protected metadata refused.
			_, err := f.s.UpdateApplication(f.ctx, app, AppPatch{IsAdmin: ptr(true), ProtectedAppMetadata: json.RawMessage(`{}`)})
			return change.Set{}, err
		}},
		{name: "delete", run: func(f *changeFixture) (change.Set, error) {
			app, _, _, _ := f.grantedApp()
			f.mark()
			return change.App(app), f.s.DeleteApplication(f.ctx, app)
		}},
		{name: "delete missing", fails: true, run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			return change.Set{}, f.s.DeleteApplication(f.ctx, ghost)
		}},
		{name: "custom data", run: func(f *changeFixture) (change.Set, error) {
			app := f.app()
			f.mark()
			_, err := f.s.MergeApplicationCustomData(f.ctx, app, map[string]json.RawMessage{"tier": json.RawMessage(`"gold"`)})
			return change.App(app), err
		}},
		{name: "custom data missing", fails: true, run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			_, err := f.s.MergeApplicationCustomData(f.ctx, ghost, map[string]json.RawMessage{"tier": json.RawMessage(`"gold"`)})
			return change.Set{}, err
		}},
		{name: "secret create", run: func(f *changeFixture) (change.Set, error) {
			app := f.app()
			f.mark()
			_, err := f.s.CreateAppSecret(f.ctx, app, "second", nil)
			return change.App(app), err
		}},
		{name: "secret create expired", fails: true, run: func(f *changeFixture) (change.Set, error) {
			app := f.app()
			f.mark()
			_, err := f.s.CreateAppSecret(f.ctx, app, "second", ptr(int64(1)))
			return change.Set{}, err
		}},
		{name: "secret create taken", fails: true, run: func(f *changeFixture) (change.Set, error) {
			app := f.app()
			f.mark()
			_, err := f.s.CreateAppSecret(f.ctx, app, DefaultSecretName, nil)
			return change.Set{}, err
		}},
		{name: "secret create missing app", fails: true, run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			_, err := f.s.CreateAppSecret(f.ctx, ghost, "x", nil)
			return change.Set{}, err
		}},
		{name: "secret rename", run: func(f *changeFixture) (change.Set, error) {
			app := f.app()
			f.mark()
			_, err := f.s.RenameAppSecret(f.ctx, app, DefaultSecretName, "renamed")
			return change.App(app), err
		}},
		{name: "secret rename taken", fails: true, run: func(f *changeFixture) (change.Set, error) {
			app := f.app()
			_, err := f.s.CreateAppSecret(f.ctx, app, "second", nil)
			f.must(err)
			f.mark()
			_, err = f.s.RenameAppSecret(f.ctx, app, DefaultSecretName, "second")
			return change.Set{}, err
		}},
		{name: "secret delete", run: func(f *changeFixture) (change.Set, error) {
			app := f.app()
			f.mark()
			return change.App(app), f.s.DeleteAppSecret(f.ctx, app, DefaultSecretName)
		}},
		{name: "secret delete missing", fails: true, run: func(f *changeFixture) (change.Set, error) {
			app := f.app()
			f.mark()
			return change.Set{}, f.s.DeleteAppSecret(f.ctx, app, "none")
		}},
		{name: "legacy secret delete", fails: true, run: func(f *changeFixture) (change.Set, error) {
			app := f.app()
			f.mark()
			return change.Set{}, f.s.DeleteLegacySecret(f.ctx, app)
		}},
		{name: "roles add", run: func(f *changeFixture) (change.Set, error) {
			res := f.resource()
			role := f.role(rbac.RoleMachineToMachine, f.scope(res))
			app := f.app()
			f.mark()
			_, err := f.s.AddAppRoles(f.ctx, app, []string{role, role})
			return change.App(app), err
		}},
		{name: "roles add held", run: func(f *changeFixture) (change.Set, error) {
			app, role, _, _ := f.grantedApp()
			f.mark()
			_, err := f.s.AddAppRoles(f.ctx, app, []string{role})
			return change.Set{}, err
		}},
		{name: "roles add User role", fails: true, run: func(f *changeFixture) (change.Set, error) {
			role := f.role(rbac.RoleUser)
			app := f.app()
			f.mark()
			_, err := f.s.AddAppRoles(f.ctx, app, []string{role})
			return change.Set{}, err
		}},
		{name: "roles add rolled back", fails: true, run: func(f *changeFixture) (change.Set, error) {
			res := f.resource()
			role := f.role(rbac.RoleMachineToMachine, f.scope(res))
			app := f.app()
			f.mark()
			_, err := f.s.AddAppRoles(f.ctx, app, []string{role, "no-such-role"})
			return change.Set{}, err
		}},
		{name: "roles replace", run: func(f *changeFixture) (change.Set, error) {
			app, _, res, _ := f.grantedApp()
			other := f.role(rbac.RoleMachineToMachine, f.scope(res))
			f.mark()
			return change.App(app), f.s.ReplaceAppRoles(f.ctx, app, []string{other})
		}},
		{name: "roles replace as they are", run: func(f *changeFixture) (change.Set, error) {
			app, role, _, _ := f.grantedApp()
			f.mark()
			return change.Set{}, f.s.ReplaceAppRoles(f.ctx, app, []string{role})
		}},
		{name: "roles replace rolled back", fails: true, run: func(f *changeFixture) (change.Set, error) {
			app, _, _, _ := f.grantedApp()
			f.mark()
			return change.Set{}, f.s.ReplaceAppRoles(f.ctx, app, []string{"no-such-role"})
		}},
		{name: "role remove", run: func(f *changeFixture) (change.Set, error) {
			app, role, _, _ := f.grantedApp()
			f.mark()
			return change.App(app), f.s.RemoveAppRole(f.ctx, app, role)
		}},
		{name: "role remove not held", fails: true, run: func(f *changeFixture) (change.Set, error) {
			app := f.app()
			role := f.role(rbac.RoleMachineToMachine)
			f.mark()
			return change.Set{}, f.s.RemoveAppRole(f.ctx, app, role)
		}},
	})
}

// Roles: their applications (the applications named), their scopes and
// their deletion (the role, for the cache to find its holders).
func TestChangesRoles(t *testing.T) {
	runChangeCases(t, []changeCase{
		{name: "applications add", run: func(f *changeFixture) (change.Set, error) {
			role := f.role(rbac.RoleMachineToMachine, f.scope(f.resource()))
			a1, a2 := f.app(), f.app()
			f.mark()
			return change.App(a1, a2), f.s.AddRoleApplications(f.ctx, role, []string{a1, a2, a1})
		}},
		{name: "applications add held", fails: true, run: func(f *changeFixture) (change.Set, error) {
			app, role, _, _ := f.grantedApp()
			other := f.app()
			f.mark()
			return change.Set{}, f.s.AddRoleApplications(f.ctx, role, []string{other, app})
		}},
		{name: "applications add rolled back", fails: true, run: func(f *changeFixture) (change.Set, error) {
			role := f.role(rbac.RoleMachineToMachine, f.scope(f.resource()))
			app := f.app()
			f.mark()
			return change.Set{}, f.s.AddRoleApplications(f.ctx, role, []string{app, "no-such-app"})
		}},
		{name: "applications add User role", fails: true, run: func(f *changeFixture) (change.Set, error) {
			role := f.role(rbac.RoleUser)
			app := f.app()
			f.mark()
			return change.Set{}, f.s.AddRoleApplications(f.ctx, role, []string{app})
		}},
		{name: "application remove", run: func(f *changeFixture) (change.Set, error) {
			app, role, _, _ := f.grantedApp()
			f.mark()
			return change.App(app), f.s.RemoveRoleApplication(f.ctx, role, app)
		}},
		{name: "application remove not held", fails: true, run: func(f *changeFixture) (change.Set, error) {
			app := f.app()
			role := f.role(rbac.RoleMachineToMachine)
			f.mark()
			return change.Set{}, f.s.RemoveRoleApplication(f.ctx, role, app)
		}},
		{name: "create with scopes", run: func(f *changeFixture) (change.Set, error) {
			sc := f.scope(f.resource())
			f.mark()
			_, err := f.s.CreateRole(f.ctx, RoleInput{Name: uniq("role"), Type: rbac.RoleMachineToMachine, ScopeIDs: []string{sc}})
			return change.Set{}, err
		}},
		{name: "create rolled back", fails: true, run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			_, err := f.s.CreateRole(f.ctx, RoleInput{Name: uniq("role"), Type: rbac.RoleMachineToMachine, ScopeIDs: []string{"no-such-scope"}})
			return change.Set{}, err
		}},
		{name: "update name and description", run: func(f *changeFixture) (change.Set, error) {
			_, role, _, _ := f.grantedApp()
			f.mark()
			_, err := f.s.UpdateRole(f.ctx, role, store.RoleUpdate{Name: ptr(uniq("renamed")), Description: ptr("new")})
			return change.Set{}, err
		}},
		{name: "update name taken", fails: true, run: func(f *changeFixture) (change.Set, error) {
			_, role, _, _ := f.grantedApp()
			f.mark()
			_, err := f.s.UpdateRole(f.ctx, role, store.RoleUpdate{Name: ptr(ManagementRoleName)})
			return change.Set{}, err
		}},
		{name: "scopes add", run: func(f *changeFixture) (change.Set, error) {
			_, role, res, _ := f.grantedApp()
			sc := f.scope(res)
			f.mark()
			_, err := f.s.AddRoleScopes(f.ctx, role, []string{sc})
			return change.Set{Roles: []string{role}}, err
		}},
		{name: "scopes add to User role", run: func(f *changeFixture) (change.Set, error) {
			role := f.role(rbac.RoleUser)
			sc := f.scope(f.resource())
			f.mark()
			_, err := f.s.AddRoleScopes(f.ctx, role, []string{sc})
			return change.Set{}, err
		}},
		{name: "scopes add held", fails: true, run: func(f *changeFixture) (change.Set, error) {
			_, role, _, sc := f.grantedApp()
			f.mark()
			_, err := f.s.AddRoleScopes(f.ctx, role, []string{sc})
			return change.Set{}, err
		}},
		{name: "scopes add rolled back", fails: true, run: func(f *changeFixture) (change.Set, error) {
			_, role, res, _ := f.grantedApp()
			sc := f.scope(res)
			f.mark()
			_, err := f.s.AddRoleScopes(f.ctx, role, []string{sc, "no-such-scope"})
			return change.Set{}, err
		}},
		{name: "scope remove", run: func(f *changeFixture) (change.Set, error) {
			_, role, _, sc := f.grantedApp()
			f.mark()
			return change.Set{Roles: []string{role}}, f.s.RemoveRoleScope(f.ctx, role, sc)
		}},
		{name: "scope remove from User role", run: func(f *changeFixture) (change.Set, error) {
			sc := f.scope(f.resource())
			role := f.role(rbac.RoleUser, sc)
			f.mark()
			return change.Set{}, f.s.RemoveRoleScope(f.ctx, role, sc)
		}},
		{name: "scope remove not held", fails: true, run: func(f *changeFixture) (change.Set, error) {
			_, role, res, _ := f.grantedApp()
			sc := f.scope(res)
			f.mark()
			return change.Set{}, f.s.RemoveRoleScope(f.ctx, role, sc)
		}},
		{name: "scope remove missing role", fails: true, run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			return change.Set{}, f.s.RemoveRoleScope(f.ctx, "no-such-role", "no-such-scope")
		}},
		{name: "delete", run: func(f *changeFixture) (change.Set, error) {
			_, role, _, _ := f.grantedApp()
			f.mark()
			return change.Set{Roles: []string{role}}, f.s.DeleteRole(f.ctx, role)
		}},
		{name: "delete User role", run: func(f *changeFixture) (change.Set, error) {
			role := f.role(rbac.RoleUser, f.scope(f.resource()))
			f.mark()
			return change.Set{}, f.s.DeleteRole(f.ctx, role)
		}},
		{name: "delete missing", fails: true, run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			return change.Set{}, f.s.DeleteRole(f.ctx, "no-such-role")
		}},
	})
}
