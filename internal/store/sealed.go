package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
)

// Kinds of sealed values, in [SealedValue.Kind].
const (
	SealedAppSecret  = "app-secret"  // application_secrets.sealed, with its digest
	SealedSigningKey = "signing-key" // signing_keys.private_sealed
	SealedMeta       = "meta"        // a gatehouse_meta value sealed by the app (the master key canary), base64
	// SealedConfigField is the sealed field of a configuration value (the
	// JWT customizer's "sealedEnvironmentVariables", base64 in the JSON):
	// ID is the config key, Name the field.
	SealedConfigField = "config-field"
)

// sealedConfigFields are the JSON fields of configuration values that hold
// a value sealed under the master key, by config key.
var sealedConfigFields = map[string]string{
	"jwt.clientCredentials": "sealedEnvironmentVariables",
}

// SealedValue is one value stored sealed under the master key, with what
// identifies its row. Rekeying reads every one of them with SealedValues
// and writes each back with UpdateSealed, in one transaction.
type SealedValue struct {
	Kind string
	// Tenant and ID name the row (for an app secret, ID is the application
	// and Name the secret's name; for a meta value, ID is the key).
	Tenant, ID, Name string
	Sealed           []byte
	// Digest is the keyed digest of an app secret (it is keyed by the
	// master key too); nil for other kinds.
	Digest []byte
}

// SealedValues returns every value the database holds sealed under the
// master key, of every tenant, except meta values (the caller knows their
// keys). A kind of sealed value added to the schema belongs here, or a
// rekey would leave it under the old key.
func (q *Queries) SealedValues(ctx context.Context) ([]SealedValue, error) {
	var out []SealedValue
	rows, err := q.q.QueryContext(ctx, `SELECT tenant_id, application_id, name, sealed, digest FROM application_secrets
ORDER BY tenant_id, application_id, name`)
	if err != nil {
		return nil, wrap("list sealed secrets", err)
	}
	for rows.Next() {
		v := SealedValue{Kind: SealedAppSecret}
		if err := rows.Scan(&v.Tenant, &v.ID, &v.Name, &v.Sealed, &v.Digest); err != nil {
			rows.Close()
			return nil, wrap("list sealed secrets", err)
		}
		out = append(out, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, wrap("list sealed secrets", err)
	}
	rows, err = q.q.QueryContext(ctx, `SELECT tenant_id, id, private_sealed FROM signing_keys ORDER BY tenant_id, id`)
	if err != nil {
		return nil, wrap("list sealed keys", err)
	}
	for rows.Next() {
		v := SealedValue{Kind: SealedSigningKey}
		if err := rows.Scan(&v.Tenant, &v.ID, &v.Sealed); err != nil {
			rows.Close()
			return nil, wrap("list sealed keys", err)
		}
		out = append(out, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, wrap("list sealed keys", err)
	}
	return q.sealedConfigFields(ctx, out)
}

// sealedConfigFields appends the sealed fields of configuration values.
func (q *Queries) sealedConfigFields(ctx context.Context, out []SealedValue) ([]SealedValue, error) {
	for key, field := range sealedConfigFields {
		rows, err := q.q.QueryContext(ctx, `SELECT tenant_id, value FROM configs WHERE key = $1 ORDER BY tenant_id`, key)
		if err != nil {
			return nil, wrap("list sealed config "+key, err)
		}
		for rows.Next() {
			var tenant, raw string
			if err := rows.Scan(&tenant, &raw); err != nil {
				rows.Close()
				return nil, wrap("list sealed config "+key, err)
			}
			var obj map[string]json.RawMessage
			if err := json.Unmarshal([]byte(raw), &obj); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: config %s of tenant %s: %w", key, tenant, err)
			}
			var sealed []byte // base64 in JSON
			if f, ok := obj[field]; !ok || json.Unmarshal(f, &sealed) != nil || len(sealed) == 0 {
				continue
			}
			out = append(out, SealedValue{Kind: SealedConfigField, Tenant: tenant, ID: key, Name: field, Sealed: sealed})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, wrap("list sealed config "+key, err)
		}
	}
	return out, nil
}

// updateSealedConfigField writes v.Sealed into its configuration value's
// field, leaving the rest of the value as it is.
func (q *Queries) updateSealedConfigField(ctx context.Context, v SealedValue) error {
	raw, err := q.GetConfig(ctx, v.Tenant, v.ID)
	if err != nil {
		return err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return fmt.Errorf("store: config %s of tenant %s: %w", v.ID, v.Tenant, err)
	}
	if obj[v.Name], err = json.Marshal(v.Sealed); err != nil {
		return err
	}
	value, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	_, err = q.q.ExecContext(ctx, `UPDATE configs SET value = $1 WHERE tenant_id = $2 AND key = $3`, string(value), v.Tenant, v.ID)
	return wrap("update sealed config "+v.ID, err)
}

// UpdateSealed writes v's Sealed (and, for an app secret, Digest) back to
// its row; ErrNotFound if the row is gone. A meta value's Sealed is stored
// as given (the caller encodes it).
func (q *Queries) UpdateSealed(ctx context.Context, v SealedValue) error {
	var (
		query string
		args  []any
	)
	switch v.Kind {
	case SealedAppSecret:
		query = `UPDATE application_secrets SET sealed = $1, digest = $2 WHERE tenant_id = $3 AND application_id = $4 AND name = $5`
		args = []any{v.Sealed, v.Digest, v.Tenant, v.ID, v.Name}
	case SealedSigningKey:
		query = `UPDATE signing_keys SET private_sealed = $1 WHERE tenant_id = $2 AND id = $3`
		args = []any{v.Sealed, v.Tenant, v.ID}
	case SealedConfigField:
		return q.updateSealedConfigField(ctx, v)
	case SealedMeta:
		query = `UPDATE gatehouse_meta SET value = $1 WHERE key = $2`
		args = []any{string(v.Sealed), v.ID}
	default:
		return fmt.Errorf("store: update sealed: unknown kind %q", v.Kind)
	}
	res, err := q.q.ExecContext(ctx, query, args...)
	if err != nil {
		return wrap("update sealed "+v.Kind, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return wrap("update sealed "+v.Kind+" "+v.ID, sql.ErrNoRows)
	}
	return nil
}
