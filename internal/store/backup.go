package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
)

// BackupSQLite writes a consistent copy of the SQLite database at src to
// the new file dst, while servers may be using src: VACUUM INTO reads one
// snapshot of the database in a read transaction (WAL lets the server's
// writer go on meanwhile) and writes it compacted, WAL content included,
// as one self-contained file, the audit log (a file of its own, see
// AuditPath) copied into its logs table. It runs no statement but VACUUM INTO on src
// (query_only would refuse even that) and never migrates it. dst must not exist; it is created
// with mode 0600 (it holds sealed secrets and their digests), synced, and
// checked with PRAGMA quick_check. On failure dst is removed.
func BackupSQLite(ctx context.Context, src, dst string) (err error) {
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	// VACUUM INTO accepts an existing empty file: creating it first makes
	// it 0600 and refuses to overwrite anything.
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	f.Close()
	defer func() {
		if err != nil {
			os.Remove(dst)
		}
	}()
	db, err := sql.Open("sqlite", src+"?_busy_timeout=5000")
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO $1`, dst); err != nil {
		return wrap("backup", err)
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	if err := copyAuditInto(ctx, dst, src); err != nil {
		return err
	}
	if err := syncFile(dst); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	return checkSQLite(ctx, dst)
}

// checkSQLite runs PRAGMA quick_check on the SQLite file at path.
func checkSQLite(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", path+"?_pragma=query_only(1)")
	if err != nil {
		return fmt.Errorf("store: check %s: %w", path, err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&res); err != nil {
		return wrap("check "+path, err)
	}
	if res != "ok" {
		return fmt.Errorf("store: check %s: %s", path, res)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM gatehouse_meta`).Scan(&n); err != nil {
		return errors.Join(fmt.Errorf("store: check %s: not a Gatehouse database", path), wrap("check", err))
	}
	return nil
}

// fileExists reports whether path names an existing file.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// syncFile flushes path to stable storage.
func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
