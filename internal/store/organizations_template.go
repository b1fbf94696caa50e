package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// The organization template: organization scopes, organization roles, and
// the scopes (organization scopes and resource scopes) each role holds.

// OrganizationScope is a permission within organizations.
type OrganizationScope struct {
	TenantID    string  `json:"tenantId"`
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Description *string `json:"description"`
}

// OrganizationRole is a role within organizations, of type User or
// MachineToMachine (only the latter go to applications).
type OrganizationRole struct {
	TenantID    string        `json:"tenantId"`
	ID          string        `json:"id"`
	Name        string        `json:"name"`
	Description *string       `json:"description"`
	Type        rbac.RoleType `json:"type"`
}

// ResourceScopeRef is a resource scope as an organization role lists it.
type ResourceScopeRef struct {
	ID       string      `json:"id"`
	Name     string      `json:"name"`
	Resource ResourceRef `json:"resource"`
}

// ResourceRef names a resource.
type ResourceRef struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Indicator string `json:"indicator"`
}

// templateSearchColumns are the searchable fields of organization scopes
// and roles.
var templateSearchColumns = map[string]string{"id": "t.id", "name": "t.name", "description": "t.description"}

// listPage runs a paged list query over table aliased t: count, then the
// rows in order, each read by scan.
func (q *Queries) listPage(ctx context.Context, op, columns, from, order string, args []any, search Search, limit, offset int, scan func(*sql.Rows) error) (int64, error) {
	cond, err := q.where(search, templateSearchColumns, &args)
	if err != nil {
		return 0, err
	}
	if cond != "" {
		from += " AND " + cond
	}
	var total int64
	if err := q.q.QueryRowContext(ctx, `SELECT COUNT(*) `+from, args...).Scan(&total); err != nil {
		return 0, wrap("count "+op, err)
	}
	rows, err := q.q.QueryContext(ctx, `SELECT `+columns+` `+from+` ORDER BY `+order+pageSQL(&args, limit, offset), args...)
	if err != nil {
		return 0, wrap("list "+op, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return 0, wrap("list "+op, err)
		}
	}
	return total, wrap("list "+op, rows.Err())
}

// InsertOrganizationScope creates s. ErrConflict if its id or name is
// taken.
func (q *Queries) InsertOrganizationScope(ctx context.Context, s *OrganizationScope) error {
	_, err := q.q.ExecContext(ctx, `INSERT INTO organization_scopes (tenant_id, id, name, description)
VALUES ($1, $2, $3, $4)`, s.TenantID, s.ID, s.Name, s.Description)
	return wrap("insert organization scope "+s.ID, err)
}

func scanOrganizationScope(row interface{ Scan(...any) error }) (*OrganizationScope, error) {
	var (
		s OrganizationScope
		d sql.NullString
	)
	if err := row.Scan(&s.TenantID, &s.ID, &s.Name, &d); err != nil {
		return nil, err
	}
	s.Description = stringPtr(d)
	return &s, nil
}

// GetOrganizationScope returns the organization scope id; ErrNotFound if
// none.
func (q *Queries) GetOrganizationScope(ctx context.Context, tenant, id string) (*OrganizationScope, error) {
	s, err := scanOrganizationScope(q.q.QueryRowContext(ctx, `SELECT tenant_id, id, name, description
FROM organization_scopes WHERE tenant_id = $1 AND id = $2`, tenant, id))
	return s, wrap("organization scope "+id, err)
}

// TemplateUpdate is a change to an organization scope or role; nil fields
// stay as they are, Description is set (possibly to NULL) when
// DescriptionSet.
type TemplateUpdate struct {
	Name           *string
	Description    *string
	DescriptionSet bool
	Type           rbac.RoleType // roles only; "" keeps it
}

func (u TemplateUpdate) sets(args *[]any, withType bool) string {
	var sets []string
	set := func(col string, v any) {
		*args = append(*args, v)
		sets = append(sets, fmt.Sprintf("%s = $%d", col, len(*args)))
	}
	if u.Name != nil {
		set("name", *u.Name)
	}
	if u.DescriptionSet {
		set("description", u.Description)
	}
	if withType && u.Type != "" {
		set("type", string(u.Type))
	}
	return strings.Join(sets, ", ")
}

// UpdateOrganizationScope changes the organization scope id and returns
// it. ErrNotFound if there is none, ErrConflict if the name is taken.
func (q *Queries) UpdateOrganizationScope(ctx context.Context, tenant, id string, u TemplateUpdate) (*OrganizationScope, error) {
	args := []any{tenant, id}
	sets := u.sets(&args, false)
	if sets == "" {
		return q.GetOrganizationScope(ctx, tenant, id)
	}
	s, err := scanOrganizationScope(q.q.QueryRowContext(ctx, `UPDATE organization_scopes SET `+sets+`
WHERE tenant_id = $1 AND id = $2 RETURNING tenant_id, id, name, description`, args...))
	return s, wrap("update organization scope "+id, err)
}

// DeleteOrganizationScope deletes the organization scope id and takes it
// from every role; ErrNotFound if there is none.
func (q *Queries) DeleteOrganizationScope(ctx context.Context, tenant, id string) error {
	res, err := q.q.ExecContext(ctx, `DELETE FROM organization_scopes WHERE tenant_id = $1 AND id = $2`, tenant, id)
	return affectedOne(res, err, "delete organization scope "+id)
}

// ListOrganizationScopesPage returns a page of the tenant's organization
// scopes matching search (over id, name, description), by name, and how
// many match.
func (q *Queries) ListOrganizationScopesPage(ctx context.Context, tenant string, search Search, limit, offset int) ([]OrganizationScope, int64, error) {
	out := []OrganizationScope{}
	total, err := q.listPage(ctx, "organization scopes", `t.tenant_id, t.id, t.name, t.description`,
		`FROM organization_scopes t WHERE t.tenant_id = $1`, `t.name, t.id`, []any{tenant}, search, limit, offset,
		func(rows *sql.Rows) error {
			s, err := scanOrganizationScope(rows)
			if err == nil {
				out = append(out, *s)
			}
			return err
		})
	return out, total, err
}

// InsertOrganizationRole creates r. ErrConflict if its id or name is
// taken, ErrCheck for an unknown type.
func (q *Queries) InsertOrganizationRole(ctx context.Context, r *OrganizationRole) error {
	_, err := q.q.ExecContext(ctx, `INSERT INTO organization_roles (tenant_id, id, name, description, type)
VALUES ($1, $2, $3, $4, $5)`, r.TenantID, r.ID, r.Name, r.Description, string(r.Type))
	return wrap("insert organization role "+r.ID, err)
}

func scanOrganizationRole(row interface{ Scan(...any) error }) (*OrganizationRole, error) {
	var (
		r   OrganizationRole
		d   sql.NullString
		typ string
	)
	if err := row.Scan(&r.TenantID, &r.ID, &r.Name, &d, &typ); err != nil {
		return nil, err
	}
	r.Description = stringPtr(d)
	r.Type = rbac.RoleType(typ)
	return &r, nil
}

// GetOrganizationRole returns the organization role id; ErrNotFound if
// none.
func (q *Queries) GetOrganizationRole(ctx context.Context, tenant, id string) (*OrganizationRole, error) {
	r, err := scanOrganizationRole(q.q.QueryRowContext(ctx, `SELECT tenant_id, id, name, description, type
FROM organization_roles WHERE tenant_id = $1 AND id = $2`, tenant, id))
	return r, wrap("organization role "+id, err)
}

// UpdateOrganizationRole changes the organization role id and returns it.
// ErrNotFound if there is none, ErrConflict if the name is taken.
func (q *Queries) UpdateOrganizationRole(ctx context.Context, tenant, id string, u TemplateUpdate) (*OrganizationRole, error) {
	args := []any{tenant, id}
	sets := u.sets(&args, true)
	if sets == "" {
		return q.GetOrganizationRole(ctx, tenant, id)
	}
	r, err := scanOrganizationRole(q.q.QueryRowContext(ctx, `UPDATE organization_roles SET `+sets+`
WHERE tenant_id = $1 AND id = $2 RETURNING tenant_id, id, name, description, type`, args...))
	return r, wrap("update organization role "+id, err)
}

// DeleteOrganizationRole deletes the organization role id with its scope
// links and takes it from every member; ErrNotFound if there is none.
func (q *Queries) DeleteOrganizationRole(ctx context.Context, tenant, id string) error {
	res, err := q.q.ExecContext(ctx, `DELETE FROM organization_roles WHERE tenant_id = $1 AND id = $2`, tenant, id)
	return affectedOne(res, err, "delete organization role "+id)
}

// ListOrganizationRolesPage returns a page of the tenant's organization
// roles matching search (over id, name, description), by name, and how
// many match.
func (q *Queries) ListOrganizationRolesPage(ctx context.Context, tenant string, search Search, limit, offset int) ([]OrganizationRole, int64, error) {
	out := []OrganizationRole{}
	total, err := q.listPage(ctx, "organization roles", `t.tenant_id, t.id, t.name, t.description, t.type`,
		`FROM organization_roles t WHERE t.tenant_id = $1`, `t.name, t.id`, []any{tenant}, search, limit, offset,
		func(rows *sql.Rows) error {
			r, err := scanOrganizationRole(rows)
			if err == nil {
				out = append(out, *r)
			}
			return err
		})
	return out, total, err
}

// ListOrganizationRoleScopesPage returns a page of the organization scopes
// role roleID holds, by name, and how many it holds.
func (q *Queries) ListOrganizationRoleScopesPage(ctx context.Context, tenant, roleID string, limit, offset int) ([]OrganizationScope, int64, error) {
	out := []OrganizationScope{}
	total, err := q.listPage(ctx, "organization role scopes", `t.tenant_id, t.id, t.name, t.description`,
		`FROM organization_role_scope_relations rs
JOIN organization_scopes t ON t.tenant_id = rs.tenant_id AND t.id = rs.organization_scope_id
WHERE rs.tenant_id = $1 AND rs.organization_role_id = $2`, `t.name, t.id`, []any{tenant, roleID}, Search{}, limit, offset,
		func(rows *sql.Rows) error {
			s, err := scanOrganizationScope(rows)
			if err == nil {
				out = append(out, *s)
			}
			return err
		})
	return out, total, err
}

// ListOrganizationRoleResourceScopesPage returns a page of the resource
// scopes role roleID holds, oldest first, and how many it holds.
func (q *Queries) ListOrganizationRoleResourceScopesPage(ctx context.Context, tenant, roleID string, limit, offset int) ([]rbac.Scope, int64, error) {
	out := []rbac.Scope{}
	total, err := q.listPage(ctx, "organization role resource scopes", `t.tenant_id, t.id, t.resource_id, t.name, t.description, t.created_at`,
		`FROM organization_role_resource_scope_relations rs
JOIN scopes t ON t.tenant_id = rs.tenant_id AND t.id = rs.scope_id
WHERE rs.tenant_id = $1 AND rs.organization_role_id = $2`, `t.created_at, t.id`, []any{tenant, roleID}, Search{}, limit, offset,
		func(rows *sql.Rows) error {
			s, err := scanScope(rows)
			if err == nil {
				out = append(out, *s)
			}
			return err
		})
	return out, total, err
}

// OrganizationRoleScopes returns, for each of roleIDs, the organization
// scopes it holds, by name. Every role asked for is in the map.
func (q *Queries) OrganizationRoleScopes(ctx context.Context, tenant string, roleIDs []string) (map[string][]OrganizationScope, error) {
	out := make(map[string][]OrganizationScope, len(roleIDs))
	for _, id := range roleIDs {
		out[id] = []OrganizationScope{}
	}
	if len(roleIDs) == 0 {
		return out, nil
	}
	args := []any{tenant}
	in := q.inList(&args, roleIDs)
	rows, err := q.q.QueryContext(ctx, `SELECT rs.organization_role_id, s.tenant_id, s.id, s.name, s.description
FROM organization_role_scope_relations rs
JOIN organization_scopes s ON s.tenant_id = rs.tenant_id AND s.id = rs.organization_scope_id
WHERE rs.tenant_id = $1 AND rs.organization_role_id IN (`+in+`) ORDER BY s.name, s.id`, args...)
	if err != nil {
		return nil, wrap("organization role scopes", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			roleID string
			s      OrganizationScope
			d      sql.NullString
		)
		if err := rows.Scan(&roleID, &s.TenantID, &s.ID, &s.Name, &d); err != nil {
			return nil, wrap("organization role scopes", err)
		}
		s.Description = stringPtr(d)
		out[roleID] = append(out[roleID], s)
	}
	return out, wrap("organization role scopes", rows.Err())
}

// OrganizationRoleResourceScopes returns, for each of roleIDs, the
// resource scopes it holds with their resources, oldest first. Every role
// asked for is in the map.
func (q *Queries) OrganizationRoleResourceScopes(ctx context.Context, tenant string, roleIDs []string) (map[string][]ResourceScopeRef, error) {
	out := make(map[string][]ResourceScopeRef, len(roleIDs))
	for _, id := range roleIDs {
		out[id] = []ResourceScopeRef{}
	}
	if len(roleIDs) == 0 {
		return out, nil
	}
	args := []any{tenant}
	in := q.inList(&args, roleIDs)
	rows, err := q.q.QueryContext(ctx, `SELECT rs.organization_role_id, s.id, s.name, r.id, r.name, r.indicator
FROM organization_role_resource_scope_relations rs
JOIN scopes s ON s.tenant_id = rs.tenant_id AND s.id = rs.scope_id
JOIN resources r ON r.tenant_id = s.tenant_id AND r.id = s.resource_id
WHERE rs.tenant_id = $1 AND rs.organization_role_id IN (`+in+`) ORDER BY s.created_at, s.id`, args...)
	if err != nil {
		return nil, wrap("organization role resource scopes", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			roleID string
			s      ResourceScopeRef
		)
		if err := rows.Scan(&roleID, &s.ID, &s.Name, &s.Resource.ID, &s.Resource.Name, &s.Resource.Indicator); err != nil {
			return nil, wrap("organization role resource scopes", err)
		}
		out[roleID] = append(out[roleID], s)
	}
	return out, wrap("organization role resource scopes", rows.Err())
}

// InsertOrganizationRoleScope gives organization scope scopeID to role
// roleID; a link that exists is kept. ErrForeignKey if either is missing.
func (q *Queries) InsertOrganizationRoleScope(ctx context.Context, tenant, roleID, scopeID string) error {
	_, err := q.q.ExecContext(ctx, `INSERT INTO organization_role_scope_relations (tenant_id, organization_role_id, organization_scope_id)
VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, tenant, roleID, scopeID)
	return wrap("insert organization role scope "+scopeID, err)
}

// DeleteOrganizationRoleScope takes organization scope scopeID from role
// roleID; ErrNotFound if the role does not hold it.
func (q *Queries) DeleteOrganizationRoleScope(ctx context.Context, tenant, roleID, scopeID string) error {
	res, err := q.q.ExecContext(ctx, `DELETE FROM organization_role_scope_relations
WHERE tenant_id = $1 AND organization_role_id = $2 AND organization_scope_id = $3`, tenant, roleID, scopeID)
	return affectedOne(res, err, "delete organization role scope "+scopeID)
}

// DeleteOrganizationRoleScopes takes every organization scope from role
// roleID.
func (q *Queries) DeleteOrganizationRoleScopes(ctx context.Context, tenant, roleID string) error {
	_, err := q.q.ExecContext(ctx, `DELETE FROM organization_role_scope_relations
WHERE tenant_id = $1 AND organization_role_id = $2`, tenant, roleID)
	return wrap("delete organization role scopes", err)
}

// InsertOrganizationRoleResourceScope gives resource scope scopeID to role
// roleID; a link that exists is kept. ErrForeignKey if either is missing.
func (q *Queries) InsertOrganizationRoleResourceScope(ctx context.Context, tenant, roleID, scopeID string) error {
	_, err := q.q.ExecContext(ctx, `INSERT INTO organization_role_resource_scope_relations (tenant_id, organization_role_id, scope_id)
VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, tenant, roleID, scopeID)
	return wrap("insert organization role resource scope "+scopeID, err)
}

// DeleteOrganizationRoleResourceScope takes resource scope scopeID from
// role roleID; ErrNotFound if the role does not hold it.
func (q *Queries) DeleteOrganizationRoleResourceScope(ctx context.Context, tenant, roleID, scopeID string) error {
	res, err := q.q.ExecContext(ctx, `DELETE FROM organization_role_resource_scope_relations
WHERE tenant_id = $1 AND organization_role_id = $2 AND scope_id = $3`, tenant, roleID, scopeID)
	return affectedOne(res, err, "delete organization role resource scope "+scopeID)
}

// DeleteOrganizationRoleResourceScopes takes every resource scope from
// role roleID.
func (q *Queries) DeleteOrganizationRoleResourceScopes(ctx context.Context, tenant, roleID string) error {
	_, err := q.q.ExecContext(ctx, `DELETE FROM organization_role_resource_scope_relations
WHERE tenant_id = $1 AND organization_role_id = $2`, tenant, roleID)
	return wrap("delete organization role resource scopes", err)
}
