package store

import (
	"context"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// Applications as members of organizations, and the organization roles
// they hold in each.

// OrganizationRoleRef names an organization role held by a member.
type OrganizationRoleRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// InsertOrganizationApplication makes application appID a member of
// organization orgID; a membership that exists is kept. Only
// machine-to-machine applications can join: ErrCheck for another type,
// ErrForeignKey when the application or the organization does not exist.
func (q *Queries) InsertOrganizationApplication(ctx context.Context, tenant, orgID, appID string) error {
	return q.insertTyped(ctx, "insert organization application "+appID, `INSERT INTO organization_application_relations (tenant_id, organization_id, application_id)
SELECT a.tenant_id, $2, a.id FROM applications a
WHERE a.tenant_id = $1 AND a.id = $3 AND a.type = 'MachineToMachine'
ON CONFLICT DO NOTHING`, []any{tenant, orgID, appID}, string(rbac.AppMachineToMachine), func() (string, error) {
		app, err := q.GetApplication(ctx, tenant, appID)
		if err != nil {
			return "", err
		}
		return string(app.Type), nil
	})
}

// DeleteOrganizationApplication removes application appID from
// organization orgID with the roles it held there; ErrNotFound if it is
// not a member.
func (q *Queries) DeleteOrganizationApplication(ctx context.Context, tenant, orgID, appID string) error {
	res, err := q.q.ExecContext(ctx, `DELETE FROM organization_application_relations
WHERE tenant_id = $1 AND organization_id = $2 AND application_id = $3`, tenant, orgID, appID)
	return affectedOne(res, err, "delete organization application "+appID)
}

// DeleteOrganizationApplicationsExcept removes from organization orgID
// every member application not in keep (with the roles they held).
func (q *Queries) DeleteOrganizationApplicationsExcept(ctx context.Context, tenant, orgID string, keep []string) error {
	args := []any{tenant, orgID}
	query := `DELETE FROM organization_application_relations WHERE tenant_id = $1 AND organization_id = $2`
	if len(keep) > 0 {
		query += ` AND application_id NOT IN (` + q.inList(&args, keep) + `)`
	}
	_, err := q.q.ExecContext(ctx, query, args...)
	return wrap("replace organization applications", err)
}

// IsOrganizationMember reports whether application appID is a member of
// organization orgID.
func (q *Queries) IsOrganizationMember(ctx context.Context, tenant, orgID, appID string) (bool, error) {
	var n int
	err := q.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM organization_application_relations
WHERE tenant_id = $1 AND organization_id = $2 AND application_id = $3`, tenant, orgID, appID).Scan(&n)
	return n > 0, wrap("organization membership", err)
}

// InsertOrganizationApplicationRole gives organization role roleID to
// member appID of organization orgID; a role held is kept. Only
// machine-to-machine roles go to applications: ErrCheck for a User role,
// ErrForeignKey when the role does not exist or the application is not a
// member.
func (q *Queries) InsertOrganizationApplicationRole(ctx context.Context, tenant, orgID, appID, roleID string) error {
	return q.insertTyped(ctx, "insert organization application role "+roleID, `INSERT INTO organization_role_application_relations
  (tenant_id, organization_id, organization_role_id, application_id)
SELECT r.tenant_id, $2, r.id, $4 FROM organization_roles r
WHERE r.tenant_id = $1 AND r.id = $3 AND r.type = 'MachineToMachine'
ON CONFLICT DO NOTHING`, []any{tenant, orgID, roleID, appID}, string(rbac.RoleMachineToMachine), func() (string, error) {
		role, err := q.GetOrganizationRole(ctx, tenant, roleID)
		if err != nil {
			return "", err
		}
		return string(role.Type), nil
	})
}

// DeleteOrganizationApplicationRole takes organization role roleID from
// member appID of organization orgID; ErrNotFound if it does not hold it.
func (q *Queries) DeleteOrganizationApplicationRole(ctx context.Context, tenant, orgID, appID, roleID string) error {
	res, err := q.q.ExecContext(ctx, `DELETE FROM organization_role_application_relations
WHERE tenant_id = $1 AND organization_id = $2 AND application_id = $3 AND organization_role_id = $4`, tenant, orgID, appID, roleID)
	return affectedOne(res, err, "delete organization application role "+roleID)
}

// DeleteOrganizationApplicationRoles takes every organization role from
// member appID of organization orgID.
func (q *Queries) DeleteOrganizationApplicationRoles(ctx context.Context, tenant, orgID, appID string) error {
	_, err := q.q.ExecContext(ctx, `DELETE FROM organization_role_application_relations
WHERE tenant_id = $1 AND organization_id = $2 AND application_id = $3`, tenant, orgID, appID)
	return wrap("delete organization application roles", err)
}

// ListOrganizationApplicationRoles returns the organization roles member
// appID holds in organization orgID, by name.
func (q *Queries) ListOrganizationApplicationRoles(ctx context.Context, tenant, orgID, appID string) ([]OrganizationRole, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT r.tenant_id, r.id, r.name, r.description, r.type
FROM organization_role_application_relations ra
JOIN organization_roles r ON r.tenant_id = ra.tenant_id AND r.id = ra.organization_role_id
WHERE ra.tenant_id = $1 AND ra.organization_id = $2 AND ra.application_id = $3
ORDER BY r.name, r.id`, tenant, orgID, appID)
	if err != nil {
		return nil, wrap("list organization application roles", err)
	}
	defer rows.Close()
	out := []OrganizationRole{}
	for rows.Next() {
		r, err := scanOrganizationRole(rows)
		if err != nil {
			return nil, wrap("list organization application roles", err)
		}
		out = append(out, *r)
	}
	return out, wrap("list organization application roles", rows.Err())
}

// ListOrganizationApplicationsPage returns a page of the member
// applications of organization orgID that match search (over id, name,
// description), newest first, and how many match.
func (q *Queries) ListOrganizationApplicationsPage(ctx context.Context, tenant, orgID string, search Search, limit, offset int) ([]rbac.Application, int64, error) {
	args := []any{tenant, orgID}
	cond, err := q.where(search, map[string]string{"id": "a.id", "name": "a.name", "description": "a.description"}, &args)
	if err != nil {
		return nil, 0, err
	}
	if cond != "" {
		cond = " AND " + cond
	}
	from := ` FROM organization_application_relations m
JOIN applications a ON a.tenant_id = m.tenant_id AND a.id = m.application_id
WHERE m.tenant_id = $1 AND m.organization_id = $2` + cond
	var total int64
	if err := q.q.QueryRowContext(ctx, `SELECT COUNT(*)`+from, args...).Scan(&total); err != nil {
		return nil, 0, wrap("count organization applications", err)
	}
	rows, err := q.q.QueryContext(ctx, `SELECT `+applicationColumns+from+
		` ORDER BY a.created_at DESC, a.id DESC`+pageSQL(&args, limit, offset), args...)
	if err != nil {
		return nil, 0, wrap("list organization applications", err)
	}
	defer rows.Close()
	out := []rbac.Application{}
	for rows.Next() {
		a, err := scanApplication(rows)
		if err != nil {
			return nil, 0, wrap("list organization applications", err)
		}
		out = append(out, *a)
	}
	return out, total, wrap("list organization applications", rows.Err())
}

// OrganizationApplicationRoleRefs returns, for each of appIDs, the
// organization roles it holds in organization orgID, by name. Every
// application asked for is in the map.
func (q *Queries) OrganizationApplicationRoleRefs(ctx context.Context, tenant, orgID string, appIDs []string) (map[string][]OrganizationRoleRef, error) {
	return q.roleRefs(ctx, appIDs, `SELECT ra.application_id, r.id, r.name
FROM organization_role_application_relations ra
JOIN organization_roles r ON r.tenant_id = ra.tenant_id AND r.id = ra.organization_role_id
WHERE ra.tenant_id = $1 AND ra.organization_id = $2 AND ra.application_id IN (%s) ORDER BY r.name, r.id`, tenant, orgID)
}

// ApplicationOrganizationRoleRefs returns, for each of orgIDs, the
// organization roles application appID holds in it, by name. Every
// organization asked for is in the map.
func (q *Queries) ApplicationOrganizationRoleRefs(ctx context.Context, tenant, appID string, orgIDs []string) (map[string][]OrganizationRoleRef, error) {
	return q.roleRefs(ctx, orgIDs, `SELECT ra.organization_id, r.id, r.name
FROM organization_role_application_relations ra
JOIN organization_roles r ON r.tenant_id = ra.tenant_id AND r.id = ra.organization_role_id
WHERE ra.tenant_id = $1 AND ra.application_id = $2 AND ra.organization_id IN (%s) ORDER BY r.name, r.id`, tenant, appID)
}

// roleRefs runs query (whose %s takes the IN list of keys) and groups the
// role references by its first column.
func (q *Queries) roleRefs(ctx context.Context, keys []string, query string, tenant, other string) (map[string][]OrganizationRoleRef, error) {
	out := make(map[string][]OrganizationRoleRef, len(keys))
	for _, k := range keys {
		out[k] = []OrganizationRoleRef{}
	}
	if len(keys) == 0 {
		return out, nil
	}
	args := []any{tenant, other}
	rows, err := q.q.QueryContext(ctx, fmt.Sprintf(query, q.inList(&args, keys)), args...)
	if err != nil {
		return nil, wrap("organization role refs", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			k string
			r OrganizationRoleRef
		)
		if err := rows.Scan(&k, &r.ID, &r.Name); err != nil {
			return nil, wrap("organization role refs", err)
		}
		out[k] = append(out[k], r)
	}
	return out, wrap("organization role refs", rows.Err())
}

// ListApplicationOrganizationsPage returns a page of the organizations
// application appID is a member of, newest first, and how many there are.
func (q *Queries) ListApplicationOrganizationsPage(ctx context.Context, tenant, appID string, limit, offset int) ([]Organization, int64, error) {
	from := ` FROM organization_application_relations m
JOIN organizations o ON o.tenant_id = m.tenant_id AND o.id = m.organization_id
WHERE m.tenant_id = $1 AND m.application_id = $2`
	args := []any{tenant, appID}
	var total int64
	if err := q.q.QueryRowContext(ctx, `SELECT COUNT(*)`+from, args...).Scan(&total); err != nil {
		return nil, 0, wrap("count application organizations", err)
	}
	rows, err := q.q.QueryContext(ctx, `SELECT `+organizationColumns+from+
		` ORDER BY o.created_at DESC, o.id DESC`+pageSQL(&args, limit, offset), args...)
	if err != nil {
		return nil, 0, wrap("list application organizations", err)
	}
	defer rows.Close()
	out := []Organization{}
	for rows.Next() {
		o, err := scanOrganization(rows)
		if err != nil {
			return nil, 0, wrap("list application organizations", err)
		}
		out = append(out, *o)
	}
	return out, total, wrap("list application organizations", rows.Err())
}
