package store

import (
	"context"
	"reflect"
	"sort"
	"testing"
)

// orgGrant is what an application may be granted in one organization,
// as the grant cache derives it from LoadGrants' rows.
type orgGrant struct {
	Scopes    []string            // organization scopes, sorted
	Resources map[string][]string // resource indicator: scopes, sorted
}

// loadedGrants is what LoadGrants reads of app in tenant, aggregated as the
// grant cache aggregates it: the scopes its M2M roles grant per resource
// indicator, and what it holds per organization it is a member of (both
// sorted and deduplicated).
func loadedGrants(t *testing.T, s *Store, tenant, app string) (map[string][]string, map[string]*orgGrant) {
	t.Helper()
	grants, orgs := map[string][]string{}, map[string]*orgGrant{}
	calls := 0
	err := s.Reader().LoadGrants(context.Background(), tenant, app, app, func(g *AppGrants) error {
		calls++
		if g.ID != app {
			t.Fatalf("loaded %s for %s", g.ID, app)
		}
		for _, r := range g.Roles {
			if r.Indicator != "" {
				grants[r.Indicator] = append(grants[r.Indicator], r.Scope)
			}
		}
		for _, r := range g.Organizations {
			o := orgs[r.OrganizationID]
			if o == nil {
				o = &orgGrant{Scopes: []string{}, Resources: map[string][]string{}}
				orgs[r.OrganizationID] = o
			}
			switch {
			case r.ResourceID != "":
				o.Resources[r.Indicator] = append(o.Resources[r.Indicator], r.Scope)
			case r.Scope != "":
				o.Scopes = append(o.Scopes, r.Scope)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls > 1 {
		t.Fatalf("%d calls for one application", calls)
	}
	for ind, names := range grants {
		grants[ind] = sortedUnique(names)
	}
	for _, o := range orgs {
		o.Scopes = sortedUnique(o.Scopes)
		for ind, names := range o.Resources {
			o.Resources[ind] = sortedUnique(names)
		}
	}
	return grants, orgs
}

func sortedUnique(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func TestLoadGrantsPages(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for _, id := range []string{"a1", "a2", "a3", "b1"} {
			wantErr(t, "app", s.InsertApplication(ctx, m2mApp(id)), nil)
		}
		ids, err := s.Reader().ApplicationIDs(ctx, tenant, "", 2)
		if err != nil || !reflect.DeepEqual(ids, []string{"a1", "a2"}) {
			t.Fatalf("page 1: %v %v", ids, err)
		}
		ids, _ = s.Reader().ApplicationIDs(ctx, tenant, "a2", 10)
		if !reflect.DeepEqual(ids, []string{"a3", "b1"}) {
			t.Fatalf("page 2: %v", ids)
		}
		var got []string
		err = s.Reader().LoadGrants(ctx, tenant, "a2", "b1", func(g *AppGrants) error {
			got = append(got, g.ID)
			if g.Type != "MachineToMachine" || string(g.CustomClientMetadata) == "" {
				t.Fatalf("app %+v", g)
			}
			return nil
		})
		if err != nil || !reflect.DeepEqual(got, []string{"a2", "a3", "b1"}) {
			t.Fatalf("range: %v %v", got, err)
		}
		if err := s.Reader().LoadGrants(ctx, tenant, "zz", "zz", func(*AppGrants) error { t.Fatal("called"); return nil }); err != nil {
			t.Fatal(err)
		}
	})
}
