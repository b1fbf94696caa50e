package management

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/change"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Resources and their scopes: the resource (the list, and the
// applications granted on it).
func TestChangesResources(t *testing.T) {
	runChangeCases(t, []changeCase{
		{name: "create", run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			r, err := f.s.CreateResource(f.ctx, ResourceInput{Name: "n", Indicator: "https://new.example"})
			if err != nil {
				return change.Set{}, err
			}
			return change.Set{Resources: []string{r.ID}}, nil
		}},
		{name: "create taken", fails: true, run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			_, err := f.s.CreateResource(f.ctx, ResourceInput{Name: "n", Indicator: "https://new.example"})
			return change.Set{}, err
		}},
		{name: "update name", run: func(f *changeFixture) (change.Set, error) {
			_, _, res, _ := f.grantedApp()
			f.mark()
			_, err := f.s.UpdateResource(f.ctx, res, ptr("renamed"), nil)
			return change.Set{}, err
		}},
		{name: "update ttl", run: func(f *changeFixture) (change.Set, error) {
			_, _, res, _ := f.grantedApp()
			f.mark()
			_, err := f.s.UpdateResource(f.ctx, res, nil, ptr(int64(60)))
			return change.Set{Resources: []string{res}}, err
		}},
		{name: "update Management API", fails: true, run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			_, err := f.s.UpdateResource(f.ctx, ManagementResourceID, nil, ptr(int64(60)))
			return change.Set{}, err
		}},
		{name: "update missing", fails: true, run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			_, err := f.s.UpdateResource(f.ctx, "no-such-resource", nil, ptr(int64(60)))
			return change.Set{}, err
		}},
		{name: "default set", run: func(f *changeFixture) (change.Set, error) {
			res := f.resource()
			f.mark()
			_, err := f.s.SetResourceDefault(f.ctx, res, true)
			return change.Set{Resources: []string{res}}, err
		}},
		{name: "default switch", run: func(f *changeFixture) (change.Set, error) {
			old, res := f.resource(), f.resource()
			_, err := f.s.SetResourceDefault(f.ctx, old, true)
			f.must(err)
			f.mark()
			_, err = f.s.SetResourceDefault(f.ctx, res, true)
			return change.Set{Resources: []string{old, res}}, err
		}},
		{name: "default set as it is", run: func(f *changeFixture) (change.Set, error) {
			res := f.resource()
			_, err := f.s.SetResourceDefault(f.ctx, res, true)
			f.must(err)
			f.mark()
			_, err = f.s.SetResourceDefault(f.ctx, res, true)
			return change.Set{}, err
		}},
		{name: "default unset", run: func(f *changeFixture) (change.Set, error) {
			res := f.resource()
			_, err := f.s.SetResourceDefault(f.ctx, res, true)
			f.must(err)
			f.mark()
			_, err = f.s.SetResourceDefault(f.ctx, res, false)
			return change.Set{Resources: []string{res}}, err
		}},
		{name: "default unset as it is", run: func(f *changeFixture) (change.Set, error) {
			res := f.resource()
			f.mark()
			_, err := f.s.SetResourceDefault(f.ctx, res, false)
			return change.Set{}, err
		}},
		{name: "default missing", fails: true, run: func(f *changeFixture) (change.Set, error) {
			res := f.resource()
			_, err := f.s.SetResourceDefault(f.ctx, res, true)
			f.must(err)
			f.mark()
			_, err = f.s.SetResourceDefault(f.ctx, "no-such-resource", true)
			return change.Set{}, err
		}},
		{name: "delete", run: func(f *changeFixture) (change.Set, error) {
			_, _, res, _ := f.grantedApp()
			f.mark()
			return change.Set{Resources: []string{res}}, f.s.DeleteResource(f.ctx, res)
		}},
		{name: "delete Management API", fails: true, run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			return change.Set{}, f.s.DeleteResource(f.ctx, ManagementResourceID)
		}},
		{name: "scope create", run: func(f *changeFixture) (change.Set, error) {
			_, _, res, _ := f.grantedApp()
			f.mark()
			_, err := f.s.CreateScope(f.ctx, res, "write", nil)
			return change.Set{}, err
		}},
		{name: "scope create with space", fails: true, run: func(f *changeFixture) (change.Set, error) {
			res := f.resource()
			f.mark()
			_, err := f.s.CreateScope(f.ctx, res, "a b", nil)
			return change.Set{}, err
		}},
		{name: "scope create on Management API", fails: true, run: func(f *changeFixture) (change.Set, error) {
			f.mark()
			_, err := f.s.CreateScope(f.ctx, ManagementResourceID, "x", nil)
			return change.Set{}, err
		}},
		{name: "scope description", run: func(f *changeFixture) (change.Set, error) {
			_, _, res, sc := f.grantedApp()
			f.mark()
			_, err := f.s.UpdateScope(f.ctx, res, sc, store.ScopeUpdate{Description: ptr("d"), SetDescription: true})
			return change.Set{}, err
		}},
		{name: "scope rename", run: func(f *changeFixture) (change.Set, error) {
			_, _, res, sc := f.grantedApp()
			f.mark()
			_, err := f.s.UpdateScope(f.ctx, res, sc, store.ScopeUpdate{Name: ptr("renamed")})
			return change.Set{Resources: []string{res}}, err
		}},
		{name: "scope rename taken", fails: true, run: func(f *changeFixture) (change.Set, error) {
			_, _, res, sc := f.grantedApp()
			_, err := f.s.CreateScope(f.ctx, res, "taken", nil)
			f.must(err)
			f.mark()
			_, err = f.s.UpdateScope(f.ctx, res, sc, store.ScopeUpdate{Name: ptr("taken")})
			return change.Set{}, err
		}},
		{name: "scope rename missing", fails: true, run: func(f *changeFixture) (change.Set, error) {
			res := f.resource()
			f.mark()
			_, err := f.s.UpdateScope(f.ctx, res, "no-such-scope", store.ScopeUpdate{Name: ptr("x")})
			return change.Set{}, err
		}},
		{name: "scope delete", run: func(f *changeFixture) (change.Set, error) {
			_, _, res, sc := f.grantedApp()
			f.mark()
			return change.Set{Resources: []string{res}}, f.s.DeleteScope(f.ctx, res, sc)
		}},
		{name: "scope delete missing", fails: true, run: func(f *changeFixture) (change.Set, error) {
			res := f.resource()
			f.mark()
			return change.Set{}, f.s.DeleteScope(f.ctx, res, "no-such-scope")
		}},
	})
}
