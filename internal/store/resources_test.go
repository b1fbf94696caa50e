package store

import (
	"context"
	"slices"
	"testing"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

func resource(id, indicator string) *rbac.Resource {
	return &rbac.Resource{TenantID: tenant, ID: id, Name: "API " + id, Indicator: indicator, AccessTokenTTL: 3600}
}

func TestResources(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := resource("ra", "https://api.example.com")
		a.AccessTokenTTL = 7200
		wantErr(t, "insert a", s.InsertResource(ctx, a), nil)
		wantErr(t, "insert b", s.InsertResource(ctx, resource("rb", "https://b.example.com/")), nil)

		got, err := s.GetResource(ctx, tenant, "ra")
		wantErr(t, "get", err, nil)
		if *got != *a {
			t.Fatalf("round trip: %+v, want %+v", got, a)
		}
		got, err = s.GetResourceByIndicator(ctx, tenant, "https://api.example.com")
		wantErr(t, "by indicator", err, nil)
		if got.ID != "ra" {
			t.Fatalf("by indicator: %+v", got)
		}
		for _, ind := range []string{"https://api.example.com/", "https://API.example.com", "https://b.example.com"} {
			_, err = s.GetResourceByIndicator(ctx, tenant, ind)
			wantErr(t, "inexact indicator "+ind, err, ErrNotFound)
		}
		_, err = s.GetResource(ctx, tenant, "missing")
		wantErr(t, "get missing", err, ErrNotFound)
		wantErr(t, "duplicate indicator", s.InsertResource(ctx, resource("rc", "https://api.example.com")), ErrConflict)
		wantErr(t, "duplicate id", s.InsertResource(ctx, resource("ra", "https://other.example.com")), ErrConflict)

		list, err := s.ListResources(ctx, tenant)
		wantErr(t, "list", err, nil)
		if len(list) != 2 || list[0].ID != "ra" || list[1].ID != "rb" || list[0].AccessTokenTTL != 7200 {
			t.Fatalf("list: %+v", list)
		}
		if list, _ := s.ListResources(ctx, "nobody"); len(list) != 0 {
			t.Fatalf("other tenant list: %+v", list)
		}
	})
}

func TestDefaultResource(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		wantDefault := func(want string) {
			t.Helper()
			got, err := s.GetDefaultResource(ctx, tenant)
			if want == "" {
				wantErr(t, "no default", err, ErrNotFound)
				return
			}
			wantErr(t, "default", err, nil)
			if got.ID != want || !got.IsDefault {
				t.Fatalf("default = %+v, want %s", got, want)
			}
			list, _ := s.ListResources(ctx, tenant)
			n := 0
			for _, r := range list {
				if r.IsDefault {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%d default resources", n)
			}
		}
		wantDefault("")
		a := resource("ra", "https://a")
		a.IsDefault = true
		wantErr(t, "insert default", s.InsertResource(ctx, a), nil)
		wantErr(t, "insert b", s.InsertResource(ctx, resource("rb", "https://b")), nil)
		wantDefault("ra")
		c := resource("rc", "https://c")
		c.IsDefault = true
		wantErr(t, "second default", s.InsertResource(ctx, c), ErrConflict)

		setDefault := func(what, id string, on bool, want ...string) {
			t.Helper()
			changed, err := s.SetDefaultResource(ctx, tenant, id, on)
			wantErr(t, what, err, nil)
			if !slices.Equal(changed, want) {
				t.Errorf("%s: changed %q, want %q", what, changed, want)
			}
		}
		setDefault("switch", "rb", true, "ra", "rb")
		wantDefault("rb")
		setDefault("set again", "rb", true)
		wantDefault("rb")
		_, err := s.SetDefaultResource(ctx, tenant, "ghost", true)
		wantErr(t, "missing", err, ErrNotFound)
		wantDefault("rb") // the failed call rolled back its clearing
		var changed []string
		wantErr(t, "switch inside tx", s.Tx(ctx, func(q *Queries) error {
			var err error
			changed, err = q.SetDefaultResource(ctx, tenant, "ra", true)
			return err
		}), nil)
		if !slices.Equal(changed, []string{"rb", "ra"}) {
			t.Errorf("switch inside tx: changed %q", changed)
		}
		wantDefault("ra")
		setDefault("unset other", "rb", false)
		wantDefault("ra")
		setDefault("unset", "ra", false, "ra")
		wantDefault("")
		_, err = s.SetDefaultResource(ctx, tenant, "ghost", false)
		wantErr(t, "unset missing", err, ErrNotFound)
	})
}

func TestScopes(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		wantErr(t, "resource a", s.InsertResource(ctx, resource("ra", "https://a")), nil)
		wantErr(t, "resource b", s.InsertResource(ctx, resource("rb", "https://b")), nil)
		scopes := []rbac.Scope{
			{TenantID: tenant, ID: "s3", ResourceID: "ra", Name: "write", CreatedAt: 20},
			{TenantID: tenant, ID: "s1", ResourceID: "ra", Name: "read", Description: ptr("Read things"), CreatedAt: 10},
			{TenantID: tenant, ID: "s2", ResourceID: "ra", Name: "admin", CreatedAt: 20},
			{TenantID: tenant, ID: "s4", ResourceID: "rb", Name: "read", CreatedAt: 5},
		}
		for i := range scopes {
			wantErr(t, "insert "+scopes[i].ID, s.InsertScope(ctx, &scopes[i]), nil)
		}
		got, err := s.ListScopes(ctx, tenant, "ra")
		wantErr(t, "list", err, nil)
		if len(got) != 3 || got[0].ID != "s1" || got[1].ID != "s2" || got[2].ID != "s3" {
			t.Fatalf("order: %+v", got)
		}
		if got[0].Description == nil || *got[0].Description != "Read things" || got[1].Description != nil ||
			got[0].ResourceID != "ra" || got[0].CreatedAt != 10 || got[0].TenantID != tenant || got[0].Name != "read" {
			t.Fatalf("round trip: %+v", got[:2])
		}
		wantErr(t, "duplicate name", s.InsertScope(ctx, &rbac.Scope{TenantID: tenant, ID: "s5", ResourceID: "ra", Name: "read"}), ErrConflict)
		wantErr(t, "duplicate id", s.InsertScope(ctx, &rbac.Scope{TenantID: tenant, ID: "s1", ResourceID: "rb", Name: "other"}), ErrConflict)
		wantErr(t, "unknown resource", s.InsertScope(ctx, &rbac.Scope{TenantID: tenant, ID: "s6", ResourceID: "ghost", Name: "x"}), ErrForeignKey)
		if got, err := s.ListScopes(ctx, tenant, "ghost"); err != nil || len(got) != 0 {
			t.Fatalf("unknown resource list: %v, %v", got, err)
		}

		// Deleting a resource cascades its scopes and their role links.
		wantErr(t, "role", s.InsertRole(ctx, m2mRole("r")), nil)
		wantErr(t, "role scope a", s.InsertRoleScope(ctx, tenant, "rs1", "r", "s1"), nil)
		wantErr(t, "role scope b", s.InsertRoleScope(ctx, tenant, "rs2", "r", "s4"), nil)
		if _, err := s.db.ExecContext(ctx, `DELETE FROM resources WHERE tenant_id = $1 AND id = $2`, tenant, "ra"); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.ListScopes(ctx, tenant, "ra"); len(got) != 0 {
			t.Fatalf("scopes left: %+v", got)
		}
		var links int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM roles_scopes`).Scan(&links); err != nil || links != 1 {
			t.Fatalf("role scope links = %d, %v; want 1", links, err)
		}
	})
}
