package store

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// InsertFederatedCredential stores c; ErrConflict when the application
// already has a credential of that name.
func (q *Queries) InsertFederatedCredential(ctx context.Context, c *rbac.FederatedCredential) error {
	aud, err := json.Marshal(c.Audiences)
	if err != nil {
		return wrap("insert federated credential", err)
	}
	claims := c.Claims
	if claims == nil {
		claims = map[string]string{}
	}
	cl, err := json.Marshal(claims)
	if err != nil {
		return wrap("insert federated credential", err)
	}
	var uri any
	if c.JWKSURI != "" {
		uri = c.JWKSURI
	}
	_, err = q.q.ExecContext(ctx, `INSERT INTO application_federated_credentials
  (tenant_id, id, application_id, name, issuer, subject, audiences, claims, jwks_uri, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		c.TenantID, c.ID, c.ApplicationID, c.Name, c.Issuer, c.Subject, string(aud), string(cl), uri, c.CreatedAt)
	return wrap("insert federated credential "+c.Name, err)
}

// ListFederatedCredentials returns the federated credentials of
// application appID, oldest first (ties by id); empty for an unknown
// application.
func (q *Queries) ListFederatedCredentials(ctx context.Context, tenant, appID string) ([]rbac.FederatedCredential, error) {
	const op = "list federated credentials"
	rows, err := q.q.QueryContext(ctx, `SELECT tenant_id, id, application_id, name, issuer, subject, audiences, claims, jwks_uri, created_at
FROM application_federated_credentials WHERE tenant_id = $1 AND application_id = $2
ORDER BY created_at, id`, tenant, appID)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	out := []rbac.FederatedCredential{}
	for rows.Next() {
		var (
			c           rbac.FederatedCredential
			aud, claims string
			uri         sql.NullString
		)
		if err := rows.Scan(&c.TenantID, &c.ID, &c.ApplicationID, &c.Name, &c.Issuer, &c.Subject, &aud, &claims, &uri, &c.CreatedAt); err != nil {
			return nil, wrap(op, err)
		}
		if err := decodeFederated(&c, aud, claims); err != nil {
			return nil, wrap(op, err)
		}
		c.JWKSURI = uri.String
		out = append(out, c)
	}
	return out, wrap(op, rows.Err())
}

func decodeFederated(c *rbac.FederatedCredential, aud, claims string) error {
	if err := json.Unmarshal([]byte(aud), &c.Audiences); err != nil {
		return err
	}
	return json.Unmarshal([]byte(claims), &c.Claims)
}

// DeleteFederatedCredential deletes credential id of application appID;
// ErrNotFound if there is none.
func (q *Queries) DeleteFederatedCredential(ctx context.Context, tenant, appID, id string) error {
	res, err := q.q.ExecContext(ctx, `DELETE FROM application_federated_credentials
WHERE tenant_id = $1 AND application_id = $2 AND id = $3`, tenant, appID, id)
	if err != nil {
		return wrap("delete federated credential", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrap("delete federated credential", err)
	} else if n == 0 {
		return wrap("delete federated credential", sql.ErrNoRows)
	}
	return nil
}

// UseAssertionJTI records that a client assertion with this jti, expiring
// at expMs, was accepted for clientID, and reports whether it is the first
// use: false when an unexpired entry already holds the jti (a replay). An
// expired entry of the same jti is taken over. One statement, atomic on
// both engines, so two instances racing with the same assertion see
// exactly one true.
func (q *Queries) UseAssertionJTI(ctx context.Context, tenant, clientID, jti string, expMs, nowMs int64) (bool, error) {
	res, err := q.q.ExecContext(ctx, `INSERT INTO assertion_jtis (tenant_id, client_id, jti, expires_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT (tenant_id, client_id, jti) DO UPDATE SET expires_at = excluded.expires_at
WHERE assertion_jtis.expires_at <= $5`, tenant, clientID, jti, expMs, nowMs)
	if err != nil {
		return false, wrap("use assertion jti", err)
	}
	n, err := res.RowsAffected()
	return n == 1, wrap("use assertion jti", err)
}

// DeleteExpiredAssertionJTIs removes the entries that expired at or before
// nowMs and reports how many it removed.
func (q *Queries) DeleteExpiredAssertionJTIs(ctx context.Context, nowMs int64) (int64, error) {
	res, err := q.q.ExecContext(ctx, `DELETE FROM assertion_jtis WHERE expires_at <= $1`, nowMs)
	if err != nil {
		return 0, wrap("delete expired assertion jtis", err)
	}
	n, err := res.RowsAffected()
	return n, wrap("delete expired assertion jtis", err)
}
