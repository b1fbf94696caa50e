package store

import "context"

// LockSigningKeys serialises changes to tenant's signing keys: call it
// first in a [Store.Tx] that reads the keys and then rewrites them
// (rotation, promotion, deletion), so that two instances or two requests
// cannot both demote the same Current key. On PostgreSQL it takes a
// transaction-scoped advisory lock (per schema and tenant), released at
// commit or rollback; on SQLite every transaction already holds the write
// lock from BEGIN (_txlock=immediate), so it does nothing.
func (q *Queries) LockSigningKeys(ctx context.Context, tenant string) error {
	if q.dialect != dialectPostgres {
		return nil
	}
	_, err := q.q.ExecContext(ctx,
		`SELECT pg_advisory_xact_lock(hashtextextended('gatehouse.signing_keys:' || coalesce(current_schema(), '') || ':' || $1::text, 0))`,
		tenant)
	return wrap("lock signing keys", err)
}
