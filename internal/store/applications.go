package store

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// appJSON holds an application's JSON columns as statement arguments.
type appJSON struct{ oidcMeta, customMeta, customData, protected any }

// applicationJSON checks a's JSON columns and turns them into arguments,
// with Logto's defaults for empty ones.
func applicationJSON(a *rbac.Application) (j appJSON, err error) {
	if j.oidcMeta, err = jsonArg("oidc_client_metadata", a.OIDCClientMetadata, defaultOIDCClientMetadata); err != nil {
		return j, err
	}
	if j.customMeta, err = jsonArg("custom_client_metadata", a.CustomClientMetadata, emptyObject); err != nil {
		return j, err
	}
	if j.customData, err = jsonArg("custom_data", a.CustomData, emptyObject); err != nil {
		return j, err
	}
	j.protected, err = nullableJSONArg("protected_app_metadata", a.ProtectedAppMetadata)
	return j, err
}

// InsertApplication creates a. Empty JSON fields get their defaults
// (redirect URI lists, empty objects; ProtectedAppMetadata NULL).
// ErrConflict if the id is taken in the tenant.
func (q *Queries) InsertApplication(ctx context.Context, a *rbac.Application) error {
	j, err := applicationJSON(a)
	if err != nil {
		return err
	}
	_, err = q.q.ExecContext(ctx, `INSERT INTO applications (tenant_id, id, name, description, type,
  oidc_client_metadata, custom_client_metadata, protected_app_metadata, custom_data,
  is_third_party, app_level_access_control_enabled, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		a.TenantID, a.ID, a.Name, a.Description, string(a.Type),
		j.oidcMeta, j.customMeta, j.protected, j.customData,
		a.IsThirdParty, a.AppLevelAccessControlEnabled, a.CreatedAt)
	return wrap("insert application "+a.ID, err)
}

// GetApplication returns the application id of tenant; ErrNotFound if
// there is none. A NULL ProtectedAppMetadata reads as JSON null.
func (q *Queries) GetApplication(ctx context.Context, tenant, id string) (*rbac.Application, error) {
	var (
		a           rbac.Application
		description sql.NullString
		typ         string
		oidcMeta    []byte
		customMeta  []byte
		protected   []byte
		customData  []byte
	)
	err := q.q.QueryRowContext(ctx, `SELECT tenant_id, id, name, description, type,
  oidc_client_metadata, custom_client_metadata, protected_app_metadata, custom_data,
  is_third_party, app_level_access_control_enabled, created_at
FROM applications WHERE tenant_id = $1 AND id = $2`, tenant, id).Scan(
		&a.TenantID, &a.ID, &a.Name, &description, &typ,
		&oidcMeta, &customMeta, &protected, &customData,
		&a.IsThirdParty, &a.AppLevelAccessControlEnabled, &a.CreatedAt)
	if err != nil {
		return nil, wrap("application "+id, err)
	}
	a.Description = stringPtr(description)
	a.Type = rbac.AppType(typ)
	a.OIDCClientMetadata = json.RawMessage(oidcMeta)
	a.CustomClientMetadata = json.RawMessage(customMeta)
	a.CustomData = json.RawMessage(customData)
	a.ProtectedAppMetadata = json.RawMessage(jsonNull)
	if protected != nil {
		a.ProtectedAppMetadata = json.RawMessage(protected)
	}
	return &a, nil
}

// DeleteApplication deletes the application id of tenant with its secrets
// and role links (foreign keys cascade); ErrNotFound if there is none.
func (q *Queries) DeleteApplication(ctx context.Context, tenant, id string) error {
	res, err := q.q.ExecContext(ctx, `DELETE FROM applications WHERE tenant_id = $1 AND id = $2`, tenant, id)
	return affectedOne(res, err, "delete application "+id)
}

// InsertSecret stores the named secret of an application. ErrConflict if
// the application already has a secret of that name, ErrForeignKey if the
// application does not exist.
func (q *Queries) InsertSecret(ctx context.Context, s *rbac.Secret) error {
	_, err := q.q.ExecContext(ctx, `INSERT INTO application_secrets
  (tenant_id, application_id, name, sealed, digest, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		s.TenantID, s.ApplicationID, s.Name, s.Sealed, s.Digest, s.CreatedAt, s.ExpiresAt)
	return wrap("insert secret "+s.Name, err)
}

// ListSecrets returns the secrets of application appID, oldest first (ties
// by name). It is empty, not an error, for an unknown application.
func (q *Queries) ListSecrets(ctx context.Context, tenant, appID string) ([]rbac.Secret, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT tenant_id, application_id, name, sealed, digest, created_at, expires_at
FROM application_secrets WHERE tenant_id = $1 AND application_id = $2
ORDER BY created_at, name`, tenant, appID)
	if err != nil {
		return nil, wrap("list secrets", err)
	}
	defer rows.Close()
	var out []rbac.Secret
	for rows.Next() {
		var (
			s       rbac.Secret
			expires sql.NullInt64
		)
		if err := rows.Scan(&s.TenantID, &s.ApplicationID, &s.Name, &s.Sealed, &s.Digest, &s.CreatedAt, &expires); err != nil {
			return nil, wrap("list secrets", err)
		}
		s.ExpiresAt = int64Ptr(expires)
		out = append(out, s)
	}
	return out, wrap("list secrets", rows.Err())
}

// DeleteSecret deletes the named secret of application appID; ErrNotFound
// if there is none.
func (q *Queries) DeleteSecret(ctx context.Context, tenant, appID, name string) error {
	res, err := q.q.ExecContext(ctx, `DELETE FROM application_secrets
WHERE tenant_id = $1 AND application_id = $2 AND name = $3`, tenant, appID, name)
	return affectedOne(res, err, "delete secret "+name)
}
