package store

import "context"

// deleteLogsBefore deletes at most limit of tenant's oldest audit log
// entries created before beforeMs (epoch ms) and returns how many it
// deleted; call it until it returns fewer than limit. Entries are taken in
// insertion order, which is time order, so each call walks the log's
// beginning only (SQLite: the rowid; PostgreSQL: logs__seq).
func (q *Queries) deleteLogsBefore(ctx context.Context, tenant string, beforeMs int64, limit int) (int64, error) {
	res, err := q.q.ExecContext(ctx, `DELETE FROM logs WHERE seq IN (
  SELECT seq FROM logs WHERE tenant_id = $1 AND created_at < $2 ORDER BY seq LIMIT $3)`, tenant, beforeMs, limit)
	if err != nil {
		return 0, wrap("delete old logs", err)
	}
	n, err := res.RowsAffected()
	return n, wrap("delete old logs", err)
}
