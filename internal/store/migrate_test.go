package store

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
)

// The two dialect folders must hold the same migrations.
func TestMigrationFoldersMatch(t *testing.T) {
	names := func(dialect string) []string {
		entries, err := fs.ReadDir(migrationsFS, "migrations/"+dialect)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			out = append(out, e.Name())
		}
		return out
	}
	lite, pg := names(dialectSQLite), names(dialectPostgres)
	if len(lite) == 0 {
		t.Fatal("no migrations")
	}
	if !reflect.DeepEqual(lite, pg) {
		t.Fatalf("migration folders differ:\nsqlite:   %v\npostgres: %v", lite, pg)
	}
	for _, n := range lite {
		if filepath.Ext(n) != ".sql" || len(n) < 6 || n[4] != '_' {
			t.Errorf("migration %q is not named NNNN_name.sql", n)
		}
	}
}

func TestMigrationsIdempotentOnReopen(t *testing.T) {
	for _, dialect := range []string{dialectSQLite, dialectPostgres} {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			dsn := testDSN(t, dialect)
			s, err := Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			wantErr(t, "InsertMeta", s.InsertMeta(ctx, "k", "v"), nil)
			s.Close()
			for range 2 {
				s, err = Open(ctx, dsn)
				if err != nil {
					t.Fatalf("reopen: %v", err)
				}
				if v, err := s.GetMeta(ctx, "k"); err != nil || v != "v" {
					t.Fatalf("data after reopen: %q, %v", v, err)
				}
				ms, _ := migrations(dialect)
				var n int
				if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != len(ms) {
					t.Fatalf("schema_migrations has %d rows, want %d", n, len(ms))
				}
				s.Close()
			}
		})
	}
}

// Several instances starting at once on an empty database must all come
// up, with every migration applied once.
func TestConcurrentOpen(t *testing.T) {
	for _, dialect := range []string{dialectSQLite, dialectPostgres} {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			dsn := testDSN(t, dialect)
			const n = 8
			var wg sync.WaitGroup
			stores := make([]*Store, n)
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() { stores[i], errs[i] = Open(ctx, dsn) })
			}
			wg.Wait()
			for i := range n {
				if errs[i] != nil {
					t.Fatalf("Open %d: %v", i, errs[i])
				}
				defer stores[i].Close()
			}
			ms, _ := migrations(dialect)
			var rows int
			if err := stores[0].db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&rows); err != nil {
				t.Fatal(err)
			}
			if rows != len(ms) {
				t.Fatalf("schema_migrations has %d rows, want %d", rows, len(ms))
			}
			for i, s := range stores {
				if err := s.EnsureTenant(ctx, "default"); err != nil {
					t.Fatalf("store %d: %v", i, err)
				}
			}
		})
	}
}

func TestSQLiteFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "nested")
	path := filepath.Join(dir, "gatehouse.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Dialect() != "sqlite" {
		t.Fatalf("Dialect = %q", s.Dialect())
	}
	for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != want {
			t.Errorf("%s: mode %o, want %o", p, got, want)
		}
	}
	var mode string
	var fk, sync int
	q := s.db.QueryRowContext
	if err := q(context.Background(), `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v", mode, err)
	}
	if err := q(context.Background(), `PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d, %v", fk, err)
	}
	if err := q(context.Background(), `PRAGMA synchronous`).Scan(&sync); err != nil || sync != 1 {
		t.Errorf("synchronous = %d, %v (want 1, NORMAL)", sync, err)
	}
	if _, err := Open(context.Background(), "file:x.db?mode=memory"); err == nil {
		t.Error("Open accepted a URI with parameters")
	}
}

// Transactions that read and then write must queue, not fail with
// SQLITE_BUSY on the lock upgrade.
func TestSQLiteConcurrentWriters(t *testing.T) {
	s := openTest(t, dialectSQLite)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			errs <- s.Tx(ctx, func(q *Queries) error {
				if _, err := q.GetMeta(ctx, "none"); err == nil {
					return nil
				}
				return q.InsertMeta(ctx, string(rune('a'+i)), "v")
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM gatehouse_meta`).Scan(&n); err != nil || n != 16 {
		t.Fatalf("rows = %d, %v", n, err)
	}
}
