package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"
)

// migrationsFS holds migrations/<dialect>/NNNN_name.sql. Both dialect
// folders hold the same file names (a test checks it); files are applied
// in name order, each in one transaction, and never edited once released.
//
//go:embed migrations
var migrationsFS embed.FS

// migration is one embedded schema change.
type migration struct {
	version string // the file name, e.g. "0001_init.sql"
	sql     string
}

// migrations returns the dialect's migrations in the order to apply them.
func migrations(dialect string) ([]migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrationsFS, dir)
	if err != nil {
		return nil, fmt.Errorf("store: migrations for %s: %w", dialect, err)
	}
	var ms []migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		b, err := fs.ReadFile(migrationsFS, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("store: migration %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// migrate applies the migrations db has not seen yet, recording each in
// schema_migrations in the transaction that applies it. On PostgreSQL the
// whole run holds a session advisory lock (per database and schema), so
// that instances started together apply each migration once; on SQLite the
// immediate transactions serialise concurrent runs.
func migrate(ctx context.Context, db *sql.DB, dialect string) (err error) {
	ms, err := migrations(dialect)
	if err != nil {
		return err
	}
	// One connection for the run: the advisory lock belongs to a session.
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	defer conn.Close()

	if dialect == dialectPostgres {
		const key = `hashtextextended('gatehouse.migrate:' || coalesce(current_schema(), ''), 0)`
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(`+key+`)`); err != nil {
			return fmt.Errorf("store: migrate: lock: %w", err)
		}
		defer func() {
			// Use a fresh context: the lock must go even if ctx is done.
			// Should the unlock fail, discarding the session frees the lock.
			if _, uerr := conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(`+key+`)`); uerr != nil {
				conn.Raw(func(any) error { return driver.ErrBadConn })
				if err == nil {
					err = fmt.Errorf("store: migrate: unlock: %w", uerr)
				}
			}
		}()
	}

	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
  version TEXT NOT NULL,
  applied_at BIGINT NOT NULL,
  CONSTRAINT schema_migrations_pkey PRIMARY KEY (version)
)`); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	for _, m := range ms {
		if err := applyMigration(ctx, conn, m); err != nil {
			return err
		}
	}
	return nil
}

// applyMigration applies m in one transaction unless it is recorded.
func applyMigration(ctx context.Context, conn *sql.Conn, m migration) (err error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migration %s: begin: %w", m.version, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, m.version).Scan(&n); err != nil {
		return fmt.Errorf("store: migration %s: %w", m.version, err)
	}
	if n > 0 {
		return tx.Rollback()
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("store: migration %s: %w", m.version, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
		m.version, time.Now().UnixMilli()); err != nil {
		return fmt.Errorf("store: migration %s: record: %w", m.version, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migration %s: commit: %w", m.version, err)
	}
	return nil
}

// ErrNotMigrated is Migrated's answer when the database lacks a migration
// this binary embeds (it was replaced, restored from an older backup, or
// its schema dropped).
var ErrNotMigrated = errors.New("store: database schema is older than this binary")

// Migrated checks, with one query, that the database answers and holds
// every migration this binary embeds (a newer binary's extra ones are
// fine: migrations only add). It returns ErrNotMigrated, or a
// connection error wrapped as every store error is.
func (s *Store) Migrated(ctx context.Context) error {
	if err := migrated(ctx, s.db, s.dialect); err != nil {
		return err
	}
	if s.logW != nil {
		return migrated(ctx, s.logR, dialectSQLiteAudit)
	}
	return nil
}

// migrated checks that db holds every migration of dialect.
func migrated(ctx context.Context, db *sql.DB, dialect string) error {
	ms, err := migrations(dialect)
	if err != nil {
		return err
	}
	names := make([]any, len(ms))
	marks := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.version
		marks[i] = fmt.Sprintf("$%d", i+1)
	}
	var n int
	err = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version IN (`+strings.Join(marks, ",")+`)`, names...).Scan(&n)
	if err != nil {
		return wrap("check migrations", err)
	}
	if n != len(ms) {
		return ErrNotMigrated
	}
	return nil
}
