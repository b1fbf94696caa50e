package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// pgEnv names the variable that enables the PostgreSQL half of the suite.
const pgEnv = "GATEHOUSE_TEST_POSTGRES_DSN"

const tenant = rbac.DefaultTenant

// eachEngine runs fn against a fresh, migrated store on SQLite and, when
// pgEnv is set, on PostgreSQL (in a schema of its own).
func eachEngine(t *testing.T, fn func(t *testing.T, s *Store)) {
	t.Helper()
	for _, e := range []string{dialectSQLite, dialectPostgres} {
		t.Run(e, func(t *testing.T) {
			s := openTest(t, e)
			fn(t, s)
		})
	}
}

// openTest opens a fresh store of dialect with the default tenant.
func openTest(t testing.TB, dialect string) *Store {
	t.Helper()
	s, err := Open(context.Background(), testDSN(t, dialect))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.EnsureTenant(context.Background(), tenant); err != nil {
		t.Fatalf("EnsureTenant: %v", err)
	}
	return s
}

// testDSN returns the DSN of an empty database of dialect: a file in a
// temporary directory, or a new PostgreSQL schema dropped on cleanup. It
// skips the test when PostgreSQL is asked for and pgEnv is not set.
func testDSN(t testing.TB, dialect string) string {
	t.Helper()
	if dialect == dialectSQLite {
		return filepath.Join(t.TempDir(), "gatehouse.db")
	}
	base := os.Getenv(pgEnv)
	if base == "" {
		t.Skipf("PostgreSQL tests need %s (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)", pgEnv)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "gh_test_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", pgEnv, err)
	}
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", pgEnv, err)
	}
	v := u.Query()
	v.Set("search_path", schema)
	u.RawQuery = v.Encode()
	return u.String()
}

// wantErr fails unless errors.Is(err, want); want nil means success.
func wantErr(t testing.TB, what string, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("%s: unexpected error %v", what, err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

// jsonEqual fails unless got and want hold the same JSON value (PostgreSQL
// normalises whitespace and key order).
func jsonEqual(t testing.TB, what string, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: got invalid JSON %q: %v", what, got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: bad want %q: %v", what, want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%s: got %s, want %s", what, got, want)
	}
}

func ptr[T any](v T) *T { return &v }

func TestDialectPing(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		if got := s.Dialect(); path.Base(t.Name()) != got {
			t.Fatalf("Dialect() = %q", got)
		}
		wantErr(t, "Ping", s.Ping(context.Background()), nil)
	})
}

func TestMeta(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		_, err := s.GetMeta(ctx, "canary")
		wantErr(t, "GetMeta missing", err, ErrNotFound)
		wantErr(t, "InsertMeta", s.InsertMeta(ctx, "canary", "sealed-value"), nil)
		got, err := s.GetMeta(ctx, "canary")
		wantErr(t, "GetMeta", err, nil)
		if got != "sealed-value" {
			t.Fatalf("GetMeta = %q", got)
		}
		wantErr(t, "InsertMeta again", s.InsertMeta(ctx, "canary", "other"), ErrConflict)
		if got, _ := s.GetMeta(ctx, "canary"); got != "sealed-value" {
			t.Fatalf("value changed by a refused insert: %q", got)
		}
	})
}

func TestEnsureTenant(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for range 2 {
			wantErr(t, "EnsureTenant", s.EnsureTenant(ctx, "other"), nil)
		}
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM tenants`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Fatalf("tenants = %d, want 2 (default, other)", n)
		}
	})
}

func TestTx(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		wantErr(t, "commit", s.Tx(ctx, func(q *Queries) error {
			return q.InsertMeta(ctx, "a", "1")
		}), nil)
		if _, err := s.GetMeta(ctx, "a"); err != nil {
			t.Fatalf("committed row: %v", err)
		}

		boom := errors.New("boom")
		wantErr(t, "rollback", s.Tx(ctx, func(q *Queries) error {
			if err := q.InsertMeta(ctx, "b", "1"); err != nil {
				return err
			}
			return boom
		}), boom)
		_, err := s.GetMeta(ctx, "b")
		wantErr(t, "rolled back row", err, ErrNotFound)

		func() {
			defer func() {
				if p := recover(); p != "panic in tx" {
					t.Fatalf("recovered %v, want the re-raised panic", p)
				}
			}()
			s.Tx(ctx, func(q *Queries) error {
				q.InsertMeta(ctx, "c", "1")
				panic("panic in tx")
			})
		}()
		_, err = s.GetMeta(ctx, "c")
		wantErr(t, "row of panicked tx", err, ErrNotFound)

		// Store errors keep their sentinel through Tx.
		err = s.Tx(ctx, func(q *Queries) error { return q.InsertMeta(ctx, "a", "2") })
		wantErr(t, "conflict in tx", err, ErrConflict)
		// The pool is usable after all of that.
		wantErr(t, "after", s.InsertMeta(ctx, "d", "1"), nil)
	})
}

func TestWrap(t *testing.T) {
	if wrap("op", nil) != nil {
		t.Fatal("wrap(nil) != nil")
	}
	err := wrap("application x", sql.ErrNoRows)
	if !errors.Is(err, ErrNotFound) || errors.Is(err, sql.ErrNoRows) {
		t.Fatalf("no rows: %v", err)
	}
	other := errors.New("disk on fire")
	err = wrap("insert thing", other)
	if !errors.Is(err, other) || errors.Is(err, ErrConflict) || err.Error() != "store: insert thing: disk on fire" {
		t.Fatalf("other: %v", err)
	}
}

func TestTenantIsolation(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		wantErr(t, "EnsureTenant", s.EnsureTenant(ctx, "t2"), nil)
		a := &rbac.Application{TenantID: tenant, ID: "app", Name: "A", Type: rbac.AppMachineToMachine, CreatedAt: 1}
		wantErr(t, "insert", s.InsertApplication(ctx, a), nil)
		_, err := s.GetApplication(ctx, "t2", "app")
		wantErr(t, "other tenant", err, ErrNotFound)
		b := *a
		b.TenantID, b.Name = "t2", "B"
		wantErr(t, "same id, other tenant", s.InsertApplication(ctx, &b), nil)
		got, err := s.GetApplication(ctx, "t2", "app")
		wantErr(t, "get t2", err, nil)
		if got.Name != "B" {
			t.Fatalf("t2 app name %q", got.Name)
		}
		// A role of one tenant cannot be linked to an app of another.
		wantErr(t, "role", s.InsertRole(ctx, &rbac.Role{TenantID: "t2", ID: "r", Name: "r", Description: "d", Type: rbac.RoleMachineToMachine}), nil)
		wantErr(t, "cross-tenant link", s.InsertApplicationRole(ctx, tenant, "ar", "app", "r"), ErrForeignKey)
		// Deleting a tenant removes its rows.
		if _, err := s.db.ExecContext(ctx, `DELETE FROM tenants WHERE id = $1`, "t2"); err != nil {
			t.Fatal(err)
		}
		_, err = s.GetApplication(ctx, "t2", "app")
		wantErr(t, "after tenant delete", err, ErrNotFound)
		_, err = s.GetApplication(ctx, tenant, "app")
		wantErr(t, "default tenant untouched", err, nil)
		wantErr(t, "unknown tenant", s.InsertApplication(ctx, &rbac.Application{TenantID: "nope", ID: "x", Name: "x", Type: rbac.AppMachineToMachine}), ErrForeignKey)
	})
}
