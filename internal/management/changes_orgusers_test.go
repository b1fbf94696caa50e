package management

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/change"
	"github.com/gatehouse/gatehouse/internal/rbac"
)

// Users in organizations: users get no tokens, so no membership or
// organization role write of a user announces anything, even in an
// organization with member applications holding the same organization
// scopes.
func TestChangesOrganizationUsers(t *testing.T) {
	runChangeCases(t, []changeCase{
		{name: "user organization writes", run: func(f *changeFixture) (change.Set, error) {
			org, _, _, orgScope, _ := f.orgMember()
			role := f.orgRole(rbac.RoleUser, []string{orgScope}, nil)
			u, err := f.s.CreateUser(f.ctx, UserInput{Username: UserField{Set: true, Value: ptr(uniq("user"))}})
			f.must(err)
			f.mark()
			steps := []func() error{
				func() error { return f.s.AddOrganizationUsers(f.ctx, org, []string{u.ID}) },
				func() error { return f.s.AddOrganizationUsersRoles(f.ctx, org, []string{u.ID}, []string{role}) },
				func() error { return f.s.ReplaceOrganizationUserRoles(f.ctx, org, u.ID, []string{role}, nil) },
				func() error {
					_, err := f.s.AddOrganizationUserRoles(f.ctx, org, u.ID, []string{role}, nil)
					return err
				},
				func() error { return f.s.RemoveOrganizationUserRole(f.ctx, org, u.ID, role) },
				func() error { return f.s.ReplaceOrganizationUsers(f.ctx, org, []string{u.ID}) },
				func() error { return f.s.RemoveOrganizationUser(f.ctx, org, u.ID) },
			}
			for _, step := range steps {
				if err := step(); err != nil {
					return change.Set{}, err
				}
			}
			return change.Set{}, nil
		}},
		{name: "user organization write refused", fails: true, run: func(f *changeFixture) (change.Set, error) {
			org := f.org()
			f.mark()
			return change.Set{}, f.s.AddOrganizationUsers(f.ctx, org, []string{"no-such-user"})
		}},
	})
}
