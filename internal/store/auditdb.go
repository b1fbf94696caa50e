package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// dialectSQLiteAudit names the migrations of an SQLite deployment's audit
// file (migrations/sqlite-audit).
const dialectSQLiteAudit = "sqlite-audit"

// AuditPath returns the file that holds the audit log of the SQLite
// database at path: "data/gatehouse.db" keeps it in
// "data/gatehouse-audit.db".
//
// Why a file of its own: the token endpoint appends an audit row per
// request, and SQLite has one writer per file. In the main file those
// inserts (a random page of the per-application index each, across a
// fleet) held the write lock while a Management API write waited: about
// 21 ms per PATCH under full token load, and a p99 over 70 ms. Two files
// have two locks, and a write waits only for writes of its own kind.
func AuditPath(path string) string {
	ext := filepath.Ext(path)
	if ext == "" || strings.ContainsRune(ext, filepath.Separator) {
		return path + "-audit"
	}
	return strings.TrimSuffix(path, ext) + "-audit" + ext
}

// auditReadConns bounds the pool that answers /api/logs on SQLite.
const auditReadConns = 2

// openAuditSQLite opens the audit file beside the SQLite database at path:
// a one-connection pool for the audit writer (and retention) and a small
// one for reads, migrated; then it moves any rows left in the main file's
// logs table (a database from before the split, or a restored backup)
// into it.
func openAuditSQLite(ctx context.Context, path string, main *sql.DB) (w, r *sql.DB, err error) {
	apath := AuditPath(path)
	if w, err = openSQLite(apath); err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			w.Close()
			if r != nil {
				r.Close()
			}
		}
	}()
	w.SetMaxOpenConns(1) // one writer: see Open
	w.SetMaxIdleConns(1)
	if err = ping(ctx, w); err != nil {
		return nil, nil, wrap("connect audit log", err)
	}
	if err = migrate(ctx, w, dialectSQLiteAudit); err != nil {
		return nil, nil, err
	}
	if r, err = openSQLite(apath); err != nil {
		return nil, nil, err
	}
	r.SetMaxOpenConns(auditReadConns)
	r.SetMaxIdleConns(auditReadConns)
	if err = moveLogs(ctx, w, main, path); err != nil {
		return nil, nil, err
	}
	return w, r, nil
}

// moveChunk is how many rows one step of moveLogs carries.
const moveChunk = 20000

// moveLogs moves the rows of the main file's logs table (at path, open as
// main) into the audit file (open as w), oldest first, in steps of
// moveChunk rows. A step commits the audit file, then the main file (SQLite
// commits attached WAL databases one by one): after a crash between the two
// the next start copies the step again, and the insert skips the rows it
// holds (same tenant and id).
func moveLogs(ctx context.Context, w, main *sql.DB, path string) error {
	var any int
	if err := main.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM logs LIMIT 1)`).Scan(&any); err != nil {
		return wrap("move audit log", err)
	}
	if any == 0 {
		return nil
	}
	conn, err := w.Conn(ctx)
	if err != nil {
		return wrap("move audit log", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `ATTACH DATABASE $1 AS old`, path); err != nil {
		return wrap("move audit log: attach", err)
	}
	defer conn.ExecContext(context.Background(), `DETACH DATABASE old`)
	for {
		var lo sql.NullInt64
		if err := conn.QueryRowContext(ctx, `SELECT MIN(seq) FROM old.logs`).Scan(&lo); err != nil {
			return wrap("move audit log", err)
		}
		if !lo.Valid {
			return nil
		}
		hi := lo.Int64 + moveChunk
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return wrap("move audit log: begin", err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO main.logs (`+logColumns+`)
SELECT `+logColumns+` FROM old.logs WHERE seq < $1 ORDER BY seq`+logConflict, hi)
		if err == nil {
			_, err = tx.ExecContext(ctx, `DELETE FROM old.logs WHERE seq < $1`, hi)
		}
		if err == nil {
			err = tx.Commit()
		}
		if err != nil {
			tx.Rollback()
			return wrap("move audit log", err)
		}
	}
}

// logQueries returns the queries that run on the audit log: its own file's
// writer pool on SQLite, the store's pool on PostgreSQL.
func (s *Store) logQueries() *Queries {
	if s.logW != nil {
		return &Queries{q: s.logW, db: s.logW, dialect: s.dialect}
	}
	if s.pgLog != nil {
		return &Queries{q: s.pgLog, db: s.pgLog, dialect: s.dialect}
	}
	return s.Queries
}

// auditPGConns bounds the audit log's PostgreSQL pool: the writer sends one
// batch at a time; retention's deletes take the second connection.
const auditPGConns = 2

// openAuditPostgres opens the audit log's write pool on PostgreSQL. Its
// sessions commit with synchronous_commit off: a batch of audit rows does
// not wait for its WAL to reach the disk, so the token endpoint's stream of
// audit inserts never queues Management API commits behind its flushes
// (each commit of a Management API write still waits for its own). The
// price is that a crash of PostgreSQL itself (not a stop, not a crash of
// Gatehouse) may lose the audit entries of its last moments, at most three
// times wal_writer_delay (600 ms by default); docs/operations.md says so.
// Its own pool also keeps the writer's batches off the connections that
// Management API requests use.
func openAuditPostgres(pg *pgx.ConnConfig) *sql.DB {
	cfg := pg.Copy()
	if _, ok := cfg.RuntimeParams["synchronous_commit"]; !ok {
		cfg.RuntimeParams["synchronous_commit"] = "off"
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(auditPGConns)
	db.SetMaxIdleConns(auditPGConns)
	return db
}

// SummarizeLogs brings the audit log's application index up to date and
// returns how many page ranges it summarized. On PostgreSQL that index is a
// BRIN bloom index (migration 0017): rows in page ranges not summarized yet
// are invisible to it, so a filter on an application reads those ranges
// whole, and only autovacuum (when it runs) would summarize them. Called
// every few seconds while entries are written, it keeps that unsummarized
// tail to the last few seconds of the log. It waits at most two seconds for
// its lock (another instance summarizing, a vacuum) and then fails; the
// next call catches up. On SQLite, whose log keeps a B-tree index, it does
// nothing.
func (s *Store) SummarizeLogs(ctx context.Context) (int64, error) {
	if s.pgLog == nil {
		return 0, nil
	}
	var n int64
	err := s.Queries.inTx(ctx, s.pgLog, func(q *Queries) error {
		if _, err := q.q.ExecContext(ctx, "SET LOCAL lock_timeout = '2s'"); err != nil {
			return err
		}
		return q.q.QueryRowContext(ctx, "SELECT brin_summarize_new_values('logs__application_id'::regclass)").Scan(&n)
	})
	return n, wrap("summarize audit log index", err)
}

// logReader returns the queries for reading the audit log.
func (s *Store) logReader() *Queries {
	if s.logR != nil {
		return &Queries{q: s.logR, dialect: s.dialect}
	}
	return s.Queries
}

// InsertLogs appends entries to the audit log: in their order
// (the order ListLogs reports, newest last). On SQLite the log is a file of
// its own (see [AuditPath]); it is never part of a [Store.Tx]. See
// insertLogs for how entries are stored and batched.
func (s *Store) InsertLogs(ctx context.Context, entries []rbac.LogEntry) error {
	return s.logQueries().insertLogs(ctx, entries)
}

// ListLogs returns the audit log entries f selects, newest first
// (reverse insertion order), paginated by f.Limit (0: no limit) and
// f.Offset, and the number of entries f selects regardless of pagination.
// Empty filter fields, TenantID included, do not filter.
func (s *Store) ListLogs(ctx context.Context, f rbac.LogFilter) ([]rbac.LogEntry, int64, error) {
	return s.logReader().listLogs(ctx, f)
}

// GetLog returns the audit log entry id of tenant; ErrNotFound if
// none.
func (s *Store) GetLog(ctx context.Context, tenant, id string) (*rbac.LogEntry, error) {
	return s.logReader().getLog(ctx, tenant, id)
}

// DeleteLogsBefore deletes at most limit of tenant's oldest audit
// log entries created before beforeMs (epoch ms) and returns how many it
// deleted; call it until it returns fewer than limit.
func (s *Store) DeleteLogsBefore(ctx context.Context, tenant string, beforeMs int64, limit int) (int64, error) {
	return s.logQueries().deleteLogsBefore(ctx, tenant, beforeMs, limit)
}

// copyAuditInto appends the audit file of the SQLite database at src, if
// there is one, to the logs table of the backup at dst (see BackupSQLite),
// so that a backup stays one self-contained file; restoring it moves the
// rows back into an audit file (moveLogs).
func copyAuditInto(ctx context.Context, dst, src string) error {
	apath := AuditPath(src)
	if !fileExists(apath) {
		return nil
	}
	db, err := sql.Open("sqlite", dst+"?_busy_timeout=5000")
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return wrap("backup", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `ATTACH DATABASE $1 AS audit`, apath); err != nil {
		return wrap("backup: attach audit log", err)
	}
	// One statement reads one snapshot of the audit file (WAL), while the
	// server goes on appending.
	if _, err := conn.ExecContext(ctx, `INSERT INTO main.logs (`+logColumns+`)
SELECT `+logColumns+` FROM audit.logs ORDER BY seq`+logConflict); err != nil {
		return wrap("backup: audit log", err)
	}
	if _, err := conn.ExecContext(ctx, `DETACH DATABASE audit`); err != nil {
		return wrap("backup: detach audit log", err)
	}
	return nil
}
