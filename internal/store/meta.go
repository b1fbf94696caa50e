package store

import "context"

// GetMeta returns the value stored under key; ErrNotFound if there is none.
func (q *Queries) GetMeta(ctx context.Context, key string) (string, error) {
	var v string
	err := q.q.QueryRowContext(ctx, `SELECT value FROM gatehouse_meta WHERE key = $1`, key).Scan(&v)
	if err != nil {
		return "", wrap("meta "+key, err)
	}
	return v, nil
}

// InsertMeta stores value under key; ErrConflict if key is taken. Meta
// values are written once (such as the sealed canary that checks the
// master key), so there is no update.
func (q *Queries) InsertMeta(ctx context.Context, key, value string) error {
	_, err := q.q.ExecContext(ctx, `INSERT INTO gatehouse_meta (key, value) VALUES ($1, $2)`, key, value)
	return wrap("insert meta "+key, err)
}

// EnsureTenant creates the tenant id unless it exists.
func (q *Queries) EnsureTenant(ctx context.Context, id string) error {
	_, err := q.q.ExecContext(ctx, `INSERT INTO tenants (id) VALUES ($1) ON CONFLICT (id) DO NOTHING`, id)
	return wrap("ensure tenant "+id, err)
}
