package management

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/change"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/storetest"
)

// Signing keys, the JWT customizer and users: keys, the customizer,
// nothing.
func TestChangesKeysCustomizerUsers(t *testing.T) {
	runChangeCases(t, []changeCase{
		{name: "keys rotate", run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			_, err := f.s.RotateSigningKeys(f.ctx, KeyKindEC, 0)
			return change.Set{Keys: true}, err
		}},
		{name: "keys stage", run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			_, err := f.s.RotateSigningKeys(f.ctx, KeyKindEC, 3600)
			return change.Set{Keys: true}, err
		}},
		{name: "keys rotate while staged", fails: true, run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			_, err := f.s.RotateSigningKeys(f.ctx, KeyKindEC, 0)
			return change.Set{}, err
		}},
		{name: "key delete not previous", fails: true, run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			return change.Set{}, f.s.DeleteSigningKey(f.ctx, f.s.Keys().Current().ID)
		}},
		{name: "key delete", run: func(f *changeFixture) (change.Set, error) {
			list, err := f.s.SigningKeys(f.ctx)
			f.must(err)
			var prev string
			for _, k := range list {
				if k.Status == rbac.KeyPrevious {
					prev = k.ID
				}
			}
			f.mark()
			return change.Set{Keys: true}, f.s.DeleteSigningKey(f.ctx, prev)
		}},
		{name: "key delete missing", fails: true, run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			return change.Set{}, f.s.DeleteSigningKey(f.ctx, "no-such-key")
		}},
		{name: "customizer put", run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			_, _, err := f.s.PutJWTCustomizer(f.ctx, &JWTCustomizer{Script: "const getCustomJwtClaims = async () => ({a: 1});"})
			return change.Set{Customizer: true}, err
		}},
		{name: "customizer patch", run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			_, err := f.s.PatchJWTCustomizer(f.ctx, &JWTCustomizer{Script: "const getCustomJwtClaims = async () => ({a: 2});"})
			return change.Set{Customizer: true}, err
		}},
		{name: "customizer delete", run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			return change.Set{Customizer: true}, f.s.DeleteJWTCustomizer(f.ctx)
		}},
		{name: "customizer patch missing", fails: true, run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			_, err := f.s.PatchJWTCustomizer(f.ctx, &JWTCustomizer{Script: "x"})
			return change.Set{}, err
		}},
		{name: "customizer delete missing", fails: true, run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			return change.Set{}, f.s.DeleteJWTCustomizer(f.ctx)
		}},
		{name: "user writes", run: func(f *changeFixture) (change.Set, error) {
			role := f.role(rbac.RoleUser, f.scope(f.resource()))
			f.mark()
			u, err := f.s.CreateUser(f.ctx, UserInput{Username: UserField{Set: true, Value: ptr(uniq("user"))}})
			if err != nil {
				return change.Set{}, err
			}
			if _, err := f.s.AddUserRoles(f.ctx, u.ID, []string{role}); err != nil {
				return change.Set{}, err
			}
			if err := f.s.RemoveRoleUser(f.ctx, role, u.ID); err != nil {
				return change.Set{}, err
			}
			if _, err := f.s.UpdateUser(f.ctx, u.ID, UserInput{Name: UserField{Set: true, Value: ptr("n")}}); err != nil {
				return change.Set{}, err
			}
			return change.Set{}, f.s.DeleteUser(f.ctx, u.ID)
		}},
	})
}

// Seeding and the bootstrap application announce what they wrote, each
// step that changes grants as a write of its own (notified inside its
// transaction), and nothing when there was nothing to write.
func TestChangesSeed(t *testing.T) {
	for _, eng := range storetest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			ctx := context.Background()
			s, st, rec := newChangeService(t, eng)
			step := func(what string, want func() change.Set, do func() error) {
				t.Helper()
				rec.take()
				before, err := readGrantState(ctx, st)
				if err != nil {
					t.Fatal(err)
				}
				if err := do(); err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				after, err := readGrantState(ctx, st)
				if err != nil {
					t.Fatal(err)
				}
				t.Run(what, func(t *testing.T) { checkAnnounced(t, want(), steps(rec.take()), before, after) })
			}
			none := func() change.Set { return change.Set{} }
			step("seed", func() change.Set {
				role, err := st.GetRoleByName(ctx, rbac.DefaultTenant, ManagementRoleName)
				if err != nil {
					t.Fatal(err)
				}
				return change.Set{Resources: []string{ManagementResourceID}, Roles: []string{role.ID, InternalAdminRoleID}}
			}, func() error { return s.Seed(ctx) })
			step("seed again", none, func() error { return s.Seed(ctx) })

			const id, plain = "bootstrap", "a bootstrap secret of 32 chars.."
			app := func() change.Set { return change.App(id) }
			step("bootstrap create", app, func() error {
				created, err := s.EnsureBootstrapApp(ctx, id, plain)
				if err == nil && !created {
					err = errors.New("not created")
				}
				return err
			})
			step("bootstrap as it is", none, func() error {
				_, err := s.EnsureBootstrapApp(ctx, id, plain)
				return err
			})
			step("bootstrap new secret", app, func() error {
				_, err := s.EnsureBootstrapApp(ctx, id, plain+"!")
				return err
			})
			role, err := st.GetRoleByName(ctx, rbac.DefaultTenant, ManagementRoleName)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.RemoveAppRole(ctx, id, role.ID); err != nil {
				t.Fatal(err)
			}
			step("bootstrap role given back", app, func() error {
				_, err := s.EnsureBootstrapApp(ctx, id, plain+"!")
				return err
			})
			step("first bootstrap after a configured one", none, func() error {
				if _, _, ok, err := s.CreateFirstBootstrapApp(ctx); err != nil || ok {
					return fmt.Errorf("made a second bootstrap app (%v)", err)
				}
				return nil
			})
		})
	}
}

// A first bootstrap app with a generated id announces that app: its
// creation, then its role, each as a write.
func TestChangesFirstBootstrap(t *testing.T) {
	for _, eng := range storetest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			ctx := context.Background()
			s, st, rec := newChangeService(t, eng)
			if err := s.Seed(ctx); err != nil {
				t.Fatal(err)
			}
			rec.take()
			before, err := readGrantState(ctx, st)
			if err != nil {
				t.Fatal(err)
			}
			id, _, ok, err := s.CreateFirstBootstrapApp(ctx)
			if err != nil || !ok {
				t.Fatalf("first bootstrap: %v %v", ok, err)
			}
			after, err := readGrantState(ctx, st)
			if err != nil {
				t.Fatal(err)
			}
			got := rec.take()
			if len(got) != 2 {
				t.Errorf("first bootstrap announced %d times, want twice (the app, its role)", len(got))
			}
			checkAnnounced(t, change.App(id), steps(got), before, after)
			if !strings.Contains(after.apps[id], ManagementScopeName) {
				t.Fatalf("bootstrap app without the Management API scope: %s", after.apps[id])
			}
			if _, _, ok, err := s.CreateFirstBootstrapApp(ctx); err != nil || ok {
				t.Fatalf("second first bootstrap: %v %v", ok, err)
			}
			if got := rec.take(); len(got) != 0 {
				t.Fatalf("second first bootstrap announced %+v", got[0].set)
			}
		})
	}
}

// steps merges the announcements of a sequence of writes into one, for
// checkAnnounced: the union of their Sets, notified only if each was, and
// the store as the last one saw it. Stray notifications stay apart.
func steps(got []announced) []announced {
	var m *announced
	var out []announced
	for _, a := range got {
		switch {
		case a.stray:
			out = append(out, a)
		case m == nil:
			m = &a
		default:
			m.set = m.set.Merge(a.set)
			m.state = a.state
			m.err = errors.Join(m.err, a.err)
			if a.notified != nil && !*a.notified {
				m.notified = a.notified
			}
		}
	}
	if m != nil {
		out = append([]announced{*m}, out...)
	}
	return out
}
