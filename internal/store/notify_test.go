package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestNotifyInTransaction holds Notify inside a transaction to what the
// Service's writes rely on: the notification arrives when the transaction
// commits, and never when it rolls back; RevokeToken's comes with its
// entry. On SQLite Notify does nothing, and the revocation is recorded.
func TestNotifyInTransaction(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		until := listenUntil(t, s)
		boom := errors.New("roll back")
		err := s.Tx(ctx, func(q *Queries) error {
			if err := q.Notify(ctx, "rolled-back"); err != nil {
				return err
			}
			return boom
		})
		wantErr(t, "rolled back tx", err, boom)

		inTx := make(chan struct{})
		commit := make(chan struct{})
		errc := make(chan error, 1)
		go func() {
			errc <- s.Tx(ctx, func(q *Queries) error {
				if err := q.Notify(ctx, "committed"); err != nil {
					return err
				}
				close(inTx)
				<-commit
				return nil
			})
		}()
		<-inTx
		if s.Dialect() == dialectPostgres {
			// Notified inside the open transaction: nothing may arrive yet.
			wantErr(t, "notify before", s.Notify(ctx, "before-commit"), nil)
			if seen := until("before-commit"); slices.Contains(seen, "committed") {
				t.Fatalf("a notification arrived before its transaction committed: %q", seen)
			}
		}
		close(commit)
		wantErr(t, "committed tx", <-errc, nil)

		// TxNotify: the payload arrives; the write is flushed when it
		// returns (it committed without waiting for the flush, then waited
		// for it outside the notification lock).
		// Half of them as where the flush message may not be run: a
		// synchronous commit under the notification lock.
		if s.Dialect() == dialectPostgres && !s.flushAfter {
			t.Fatal("the test role may not run the flush message")
		}
		for i := range 20 {
			s.flushAfter = s.Dialect() == dialectPostgres && i < 10
			var before string
			committed, err := s.TxNotify(ctx, func(q *Queries) (string, error) {
				if err := q.InsertMeta(ctx, fmt.Sprint("txnotify-", i), "x"); err != nil {
					return "", err
				}
				if s.Dialect() == dialectPostgres {
					if err := q.q.QueryRowContext(ctx, "SELECT pg_current_wal_insert_lsn()::text").Scan(&before); err != nil {
						return "", err
					}
				}
				return txPayload(i), nil
			})
			if !committed || err != nil {
				t.Fatalf("TxNotify: committed %t, %v", committed, err)
			}
			if s.Dialect() != dialectPostgres {
				continue
			}
			var flushed bool
			if err := s.db.QueryRowContext(ctx, "SELECT pg_current_wal_flush_lsn() >= $1::pg_lsn", before).Scan(&flushed); err != nil {
				t.Fatal(err)
			}
			if !flushed {
				t.Fatalf("TxNotify returned before its write's WAL (at %s) was flushed", before)
			}
		}
		s.flushAfter = s.Dialect() == dialectPostgres
		committed, err := s.TxNotify(ctx, func(q *Queries) (string, error) {
			if err := q.InsertMeta(ctx, "txnotify-failed", "x"); err != nil {
				return "", err
			}
			return "never", boom
		})
		if committed || err != boom {
			t.Fatalf("TxNotify of a failing fn: committed %t, %v", committed, err)
		}
		// A notification PostgreSQL refuses (over 8000 bytes), or one that
		// cannot be sent (a NUL), rolls the write back.
		keys := []string{"txnotify-failed"}
		for n, bad := range []string{strings.Repeat("x", 9000), "a\x00b"} {
			if s.Dialect() != dialectPostgres {
				break
			}
			key := fmt.Sprint("txnotify-failed-", n)
			keys = append(keys, key)
			committed, err := s.TxNotify(ctx, func(q *Queries) (string, error) {
				return bad, q.InsertMeta(ctx, key, "x")
			})
			if committed || err == nil {
				t.Fatalf("TxNotify of a payload of %d bytes: committed %t, %v", len(bad), committed, err)
			}
		}
		for _, key := range keys {
			if _, err := s.GetMeta(ctx, key); !errors.Is(err, ErrNotFound) {
				t.Fatalf("a rolled back TxNotify's write %s: %v, want not found", key, err)
			}
		}

		tok := RevokedToken{TenantID: tenant, JTI: "jti-n", ClientID: "app", ExpiresAt: 5000, CreatedAt: 1}
		wantErr(t, "revoke", s.RevokeToken(ctx, tok, "revoked-n"), nil)
		unknown := RevokedToken{TenantID: "no-such-tenant", JTI: "x", ClientID: "y", ExpiresAt: 5000, CreatedAt: 1}
		wantErr(t, "revoke for an unknown tenant", s.RevokeToken(ctx, unknown, "revoked-unknown"), ErrForeignKey)
		if list, err := s.ListRevokedTokens(ctx, 0); err != nil || len(list) != 1 || list[0] != tok {
			t.Fatalf("revoked tokens = %+v, %v; want the one recorded", list, err)
		}
		if s.Dialect() != dialectPostgres {
			return
		}
		wantErr(t, "notify after", s.Notify(ctx, "end"), nil)
		seen := until("end")
		want := []string{"before-commit", "committed"}
		for i := range 20 {
			want = append(want, txPayload(i))
		}
		want = append(want, "revoked-n", "end")
		if !slices.Equal(seen, want) {
			t.Fatalf("notifications %q, want %q (a rolled back transaction's never, each committed one's in commit order)", seen, want)
		}
	})
}

// txPayload is the i-th TxNotify payload of TestNotifyInTransaction: the
// odd ones hold what would break a badly quoted literal.
func txPayload(i int) string {
	if i%2 == 0 {
		return fmt.Sprintf("txnotify-%d", i)
	}
	return fmt.Sprintf(`txnotify-%d it's \' \\'); COMMIT; DROP TABLE meta; -- "é"`, i)
}

// listenUntil listens to s's change channel (on SQLite nothing arrives)
// and returns until, which waits up to 5 s for payload p and returns
// everything that arrived so far, in order.
func listenUntil(t *testing.T, s *Store) (until func(p string) []string) {
	ctx, cancel := context.WithCancel(context.Background())
	var (
		mu  sync.Mutex
		got []string
	)
	ready, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		s.Listen(ctx, func(p string) {
			mu.Lock()
			got = append(got, p)
			mu.Unlock()
		}, ready, nil)
	}()
	t.Cleanup(func() { cancel(); <-done })
	<-ready
	return func(p string) []string {
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			mu.Lock()
			seen := slices.Clone(got)
			mu.Unlock()
			if slices.Contains(seen, p) {
				return seen
			}
		}
		t.Fatalf("%q did not arrive within 5s", p)
		return nil
	}
}
