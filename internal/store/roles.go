package store

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

const roleColumns = `tenant_id, id, name, description, type, is_default`

// InsertRole creates r. ErrConflict if its id or name is taken in the
// tenant; ErrCheck if its type is neither User nor MachineToMachine.
func (q *Queries) InsertRole(ctx context.Context, r *rbac.Role) error {
	_, err := q.q.ExecContext(ctx, `INSERT INTO roles (`+roleColumns+`)
VALUES ($1, $2, $3, $4, $5, $6)`,
		r.TenantID, r.ID, r.Name, r.Description, string(r.Type), r.IsDefault)
	return wrap("insert role "+r.ID, err)
}

// GetRole returns the role id of tenant; ErrNotFound if none.
func (q *Queries) GetRole(ctx context.Context, tenant, id string) (*rbac.Role, error) {
	return q.getRole(ctx, "role "+id, `SELECT `+roleColumns+` FROM roles
WHERE tenant_id = $1 AND id = $2`, tenant, id)
}

// RoleTypes returns the type of each role of ids that exists, by id, in one
// query however many ids there are.
func (q *Queries) RoleTypes(ctx context.Context, tenant string, ids []string) (map[string]rbac.RoleType, error) {
	out := make(map[string]rbac.RoleType, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{tenant}
	rows, err := q.q.QueryContext(ctx, `SELECT id, type FROM roles
WHERE tenant_id = $1 AND id IN (`+q.inList(&args, ids)+`)`, args...)
	if err != nil {
		return nil, wrap("role types", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var typ rbac.RoleType
		if err := rows.Scan(&id, &typ); err != nil {
			return nil, wrap("role types", err)
		}
		out[id] = typ
	}
	return out, wrap("role types", rows.Err())
}

// GetRoleByName returns the role called name in tenant; ErrNotFound if
// none.
func (q *Queries) GetRoleByName(ctx context.Context, tenant, name string) (*rbac.Role, error) {
	return q.getRole(ctx, "role "+name, `SELECT `+roleColumns+` FROM roles
WHERE tenant_id = $1 AND name = $2`, tenant, name)
}

// getRole runs a query selecting roleColumns of one row.
func (q *Queries) getRole(ctx context.Context, what, query string, args ...any) (*rbac.Role, error) {
	r, err := scanRole(q.q.QueryRowContext(ctx, query, args...))
	if err != nil {
		return nil, wrap(what, err)
	}
	return &r, nil
}

// scanRole reads one row of roleColumns (in that order).
func scanRole(row interface{ Scan(dest ...any) error }) (rbac.Role, error) {
	var (
		r   rbac.Role
		typ string
	)
	err := row.Scan(&r.TenantID, &r.ID, &r.Name, &r.Description, &typ, &r.IsDefault)
	r.Type = rbac.RoleType(typ)
	return r, err
}

// InsertRoleScope gives scope scopeID to role roleID; id names the link.
// ErrConflict if the role already has the scope, ErrForeignKey if the role
// or the scope does not exist.
func (q *Queries) InsertRoleScope(ctx context.Context, tenant, id, roleID, scopeID string) error {
	_, err := q.q.ExecContext(ctx, `INSERT INTO roles_scopes (tenant_id, id, role_id, scope_id)
VALUES ($1, $2, $3, $4)`, tenant, id, roleID, scopeID)
	return wrap("insert role scope "+scopeID, err)
}

// InsertApplicationRole gives role roleID to application appID; id names
// the link. Only machine-to-machine roles can be given to applications:
// the insert selects the role with that type, and when it inserts nothing
// the store reports ErrForeignKey if the role does not exist and ErrCheck
// if it is a User role. ErrConflict if the application already has the
// role, ErrForeignKey if the application does not exist.
func (q *Queries) InsertApplicationRole(ctx context.Context, tenant, id, appID, roleID string) error {
	return q.insertTyped(ctx, "insert application role "+roleID, `INSERT INTO applications_roles (tenant_id, id, application_id, role_id)
SELECT r.tenant_id, $2, $3, r.id FROM roles r
WHERE r.tenant_id = $1 AND r.id = $4 AND r.type = 'MachineToMachine'`, []any{tenant, id, appID, roleID},
		string(rbac.RoleMachineToMachine), q.roleType(ctx, tenant, roleID))
}

// insertTyped runs insert, an INSERT … SELECT that adds its row only when
// the parent row it selects (a role, an application) has the type want,
// and tells why nothing was inserted: typeOf returns the parent's type or
// ErrNotFound, giving ErrForeignKey for a missing parent and ErrCheck for
// one of another type. A parent of the right type means the row was there
// already (ON CONFLICT DO NOTHING): nil.
func (q *Queries) insertTyped(ctx context.Context, op, insert string, args []any, want string, typeOf func() (string, error)) error {
	res, err := q.q.ExecContext(ctx, insert, args...)
	if err != nil {
		return wrap(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap(op, err)
	}
	if n == 1 {
		return nil
	}
	got, err := typeOf()
	switch {
	case errors.Is(err, ErrNotFound):
		return fmt.Errorf("%w: %s: parent row missing", ErrForeignKey, op)
	case err != nil:
		return err
	case got != want:
		return fmt.Errorf("%w: %s: type is %s, not %s", ErrCheck, op, got, want)
	}
	return nil
}

// roleType returns role roleID's type, for insertTyped.
func (q *Queries) roleType(ctx context.Context, tenant, roleID string) func() (string, error) {
	return func() (string, error) {
		r, err := q.GetRole(ctx, tenant, roleID)
		if err != nil {
			return "", err
		}
		return string(r.Type), nil
	}
}

// DeleteApplicationRole takes role roleID from application appID;
// ErrNotFound if the application does not have it.
func (q *Queries) DeleteApplicationRole(ctx context.Context, tenant, appID, roleID string) error {
	res, err := q.q.ExecContext(ctx, `DELETE FROM applications_roles
WHERE tenant_id = $1 AND application_id = $2 AND role_id = $3`, tenant, appID, roleID)
	return affectedOne(res, err, "delete application role "+roleID)
}

// ListApplicationRoleIDs returns the ids of the roles application appID
// has, sorted. It is empty, not an error, for an unknown application.
func (q *Queries) ListApplicationRoleIDs(ctx context.Context, tenant, appID string) ([]string, error) {
	out, err := q.stringColumn(ctx, "list application roles", `SELECT role_id FROM applications_roles
WHERE tenant_id = $1 AND application_id = $2`, tenant, appID)
	if err != nil {
		return nil, err
	}
	sort.Strings(out) // in Go: the engines' text collations differ
	return out, nil
}
