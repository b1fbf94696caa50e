package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// ChangeChannel is the PostgreSQL notification channel on which instances
// sharing a database announce writes that change grants or keys.
// Notifications are per database, not per schema: instances whose store
// lives in another schema than "public" (search_path in the URL) use
// ChangeChannel followed by "_" and the schema, so that deployments sharing
// a database do not reload on each other's changes.
const ChangeChannel = "gatehouse_changes"

// changeChannel returns the channel of the store's schema.
func changeChannel(schema string) string {
	if schema == "" || schema == "public" {
		return ChangeChannel
	}
	ch := ChangeChannel + "_" + schema
	if len(ch) > 63 { // PostgreSQL's longest identifier
		ch = ch[:63]
	}
	return ch
}

// Notify tells every instance listening on this database that something
// changed. Inside a transaction (a [Store.Tx] callback's Queries),
// PostgreSQL delivers the notification when that transaction commits, and
// never if it rolls back: a write that announces itself this way cannot
// commit unannounced, even if this process dies right after the commit.
// Outside one it is sent at once. On SQLite, which one instance owns, it
// does nothing.
//
// PostgreSQL serializes the commits of notifying transactions (they queue
// for one lock, held through the commit's flush): announce writes, not
// bulk traffic, and announce them with TxNotify, which keeps the flush out
// of that lock.
func (q *Queries) Notify(ctx context.Context, payload string) error {
	if q.dialect != dialectPostgres {
		return nil
	}
	_, err := q.q.ExecContext(ctx, "SELECT pg_notify($1, $2)", q.channel, payload)
	return wrap("notify", err)
}

// TxNotify runs fn in one transaction, as Tx does, and when fn returns a
// payload (not empty) notifies it inside that transaction (see Notify):
// PostgreSQL delivers it when, and only when, the transaction commits, so
// that a write that announces itself this way never commits unannounced.
// committed reports whether the transaction committed, also when err then
// reports a failure to confirm its flush (below): the caller must act on
// the change in either case.
//
// PostgreSQL commits a notifying transaction under one database-wide lock,
// held through the commit's WAL flush: notifying writes would each wait for
// the flushes of all those committing before them, one after another (on
// this project's test machine, eight clients of a one-row UPDATE commit
// 1,960-2,200 a second that way against 3,950-4,590 without a
// notification). So on PostgreSQL the transaction commits without waiting
// for its flush (synchronous_commit off for it alone), and TxNotify then
// waits for the flush outside the lock: a transaction that writes one WAL
// record (an empty logical decoding message, which every role may run by
// default and which needs no table) commits synchronously, and its flush
// covers the write's commit record, which precedes it, in a group flush
// with other commits. As with
// Tx, the write is durable when TxNotify returns a nil error. Where that
// function may not be executed (checked at Open), notifying transactions
// commit synchronously, under the lock.
//
// On PostgreSQL the notification, the COMMIT and the flush message go to
// the server as one message (the simple query protocol; the payload is
// quoted, not bound), so that a write costs its BEGIN, its own statements
// and one round trip more, as a plain transaction does: on a loaded
// machine every round trip waits for a CPU.
func (s *Store) TxNotify(ctx context.Context, fn func(q *Queries) (payload string, err error)) (committed bool, err error) {
	if s.dialect != dialectPostgres {
		err := s.Tx(ctx, func(q *Queries) error {
			_, err := fn(q)
			return err
		})
		return err == nil, err
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return false, wrap("begin", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return false, wrap("begin", err)
	}
	open := true
	defer func() {
		if open {
			// fn failed or panicked, or the commit was never reached: roll
			// back, and have the pool discard the connection if that fails.
			conn.Raw(func(dc any) error {
				pc := dc.(*stdlib.Conn).Conn().PgConn()
				if pc.TxStatus() != 'I' {
					pc.Exec(context.WithoutCancel(ctx), "ROLLBACK").ReadAll()
				}
				if pc.TxStatus() != 'I' {
					return driver.ErrBadConn
				}
				return nil
			})
		}
	}()
	payload, err := fn(&Queries{q: conn, dialect: s.dialect, channel: s.channel})
	if err != nil {
		return false, err
	}
	if err := checkPayload(payload); err != nil {
		return false, err
	}
	tail := "COMMIT"
	if payload != "" {
		tail = notifyAndCommit(s.channel, payload, s.flushAfter)
	}
	// One round trip, in PostgreSQL's simple protocol: the notification,
	// the commit and, when flushAfter, the flush message, each run only if
	// the one before it succeeded.
	err = conn.Raw(func(dc any) error {
		results, err := dc.(*stdlib.Conn).Conn().PgConn().Exec(ctx, tail).ReadAll()
		i := slices.IndexFunc(results, func(r *pgconn.Result) bool { return r.CommandTag.String() == "COMMIT" })
		committed = i >= 0
		open = !committed && (len(results) == 0 || results[len(results)-1].CommandTag.String() != "ROLLBACK")
		if err != nil && committed {
			return fmt.Errorf("flush after commit: %w", err)
		}
		return err
	})
	if err != nil {
		if committed {
			return true, fmt.Errorf("store: %w", err)
		}
		return false, wrap("commit", err)
	}
	if !committed {
		return false, fmt.Errorf("store: commit: the transaction was rolled back")
	}
	return true, nil
}

// queryRowAnnounced runs query, one statement that writes and returns one
// row (an UPDATE ... RETURNING), and hands that row to scan. When announce
// is not empty it is notified, on PostgreSQL, by the same statement, in
// its own implicit transaction, and only if the statement returned its row:
// no transaction stays open across a round trip to this process, so the rows
// the statement locks are held only while PostgreSQL runs it and commits
// (asynchronously when flushAfter; TxNotify's flush message follows). A
// multi-statement TxNotify holds its locks until its last round trip, and
// under full token load every round trip waits for a CPU: writes to one
// row then queue behind each other's round trips. The statement committed
// if and only if scan was called and succeeded; err may then still report a
// failure to confirm its flush.
func (s *Store) queryRowAnnounced(ctx context.Context, announce, query string, args []any,
	scan func(row interface{ Scan(...any) error }) error) error {
	if announce == "" || s.dialect != dialectPostgres {
		return scan(s.db.QueryRowContext(ctx, query, args...))
	}
	if err := checkPayload(announce); err != nil {
		return err
	}
	async := ""
	if s.flushAfter {
		async = "set_config('synchronous_commit', 'off', true), "
	}
	n := len(args)
	wrapped := fmt.Sprintf("WITH w AS (%s) SELECT w.*, concat(%spg_notify($%d, $%d)) FROM w", query, async, n+1, n+2)
	row := s.db.QueryRowContext(ctx, wrapped, slices.Concat(args, []any{s.channel, announce})...)
	if err := scan(extraColumn{row}); err != nil {
		return err
	}
	if s.flushAfter {
		if _, err := s.db.ExecContext(ctx, flushStatement); err != nil {
			return wrap("flush after commit", err)
		}
	}
	return nil
}

// checkPayload refuses a notification payload PostgreSQL could not hold
// (a NUL byte), before anything commits.
func checkPayload(payload string) error {
	if strings.IndexByte(payload, 0) >= 0 {
		return fmt.Errorf("store: notify: the payload holds a NUL byte")
	}
	return nil
}

// extraColumn scans a row that has one column more, at the end, than its
// callers ask for.
type extraColumn struct{ row *sql.Row }

func (e extraColumn) Scan(dest ...any) error {
	var discard []byte
	return e.row.Scan(append(dest, &discard)...)
}

// notifyAndCommit returns the statements that end a notifying transaction:
// pg_notify, COMMIT and, when flushAfter, synchronous_commit off for that
// transaction before it and the flush message after it. The channel and
// payload are quoted as escape-string literals, whose meaning does not
// depend on standard_conforming_strings.
func notifyAndCommit(channel, payload string, flushAfter bool) string {
	notify := "SELECT pg_notify(" + quoteLiteral(channel) + ", " + quoteLiteral(payload) + ")"
	if !flushAfter {
		return notify + "; COMMIT"
	}
	return "SELECT set_config('synchronous_commit', 'off', true); " + notify + "; COMMIT; " + flushStatement
}

// quoteLiteral quotes s as a PostgreSQL escape-string literal (E'...').
// s must hold no NUL byte, which no PostgreSQL text can hold.
func quoteLiteral(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 4)
	b.WriteString("E'")
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			b.WriteString(`\\`)
		case '\'':
			b.WriteString(`''`) // not \', which backslash_quote may refuse
		default:
			b.WriteByte(s[i])
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// flushStatement writes one WAL record in a transaction of its own, whose
// synchronous commit flushes the WAL up to it (see TxNotify).
const flushStatement = "SELECT pg_logical_emit_message(true, 'gatehouse', '')"

// Listen calls fn for every change another instance (or this one)
// announces with Notify, until ctx ends. It holds one connection of its
// own and reconnects after a failure, calling fn("") after each reconnect,
// since changes may have been missed meanwhile. ready, when not nil, is
// closed once the first LISTEN is in place. On SQLite it returns at once.
func (s *Store) Listen(ctx context.Context, fn func(payload string), ready chan<- struct{}, onErr func(error)) {
	if s.dialect != dialectPostgres {
		if ready != nil {
			close(ready)
		}
		return
	}
	backoff := 100 * time.Millisecond
	first := true
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, fn, &first, ready)
		if ctx.Err() != nil {
			return
		}
		if onErr != nil {
			onErr(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

func (s *Store) listenOnce(ctx context.Context, fn func(string), first *bool, ready chan<- struct{}) error {
	conn, err := pgx.ConnectConfig(ctx, s.pg.Copy())
	if err != nil {
		return wrap("listen", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{s.Queries.channel}.Sanitize()); err != nil {
		return fmt.Errorf("store: listen: %w", err)
	}
	if *first {
		*first = false
		if ready != nil {
			close(ready)
		}
	} else {
		fn("")
	}
	for {
		// A connection that dies silently (a partition, a failover that
		// sends no reset) would leave the wait blocked forever while
		// changes go unseen: after listenIdle without a notification, the
		// connection must answer a ping within ConnectTimeout.
		wctx, cancel := context.WithTimeout(ctx, listenIdle)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		if err != nil && ctx.Err() == nil && wctx.Err() != nil {
			pctx, cancel := context.WithTimeout(ctx, ConnectTimeout)
			err = conn.Ping(pctx)
			cancel()
			if err == nil {
				continue
			}
		}
		if err != nil {
			return fmt.Errorf("store: listen: %w", err)
		}
		fn(n.Payload)
	}
}

// listenIdle is how long the change listener waits for a notification
// before it checks that its connection still answers.
const listenIdle = 15 * time.Second
