package store

import (
	"context"
	"database/sql"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

const resourceColumns = `tenant_id, id, name, indicator, is_default, access_token_ttl`

// InsertResource creates r. ErrConflict if its id or indicator is taken in
// the tenant, or a look-alike of its indicator (the same
// rbac.IndicatorKey: migration 0015 keeps one per tenant), or if r is a
// default resource and the tenant has one.
func (q *Queries) InsertResource(ctx context.Context, r *rbac.Resource) error {
	_, err := q.q.ExecContext(ctx, `INSERT INTO resources (`+resourceColumns+`, indicator_key)
VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		r.TenantID, r.ID, r.Name, r.Indicator, r.IsDefault, r.AccessTokenTTL, rbac.IndicatorKey(r.Indicator))
	return wrap("insert resource "+r.ID, err)
}

// GetResource returns the resource id of tenant; ErrNotFound if none.
func (q *Queries) GetResource(ctx context.Context, tenant, id string) (*rbac.Resource, error) {
	return q.getResource(ctx, "resource "+id, `SELECT `+resourceColumns+` FROM resources
WHERE tenant_id = $1 AND id = $2`, tenant, id)
}

// GetResourceByIndicator returns the resource whose indicator is exactly
// indicator (no normalisation: the indicator is the token audience and is
// compared as a string); ErrNotFound if none.
func (q *Queries) GetResourceByIndicator(ctx context.Context, tenant, indicator string) (*rbac.Resource, error) {
	return q.getResource(ctx, "resource "+indicator, `SELECT `+resourceColumns+` FROM resources
WHERE tenant_id = $1 AND indicator = $2`, tenant, indicator)
}

// GetDefaultResource returns the tenant's default resource; ErrNotFound
// when it has none.
func (q *Queries) GetDefaultResource(ctx context.Context, tenant string) (*rbac.Resource, error) {
	return q.getResource(ctx, "default resource", `SELECT `+resourceColumns+` FROM resources
WHERE tenant_id = $1 AND is_default`, tenant)
}

// getResource runs a query selecting resourceColumns of one row.
func (q *Queries) getResource(ctx context.Context, what, query string, args ...any) (*rbac.Resource, error) {
	var r rbac.Resource
	err := q.q.QueryRowContext(ctx, query, args...).Scan(
		&r.TenantID, &r.ID, &r.Name, &r.Indicator, &r.IsDefault, &r.AccessTokenTTL)
	if err != nil {
		return nil, wrap(what, err)
	}
	return &r, nil
}

// ListResources returns the tenant's resources ordered by name, then id.
func (q *Queries) ListResources(ctx context.Context, tenant string) ([]rbac.Resource, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT `+resourceColumns+` FROM resources
WHERE tenant_id = $1 ORDER BY name, id`, tenant)
	if err != nil {
		return nil, wrap("list resources", err)
	}
	defer rows.Close()
	var out []rbac.Resource
	for rows.Next() {
		var r rbac.Resource
		if err := rows.Scan(&r.TenantID, &r.ID, &r.Name, &r.Indicator, &r.IsDefault, &r.AccessTokenTTL); err != nil {
			return nil, wrap("list resources", err)
		}
		out = append(out, r)
	}
	return out, wrap("list resources", rows.Err())
}

// SetDefaultResource marks the resource id as the tenant's default (true),
// clearing the previous default in the same transaction, or unmarks it
// (false). It returns the ids of the resources whose flag changed: none
// when id already was as asked. ErrNotFound if there is no such resource;
// nothing changes then.
func (q *Queries) SetDefaultResource(ctx context.Context, tenant, id string, isDefault bool) ([]string, error) {
	op := "set default resource " + id
	var changed []string
	err := q.atomic(ctx, func(q *Queries) error {
		// Each statement updates only rows whose flag differs, so that
		// RETURNING names exactly the changes.
		set := `UPDATE resources SET is_default = FALSE
WHERE tenant_id = $1 AND id = $2 AND is_default RETURNING id`
		if isDefault {
			// Two statements: the partial unique index is checked row by
			// row on both engines, so the old default must be cleared first.
			cleared, err := q.stringColumn(ctx, op, `UPDATE resources SET is_default = FALSE
WHERE tenant_id = $1 AND is_default AND id <> $2 RETURNING id`, tenant, id)
			if err != nil {
				return err
			}
			changed = cleared
			set = `UPDATE resources SET is_default = TRUE
WHERE tenant_id = $1 AND id = $2 AND NOT is_default RETURNING id`
		}
		ids, err := q.stringColumn(ctx, op, set, tenant, id)
		if err != nil {
			return err
		}
		if len(ids) == 0 { // already as asked, or no such resource
			if _, err := q.GetResource(ctx, tenant, id); err != nil {
				return err
			}
		}
		changed = append(changed, ids...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return changed, nil
}

// InsertScope creates s. ErrConflict if its id, or its name within the
// resource, is taken; ErrForeignKey if the resource does not exist.
func (q *Queries) InsertScope(ctx context.Context, s *rbac.Scope) error {
	_, err := q.q.ExecContext(ctx, `INSERT INTO scopes (tenant_id, id, resource_id, name, description, created_at)
VALUES ($1, $2, $3, $4, $5, $6)`,
		s.TenantID, s.ID, s.ResourceID, s.Name, s.Description, s.CreatedAt)
	return wrap("insert scope "+s.Name, err)
}

// ListScopes returns the scopes of resource resourceID, oldest first (ties
// by id). It is empty, not an error, for an unknown resource.
func (q *Queries) ListScopes(ctx context.Context, tenant, resourceID string) ([]rbac.Scope, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT tenant_id, id, resource_id, name, description, created_at
FROM scopes WHERE tenant_id = $1 AND resource_id = $2 ORDER BY created_at, id`, tenant, resourceID)
	if err != nil {
		return nil, wrap("list scopes", err)
	}
	defer rows.Close()
	var out []rbac.Scope
	for rows.Next() {
		var (
			s           rbac.Scope
			description sql.NullString
		)
		if err := rows.Scan(&s.TenantID, &s.ID, &s.ResourceID, &s.Name, &description, &s.CreatedAt); err != nil {
			return nil, wrap("list scopes", err)
		}
		s.Description = stringPtr(description)
		out = append(out, s)
	}
	return out, wrap("list scopes", rows.Err())
}
