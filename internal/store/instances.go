package store

import (
	"context"
	"database/sql/driver"
	"errors"
)

// ErrInUse is returned by [Store.Exclusive] while a server holds the
// database (see [Store.HoldInstance]).
var ErrInUse = errors.New("store: servers are connected to this database: stop them first")

// instanceLock is the advisory lock key (per database and schema) that
// every server holds shared while it runs, and that Exclusive takes alone.
const instanceLock = `hashtextextended('gatehouse.instances:' || coalesce(current_schema(), ''), 0)`

// HoldInstance marks this store's process as a running server until the
// returned release is called: on PostgreSQL it holds a shared advisory lock
// on a connection of its own (waiting while an Exclusive transaction
// runs), so that maintenance that must not run beside a server (rekeying)
// can tell. On SQLite it does nothing: the data dir's lock (package app)
// already keeps one process per database. Should the connection break
// (the database restarted), the mark is gone until the process restarts;
// maintenance run meanwhile is not stopped.
func (s *Store) HoldInstance(ctx context.Context) (release func(), err error) {
	if s.pg == nil {
		return func() {}, nil
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, wrap("hold instance", err)
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock_shared(`+instanceLock+`)`); err != nil {
		conn.Close()
		return nil, wrap("hold instance", err)
	}
	return func() {
		// Closing returns the connection to the pool with the lock held:
		// unlock first, and discard the session if that fails.
		if _, err := conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock_shared(`+instanceLock+`)`); err != nil {
			conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
	}, nil
}

// Exclusive runs fn in one transaction that no server runs beside: on
// PostgreSQL it takes the instance lock (see HoldInstance) alone for the
// transaction, and returns ErrInUse at once if any server holds it. On
// SQLite it is Tx (the caller holds the data dir's lock).
func (s *Store) Exclusive(ctx context.Context, fn func(q *Queries) error) error {
	return s.Tx(ctx, func(q *Queries) error {
		if s.pg != nil {
			var ok bool
			if err := q.q.QueryRowContext(ctx, `SELECT pg_try_advisory_xact_lock(`+instanceLock+`)`).Scan(&ok); err != nil {
				return wrap("exclusive", err)
			}
			if !ok {
				return ErrInUse
			}
		}
		return fn(q)
	})
}
