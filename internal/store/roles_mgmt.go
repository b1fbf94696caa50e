package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// The Management API's reads and writes of roles, their scopes and their
// applications (spec §4.8-§4.10).

// notInternalRole is the SQL condition that hides internal roles (alias r)
// from lists. It compares with substr, not LIKE: SQLite's LIKE ignores
// case and PostgreSQL's does not.
var notInternalRole = fmt.Sprintf("substr(r.name, 1, %d) <> '%s'", len(rbac.InternalRolePrefix), rbac.InternalRolePrefix)

// roleListSearchColumns maps the role search fields to columns of roles
// aliased r.
var roleListSearchColumns = map[string]string{"id": "r.id", "name": "r.name", "description": "r.description"}

// RoleFilter selects roles for ListRolesPage; zero fields do not filter.
type RoleFilter struct {
	Type                 rbac.RoleType
	ExcludeUserID        string // drop the roles this user holds
	ExcludeApplicationID string // drop the roles this application holds
	Search               Search
	Limit, Offset        int // Limit 0: no limit
}

// ListRolesPage returns a page of the tenant's roles that f selects, by
// name (index roles__name), and how many it selects. Internal roles are
// never listed. ErrInvalidInput for a search pattern that does not compile.
func (q *Queries) ListRolesPage(ctx context.Context, tenant string, f RoleFilter) ([]rbac.Role, int64, error) {
	args := []any{tenant}
	conds := []string{"r.tenant_id = $1", notInternalRole}
	param := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Type != "" {
		conds = append(conds, "r.type = "+param(string(f.Type)))
	}
	if f.ExcludeUserID != "" {
		conds = append(conds, `NOT EXISTS (SELECT 1 FROM users_roles ur
  WHERE ur.tenant_id = r.tenant_id AND ur.user_id = `+param(f.ExcludeUserID)+` AND ur.role_id = r.id)`)
	}
	if f.ExcludeApplicationID != "" {
		conds = append(conds, `NOT EXISTS (SELECT 1 FROM applications_roles ar
  WHERE ar.tenant_id = r.tenant_id AND ar.application_id = `+param(f.ExcludeApplicationID)+` AND ar.role_id = r.id)`)
	}
	s, err := q.where(f.Search, roleListSearchColumns, &args)
	if err != nil {
		return nil, 0, err
	}
	if s != "" {
		conds = append(conds, s)
	}
	from := ` FROM roles r WHERE ` + strings.Join(conds, " AND ")
	var total int64
	if err := q.q.QueryRowContext(ctx, `SELECT COUNT(*)`+from, args...).Scan(&total); err != nil {
		return nil, 0, wrap("count roles", err)
	}
	rows, err := q.q.QueryContext(ctx, `SELECT r.tenant_id, r.id, r.name, r.description, r.type, r.is_default`+
		from+` ORDER BY r.name`+pageSQL(&args, f.Limit, f.Offset), args...)
	if err != nil {
		return nil, 0, wrap("list roles", err)
	}
	defer rows.Close()
	out := []rbac.Role{}
	for rows.Next() {
		r, err := scanRole(rows)
		if err != nil {
			return nil, 0, wrap("list roles", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, wrap("list roles", err)
	}
	return out, total, nil
}

// FeaturedUser is a user shown with a role in the role list.
type FeaturedUser struct {
	ID           string
	Name, Avatar *string
}

// FeaturedApplication is an application shown with a role in the role
// list.
type FeaturedApplication struct {
	ID, Name string
	Type     rbac.AppType
}

// RoleUsage is who holds a role: how many users and applications, and the
// first three of each (oldest first).
type RoleUsage struct {
	UsersCount           int64
	FeaturedUsers        []FeaturedUser
	ApplicationsCount    int64
	FeaturedApplications []FeaturedApplication
}

// featuredPerRole is how many users and applications RoleUsages names.
const featuredPerRole = 3

// RoleUsages returns the usage of each role of roleIDs, in two queries
// (one per kind of holder, through the indexes users_roles__role_id and
// applications_roles__role_id). Every role asked for is in the map.
func (q *Queries) RoleUsages(ctx context.Context, tenant string, roleIDs []string) (map[string]*RoleUsage, error) {
	out := make(map[string]*RoleUsage, len(roleIDs))
	for _, id := range roleIDs {
		out[id] = &RoleUsage{FeaturedUsers: []FeaturedUser{}, FeaturedApplications: []FeaturedApplication{}}
	}
	if len(roleIDs) == 0 {
		return out, nil
	}
	// The window functions number each role's holders and count them all;
	// the outer query keeps the first few rows of each role.
	args := []any{tenant}
	in := q.inList(&args, roleIDs)
	rows, err := q.q.QueryContext(ctx, `SELECT role_id, id, name, avatar, total FROM (
  SELECT ur.role_id, u.id, u.name, u.avatar,
    ROW_NUMBER() OVER (PARTITION BY ur.role_id ORDER BY u.created_at, u.id) AS n,
    COUNT(*) OVER (PARTITION BY ur.role_id) AS total
  FROM users_roles ur JOIN users u ON u.tenant_id = ur.tenant_id AND u.id = ur.user_id
  WHERE ur.tenant_id = $1 AND ur.role_id IN (`+in+`)
) t WHERE n <= `+fmt.Sprint(featuredPerRole)+` ORDER BY role_id, n`, args...)
	if err != nil {
		return nil, wrap("role users", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			roleID       string
			u            FeaturedUser
			name, avatar sql.NullString
			total        int64
		)
		if err := rows.Scan(&roleID, &u.ID, &name, &avatar, &total); err != nil {
			return nil, wrap("role users", err)
		}
		u.Name, u.Avatar = stringPtr(name), stringPtr(avatar)
		ru := out[roleID]
		ru.UsersCount = total
		ru.FeaturedUsers = append(ru.FeaturedUsers, u)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("role users", err)
	}
	rows.Close()

	rows, err = q.q.QueryContext(ctx, `SELECT role_id, id, name, type, total FROM (
  SELECT ar.role_id, a.id, a.name, a.type,
    ROW_NUMBER() OVER (PARTITION BY ar.role_id ORDER BY a.created_at, a.id) AS n,
    COUNT(*) OVER (PARTITION BY ar.role_id) AS total
  FROM applications_roles ar JOIN applications a ON a.tenant_id = ar.tenant_id AND a.id = ar.application_id
  WHERE ar.tenant_id = $1 AND ar.role_id IN (`+in+`)
) t WHERE n <= `+fmt.Sprint(featuredPerRole)+` ORDER BY role_id, n`, args...)
	if err != nil {
		return nil, wrap("role applications", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			roleID, typ string
			a           FeaturedApplication
			total       int64
		)
		if err := rows.Scan(&roleID, &a.ID, &a.Name, &typ, &total); err != nil {
			return nil, wrap("role applications", err)
		}
		a.Type = rbac.AppType(typ)
		ru := out[roleID]
		ru.ApplicationsCount = total
		ru.FeaturedApplications = append(ru.FeaturedApplications, a)
	}
	return out, wrap("role applications", rows.Err())
}

// RoleUpdate is a change to a role; nil fields stay as they are.
type RoleUpdate struct {
	Name, Description *string
	IsDefault         *bool
}

// UpdateRole changes the role id and returns it. ErrNotFound if there is
// none, ErrConflict if the new name is taken.
func (q *Queries) UpdateRole(ctx context.Context, tenant, id string, u RoleUpdate) (*rbac.Role, error) {
	if u.Name == nil && u.Description == nil && u.IsDefault == nil {
		return q.GetRole(ctx, tenant, id)
	}
	return q.getRole(ctx, "update role "+id, `UPDATE roles SET name = COALESCE($3, name),
  description = COALESCE($4, description), is_default = COALESCE($5, is_default)
WHERE tenant_id = $1 AND id = $2 RETURNING `+roleColumns, tenant, id, u.Name, u.Description, u.IsDefault)
}

// DeleteRole deletes the role id with its scope, application and user
// links (foreign keys cascade); ErrNotFound if there is none.
func (q *Queries) DeleteRole(ctx context.Context, tenant, id string) error {
	res, err := q.q.ExecContext(ctx, `DELETE FROM roles WHERE tenant_id = $1 AND id = $2`, tenant, id)
	return affectedOne(res, err, "delete role "+id)
}

// ListRoleScopesPage returns a page of the scopes role roleID holds that
// match search (over the scope's id, name and description), each with its
// resource, oldest first, and how many match. The links are found through
// roles_scopes__role_scope. Empty for an unknown role.
func (q *Queries) ListRoleScopesPage(ctx context.Context, tenant, roleID string, search Search, limit, offset int) ([]ScopeWithResource, int64, error) {
	args := []any{tenant, roleID}
	cond, err := q.where(search, scopeSearchColumns, &args)
	if err != nil {
		return nil, 0, err
	}
	if cond != "" {
		cond = " AND " + cond
	}
	from := ` FROM roles_scopes rs
JOIN scopes s ON s.tenant_id = rs.tenant_id AND s.id = rs.scope_id
JOIN resources r ON r.tenant_id = s.tenant_id AND r.id = s.resource_id
WHERE rs.tenant_id = $1 AND rs.role_id = $2` + cond
	var total int64
	if err := q.q.QueryRowContext(ctx, `SELECT COUNT(*)`+from, args...).Scan(&total); err != nil {
		return nil, 0, wrap("count role scopes", err)
	}
	rows, err := q.q.QueryContext(ctx, `SELECT s.tenant_id, s.id, s.resource_id, s.name, s.description, s.created_at,
  r.tenant_id, r.id, r.name, r.indicator, r.is_default, r.access_token_ttl`+from+
		` ORDER BY s.created_at, s.id`+pageSQL(&args, limit, offset), args...)
	if err != nil {
		return nil, 0, wrap("list role scopes", err)
	}
	defer rows.Close()
	out := []ScopeWithResource{}
	for rows.Next() {
		var sr ScopeWithResource
		if err := scanScopeWithResource(rows, &sr); err != nil {
			return nil, 0, wrap("list role scopes", err)
		}
		out = append(out, sr)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, wrap("list role scopes", err)
	}
	return out, total, nil
}

// RoleScope is a scope with its resource and whether a role holds it (see
// ListRoleScopesWith).
type RoleScope struct {
	ScopeWithResource
	Held bool
}

// ListRoleScopesWith returns, in one query, the scopes role roleID holds and
// those of ids that exist, each with its resource and whether the role holds
// it, in ListRoleScopesPage's order (created_at, then id). An id that names
// no scope is not in the list. Adding scopes to a role reads what it needs
// from it: which of ids are held already, which exist, their resources, and
// (held and added together) the role's scopes afterwards.
func (q *Queries) ListRoleScopesWith(ctx context.Context, tenant, roleID string, ids []string) ([]RoleScope, error) {
	args := []any{tenant, roleID}
	cond := `s.id IN (SELECT scope_id FROM roles_scopes WHERE tenant_id = $1 AND role_id = $2)`
	if len(ids) > 0 {
		cond = `(s.id IN (` + q.inList(&args, ids) + `) OR ` + cond + `)`
	}
	rows, err := q.q.QueryContext(ctx, `SELECT s.tenant_id, s.id, s.resource_id, s.name, s.description, s.created_at,
  r.tenant_id, r.id, r.name, r.indicator, r.is_default, r.access_token_ttl,
  EXISTS (SELECT 1 FROM roles_scopes rs WHERE rs.tenant_id = s.tenant_id AND rs.role_id = $2 AND rs.scope_id = s.id)
FROM scopes s JOIN resources r ON r.tenant_id = s.tenant_id AND r.id = s.resource_id
WHERE s.tenant_id = $1 AND `+cond+`
ORDER BY s.created_at, s.id`, args...)
	if err != nil {
		return nil, wrap("list role scopes", err)
	}
	defer rows.Close()
	var out []RoleScope
	for rows.Next() {
		var rs RoleScope
		if err := scanScopeWithResource(rows, &rs.ScopeWithResource, &rs.Held); err != nil {
			return nil, wrap("list role scopes", err)
		}
		out = append(out, rs)
	}
	return out, wrap("list role scopes", rows.Err())
}

// scanScopeWithResource reads a row of the columns s.tenant_id, s.id,
// s.resource_id, s.name, s.description, s.created_at, r.tenant_id, r.id,
// r.name, r.indicator, r.is_default, r.access_token_ttl (a scope s and its
// resource r) into sr, and the columns after them into more.
func scanScopeWithResource(row interface{ Scan(...any) error }, sr *ScopeWithResource, more ...any) error {
	var description sql.NullString
	s, r := &sr.Scope, &sr.Resource
	dest := append([]any{&s.TenantID, &s.ID, &s.ResourceID, &s.Name, &description, &s.CreatedAt,
		&r.TenantID, &r.ID, &r.Name, &r.Indicator, &r.IsDefault, &r.AccessTokenTTL}, more...)
	if err := row.Scan(dest...); err != nil {
		return err
	}
	s.Description = stringPtr(description)
	return nil
}

// DeleteRoleScopeAnnounced takes scope scopeID from role roleID with one
// statement (DELETE ... RETURNING) that, when announce is not empty, also
// notifies it to the other instances if it deleted the link (see
// queryRowAnnounced): no transaction open across round trips. ErrNotFound
// if the role does not hold the scope (or does not exist). The link was
// deleted if and only if deleted is true, also when err then reports a
// failure to confirm its flush.
func (s *Store) DeleteRoleScopeAnnounced(ctx context.Context, tenant, roleID, scopeID, announce string) (deleted bool, err error) {
	err = s.queryRowAnnounced(ctx, announce, `DELETE FROM roles_scopes
WHERE tenant_id = $1 AND role_id = $2 AND scope_id = $3 RETURNING scope_id`, []any{tenant, roleID, scopeID},
		func(row interface{ Scan(...any) error }) error {
			var id string
			if err := row.Scan(&id); err != nil {
				return err
			}
			deleted = true
			return nil
		})
	if err != nil {
		return deleted, wrap("delete role scope "+scopeID, err)
	}
	return true, nil
}

// ListRoleApplicationIDs returns the ids of the applications holding role
// roleID (through applications_roles__role_id), in no particular order.
func (q *Queries) ListRoleApplicationIDs(ctx context.Context, tenant, roleID string) ([]string, error) {
	return q.stringColumn(ctx, "list role applications", `SELECT application_id FROM applications_roles
WHERE tenant_id = $1 AND role_id = $2`, tenant, roleID)
}

// ListRoleApplicationsPage returns a page of the machine-to-machine
// applications holding role roleID that match search (over id, name,
// description), newest first, and how many match. Applications of other
// types that hold the role are not listed (as in Logto). The links are
// found through applications_roles__role_id. Empty for an unknown role.
func (q *Queries) ListRoleApplicationsPage(ctx context.Context, tenant, roleID string, search Search, limit, offset int) ([]rbac.Application, int64, error) {
	args := []any{tenant, roleID, string(rbac.AppMachineToMachine)}
	cond, err := q.where(search, map[string]string{"id": "a.id", "name": "a.name", "description": "a.description"}, &args)
	if err != nil {
		return nil, 0, err
	}
	if cond != "" {
		cond = " AND " + cond
	}
	from := ` FROM applications_roles ar
JOIN applications a ON a.tenant_id = ar.tenant_id AND a.id = ar.application_id
WHERE ar.tenant_id = $1 AND ar.role_id = $2 AND a.type = $3` + cond
	var total int64
	if err := q.q.QueryRowContext(ctx, `SELECT COUNT(*)`+from, args...).Scan(&total); err != nil {
		return nil, 0, wrap("count role applications", err)
	}
	rows, err := q.q.QueryContext(ctx, `SELECT `+applicationColumns+from+
		` ORDER BY a.created_at DESC, a.id DESC`+pageSQL(&args, limit, offset), args...)
	if err != nil {
		return nil, 0, wrap("list role applications", err)
	}
	defer rows.Close()
	out := []rbac.Application{}
	for rows.Next() {
		a, err := scanApplication(rows)
		if err != nil {
			return nil, 0, wrap("list role applications", err)
		}
		out = append(out, *a)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, wrap("list role applications", err)
	}
	return out, total, nil
}
