package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

func TestAuditPath(t *testing.T) {
	for in, want := range map[string]string{
		"data/gatehouse.db": "data/gatehouse-audit.db",
		"/x/y.sqlite":       "/x/y-audit.sqlite",
		"plain":             "plain-audit",
		"dir.d/plain":       "dir.d/plain-audit",
	} {
		if got := AuditPath(in); got != want {
			t.Errorf("AuditPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// On SQLite the audit log is a file of its own: appending to it never
// waits for a transaction holding the main file's one write connection
// (a Management API write), and nothing of it is in the main file.
func TestAuditFileApart(t *testing.T) {
	s := openTest(t, dialectSQLite)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.Tx(ctx, func(q *Queries) error {
		// The main file's only write connection is this transaction's.
		if err := q.EnsureTenant(ctx, "other"); err != nil {
			return err
		}
		return s.InsertLogs(ctx, testLogs(3))
	})
	if err != nil {
		t.Fatalf("audit insert inside a main-file transaction: %v", err)
	}
	if _, n, err := s.ListLogs(ctx, rbac.LogFilter{TenantID: tenant}); err != nil || n != 3 {
		t.Fatalf("ListLogs: %d entries, %v; want 3", n, err)
	}
	var inMain int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM logs`).Scan(&inMain); err != nil || inMain != 0 {
		t.Fatalf("rows in the main file's logs table: %d, %v; want 0", inMain, err)
	}
	if got := s.Pools(); got["audit"] == nil || got["audit_reads"] == nil {
		t.Fatalf("Pools: %v, want the audit file's pools", got)
	}
	if err := s.Migrated(ctx); err != nil {
		t.Fatalf("Migrated: %v", err)
	}
}

// A database from before the split (or a restored backup) holds its log in
// the main file: opening it moves every row, in order, into the audit file,
// across several steps, and a repeated move (a crash between the two
// files' commits) stores nothing twice.
func TestAuditMovedOnOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureTenant(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	n := moveChunk + moveChunk/2 + 7
	entries := testLogs(n)
	for i := range entries {
		entries[i].ID = "old" + entries[i].ID + string(rune('a'+i%26)) + itoa(i)
	}
	// Write them where an older Gatehouse did: the main file.
	if err := s.Queries.insertLogs(ctx, entries); err != nil {
		t.Fatal(err)
	}
	// And the first rows once more in the audit file, as after a crash
	// between the commits of a step.
	if err := s.InsertLogs(ctx, entries[:10]); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, total, err := s.ListLogs(ctx, rbac.LogFilter{TenantID: tenant})
	if err != nil || total != int64(n) {
		t.Fatalf("after the move: %d entries, %v; want %d", total, err, n)
	}
	// The ten rows already in the audit file come first, then the moved
	// ones in their order.
	for i, e := range got {
		if want := entries[n-1-i].ID; e.ID != want {
			t.Fatalf("entry %d after the move: %s, want %s", i, e.ID, want)
		}
	}
	var inMain int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM logs`).Scan(&inMain); err != nil || inMain != 0 {
		t.Fatalf("rows left in the main file: %d, %v", inMain, err)
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

// On PostgreSQL the audit log is written through a pool of its own whose
// sessions commit without waiting for the WAL flush, while every other
// pool keeps the server's setting; the rows it writes are read back by
// the ordinary pools.
func TestAuditPoolPostgres(t *testing.T) {
	s := openTest(t, dialectPostgres)
	ctx := context.Background()
	show := func(db interface {
		QueryRowContext(context.Context, string, ...any) *sql.Row
	}) string {
		var v string
		if err := db.QueryRowContext(ctx, "SHOW synchronous_commit").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := show(s.Pools()["audit"]); got != "off" {
		t.Errorf("audit pool synchronous_commit = %q, want off", got)
	}
	for _, name := range []string{"main", "reads"} {
		if got := show(s.Pools()[name]); got == "off" {
			t.Errorf("%s pool synchronous_commit = off", name)
		}
	}
	if err := s.InsertLogs(ctx, testLogs(3)); err != nil {
		t.Fatal(err)
	}
	if _, n, err := s.ListLogs(ctx, rbac.LogFilter{TenantID: tenant}); err != nil || n != 3 {
		t.Fatalf("ListLogs: %d, %v; want 3", n, err)
	}
	if st := s.Pools()["audit"].Stats(); st.MaxOpenConnections != auditPGConns {
		t.Errorf("audit pool holds up to %d connections, want %d", st.MaxOpenConnections, auditPGConns)
	}
}
