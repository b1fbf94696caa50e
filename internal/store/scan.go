package store

import (
	"database/sql"
	"fmt"
)

// affectedOne turns the result of an UPDATE or DELETE of one row into an
// error: the statement's own, or ErrNotFound when no row matched.
func affectedOne(res sql.Result, err error, op string) error {
	if err != nil {
		return wrap(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	if n == 0 {
		return notFound(op)
	}
	return nil
}

// stringPtr converts a nullable column to a nil-able string.
func stringPtr(v sql.NullString) *string {
	if !v.Valid {
		return nil
	}
	return &v.String
}

// int64Ptr converts a nullable column to a nil-able int64.
func int64Ptr(v sql.NullInt64) *int64 {
	if !v.Valid {
		return nil
	}
	return &v.Int64
}
