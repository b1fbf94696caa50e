package store

import (
	"bytes"
	"context"
	"testing"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

func TestSigningKeys(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if keys, err := s.ListSigningKeys(ctx, tenant); err != nil || len(keys) != 0 {
			t.Fatalf("empty list: %v, %v", keys, err)
		}
		sealed := []byte{0, 1, 2, 0xfe, 0xff}
		keys := []rbac.SigningKey{
			{TenantID: tenant, ID: "prev", Alg: "ES384", PrivateSealed: []byte("p"), Status: rbac.KeyPrevious, CreatedAt: 100},
			{TenantID: tenant, ID: "next", Alg: "ES384", PrivateSealed: []byte("n"), Status: rbac.KeyNext, CreatedAt: 300, EffectiveAt: ptr(int64(9000))},
			{TenantID: tenant, ID: "cur", Alg: "EdDSA", PrivateSealed: sealed, Status: rbac.KeyCurrent, CreatedAt: 200},
			{TenantID: tenant, ID: "prev0", Alg: "RS256", PrivateSealed: []byte("q"), Status: rbac.KeyPrevious, CreatedAt: 50},
		}
		for i := range keys {
			wantErr(t, "insert "+keys[i].ID, s.InsertSigningKey(ctx, &keys[i]), nil)
		}
		ids := func() []string {
			t.Helper()
			got, err := s.ListSigningKeys(ctx, tenant)
			wantErr(t, "list", err, nil)
			var out []string
			for _, k := range got {
				out = append(out, k.ID+":"+string(k.Status))
			}
			return out
		}
		if got := ids(); len(got) != 4 || got[0] != "cur:Current" || got[1] != "next:Next" || got[2] != "prev0:Previous" || got[3] != "prev:Previous" {
			t.Fatalf("order = %v", got)
		}
		list, _ := s.ListSigningKeys(ctx, tenant)
		if c := list[0]; c.Alg != "EdDSA" || !bytes.Equal(c.PrivateSealed, sealed) || c.CreatedAt != 200 || c.EffectiveAt != nil || c.TenantID != tenant {
			t.Fatalf("current round trip: %+v", c)
		}
		if n := list[1]; n.EffectiveAt == nil || *n.EffectiveAt != 9000 {
			t.Fatalf("next effective at: %+v", n)
		}

		wantErr(t, "duplicate", s.InsertSigningKey(ctx, &keys[0]), ErrConflict)
		bad := keys[0]
		bad.ID, bad.Status = "bad", "Retired"
		wantErr(t, "bad status", s.InsertSigningKey(ctx, &bad), ErrCheck)

		// Promote: Current→Previous, Next→Current (effective time cleared).
		wantErr(t, "demote", s.UpdateSigningKeyStatus(ctx, tenant, "cur", rbac.KeyPrevious, nil), nil)
		wantErr(t, "promote", s.UpdateSigningKeyStatus(ctx, tenant, "next", rbac.KeyCurrent, nil), nil)
		wantErr(t, "update missing", s.UpdateSigningKeyStatus(ctx, tenant, "ghost", rbac.KeyCurrent, nil), ErrNotFound)
		wantErr(t, "update bad status", s.UpdateSigningKeyStatus(ctx, tenant, "cur", "Retired", nil), ErrCheck)
		wantErr(t, "set effective", s.UpdateSigningKeyStatus(ctx, tenant, "prev0", rbac.KeyNext, ptr(int64(77))), nil)
		list, _ = s.ListSigningKeys(ctx, tenant)
		if list[0].ID != "next" || list[0].EffectiveAt != nil || list[1].ID != "prev0" || *list[1].EffectiveAt != 77 {
			t.Fatalf("after updates: %+v", list)
		}

		wantErr(t, "delete", s.DeleteSigningKey(ctx, tenant, "prev"), nil)
		wantErr(t, "delete again", s.DeleteSigningKey(ctx, tenant, "prev"), ErrNotFound)
		if got := ids(); len(got) != 3 || got[0] != "next:Current" || got[1] != "prev0:Next" || got[2] != "cur:Previous" {
			t.Fatalf("after delete = %v", got)
		}
	})
}
