package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
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
// default and which needs no table) commits synchronously, and its flush covers the write's commit
// record, which precedes it, in a group flush with other commits. As with
// Tx, the write is durable when TxNotify returns a nil error. Where that
// function may not be executed (checked at Open), notifying transactions
// commit synchronously, under the lock.
func (s *Store) TxNotify(ctx context.Context, fn func(q *Queries) (payload string, err error)) (committed bool, err error) {
	notified := false
	err = s.Tx(ctx, func(q *Queries) error {
		payload, err := fn(q)
		if err != nil || payload == "" || q.dialect != dialectPostgres {
			return err
		}
		notified = true
		if !s.flushAfter {
			return q.Notify(ctx, payload)
		}
		_, err = q.q.ExecContext(ctx, "SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, $2)", q.channel, payload)
		return wrap("notify", err)
	})
	if err != nil {
		return false, err
	}
	if notified && s.flushAfter {
		if _, err := s.db.ExecContext(ctx, flushStatement); err != nil {
			return true, wrap("flush after commit", err)
		}
	}
	return true, nil
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
