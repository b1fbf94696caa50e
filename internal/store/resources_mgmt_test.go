package store

import (
	"context"
	"testing"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

func TestResourcePages(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for _, id := range []string{"rc", "ra", "rb"} {
			wantErr(t, "insert "+id, s.InsertResource(ctx, resource(id, "https://"+id)), nil)
		}
		page, total, err := s.ListResourcesPage(ctx, tenant, 2, 1)
		wantErr(t, "page", err, nil)
		if total != 3 || len(page) != 2 || page[0].ID != "rb" || page[1].ID != "rc" {
			t.Fatalf("page 2 of size 2 after 1: total %d, %+v", total, page)
		}
		all, total, err := s.ListResourcesPage(ctx, tenant, 0, 0)
		wantErr(t, "all", err, nil)
		if total != 3 || len(all) != 3 || all[0].ID != "ra" {
			t.Fatalf("all: total %d, %+v", total, all)
		}
		if list, n, _ := s.ListResourcesPage(ctx, "nobody", 0, 0); n != 0 || len(list) != 0 {
			t.Fatalf("other tenant: %d %+v", n, list)
		}

		name, ttl := "Renamed", int64(60)
		got, err := s.UpdateResource(ctx, tenant, "ra", &name, nil)
		wantErr(t, "rename", err, nil)
		if got.Name != "Renamed" || got.AccessTokenTTL != 3600 || got.Indicator != "https://ra" {
			t.Fatalf("rename: %+v", got)
		}
		got, err = s.UpdateResource(ctx, tenant, "ra", nil, &ttl)
		wantErr(t, "ttl", err, nil)
		if got.Name != "Renamed" || got.AccessTokenTTL != 60 {
			t.Fatalf("ttl: %+v", got)
		}
		if got, err = s.UpdateResource(ctx, tenant, "ra", nil, nil); err != nil || got.AccessTokenTTL != 60 {
			t.Fatalf("no change: %+v %v", got, err)
		}
		_, err = s.UpdateResource(ctx, tenant, "ghost", &name, nil)
		wantErr(t, "update missing", err, ErrNotFound)
		_, err = s.UpdateResource(ctx, tenant, "ghost", nil, nil)
		wantErr(t, "no-op update missing", err, ErrNotFound)

		wantErr(t, "scope", s.InsertScope(ctx, &rbac.Scope{TenantID: tenant, ID: "s1", ResourceID: "ra", Name: "read", CreatedAt: 1}), nil)
		wantErr(t, "role", s.InsertRole(ctx, m2mRole("r1")), nil)
		wantErr(t, "link", s.InsertRoleScope(ctx, tenant, "l1", "r1", "s1"), nil)
		wantErr(t, "delete", s.DeleteResource(ctx, tenant, "ra"), nil)
		wantErr(t, "delete again", s.DeleteResource(ctx, tenant, "ra"), ErrNotFound)
		_, err = s.GetScope(ctx, tenant, "s1")
		wantErr(t, "scope cascaded", err, ErrNotFound)
		if with, _ := s.ListRoleScopesWith(ctx, tenant, "r1", nil); len(with) != 0 {
			t.Fatalf("role link not cascaded: %+v", with)
		}
	})
}

func TestScopePages(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		wantErr(t, "res a", s.InsertResource(ctx, resource("ra", "https://a")), nil)
		wantErr(t, "res b", s.InsertResource(ctx, resource("rb", "https://b")), nil)
		desc := "Reads products"
		for i, sc := range []rbac.Scope{
			{ID: "s3", ResourceID: "ra", Name: "write:products"},
			{ID: "s1", ResourceID: "ra", Name: "read:products", Description: &desc},
			{ID: "s2", ResourceID: "ra", Name: "list:orders"},
			{ID: "s4", ResourceID: "rb", Name: "read:products"},
		} {
			sc.TenantID, sc.CreatedAt = tenant, int64(100+i)
			wantErr(t, "scope "+sc.ID, s.InsertScope(ctx, &sc), nil)
		}
		list, total, err := s.ListScopesPage(ctx, tenant, "ra", Search{}, 2, 0)
		wantErr(t, "page", err, nil)
		if total != 3 || len(list) != 2 || list[0].ID != "s3" || list[1].ID != "s1" || *list[1].Description != desc {
			t.Fatalf("page: %d %+v", total, list)
		}
		search := Search{Matches: []Match{{Fields: []string{"id", "name", "description"}, Values: []string{"%PRODUCTS%"}, Mode: ModeLike}}}
		list, total, err = s.ListScopesPage(ctx, tenant, "ra", search, 0, 0)
		wantErr(t, "search", err, nil)
		if total != 2 || len(list) != 2 {
			t.Fatalf("search: %d %+v", total, list)
		}
		if list, total, _ := s.ListScopesPage(ctx, tenant, "ghost", Search{}, 20, 0); total != 0 || list == nil || len(list) != 0 {
			t.Fatalf("unknown resource: %d %#v", total, list)
		}

		byRes, err := s.ScopesOfResources(ctx, tenant, []string{"ra", "rb", "ghost"})
		wantErr(t, "scopes of resources", err, nil)
		if len(byRes["ra"]) != 3 || len(byRes["rb"]) != 1 || byRes["ghost"] != nil || byRes["ra"][0].ID != "s3" {
			t.Fatalf("scopes of resources: %+v", byRes)
		}

		got, err := s.GetScopeByName(ctx, tenant, "rb", "read:products")
		wantErr(t, "by name", err, nil)
		if got.ID != "s4" {
			t.Fatalf("by name: %+v", got)
		}
		_, err = s.GetScopeByName(ctx, tenant, "rb", "write:products")
		wantErr(t, "by name missing", err, ErrNotFound)

		name := "read:orders"
		got, err = s.UpdateScope(ctx, tenant, "ra", "s1", ScopeUpdate{Name: &name})
		wantErr(t, "rename", err, nil)
		if got.Name != name || got.Description == nil || *got.Description != desc || got.CreatedAt != 101 {
			t.Fatalf("rename: %+v", got)
		}
		got, err = s.UpdateScope(ctx, tenant, "ra", "s1", ScopeUpdate{SetDescription: true})
		wantErr(t, "clear description", err, nil)
		if got.Description != nil || got.Name != name {
			t.Fatalf("clear description: %+v", got)
		}
		taken := "list:orders"
		_, err = s.UpdateScope(ctx, tenant, "ra", "s1", ScopeUpdate{Name: &taken})
		wantErr(t, "name taken", err, ErrConflict)
		_, err = s.UpdateScope(ctx, tenant, "rb", "s1", ScopeUpdate{Name: &name})
		wantErr(t, "scope of another resource", err, ErrNotFound)
		_, err = s.UpdateScope(ctx, tenant, "rb", "s1", ScopeUpdate{})
		wantErr(t, "no-op, scope of another resource", err, ErrNotFound)

		with, err := s.ListRoleScopesWith(ctx, tenant, "no-role", []string{"s4", "ghost"})
		wantErr(t, "with resource", err, nil)
		if len(with) != 1 || with[0].Scope.ID != "s4" || with[0].Resource.ID != "rb" || with[0].Resource.Indicator != "https://b" || with[0].Held {
			t.Fatalf("with resource: %+v", with)
		}

		wantErr(t, "delete of another resource", s.DeleteScope(ctx, tenant, "rb", "s1"), ErrNotFound)
		wantErr(t, "delete", s.DeleteScope(ctx, tenant, "ra", "s1"), nil)
		wantErr(t, "delete again", s.DeleteScope(ctx, tenant, "ra", "s1"), ErrNotFound)
	})
}
