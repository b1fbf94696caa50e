package store

import (
	"context"
	"database/sql"
)

// affectedOne turns the result of an UPDATE or DELETE of one row into an
// error: the statement's own, or ErrNotFound when no row matched.
func affectedOne(res sql.Result, err error, op string) error {
	if err != nil {
		return wrap(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap(op, err)
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

// stringColumn runs a query selecting one text column and returns its
// values (an empty slice, not nil, when there are none).
func (q *Queries) stringColumn(ctx context.Context, op, query string, args ...any) ([]string, error) {
	rows, err := q.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, v)
	}
	return out, wrap(op, rows.Err())
}
