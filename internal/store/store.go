package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite" // also registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect names returned by [Store.Dialect]; they are also the names of the
// migration folders.
const (
	dialectSQLite   = "sqlite"
	dialectPostgres = "postgres"
)

// sqliteParams configure every SQLite connection of the pool. WAL lets
// readers run beside the one writer; _txlock=immediate makes every
// transaction take the write lock at BEGIN, so two transactions that read
// and then write cannot deadlock on the lock upgrade; busy_timeout makes
// writers queue instead of failing with SQLITE_BUSY.
//
// cache_size (in KiB when negative) lets a connection keep 4 MiB of pages
// instead of SQLite's 2 MiB: the audit log's indexes then stay in memory
// while it grows, instead of being read back for every batch. The cache
// fills only as pages are used, and the token endpoint uses none.
const sqliteParams = "_txlock=immediate&_busy_timeout=5000&_foreign_keys=1&_journal_mode=WAL&_synchronous=NORMAL&_pragma=cache_size(-4096)"

// ConnectTimeout bounds opening one PostgreSQL connection when the DSN
// names no connect_timeout (pgx would otherwise wait for the operating
// system's TCP timeout, minutes): while the database is unreachable, work
// that needs a new connection fails within it, with [ErrUnavailable], instead
// of hanging. A connect_timeout in the DSN (or PGCONNECT_TIMEOUT) wins.
const ConnectTimeout = 5 * time.Second

// Store is the database: a pool of connections to SQLite or PostgreSQL.
// Its embedded *Queries run each statement on its own; [Store.Tx] runs
// several in one transaction.
type Store struct {
	*Queries
	db *sql.DB
	// reads is a small pool of its own for the grant cache's loads, so
	// that a token request's cache miss never queues for a connection
	// behind management writes or the audit log's batches.
	reads *sql.DB
	// logW and logR are the audit log's own pools (writer, readers) on
	// SQLite, where it is a file of its own (see AuditPath); nil on
	// PostgreSQL, whose log is a table beside the others.
	logW, logR *sql.DB
	// pgLog is the audit log's write pool on PostgreSQL (see
	// openAuditPostgres); nil on SQLite.
	pgLog *sql.DB
	pg    *pgx.ConnConfig // PostgreSQL only: for the notification listener's own connection
	// flushAfter: TxNotify commits without waiting for the flush, then
	// waits for it outside the notification lock (PostgreSQL, when the
	// role may run flushStatement).
	flushAfter bool
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// Queries holds the store's statements. The one embedded in [Store] runs on
// the pool; the one handed to a [Store.Tx] callback runs inside that
// transaction.
type Queries struct {
	q querier
	// db is set outside a transaction only: methods that need several
	// statements to be atomic begin their own transaction on it.
	db *sql.DB
	// dialect lets the few methods that batch differently per engine
	// choose; the SQL itself is the same.
	dialect string
	// channel is the notification channel (PostgreSQL only, see Notify).
	channel string
}

// Open connects to the database named by dsn and applies the embedded
// migrations before returning. A dsn starting with "postgres://" or
// "postgresql://" selects PostgreSQL (runtime parameters such as
// search_path may be given in it); anything else is the path of an SQLite
// file, created with mode 0600 (and its directory with 0700) if missing.
func Open(ctx context.Context, dsn string) (*Store, error) {
	var (
		db      *sql.DB
		pg      *pgx.ConnConfig
		dialect string
		err     error
	)
	dialect = dialectSQLite
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		dialect = dialectPostgres
		pg, err = pgConfig(dsn)
	}
	if err == nil {
		db, err = openPool(dsn, pg)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dialect, err)
	}
	// Keep connections warm: opening one costs a TCP and auth round trip on
	// PostgreSQL and re-runs the pragmas on SQLite.
	db.SetMaxIdleConns(8)
	if pg == nil {
		// SQLite has one writer at a time. With several connections, a
		// writer that finds the file locked sleeps in SQLite's busy
		// handler (1, 2, 5, ... 100 ms at a time) while the audit log's
		// batches come and go: a Management API write under token load
		// took hundreds of milliseconds. One connection makes writers
		// queue in order in the pool instead, each waiting only for the
		// work ahead of it. Reads that must not wait (the grant cache's)
		// have a pool of their own (Reader).
		db.SetMaxOpenConns(1)
	}
	if err := ping(ctx, db); err != nil {
		db.Close()
		return nil, wrap("connect "+dialect, err)
	}
	if pg != nil {
		if err := checkPostgresVersion(ctx, db); err != nil {
			db.Close()
			return nil, err
		}
	}
	if err := migrate(ctx, db, dialect); err != nil {
		db.Close()
		return nil, err
	}
	reads, err := openPool(dsn, pg)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", dialect, err)
	}
	reads.SetMaxOpenConns(readConns)
	reads.SetMaxIdleConns(readConns)
	st := &Store{Queries: &Queries{q: db, db: db, dialect: dialect}, db: db, reads: reads, pg: pg}
	if pg == nil {
		if st.logW, st.logR, err = openAuditSQLite(ctx, dsn, db); err != nil {
			st.Close()
			return nil, err
		}
	}
	if pg != nil {
		st.pgLog = openAuditPostgres(pg)
		var schema string
		if err := db.QueryRowContext(ctx, "SELECT COALESCE(current_schema(), '')").Scan(&schema); err != nil {
			st.Close()
			return nil, wrap("current schema", err)
		}
		st.Queries.channel = changeChannel(schema)
		// TxNotify's flush after commit, where the function may be run
		// (PostgreSQL 17 added a fourth argument with a default).
		err := db.QueryRowContext(ctx, `SELECT COALESCE(bool_or(has_function_privilege(p.oid, 'EXECUTE')), false)
FROM pg_proc p WHERE p.proname = 'pg_logical_emit_message' AND p.pronamespace = 'pg_catalog'::regnamespace
AND p.proargtypes[2] = 'text'::regtype`).Scan(&st.flushAfter)
		if err != nil {
			st.Close()
			return nil, wrap("privileges", err)
		}
	}
	return st, nil
}

// minPostgresVersion is the oldest PostgreSQL the store runs on (as
// server_version_num): 14 brought the BRIN bloom operator classes the audit
// log's application index uses (migration 0017).
const minPostgresVersion = 140000

// checkPostgresVersion refuses a server older than minPostgresVersion,
// before any migration runs.
func checkPostgresVersion(ctx context.Context, db *sql.DB) error {
	var (
		num     int
		version string
	)
	err := db.QueryRowContext(ctx,
		"SELECT current_setting('server_version_num')::int, current_setting('server_version')").Scan(&num, &version)
	if err != nil {
		return wrap("server version", err)
	}
	if num < minPostgresVersion {
		return fmt.Errorf("store: PostgreSQL %s is too old: Gatehouse needs PostgreSQL 14 or newer", version)
	}
	return nil
}

// readConns bounds the grant cache's pool: loads are single-flighted per
// application, so a few connections carry any miss rate a database can
// answer, and a flood of misses cannot take the database's connections.
const readConns = 4

// Reader returns queries that run on the store's read pool (see
// [Store.reads]): for the grant cache, never for writes.
func (s *Store) Reader() *Queries {
	return &Queries{q: s.reads, dialect: s.dialect}
}

// ping checks the first connection. A new SQLite connection switches the
// file to WAL mode, which SQLite refuses with SQLITE_BUSY, without waiting
// for the busy timeout, while another process or pool is doing the same:
// instances starting together retry for up to two seconds.
func ping(ctx context.Context, db *sql.DB) error {
	for try := 0; ; try++ {
		err := db.PingContext(ctx)
		var se *sqlite.Error
		if err == nil || try == 40 || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// openPool opens a pool on the PostgreSQL database of pg, or (pg nil) on
// the SQLite file at dsn.
func openPool(dsn string, pg *pgx.ConnConfig) (*sql.DB, error) {
	if pg != nil {
		return stdlib.OpenDB(*pg), nil
	}
	return openSQLite(dsn)
}

// pgConfig parses a PostgreSQL DSN, bounding connects by ConnectTimeout
// unless it says otherwise.
func pgConfig(dsn string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = ConnectTimeout
	}
	// pgx prepares every statement, and PostgreSQL switches a prepared
	// statement to a generic plan after five runs, planned with the
	// statistics of that moment: on a table that was small then (a new
	// database, a bulk import under way) that is a sequential scan the
	// connection keeps for its life, and a Management API import of
	// 100,000 apps slowed to 20 a second. A custom plan per run costs a
	// fraction of a millisecond on these queries.
	if _, ok := cfg.RuntimeParams["plan_cache_mode"]; !ok {
		cfg.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	}
	return cfg, nil
}

// openSQLite prepares the file at path and opens a pool on it.
func openSQLite(path string) (*sql.DB, error) {
	if path == "" {
		return nil, errors.New("empty database path")
	}
	if strings.ContainsRune(path, '?') || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("database path %q: give a plain file path, without URI syntax or parameters", path)
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
	}
	// SQLite would create the file with mode 0644; create it first so that
	// it, and the -wal and -shm files SQLite derives from it, are 0600.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	registerSQLiteRegexp()
	db, err := sql.Open("sqlite", path+"?"+sqliteParams)
	if err != nil {
		return nil, err
	}
	return db, nil
}

// Close closes the connection pool.
func (s *Store) Close() error {
	for _, p := range []*sql.DB{s.reads, s.logW, s.logR, s.pgLog} {
		if p != nil {
			p.Close()
		}
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Pools returns the connection pools by name ("main": writes and
// management reads; "reads": the grant cache's loads; on SQLite also
// "audit" and "audit_reads", the audit file's), for their statistics
// (metrics). Run no statements on them: use the Store.
func (s *Store) Pools() map[string]*sql.DB {
	p := map[string]*sql.DB{"main": s.db, "reads": s.reads}
	if s.logW != nil {
		p["audit"], p["audit_reads"] = s.logW, s.logR
	}
	if s.pgLog != nil {
		p["audit"] = s.pgLog
	}
	return p
}

// Dialect reports the engine: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return wrap("ping", s.db.PingContext(ctx))
}

// Tx runs fn in one transaction: committed when fn returns nil, rolled back
// when it returns an error or panics (the panic is re-raised). fn must use
// the *Queries it is given, not the Store: on SQLite a statement on the
// Store would wait for the transaction's write lock.
func (s *Store) Tx(ctx context.Context, fn func(q *Queries) error) error {
	return s.Queries.inTx(ctx, s.db, fn)
}

// inTx runs fn in a transaction on db, with q's dialect and channel.
func (q *Queries) inTx(ctx context.Context, db *sql.DB, fn func(q *Queries) error) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return wrap("begin", err)
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
		if err != nil {
			tx.Rollback()
		}
	}()
	if err := fn(&Queries{q: tx, dialect: q.dialect, channel: q.channel}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return wrap("commit", err)
	}
	return nil
}

// atomic runs fn in a transaction: the caller's if q is already inside
// one, a new one otherwise.
func (q *Queries) atomic(ctx context.Context, fn func(q *Queries) error) error {
	if q.db == nil {
		return fn(q)
	}
	return q.inTx(ctx, q.db, fn)
}
