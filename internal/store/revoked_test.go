package store

import (
	"context"
	"testing"
)

func TestRevokedTokens(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if list, err := s.ListRevokedTokens(ctx, 0); err != nil || len(list) != 0 {
			t.Fatalf("empty list: %v, %v", list, err)
		}
		a := RevokedToken{TenantID: tenant, JTI: "jti-a", ClientID: "app-a", ExpiresAt: 2000, CreatedAt: 10}
		b := RevokedToken{TenantID: tenant, JTI: "jti-b", ClientID: "app-b", ExpiresAt: 5000, CreatedAt: 20}
		wantErr(t, "insert a", s.InsertRevokedToken(ctx, a), nil)
		wantErr(t, "insert b", s.InsertRevokedToken(ctx, b), nil)
		again := a
		again.ExpiresAt, again.CreatedAt = 9999, 99
		wantErr(t, "insert a again", s.InsertRevokedToken(ctx, again), nil)
		unknown := RevokedToken{TenantID: "no-such-tenant", JTI: "x", ClientID: "y", ExpiresAt: 1, CreatedAt: 1}
		wantErr(t, "unknown tenant", s.InsertRevokedToken(ctx, unknown), ErrForeignKey)

		list, err := s.ListRevokedTokens(ctx, 1000)
		wantErr(t, "list", err, nil)
		if len(list) != 2 || list[0] != a || list[1] != b {
			t.Fatalf("list = %+v, want a (first entry kept) then b", list)
		}
		list, err = s.ListRevokedTokens(ctx, 2000)
		wantErr(t, "list at a's expiry", err, nil)
		if len(list) != 1 || list[0] != b {
			t.Fatalf("list after a expired = %+v", list)
		}

		n, err := s.DeleteExpiredRevokedTokens(ctx, 2000)
		wantErr(t, "prune", err, nil)
		if n != 1 {
			t.Fatalf("pruned %d, want 1", n)
		}
		if n, _ := s.DeleteExpiredRevokedTokens(ctx, 2000); n != 0 {
			t.Fatalf("pruned again %d, want 0", n)
		}
		list, _ = s.ListRevokedTokens(ctx, 0)
		if len(list) != 1 || list[0].JTI != "jti-b" {
			t.Fatalf("after prune = %+v", list)
		}
	})
}
