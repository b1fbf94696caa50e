package store

import "context"

// RevokedToken is one entry of the revocation denylist: an access token
// revoked before its expiry.
type RevokedToken struct {
	TenantID  string
	JTI       string // the token's jti claim
	ClientID  string // the client the token was issued to (and that revoked it)
	ExpiresAt int64  // the token's exp, epoch ms; the entry is pruned after it
	CreatedAt int64  // when it was revoked, epoch ms
}

// InsertRevokedToken records t. Revoking a token twice keeps the first
// entry and is not an error.
func (q *Queries) InsertRevokedToken(ctx context.Context, t RevokedToken) error {
	_, err := q.q.ExecContext(ctx, `INSERT INTO revoked_tokens (tenant_id, jti, client_id, expires_at, created_at)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (tenant_id, jti) DO NOTHING`, t.TenantID, t.JTI, t.ClientID, t.ExpiresAt, t.CreatedAt)
	return wrap("insert revoked token", err)
}

// RevokeToken records t as InsertRevokedToken does and, when announce is
// not empty, notifies it in the same transaction (see TxNotify): an entry
// never commits without the other instances hearing of it.
func (s *Store) RevokeToken(ctx context.Context, t RevokedToken, announce string) error {
	_, err := s.TxNotify(ctx, func(q *Queries) (string, error) {
		return announce, q.InsertRevokedToken(ctx, t)
	})
	return err
}

// ListRevokedTokens returns every entry, of every tenant, whose token
// expires after nowMs.
func (q *Queries) ListRevokedTokens(ctx context.Context, nowMs int64) ([]RevokedToken, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT tenant_id, jti, client_id, expires_at, created_at
FROM revoked_tokens WHERE expires_at > $1 ORDER BY expires_at, tenant_id, jti`, nowMs)
	if err != nil {
		return nil, wrap("list revoked tokens", err)
	}
	defer rows.Close()
	var out []RevokedToken
	for rows.Next() {
		var t RevokedToken
		if err := rows.Scan(&t.TenantID, &t.JTI, &t.ClientID, &t.ExpiresAt, &t.CreatedAt); err != nil {
			return nil, wrap("list revoked tokens", err)
		}
		out = append(out, t)
	}
	return out, wrap("list revoked tokens", rows.Err())
}

// DeleteExpiredRevokedTokens removes the entries whose token expired at or
// before nowMs (such a token fails its exp check anyway) and reports how
// many it removed.
func (q *Queries) DeleteExpiredRevokedTokens(ctx context.Context, nowMs int64) (int64, error) {
	res, err := q.q.ExecContext(ctx, `DELETE FROM revoked_tokens WHERE expires_at <= $1`, nowMs)
	if err != nil {
		return 0, wrap("delete expired revoked tokens", err)
	}
	n, err := res.RowsAffected()
	return n, wrap("delete expired revoked tokens", err)
}
