package management

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/change"
)

// Federated credentials change what authenticates an application: each
// write names the application, and a failed one nothing.
func TestChangesFederatedCredentials(t *testing.T) {
	in := FederatedCreate{Name: "pod", Issuer: "https://k8s.example", Subject: "system:serviceaccount:a:b", Audiences: []string{"x"}}
	runChangeCases(t, []changeCase{
		{name: "create", run: func(f *changeFixture) (change.Set, error) {
			app := f.app()
			f.mark()
			_, err := f.s.CreateFederatedCredential(f.ctx, app, in)
			return change.App(app), err
		}},
		{name: "create for a missing app", fails: true, run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			_, err := f.s.CreateFederatedCredential(f.ctx, "no-such-app", in)
			return change.Set{}, err
		}},
		{name: "create with a name in use", fails: true, run: func(f *changeFixture) (change.Set, error) {
			app := f.app()
			if _, err := f.s.CreateFederatedCredential(f.ctx, app, in); err != nil {
				return change.Set{}, err
			}
			f.mark()
			_, err := f.s.CreateFederatedCredential(f.ctx, app, in)
			return change.Set{}, err
		}},
		{name: "delete", run: func(f *changeFixture) (change.Set, error) {
			app := f.app()
			c, err := f.s.CreateFederatedCredential(f.ctx, app, in)
			if err != nil {
				return change.Set{}, err
			}
			f.mark()
			return change.App(app), f.s.DeleteFederatedCredential(f.ctx, app, c.ID)
		}},
		{name: "delete missing", fails: true, run: func(f *changeFixture) (change.Set, error) {
			app := f.app()
			f.mark()
			return change.Set{}, f.s.DeleteFederatedCredential(f.ctx, app, "nope")
		}},
	})
}
