package store

import (
	"context"
	"encoding/json"
)

// GetConfig returns the configuration value stored under key for tenant;
// ErrNotFound if there is none.
func (q *Queries) GetConfig(ctx context.Context, tenant, key string) (json.RawMessage, error) {
	var v string
	err := q.q.QueryRowContext(ctx, `SELECT value FROM configs WHERE tenant_id = $1 AND key = $2`, tenant, key).Scan(&v)
	if err != nil {
		return nil, wrap("config "+key, err)
	}
	return json.RawMessage(v), nil
}

// PutConfig stores value under key for tenant, replacing any value there,
// and reports whether there was none. Call it in a transaction (Store.Tx)
// when two writers may race: the read and the write are two statements.
func (q *Queries) PutConfig(ctx context.Context, tenant, key string, value json.RawMessage, nowMs int64) (created bool, err error) {
	res, err := q.q.ExecContext(ctx, `UPDATE configs SET value = $3, updated_at = $4 WHERE tenant_id = $1 AND key = $2`,
		tenant, key, string(value), nowMs)
	if err != nil {
		return false, wrap("update config "+key, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return false, wrap("update config "+key, err)
	} else if n > 0 {
		return false, nil
	}
	_, err = q.q.ExecContext(ctx, `INSERT INTO configs (tenant_id, key, value, updated_at) VALUES ($1, $2, $3, $4)`,
		tenant, key, string(value), nowMs)
	if err != nil {
		return false, wrap("insert config "+key, err)
	}
	return true, nil
}

// DeleteConfig removes the value stored under key for tenant; ErrNotFound
// if there is none.
func (q *Queries) DeleteConfig(ctx context.Context, tenant, key string) error {
	res, err := q.q.ExecContext(ctx, `DELETE FROM configs WHERE tenant_id = $1 AND key = $2`, tenant, key)
	return affectedOne(res, err, "delete config "+key)
}
