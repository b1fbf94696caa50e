package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// PostgresEnv names the variable holding the PostgreSQL test server's DSN.
const PostgresEnv = "GATEHOUSE_TEST_POSTGRES_DSN"

// Engine is one database a test can run against.
type Engine struct {
	Name string // "sqlite" or "postgres"
	// DSN opens a new, empty database of this engine each time it is called.
	DSN func(t testing.TB) string
}

// Engines returns SQLite and, when PostgresEnv is set, PostgreSQL. Without
// it, it logs once per test that PostgreSQL is skipped and why.
func Engines(t testing.TB) []Engine {
	es := []Engine{{Name: "sqlite", DSN: SQLite}}
	if os.Getenv(PostgresEnv) != "" {
		es = append(es, Engine{Name: "postgres", DSN: Postgres})
	} else {
		t.Logf("PostgreSQL skipped: set %s (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable) to run on it too", PostgresEnv)
	}
	return es
}

// SQLite returns the path of a new SQLite file in a temporary directory.
func SQLite(t testing.TB) string { return filepath.Join(t.TempDir(), "gatehouse.db") }

// Postgres creates a schema of its own on the server named by PostgresEnv
// and returns a DSN whose search_path selects it; the schema is dropped when
// the test ends. It skips the test when PostgresEnv is unset.
func Postgres(t testing.TB) string {
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skipf("PostgreSQL test skipped: set %s", PostgresEnv)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "gh_test_" + hex.EncodeToString(b[:])
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		db.Close()
		t.Fatalf("storetest: create schema: %v", err)
	}
	t.Cleanup(func() {
		db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		db.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("storetest: %s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
