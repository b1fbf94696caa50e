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
// bulk traffic.
func (q *Queries) Notify(ctx context.Context, payload string) error {
	if q.dialect != dialectPostgres {
		return nil
	}
	_, err := q.q.ExecContext(ctx, "SELECT pg_notify($1, $2)", q.channel, payload)
	return wrap("notify", err)
}

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
