package store

import (
	"database/sql"
	"errors"
	"fmt"

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

// PostgreSQL SQLSTATE codes the store maps.
const (
	pgUniqueViolation     = "23505"
	pgForeignKeyViolation = "23503"
	pgCheckViolation      = "23514"
	pgNotNullViolation    = "23502"
	pgStringTooLong       = "22001"
)

// wrap is the one place where driver errors become store errors. op names
// the operation for the message ("insert application"). sql.ErrNoRows
// becomes ErrNotFound; constraint violations of either driver become
// ErrConflict, ErrForeignKey or ErrCheck, with the driver error still
// wrapped so that its message (the constraint) is kept.
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

// classify returns the sentinel for a constraint violation, or nil.
func classify(err error) error {
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
		}
	}
	return nil
}

// notFound reports a missing row identified by what ("application x").
func notFound(what string) error { return fmt.Errorf("%w: %s", ErrNotFound, what) }
