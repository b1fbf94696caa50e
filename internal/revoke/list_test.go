package revoke_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/revoke"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/storetest"
)

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func open(t testing.TB, dsn string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.EnsureTenant(context.Background(), rbac.DefaultTenant); err != nil {
		t.Fatal(err)
	}
	return st
}

// countingStore counts the revocations stored with the announcement.
type countingStore struct {
	*store.Store
	announced int
}

func (c *countingStore) RevokeToken(ctx context.Context, t store.RevokedToken, announce string) error {
	err := c.Store.RevokeToken(ctx, t, announce)
	if err == nil && announce == "revoked-test" {
		c.announced++
	}
	return err
}

// TestList runs the denylist on both engines, with two lists sharing one
// database as two instances do.
func TestList(t *testing.T) {
	for _, eng := range storetest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			ctx := context.Background()
			dsn := eng.DSN(t)
			clk := &clock{time.UnixMilli(1_000_000)}
			counted := &countingStore{Store: open(t, dsn)}
			a := revoke.New(revoke.Config{Store: counted, Now: clk.now, Announcement: "revoked-test"})
			b := revoke.New(revoke.Config{Store: open(t, dsn), Now: clk.now})
			if err := a.Load(ctx); err != nil {
				t.Fatal(err)
			}

			tok := store.RevokedToken{TenantID: rbac.DefaultTenant, JTI: "jti-1", ClientID: "app", ExpiresAt: 1_060_000}
			if a.Revoked("jti-1") {
				t.Fatal("revoked before Revoke")
			}
			if err := a.Revoke(ctx, tok); err != nil {
				t.Fatal(err)
			}
			if !a.Revoked("jti-1") || a.Revoked("jti-2") || a.Revoked("") {
				t.Fatal("Revoked after Revoke: want jti-1 only")
			}
			if err := a.Revoke(ctx, tok); err != nil || counted.announced != 1 {
				t.Fatalf("second Revoke: err %v, announced %d times, want once", err, counted.announced)
			}

			// The other instance sees it after Load (what a notification triggers).
			if b.Revoked("jti-1") {
				t.Fatal("b knew before Load")
			}
			if err := b.Load(ctx); err != nil {
				t.Fatal(err)
			}
			if !b.Revoked("jti-1") {
				t.Fatal("b does not see a's revocation after Load")
			}

			// A token already expired is not recorded.
			late := store.RevokedToken{TenantID: rbac.DefaultTenant, JTI: "old", ClientID: "app", ExpiresAt: 1_000_000}
			if err := a.Revoke(ctx, late); err != nil || a.Revoked("old") || counted.announced != 1 {
				t.Fatalf("expired token: err %v, revoked %v, announced %d", err, a.Revoked("old"), counted.announced)
			}
			if err := a.Revoke(ctx, store.RevokedToken{TenantID: rbac.DefaultTenant, ExpiresAt: 2_000_000}); err == nil {
				t.Fatal("a token without jti was accepted")
			}

			// A restart (a new list on the same database) still has it.
			c := revoke.New(revoke.Config{Store: open(t, dsn), Now: clk.now})
			if err := c.Load(ctx); err != nil || !c.Revoked("jti-1") || c.Len() != 1 {
				t.Fatalf("after restart: err %v, revoked %v, len %d", err, c.Revoked("jti-1"), c.Len())
			}

			// Past the token's exp the entry is pruned from memory and store.
			clk.t = time.UnixMilli(1_060_000)
			if err := c.Load(ctx); err != nil || c.Revoked("jti-1") || c.Len() != 0 {
				t.Fatalf("after exp: err %v, revoked %v, len %d", err, c.Revoked("jti-1"), c.Len())
			}
			rows, err := open(t, dsn).ListRevokedTokens(ctx, 0)
			if err != nil || len(rows) != 0 {
				t.Fatalf("store after prune: %+v, %v", rows, err)
			}
			// Revoke prunes memory too (at most once a minute).
			next := store.RevokedToken{TenantID: rbac.DefaultTenant, JTI: "jti-2", ClientID: "app", ExpiresAt: 9_000_000}
			if err := a.Revoke(ctx, next); err != nil || a.Revoked("jti-1") || !a.Revoked("jti-2") || a.Len() != 1 {
				t.Fatalf("Revoke after exp: err %v, len %d", err, a.Len())
			}
		})
	}
}

// BenchmarkRevoked measures the check the Management API runs per request,
// with 1,000 entries in the list.
func BenchmarkRevoked(b *testing.B) {
	ctx := context.Background()
	l := revoke.New(revoke.Config{Store: open(b, storetest.SQLite(b)), Now: func() time.Time { return time.UnixMilli(0) }})
	for i := range 1000 {
		l.Revoke(ctx, store.RevokedToken{TenantID: rbac.DefaultTenant, JTI: fmt.Sprintf("jti-%040d", i), ClientID: "app", ExpiresAt: 1 << 40})
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Revoked("not-revoked-0123456789012345678901234567890")
		}
	})
}
