package store

import (
	"context"
	"strconv"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// Users as members of organizations, and the organization roles they hold
// in each (issue 13). Nothing here reaches the grant cache: users get no
// tokens from Gatehouse.

// OrganizationUsersSummary is an organization's number of member users and
// the first few of them.
type OrganizationUsersSummary struct {
	Count    int64
	Featured []FeaturedUser
}

// InsertOrganizationUser makes user userID a member of organization orgID;
// a membership that exists is kept. ErrForeignKey when the user or the
// organization does not exist.
func (q *Queries) InsertOrganizationUser(ctx context.Context, tenant, orgID, userID string) error {
	_, err := q.q.ExecContext(ctx, `INSERT INTO organization_user_relations (tenant_id, organization_id, user_id)
VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, tenant, orgID, userID)
	return wrap("insert organization user "+userID, err)
}

// DeleteOrganizationUser removes user userID from organization orgID with
// the roles it held there; ErrNotFound if it is not a member.
func (q *Queries) DeleteOrganizationUser(ctx context.Context, tenant, orgID, userID string) error {
	res, err := q.q.ExecContext(ctx, `DELETE FROM organization_user_relations
WHERE tenant_id = $1 AND organization_id = $2 AND user_id = $3`, tenant, orgID, userID)
	return affectedOne(res, err, "delete organization user "+userID)
}

// DeleteOrganizationUsersExcept removes from organization orgID every
// member user not in keep (with the roles they held).
func (q *Queries) DeleteOrganizationUsersExcept(ctx context.Context, tenant, orgID string, keep []string) error {
	args := []any{tenant, orgID}
	query := `DELETE FROM organization_user_relations WHERE tenant_id = $1 AND organization_id = $2`
	if len(keep) > 0 {
		query += ` AND user_id NOT IN (` + q.inList(&args, keep) + `)`
	}
	_, err := q.q.ExecContext(ctx, query, args...)
	return wrap("replace organization users", err)
}

// IsOrganizationUser reports whether user userID is a member of
// organization orgID.
func (q *Queries) IsOrganizationUser(ctx context.Context, tenant, orgID, userID string) (bool, error) {
	var n int
	err := q.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM organization_user_relations
WHERE tenant_id = $1 AND organization_id = $2 AND user_id = $3`, tenant, orgID, userID).Scan(&n)
	return n > 0, wrap("organization user membership", err)
}

// InsertOrganizationUserRole gives organization role roleID to member
// userID of organization orgID; a role held is kept. Only User roles go to
// users: ErrCheck for a machine-to-machine role, ErrForeignKey when the
// role does not exist or the user is not a member.
func (q *Queries) InsertOrganizationUserRole(ctx context.Context, tenant, orgID, userID, roleID string) error {
	return q.insertTyped(ctx, "insert organization user role "+roleID, `INSERT INTO organization_role_user_relations
  (tenant_id, organization_id, organization_role_id, user_id)
SELECT r.tenant_id, $2, r.id, $4 FROM organization_roles r
WHERE r.tenant_id = $1 AND r.id = $3 AND r.type = 'User'
ON CONFLICT DO NOTHING`, []any{tenant, orgID, roleID, userID}, string(rbac.RoleUser), func() (string, error) {
		role, err := q.GetOrganizationRole(ctx, tenant, roleID)
		if err != nil {
			return "", err
		}
		return string(role.Type), nil
	})
}

// DeleteOrganizationUserRole takes organization role roleID from member
// userID of organization orgID; ErrNotFound if it does not hold it.
func (q *Queries) DeleteOrganizationUserRole(ctx context.Context, tenant, orgID, userID, roleID string) error {
	res, err := q.q.ExecContext(ctx, `DELETE FROM organization_role_user_relations
WHERE tenant_id = $1 AND organization_id = $2 AND user_id = $3 AND organization_role_id = $4`, tenant, orgID, userID, roleID)
	return affectedOne(res, err, "delete organization user role "+roleID)
}

// DeleteOrganizationUserRoles takes every organization role from member
// userID of organization orgID.
func (q *Queries) DeleteOrganizationUserRoles(ctx context.Context, tenant, orgID, userID string) error {
	_, err := q.q.ExecContext(ctx, `DELETE FROM organization_role_user_relations
WHERE tenant_id = $1 AND organization_id = $2 AND user_id = $3`, tenant, orgID, userID)
	return wrap("delete organization user roles", err)
}

// ListOrganizationUserRoles returns a page (everything when limit is 0)
// of the organization roles member userID holds in organization orgID, by
// name, and how many it holds.
func (q *Queries) ListOrganizationUserRoles(ctx context.Context, tenant, orgID, userID string, limit, offset int) ([]OrganizationRole, int64, error) {
	from := ` FROM organization_role_user_relations ru
JOIN organization_roles r ON r.tenant_id = ru.tenant_id AND r.id = ru.organization_role_id
WHERE ru.tenant_id = $1 AND ru.organization_id = $2 AND ru.user_id = $3`
	args := []any{tenant, orgID, userID}
	var total int64
	if err := q.q.QueryRowContext(ctx, `SELECT COUNT(*)`+from, args...).Scan(&total); err != nil {
		return nil, 0, wrap("count organization user roles", err)
	}
	rows, err := q.q.QueryContext(ctx, `SELECT r.tenant_id, r.id, r.name, r.description, r.type`+from+
		` ORDER BY r.name, r.id`+pageSQL(&args, limit, offset), args...)
	if err != nil {
		return nil, 0, wrap("list organization user roles", err)
	}
	defer rows.Close()
	out := []OrganizationRole{}
	for rows.Next() {
		r, err := scanOrganizationRole(rows)
		if err != nil {
			return nil, 0, wrap("list organization user roles", err)
		}
		out = append(out, *r)
	}
	return out, total, wrap("list organization user roles", rows.Err())
}

// OrganizationRolesByName returns the organization roles of the tenant
// named in names (those that exist), by name.
func (q *Queries) OrganizationRolesByName(ctx context.Context, tenant string, names []string) ([]OrganizationRole, error) {
	out := []OrganizationRole{}
	if len(names) == 0 {
		return out, nil
	}
	args := []any{tenant}
	rows, err := q.q.QueryContext(ctx, `SELECT tenant_id, id, name, description, type FROM organization_roles
WHERE tenant_id = $1 AND name IN (`+q.inList(&args, names)+`) ORDER BY name`, args...)
	if err != nil {
		return nil, wrap("organization roles by name", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanOrganizationRole(rows)
		if err != nil {
			return nil, wrap("organization roles by name", err)
		}
		out = append(out, *r)
	}
	return out, wrap("organization roles by name", rows.Err())
}

// OrganizationUserScopes returns the organization scopes the organization
// roles of member userID in organization orgID hold, each once, by name.
func (q *Queries) OrganizationUserScopes(ctx context.Context, tenant, orgID, userID string) ([]OrganizationScope, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT s.tenant_id, s.id, s.name, s.description FROM organization_scopes s
WHERE s.tenant_id = $1 AND EXISTS (SELECT 1 FROM organization_role_user_relations ru
  JOIN organization_role_scope_relations rs ON rs.tenant_id = ru.tenant_id AND rs.organization_role_id = ru.organization_role_id
  WHERE ru.tenant_id = s.tenant_id AND ru.organization_id = $2 AND ru.user_id = $3 AND rs.organization_scope_id = s.id)
ORDER BY s.name, s.id`, tenant, orgID, userID)
	if err != nil {
		return nil, wrap("organization user scopes", err)
	}
	defer rows.Close()
	out := []OrganizationScope{}
	for rows.Next() {
		s, err := scanOrganizationScope(rows)
		if err != nil {
			return nil, wrap("organization user scopes", err)
		}
		out = append(out, *s)
	}
	return out, wrap("organization user scopes", rows.Err())
}

// ListOrganizationUsersPage returns a page of the member users of
// organization orgID that search selects (over Logto's user search fields)
// and, when roleID is not empty, that hold organization role roleID
// there; ordered by user id, as Logto orders them; and how many match.
func (q *Queries) ListOrganizationUsersPage(ctx context.Context, tenant, orgID, roleID string, search Search, limit, offset int) ([]User, int64, error) {
	args := []any{tenant, orgID}
	from := ` FROM organization_user_relations m
JOIN users u ON u.tenant_id = m.tenant_id AND u.id = m.user_id
WHERE m.tenant_id = $1 AND m.organization_id = $2`
	if roleID != "" {
		args = append(args, roleID)
		from += ` AND EXISTS (SELECT 1 FROM organization_role_user_relations ru
  WHERE ru.tenant_id = m.tenant_id AND ru.organization_id = m.organization_id AND ru.user_id = m.user_id
    AND ru.organization_role_id = $` + strconv.Itoa(len(args)) + `)`
	}
	cond, err := q.where(search, userSearchColumns, &args)
	if err != nil {
		return nil, 0, err
	}
	if cond != "" {
		from += " AND " + cond
	}
	var total int64
	if err := q.q.QueryRowContext(ctx, `SELECT COUNT(*)`+from, args...).Scan(&total); err != nil {
		return nil, 0, wrap("count organization users", err)
	}
	rows, err := q.q.QueryContext(ctx, `SELECT `+userColumns+from+` ORDER BY u.id`+pageSQL(&args, limit, offset), args...)
	if err != nil {
		return nil, 0, wrap("list organization users", err)
	}
	defer rows.Close()
	out := []User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, 0, wrap("list organization users", err)
		}
		out = append(out, *u)
	}
	return out, total, wrap("list organization users", rows.Err())
}

// OrganizationUserRoleRefs returns, for each of userIDs, the organization
// roles it holds in organization orgID, by name. Every user asked for is
// in the map.
func (q *Queries) OrganizationUserRoleRefs(ctx context.Context, tenant, orgID string, userIDs []string) (map[string][]OrganizationRoleRef, error) {
	return q.roleRefs(ctx, userIDs, `SELECT ru.user_id, r.id, r.name
FROM organization_role_user_relations ru
JOIN organization_roles r ON r.tenant_id = ru.tenant_id AND r.id = ru.organization_role_id
WHERE ru.tenant_id = $1 AND ru.organization_id = $2 AND ru.user_id IN (%s) ORDER BY r.name, r.id`, tenant, orgID)
}

// UserOrganizationRoleRefs returns, for each of orgIDs, the organization
// roles user userID holds in it, by name. Every organization asked for is
// in the map.
func (q *Queries) UserOrganizationRoleRefs(ctx context.Context, tenant, userID string, orgIDs []string) (map[string][]OrganizationRoleRef, error) {
	return q.roleRefs(ctx, orgIDs, `SELECT ru.organization_id, r.id, r.name
FROM organization_role_user_relations ru
JOIN organization_roles r ON r.tenant_id = ru.tenant_id AND r.id = ru.organization_role_id
WHERE ru.tenant_id = $1 AND ru.user_id = $2 AND ru.organization_id IN (%s) ORDER BY r.name, r.id`, tenant, userID)
}

// ListUserOrganizations returns every organization user userID is a member
// of, newest first.
func (q *Queries) ListUserOrganizations(ctx context.Context, tenant, userID string) ([]Organization, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT `+organizationColumns+` FROM organization_user_relations m
JOIN organizations o ON o.tenant_id = m.tenant_id AND o.id = m.organization_id
WHERE m.tenant_id = $1 AND m.user_id = $2
ORDER BY o.created_at DESC, o.id DESC`, tenant, userID)
	if err != nil {
		return nil, wrap("list user organizations", err)
	}
	defer rows.Close()
	out := []Organization{}
	for rows.Next() {
		o, err := scanOrganization(rows)
		if err != nil {
			return nil, wrap("list user organizations", err)
		}
		out = append(out, *o)
	}
	return out, wrap("list user organizations", rows.Err())
}

// featuredUsers is how many members an organization list shows (Logto's
// getFeatured takes 3).
const featuredUsers = 3

// OrganizationUsersSummaries returns, for each of orgIDs, its number of
// member users and the first three of them by user id. Every organization
// asked for is in the map.
func (q *Queries) OrganizationUsersSummaries(ctx context.Context, tenant string, orgIDs []string) (map[string]*OrganizationUsersSummary, error) {
	out := make(map[string]*OrganizationUsersSummary, len(orgIDs))
	for _, id := range orgIDs {
		out[id] = &OrganizationUsersSummary{Featured: []FeaturedUser{}}
	}
	if len(orgIDs) == 0 {
		return out, nil
	}
	args := []any{tenant}
	in := q.inList(&args, orgIDs)
	rows, err := q.q.QueryContext(ctx, `SELECT organization_id, COUNT(*) FROM organization_user_relations
WHERE tenant_id = $1 AND organization_id IN (`+in+`) GROUP BY organization_id`, args...)
	if err != nil {
		return nil, wrap("count organization users", err)
	}
	for rows.Next() {
		var (
			id string
			n  int64
		)
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return nil, wrap("count organization users", err)
		}
		out[id].Count = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, wrap("count organization users", err)
	}
	args = append(args, featuredUsers)
	rows, err = q.q.QueryContext(ctx, `SELECT organization_id, id, avatar, name FROM (
  SELECT m.organization_id, u.id, u.avatar, u.name,
    ROW_NUMBER() OVER (PARTITION BY m.organization_id ORDER BY u.id) AS n
  FROM organization_user_relations m
  JOIN users u ON u.tenant_id = m.tenant_id AND u.id = m.user_id
  WHERE m.tenant_id = $1 AND m.organization_id IN (`+in+`)
) f WHERE n <= $`+strconv.Itoa(len(args))+` ORDER BY organization_id, id`, args...)
	if err != nil {
		return nil, wrap("featured organization users", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			orgID string
			u     FeaturedUser
		)
		if err := rows.Scan(&orgID, &u.ID, &u.Avatar, &u.Name); err != nil {
			return nil, wrap("featured organization users", err)
		}
		out[orgID].Featured = append(out[orgID].Featured, u)
	}
	return out, wrap("featured organization users", rows.Err())
}
