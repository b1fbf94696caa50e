package store

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// TestLockSigningKeys runs concurrent read-then-insert transactions: each
// names its key after the number of keys it sees, so two that overlapped
// would collide on the id. The lock makes them take turns.
func TestLockSigningKeys(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		const n = 8
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- s.Tx(ctx, func(q *Queries) error {
					if err := q.LockSigningKeys(ctx, tenant); err != nil {
						return err
					}
					list, err := q.ListSigningKeys(ctx, tenant)
					if err != nil {
						return err
					}
					return q.InsertSigningKey(ctx, &rbac.SigningKey{TenantID: tenant, ID: fmt.Sprintf("k%d", len(list)),
						Alg: "ES256", PrivateSealed: []byte("x"), Status: rbac.KeyPrevious, CreatedAt: int64(len(list))})
				})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			wantErr(t, "locked insert", err, nil)
		}
		list, err := s.ListSigningKeys(ctx, tenant)
		wantErr(t, "list", err, nil)
		if len(list) != n {
			t.Fatalf("%d keys, want %d", len(list), n)
		}
		// Outside a transaction the lock is harmless (it ends at once).
		wantErr(t, "lock outside tx", s.LockSigningKeys(ctx, tenant), nil)
	})
}
