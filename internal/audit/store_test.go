package audit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/storetest"
)

// cutStore is the store behind a switch: while cut, every call fails as a
// stopped database would fail it.
type cutStore struct {
	*store.Store
	cut atomic.Bool
}

func (s *cutStore) InsertLogs(ctx context.Context, entries []rbac.LogEntry) error {
	if s.cut.Load() {
		return errDown
	}
	return s.Store.InsertLogs(ctx, entries)
}

func (s *cutStore) Ping(ctx context.Context) error {
	if s.cut.Load() {
		return errDown
	}
	return s.Store.Ping(ctx)
}

func openStore(t *testing.T, dsn string) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.EnsureTenant(ctx, rbac.DefaultTenant); err != nil {
		t.Fatal(err)
	}
	return st
}

// storedIDs returns the ids of the stored log entries in insertion order.
func storedIDs(t *testing.T, st *store.Store) []string {
	t.Helper()
	list, total, err := st.ListLogs(context.Background(), rbac.LogFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if total != int64(len(list)) {
		t.Fatalf("ListLogs: %d entries, total %d", len(list), total)
	}
	ids := make([]string, len(list))
	for i, e := range list { // newest first
		ids[len(list)-1-i] = e.ID
	}
	return ids
}

// TestStoreOutage: on the real store of each engine, entries logged while
// the database is cut off are all in the audit log, once and in order,
// after it is back; and a spool drained a second time (a crash after the
// commit, before the spool recorded it) stores nothing twice.
func TestStoreOutage(t *testing.T) {
	for _, eng := range storetest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			st := &cutStore{Store: openStore(t, eng.DSN(t))}
			dir := t.TempDir()
			w := newWriter(t, st, Options{MaxBatch: 64, Buffer: 256, FlushInterval: time.Millisecond, SpoolDir: dir})
			ids := make([]string, 3000)
			for i := range ids {
				ids[i] = fmt.Sprintf("e%05d", i)
			}
			for i, id := range ids {
				switch i {
				case 1000:
					st.cut.Store(true)
				case 2500:
					st.cut.Store(false)
				}
				w.Log(entry(id))
			}
			eventually(t, "every entry to be stored", func() bool { return w.Stats().Written == uint64(len(ids)) })
			if err := w.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := storedIDs(t, st.Store); !slices.Equal(got, ids) {
				t.Fatalf("%d entries stored, not every entry once in order", len(got))
			}
			if s := w.Stats(); s.Spooled == 0 || s.Drained != s.Spooled {
				t.Errorf("Stats = %+v, want entries through the spool", s)
			}
			closeWriter(t, w)

			// A spool written during an outage, copied before it is
			// drained, then drained again from the copy.
			st.cut.Store(true)
			w = newWriter(t, st, Options{FlushInterval: time.Millisecond, SpoolDir: dir})
			again := []string{"r0", "r1", "r2"}
			for _, id := range again {
				w.Log(entry(id))
			}
			closeWriter(t, w)
			backup := t.TempDir()
			if err := os.CopyFS(backup, os.DirFS(dir)); err != nil {
				t.Fatal(err)
			}
			st.cut.Store(false)
			for _, from := range []string{dir, backup} {
				w := newWriter(t, st, Options{SpoolDir: from})
				eventually(t, "the spool to drain", func() bool { return w.Stats().Drained == 3 })
				closeWriter(t, w)
			}
			if got, want := storedIDs(t, st.Store), append(slices.Clone(ids), again...); !slices.Equal(got, want) {
				t.Fatalf("after draining twice: %d entries stored, want %d once each", len(got), len(want))
			}
		})
	}
}

// TestSpoolDirUnusable: New fails when the spool directory cannot be
// created, rather than find out during an outage.
func TestSpoolDirUnusable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := New(&memSink{}, Options{SpoolDir: filepath.Join(file, "audit-spool")})
	if err == nil || !strings.HasPrefix(err.Error(), "audit: spool: ") {
		t.Fatalf("New with a spool directory under a file = %v, want an audit: spool: error", err)
	}
}
