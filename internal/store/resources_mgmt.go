package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// The Management API's reads and writes of resources and their scopes
// (spec §4.6, §4.7). Lists take a limit (0: everything) and an offset and
// also return the number of rows selected regardless of them.

// scopeColumns selects a scope; prefix with a table alias where needed.
const scopeColumns = `tenant_id, id, resource_id, name, description, created_at`

// limitArgs returns the LIMIT and OFFSET arguments of a list. LIMIT is
// always given (the largest int64 for "no limit") because SQLite accepts
// OFFSET only after a LIMIT and PostgreSQL refuses -1.
func limitArgs(limit, offset int) (int64, int64) {
	l := int64(math.MaxInt64)
	if limit > 0 {
		l = int64(limit)
	}
	return l, int64(max(offset, 0))
}

// pageSQL appends LIMIT and OFFSET parameters to args and returns the
// clause; limit 0 means no limit. LIMIT is always given, because SQLite
// accepts OFFSET only after a LIMIT and PostgreSQL refuses LIMIT -1.
func pageSQL(args *[]any, limit, offset int) string {
	l, o := limitArgs(limit, offset)
	*args = append(*args, l, o)
	n := len(*args)
	return " LIMIT $" + strconv.Itoa(n-1) + " OFFSET $" + strconv.Itoa(n)
}

// ListResourcesPage returns a page of the tenant's resources ordered by
// name, then id (index resources__name), and the number of resources.
func (q *Queries) ListResourcesPage(ctx context.Context, tenant string, limit, offset int) ([]rbac.Resource, int64, error) {
	var total int64
	if err := q.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM resources WHERE tenant_id = $1`, tenant).Scan(&total); err != nil {
		return nil, 0, wrap("count resources", err)
	}
	args := []any{tenant}
	rows, err := q.q.QueryContext(ctx, `SELECT `+resourceColumns+` FROM resources
WHERE tenant_id = $1 ORDER BY name, id`+pageSQL(&args, limit, offset), args...)
	if err != nil {
		return nil, 0, wrap("list resources", err)
	}
	defer rows.Close()
	out := []rbac.Resource{}
	for rows.Next() {
		var r rbac.Resource
		if err := rows.Scan(&r.TenantID, &r.ID, &r.Name, &r.Indicator, &r.IsDefault, &r.AccessTokenTTL); err != nil {
			return nil, 0, wrap("list resources", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, wrap("list resources", err)
	}
	return out, total, nil
}

// ScopesOfResources returns the scopes of each of the resources, oldest
// first (index scopes__resource_created_at). Resources without scopes are
// absent from the map.
func (q *Queries) ScopesOfResources(ctx context.Context, tenant string, resourceIDs []string) (map[string][]rbac.Scope, error) {
	out := map[string][]rbac.Scope{}
	if len(resourceIDs) == 0 {
		return out, nil
	}
	args := []any{tenant}
	rows, err := q.q.QueryContext(ctx, `SELECT `+scopeColumns+` FROM scopes
WHERE tenant_id = $1 AND resource_id IN (`+q.inList(&args, resourceIDs)+`)
ORDER BY resource_id, created_at, id`, args...)
	if err != nil {
		return nil, wrap("scopes of resources", err)
	}
	defer rows.Close()
	for rows.Next() {
		s, err := scanScope(rows)
		if err != nil {
			return nil, wrap("scopes of resources", err)
		}
		out[s.ResourceID] = append(out[s.ResourceID], *s)
	}
	return out, wrap("scopes of resources", rows.Err())
}

// inList appends values to args as one parameter, a JSON array, and
// returns a query of its elements, for "x IN (...)" or "x NOT IN (...)". One
// parameter, not a placeholder per value: a list a request names can pass
// the engines' limits on placeholders (32,766 on SQLite, 65,535 on
// PostgreSQL).
func (q *Queries) inList(args *[]any, values []string) string {
	b, _ := json.Marshal(values) // strings always marshal
	*args = append(*args, string(b))
	n := strconv.Itoa(len(*args))
	if q.dialect == dialectPostgres {
		return `SELECT jsonb_array_elements_text($` + n + `::jsonb)`
	}
	return `SELECT value FROM json_each($` + n + `)`
}

// UpdateResource sets the name and the access token TTL of the resource id
// (each only when not nil) and returns it. ErrNotFound if there is none.
func (q *Queries) UpdateResource(ctx context.Context, tenant, id string, name *string, ttl *int64) (*rbac.Resource, error) {
	if name == nil && ttl == nil {
		return q.GetResource(ctx, tenant, id)
	}
	return q.getResource(ctx, "update resource "+id, `UPDATE resources
SET name = COALESCE($3, name), access_token_ttl = COALESCE($4, access_token_ttl)
WHERE tenant_id = $1 AND id = $2 RETURNING `+resourceColumns, tenant, id, name, ttl)
}

// DeleteResource deletes the resource id with its scopes and their role
// links (foreign keys cascade); ErrNotFound if there is none.
func (q *Queries) DeleteResource(ctx context.Context, tenant, id string) error {
	res, err := q.q.ExecContext(ctx, `DELETE FROM resources WHERE tenant_id = $1 AND id = $2`, tenant, id)
	return affectedOne(res, err, "delete resource "+id)
}

// scopeSearchColumns maps the Management API's scope search fields to
// columns of scopes aliased s.
var scopeSearchColumns = map[string]string{"id": "s.id", "name": "s.name", "description": "s.description"}

// ListScopesPage returns a page of the scopes of resource resourceID that
// match search, oldest first (index scopes__resource_created_at), and how
// many match. It is empty, not an error, for an unknown resource.
func (q *Queries) ListScopesPage(ctx context.Context, tenant, resourceID string, search Search, limit, offset int) ([]rbac.Scope, int64, error) {
	args := []any{tenant, resourceID}
	cond, err := q.where(search, scopeSearchColumns, &args)
	if err != nil {
		return nil, 0, err
	}
	if cond != "" {
		cond = " AND " + cond
	}
	from := ` FROM scopes s WHERE s.tenant_id = $1 AND s.resource_id = $2` + cond
	var total int64
	if err := q.q.QueryRowContext(ctx, `SELECT COUNT(*)`+from, args...).Scan(&total); err != nil {
		return nil, 0, wrap("count scopes", err)
	}
	rows, err := q.q.QueryContext(ctx, `SELECT s.tenant_id, s.id, s.resource_id, s.name, s.description, s.created_at`+
		from+` ORDER BY s.created_at, s.id`+pageSQL(&args, limit, offset), args...)
	if err != nil {
		return nil, 0, wrap("list scopes", err)
	}
	defer rows.Close()
	out := []rbac.Scope{}
	for rows.Next() {
		s, err := scanScope(rows)
		if err != nil {
			return nil, 0, wrap("list scopes", err)
		}
		out = append(out, *s)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, wrap("list scopes", err)
	}
	return out, total, nil
}

// scanScope reads one row of scopeColumns.
func scanScope(r interface{ Scan(...any) error }) (*rbac.Scope, error) {
	var (
		s           rbac.Scope
		description sql.NullString
	)
	if err := r.Scan(&s.TenantID, &s.ID, &s.ResourceID, &s.Name, &description, &s.CreatedAt); err != nil {
		return nil, err
	}
	s.Description = stringPtr(description)
	return &s, nil
}

// getScope runs a query selecting scopeColumns of one row.
func (q *Queries) getScope(ctx context.Context, what, query string, args ...any) (*rbac.Scope, error) {
	s, err := scanScope(q.q.QueryRowContext(ctx, query, args...))
	if err != nil {
		return nil, wrap(what, err)
	}
	return s, nil
}

// GetScope returns the scope id; ErrNotFound if none.
func (q *Queries) GetScope(ctx context.Context, tenant, id string) (*rbac.Scope, error) {
	return q.getScope(ctx, "scope "+id, `SELECT `+scopeColumns+` FROM scopes
WHERE tenant_id = $1 AND id = $2`, tenant, id)
}

// GetScopeByName returns the scope called name (case-sensitive) of
// resource resourceID; ErrNotFound if none.
func (q *Queries) GetScopeByName(ctx context.Context, tenant, resourceID, name string) (*rbac.Scope, error) {
	return q.getScope(ctx, "scope "+name, `SELECT `+scopeColumns+` FROM scopes
WHERE tenant_id = $1 AND resource_id = $2 AND name = $3`, tenant, resourceID, name)
}

// ScopeUpdate is a change to a scope: Name when not nil; Description when
// SetDescription (nil clears it).
type ScopeUpdate struct {
	Name           *string
	Description    *string
	SetDescription bool
}

// UpdateScope changes the scope id of resource resourceID and returns it.
// ErrNotFound if the resource has no such scope, ErrConflict if the new
// name is taken in the resource.
func (q *Queries) UpdateScope(ctx context.Context, tenant, resourceID, id string, u ScopeUpdate) (*rbac.Scope, error) {
	op := "update scope " + id
	if u.Name == nil && !u.SetDescription {
		return q.getScope(ctx, op, `SELECT `+scopeColumns+` FROM scopes
WHERE tenant_id = $1 AND resource_id = $2 AND id = $3`, tenant, resourceID, id)
	}
	args := []any{tenant, resourceID, id}
	var set []string
	if u.Name != nil {
		args = append(args, *u.Name)
		set = append(set, fmt.Sprintf("name = $%d", len(args)))
	}
	if u.SetDescription {
		args = append(args, u.Description)
		set = append(set, fmt.Sprintf("description = $%d", len(args)))
	}
	return q.getScope(ctx, op, `UPDATE scopes SET `+strings.Join(set, ", ")+`
WHERE tenant_id = $1 AND resource_id = $2 AND id = $3 RETURNING `+scopeColumns, args...)
}

// DeleteScope deletes the scope id of resource resourceID with its role
// links; ErrNotFound if the resource has no such scope.
func (q *Queries) DeleteScope(ctx context.Context, tenant, resourceID, id string) error {
	res, err := q.q.ExecContext(ctx, `DELETE FROM scopes WHERE tenant_id = $1 AND resource_id = $2 AND id = $3`,
		tenant, resourceID, id)
	return affectedOne(res, err, "delete scope "+id)
}

// ScopeWithResource is a scope and the resource it belongs to.
type ScopeWithResource struct {
	Scope    rbac.Scope
	Resource rbac.Resource
}
