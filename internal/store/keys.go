package store

import (
	"context"
	"database/sql"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// ListSigningKeys returns the tenant's signing keys: the Current key
// first, then Next, then Previous, each group oldest first.
func (q *Queries) ListSigningKeys(ctx context.Context, tenant string) ([]rbac.SigningKey, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT tenant_id, id, alg, private_sealed, status, created_at, effective_at
FROM signing_keys WHERE tenant_id = $1
ORDER BY CASE status WHEN 'Current' THEN 0 WHEN 'Next' THEN 1 ELSE 2 END, created_at, id`, tenant)
	if err != nil {
		return nil, wrap("list signing keys", err)
	}
	defer rows.Close()
	var out []rbac.SigningKey
	for rows.Next() {
		var (
			k         rbac.SigningKey
			status    string
			effective sql.NullInt64
		)
		if err := rows.Scan(&k.TenantID, &k.ID, &k.Alg, &k.PrivateSealed, &status, &k.CreatedAt, &effective); err != nil {
			return nil, wrap("list signing keys", err)
		}
		k.Status = rbac.KeyStatus(status)
		k.EffectiveAt = int64Ptr(effective)
		out = append(out, k)
	}
	return out, wrap("list signing keys", rows.Err())
}

// InsertSigningKey stores k. ErrConflict if its id is taken, ErrCheck if
// its status is not Next, Current or Previous. The store does not enforce
// how many keys hold each status: rotation (package token) owns that rule.
func (q *Queries) InsertSigningKey(ctx context.Context, k *rbac.SigningKey) error {
	_, err := q.q.ExecContext(ctx, `INSERT INTO signing_keys
  (tenant_id, id, alg, private_sealed, status, created_at, effective_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		k.TenantID, k.ID, k.Alg, k.PrivateSealed, string(k.Status), k.CreatedAt, k.EffectiveAt)
	return wrap("insert signing key "+k.ID, err)
}

// UpdateSigningKeyStatus sets the status and effective time of key id;
// ErrNotFound if there is no such key.
func (q *Queries) UpdateSigningKeyStatus(ctx context.Context, tenant, id string, status rbac.KeyStatus, effectiveAt *int64) error {
	res, err := q.q.ExecContext(ctx, `UPDATE signing_keys SET status = $3, effective_at = $4
WHERE tenant_id = $1 AND id = $2`, tenant, id, string(status), effectiveAt)
	return affectedOne(res, err, "update signing key "+id)
}

// DeleteSigningKey deletes key id; ErrNotFound if there is no such key.
func (q *Queries) DeleteSigningKey(ctx context.Context, tenant, id string) error {
	res, err := q.q.ExecContext(ctx, `DELETE FROM signing_keys WHERE tenant_id = $1 AND id = $2`, tenant, id)
	return affectedOne(res, err, "delete signing key "+id)
}
