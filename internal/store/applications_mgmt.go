package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// applicationColumns are the columns scanApplication reads, in its order.
const applicationColumns = `a.tenant_id, a.id, a.name, a.description, a.type,
  a.oidc_client_metadata, a.custom_client_metadata, a.protected_app_metadata, a.custom_data,
  a.is_third_party, a.app_level_access_control_enabled, a.created_at`

// applicationSearchColumns are the fields GET /api/applications searches.
var applicationSearchColumns = map[string]string{"id": "a.id", "name": "a.name", "description": "a.description"}

// appRoleSearchColumns are the fields an application's role list searches.
var appRoleSearchColumns = map[string]string{"id": "r.id", "name": "r.name", "description": "r.description"}

// AppFilter selects applications for ListApplications and
// CountApplications; zero fields do not filter.
type AppFilter struct {
	Types         []rbac.AppType // any of these types
	ExcludeRoleID string         // drop applications holding this role
	// ExcludeOrganizationID drops the members of this organization.
	ExcludeOrganizationID string
	IsThirdParty          *bool
	Search                Search
	Limit, Offset         int // Limit 0: no limit
}

// appWhere returns the WHERE clause of f, appending its arguments to args
// (which already hold the tenant as $1).
func (q *Queries) appWhere(f AppFilter, args *[]any) (string, error) {
	param := func(v any) string {
		*args = append(*args, v)
		return "$" + strconv.Itoa(len(*args))
	}
	conds := []string{"a.tenant_id = $1"}
	if len(f.Types) > 0 {
		ps := make([]string, len(f.Types))
		for i, t := range f.Types {
			ps[i] = param(string(t))
		}
		conds = append(conds, "a.type IN ("+strings.Join(ps, ", ")+")")
	}
	if f.ExcludeRoleID != "" {
		conds = append(conds, `NOT EXISTS (SELECT 1 FROM applications_roles ar
  WHERE ar.tenant_id = a.tenant_id AND ar.application_id = a.id AND ar.role_id = `+param(f.ExcludeRoleID)+`)`)
	}
	if f.ExcludeOrganizationID != "" {
		// Walks the membership primary key (tenant, organization, application).
		conds = append(conds, `NOT EXISTS (SELECT 1 FROM organization_application_relations oa
  WHERE oa.tenant_id = a.tenant_id AND oa.organization_id = `+param(f.ExcludeOrganizationID)+` AND oa.application_id = a.id)`)
	}
	if f.IsThirdParty != nil {
		conds = append(conds, "a.is_third_party = "+param(*f.IsThirdParty))
	}
	s, err := q.where(f.Search, applicationSearchColumns, args)
	if err != nil {
		return "", err
	}
	if s != "" {
		conds = append(conds, s)
	}
	return strings.Join(conds, " AND "), nil
}

// ListApplications returns the applications of tenant that f selects,
// newest first (ties by id, descending), walking the index
// applications__created_at_id. ErrInvalidInput for a search pattern that does not compile.
func (q *Queries) ListApplications(ctx context.Context, tenant string, f AppFilter) ([]rbac.Application, error) {
	args := []any{tenant}
	where, err := q.appWhere(f, &args)
	if err != nil {
		return nil, err
	}
	query := `SELECT ` + applicationColumns + ` FROM applications a WHERE ` + where +
		` ORDER BY a.created_at DESC, a.id DESC` + pageSQL(&args, f.Limit, f.Offset)
	rows, err := q.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrap("list applications", err)
	}
	defer rows.Close()
	out := []rbac.Application{}
	for rows.Next() {
		a, err := scanApplication(rows)
		if err != nil {
			return nil, wrap("list applications", err)
		}
		out = append(out, *a)
	}
	return out, wrap("list applications", rows.Err())
}

// CountApplications counts the applications of tenant that f selects
// (f's Limit and Offset are ignored). Without a search it reads only the
// index applications__created_at_id.
func (q *Queries) CountApplications(ctx context.Context, tenant string, f AppFilter) (int64, error) {
	args := []any{tenant}
	where, err := q.appWhere(f, &args)
	if err != nil {
		return 0, err
	}
	var n int64
	err = q.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM applications a WHERE `+where, args...).Scan(&n)
	return n, wrap("count applications", err)
}

// scanApplication reads one row of applicationColumns.
func scanApplication(row interface{ Scan(...any) error }) (*rbac.Application, error) {
	var (
		a                                       rbac.Application
		description                             sql.NullString
		typ                                     string
		oidcMeta, customMeta, protected, custom []byte
	)
	if err := row.Scan(&a.TenantID, &a.ID, &a.Name, &description, &typ,
		&oidcMeta, &customMeta, &protected, &custom,
		&a.IsThirdParty, &a.AppLevelAccessControlEnabled, &a.CreatedAt); err != nil {
		return nil, err
	}
	a.Description = stringPtr(description)
	a.Type = rbac.AppType(typ)
	a.OIDCClientMetadata = json.RawMessage(oidcMeta)
	a.CustomClientMetadata = json.RawMessage(customMeta)
	a.CustomData = json.RawMessage(custom)
	a.ProtectedAppMetadata = json.RawMessage(jsonNull)
	if protected != nil {
		a.ProtectedAppMetadata = json.RawMessage(protected)
	}
	return &a, nil
}

// UpdateApplication writes a's mutable columns (name, description, the
// JSON columns, app-level access control); the id, type, third-party flag
// and creation time never change. ErrNotFound if there is no such
// application.
func (q *Queries) UpdateApplication(ctx context.Context, a *rbac.Application) error {
	j, err := applicationJSON(a)
	if err != nil {
		return err
	}
	res, err := q.q.ExecContext(ctx, `UPDATE applications SET name = $3, description = $4,
  oidc_client_metadata = $5, custom_client_metadata = $6, protected_app_metadata = $7, custom_data = $8,
  app_level_access_control_enabled = $9
WHERE tenant_id = $1 AND id = $2`,
		a.TenantID, a.ID, a.Name, a.Description, j.oidcMeta, j.customMeta, j.protected, j.customData,
		a.AppLevelAccessControlEnabled)
	return affectedOne(res, err, "update application "+a.ID)
}

// AppChanges are the columns PatchApplication sets; a nil field (false
// DescriptionSet) keeps the stored value. Empty JSON fields get their
// defaults as in InsertApplication.
type AppChanges struct {
	Name *string
	// DescriptionSet says Description is given (nil: set to NULL).
	DescriptionSet                                       bool
	Description                                          *string
	OIDCClientMetadata, CustomClientMetadata, CustomData json.RawMessage
	AppLevelAccessControlEnabled                         *bool
}

// PatchApplication sets the columns c gives on application id and returns
// the application as stored afterwards: one statement (UPDATE ...
// RETURNING), so one round trip and no transaction open across round
// trips, and two patches of different fields made at once both stick.
// ErrNotFound if there is no such application. When announce is not empty,
// the same statement notifies it to the other instances (see
// queryRowAnnounced). The application is returned whenever the statement
// committed, also when err then reports a failure to confirm its flush.
func (s *Store) PatchApplication(ctx context.Context, tenant, id string, c AppChanges, announce string) (*rbac.Application, error) {
	opt := func(name string, raw json.RawMessage, def string) (bool, any, error) {
		if raw == nil {
			return false, nil, nil
		}
		v, err := jsonArg(name, raw, def)
		return true, v, err
	}
	setOIDC, oidc, err := opt("oidc_client_metadata", c.OIDCClientMetadata, defaultOIDCClientMetadata)
	if err != nil {
		return nil, err
	}
	setMeta, meta, err := opt("custom_client_metadata", c.CustomClientMetadata, emptyObject)
	if err != nil {
		return nil, err
	}
	setData, data, err := opt("custom_data", c.CustomData, emptyObject)
	if err != nil {
		return nil, err
	}
	var name, acl any
	if c.Name != nil {
		name = *c.Name
	}
	if c.AppLevelAccessControlEnabled != nil {
		acl = *c.AppLevelAccessControlEnabled
	}
	var a *rbac.Application
	err = s.queryRowAnnounced(ctx, announce, `UPDATE applications SET
  name = CASE WHEN $3 THEN $4 ELSE name END,
  description = CASE WHEN $5 THEN $6 ELSE description END,
  oidc_client_metadata = CASE WHEN $7 THEN $8 ELSE oidc_client_metadata END,
  custom_client_metadata = CASE WHEN $9 THEN $10 ELSE custom_client_metadata END,
  custom_data = CASE WHEN $11 THEN $12 ELSE custom_data END,
  app_level_access_control_enabled = CASE WHEN $13 THEN $14 ELSE app_level_access_control_enabled END
WHERE tenant_id = $1 AND id = $2
RETURNING `+applicationReturning,
		[]any{tenant, id, c.Name != nil, name, c.DescriptionSet, c.Description, setOIDC, oidc, setMeta, meta,
			setData, data, c.AppLevelAccessControlEnabled != nil, acl},
		func(row interface{ Scan(...any) error }) (err error) {
			a, err = scanApplication(row)
			return err
		})
	if err != nil && a == nil {
		return nil, wrap("update application "+id, err)
	}
	return a, err
}

// applicationReturning is applicationColumns unqualified, for RETURNING.
var applicationReturning = strings.ReplaceAll(applicationColumns, "a.", "")

// MergeApplicationCustomData shallow-merges patch into the custom data of
// application id (top-level keys of patch replace the stored ones) and
// returns the result. The read and the write are one transaction, the row
// locked on PostgreSQL, so that concurrent merges do not lose keys.
// ErrNotFound if there is no such application.
func (q *Queries) MergeApplicationCustomData(ctx context.Context, tenant, id string, patch map[string]json.RawMessage) (json.RawMessage, error) {
	var merged json.RawMessage
	err := q.atomic(ctx, func(q *Queries) error {
		lock := ""
		if q.dialect == dialectPostgres {
			lock = " FOR UPDATE"
		}
		var raw []byte
		err := q.q.QueryRowContext(ctx, `SELECT custom_data FROM applications
WHERE tenant_id = $1 AND id = $2`+lock, tenant, id).Scan(&raw)
		if err != nil {
			return wrap("application "+id, err)
		}
		data := map[string]json.RawMessage{}
		if err := json.Unmarshal(raw, &data); err != nil || data == nil {
			data = map[string]json.RawMessage{} // a non-object is replaced
		}
		for k, v := range patch {
			data[k] = v
		}
		if merged, err = json.Marshal(data); err != nil {
			return err
		}
		res, err := q.q.ExecContext(ctx, `UPDATE applications SET custom_data = $3
WHERE tenant_id = $1 AND id = $2`, tenant, id, string(merged))
		return affectedOne(res, err, "update application "+id)
	})
	return merged, err
}

// GetSecret returns the named secret of application appID; ErrNotFound if
// there is none.
func (q *Queries) GetSecret(ctx context.Context, tenant, appID, name string) (*rbac.Secret, error) {
	var (
		s       rbac.Secret
		expires sql.NullInt64
	)
	err := q.q.QueryRowContext(ctx, `SELECT tenant_id, application_id, name, sealed, digest, created_at, expires_at
FROM application_secrets WHERE tenant_id = $1 AND application_id = $2 AND name = $3`, tenant, appID, name).Scan(
		&s.TenantID, &s.ApplicationID, &s.Name, &s.Sealed, &s.Digest, &s.CreatedAt, &expires)
	if err != nil {
		return nil, wrap("secret "+name, err)
	}
	s.ExpiresAt = int64Ptr(expires)
	return &s, nil
}

// RenameSecret renames the secret name of application appID to newName.
// ErrNotFound if there is no such secret, ErrConflict if newName is taken.
func (q *Queries) RenameSecret(ctx context.Context, tenant, appID, name, newName string) error {
	res, err := q.q.ExecContext(ctx, `UPDATE application_secrets SET name = $4
WHERE tenant_id = $1 AND application_id = $2 AND name = $3`, tenant, appID, name, newName)
	return affectedOne(res, err, "rename secret "+name)
}

// HasApplicationRoleNamed reports whether application appID holds the
// role called roleName.
func (q *Queries) HasApplicationRoleNamed(ctx context.Context, tenant, appID, roleName string) (bool, error) {
	var one int
	err := q.q.QueryRowContext(ctx, `SELECT 1 FROM applications_roles ar
JOIN roles r ON r.tenant_id = ar.tenant_id AND r.id = ar.role_id
WHERE ar.tenant_id = $1 AND ar.application_id = $2 AND r.name = $3`, tenant, appID, roleName).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	}
	return err == nil, wrap("application role "+roleName, err)
}

// DeleteApplicationRoles takes every role from application appID and
// returns how many it had.
func (q *Queries) DeleteApplicationRoles(ctx context.Context, tenant, appID string) (int64, error) {
	res, err := q.q.ExecContext(ctx, `DELETE FROM applications_roles WHERE tenant_id = $1 AND application_id = $2`, tenant, appID)
	if err != nil {
		return 0, wrap("delete application roles", err)
	}
	n, err := res.RowsAffected()
	return n, wrap("delete application roles", err)
}

// appRolesWhere is the condition of ListApplicationRoles and
// CountApplicationRoles: the application's machine-to-machine roles, not
// internal ones, matching search. It walks the unique index
// applications_roles__application_role and joins roles by primary key.
func (q *Queries) appRolesWhere(search Search, args *[]any) (string, error) {
	cond := `ar.tenant_id = $1 AND ar.application_id = $2 AND r.type = 'MachineToMachine' AND ` + notInternalRole
	s, err := q.where(search, appRoleSearchColumns, args)
	if err != nil {
		return "", err
	}
	if s != "" {
		cond += " AND " + s
	}
	return cond, nil
}

const appRolesFrom = ` FROM applications_roles ar
JOIN roles r ON r.tenant_id = ar.tenant_id AND r.id = ar.role_id
WHERE `

// ListApplicationRoles returns a page of the machine-to-machine roles of
// application appID, internal roles left out, ordered by role id.
// ErrInvalidInput for a search pattern that does not compile.
func (q *Queries) ListApplicationRoles(ctx context.Context, tenant, appID string, search Search, limit, offset int) ([]rbac.Role, error) {
	args := []any{tenant, appID}
	where, err := q.appRolesWhere(search, &args)
	if err != nil {
		return nil, err
	}
	query := `SELECT r.tenant_id, r.id, r.name, r.description, r.type, r.is_default` + appRolesFrom + where + ` ORDER BY r.id` +
		pageSQL(&args, limit, offset)
	rows, err := q.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrap("list application roles", err)
	}
	defer rows.Close()
	out := []rbac.Role{}
	for rows.Next() {
		r, err := scanRole(rows)
		if err != nil {
			return nil, wrap("list application roles", err)
		}
		out = append(out, r)
	}
	return out, wrap("list application roles", rows.Err())
}

// CountApplicationRoles counts what ListApplicationRoles would return
// without a limit.
func (q *Queries) CountApplicationRoles(ctx context.Context, tenant, appID string, search Search) (int64, error) {
	args := []any{tenant, appID}
	where, err := q.appRolesWhere(search, &args)
	if err != nil {
		return 0, err
	}
	var n int64
	err = q.q.QueryRowContext(ctx, `SELECT COUNT(*)`+appRolesFrom+where, args...).Scan(&n)
	return n, wrap("count application roles", err)
}
