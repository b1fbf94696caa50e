package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrNotFound is returned when the row asked for does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrConflict is returned when a write breaks a unique constraint (a
// duplicate id, name, indicator, pair or default resource).
var ErrConflict = errors.New("store: conflict")

// ErrForeignKey is returned when a write refers to a row that does not exist
// (an unknown application, resource, role or scope).
var ErrForeignKey = errors.New("store: related row missing")

// ErrCheck is returned when a write breaks a check constraint, a NOT NULL
// column or a length limit, or a rule the store enforces itself (only
// machine-to-machine roles can be given to applications, JSON columns must
// hold valid JSON).
var ErrCheck = errors.New("store: constraint violated")

// ErrTooLong is returned when a value exceeds its column's length limit.
// Only PostgreSQL enforces the limits; callers validate lengths before
// writing, so on SQLite this never happens.
var ErrTooLong = errors.New("store: value too long")

// ErrInvalidInput is returned when PostgreSQL refuses a value itself, not
// a constraint: text it cannot hold (NUL, an untranslatable character, a
// jsonb \u0000 or lone surrogate) or a search pattern that is not a valid
// regular expression. Callers check input before it gets here; this keeps
// what slips past a 400 rather than a 500.
var ErrInvalidInput = errors.New("store: invalid input")

// ErrUnavailable is returned when the database cannot be reached or cannot
// serve the statement now: the connection is refused, broken or timed out,
// the server is shutting down, starting or out of connections, or (SQLite)
// the file stays locked past the busy timeout, cannot be opened, read or
// written, or its disk is full. The request may succeed when retried later;
// callers answer it with 503, never with 500.
var ErrUnavailable = errors.New("store: the database cannot be reached")

// PostgreSQL SQLSTATE codes the store maps.
const (
	pgUniqueViolation     = "23505"
	pgForeignKeyViolation = "23503"
	pgCheckViolation      = "23514"
	pgNotNullViolation    = "23502"
	pgStringTooLong       = "22001"
	// Values PostgreSQL cannot hold or patterns it cannot compile.
	pgCharacterNotInRepertoire = "22021"
	pgUntranslatableCharacter  = "22P05"
	pgInvalidRegularExpression = "2201B"
	pgInvalidEscapeSequence    = "22025"
	pgInvalidEscapeCharacter   = "22019"
	// Class 08 (connection exception), class 53 (insufficient resources:
	// disk full, out of memory, too many connections) and these: the
	// server is going away or not ready, so the statement may work later.
	pgClassConnection     = "08"
	pgClassResources      = "53"
	pgAdminShutdown       = "57P01"
	pgCrashShutdown       = "57P02"
	pgCannotConnectNow    = "57P03"
	pgReadOnlyTransaction = "25006" // a write reached a standby, as during a failover
	// The statement was cancelled: by statement_timeout, by an operator, or
	// by pgx when the caller's deadline passed mid-query.
	pgQueryCanceled = "57014"
)

// wrap is the one place where driver errors become store errors. op names
// the operation for the message ("insert application"). sql.ErrNoRows
// becomes ErrNotFound; constraint violations of either driver become
// ErrConflict, ErrForeignKey or ErrCheck, and connection failures
// ErrUnavailable, with the driver error still wrapped so that its message
// (the constraint, the address) is kept.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %s", ErrNotFound, op)
	}
	if sentinel := classify(err); sentinel != nil {
		return fmt.Errorf("%w: %s: %w", sentinel, op, err)
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

// classify returns the sentinel for a constraint violation or a database
// that cannot be reached, or nil.
func classify(err error) error {
	if errors.Is(err, context.Canceled) {
		// The caller gave up (a client went away): not the database's
		// fault, whatever the driver wrapped around it.
		return nil
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return ErrConflict
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return ErrForeignKey
		case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
			return ErrCheck
		}
		// Extended codes carry the primary one in their low byte.
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, // still locked when busy_timeout ran out
			sqlite3.SQLITE_IOERR,    // the file cannot be read or written
			sqlite3.SQLITE_CANTOPEN, // the file or its directory is gone
			sqlite3.SQLITE_FULL,     // the disk is full
			sqlite3.SQLITE_PROTOCOL: // a WAL lock race that outlasted SQLite's retries
			return ErrUnavailable
		}
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case pgUniqueViolation:
			return ErrConflict
		case pgForeignKeyViolation:
			return ErrForeignKey
		case pgStringTooLong:
			return ErrTooLong
		case pgCheckViolation, pgNotNullViolation:
			return ErrCheck
		case pgCharacterNotInRepertoire, pgUntranslatableCharacter, pgInvalidRegularExpression,
			pgInvalidEscapeSequence, pgInvalidEscapeCharacter:
			return ErrInvalidInput
		case pgAdminShutdown, pgCrashShutdown, pgCannotConnectNow, pgReadOnlyTransaction, pgQueryCanceled:
			return ErrUnavailable
		}
		if strings.HasPrefix(pe.Code, pgClassConnection) || strings.HasPrefix(pe.Code, pgClassResources) {
			return ErrUnavailable
		}
		return nil
	}
	if unreachable(err) {
		return ErrUnavailable
	}
	return nil
}

// unreachable reports whether err says that the connection to the database
// failed rather than the statement: it could not be opened, broke, or did
// not answer before the deadline.
func unreachable(err error) bool {
	var (
		ce *pgconn.ConnectError
		ne net.Error // *net.OpError, *net.DNSError, timeouts
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded), // the caller's deadline: the database did not answer in time
		errors.Is(err, driver.ErrBadConn), // database/sql's retries with fresh connections failed too
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ETIMEDOUT),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.As(err, &ce), errors.As(err, &ne),
		// pgconn's own: a connection closed or lost before anything was
		// sent (safe to retry), or an I/O timeout.
		pgconn.SafeToRetry(err), pgconn.Timeout(err):
		return true
	}
	// The pool itself is closed: the server is shutting down and a request
	// outlived the drain. database/sql keeps this error unexported; its
	// text has not changed since Go 1.
	return strings.Contains(err.Error(), "sql: database is closed")
}

// notFound reports a missing row identified by what ("application x").
func notFound(what string) error { return fmt.Errorf("%w: %s", ErrNotFound, what) }
