package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// User is a row of users: what the Management API's user routes keep about
// a user. Nil pointers are SQL NULL.
type User struct {
	TenantID     string
	ID           string
	Username     *string
	PrimaryEmail *string
	PrimaryPhone *string
	Name         *string
	Avatar       *string
	CustomData   json.RawMessage // a JSON object; {} when empty
	Profile      json.RawMessage // a JSON object; {} when empty
	IsSuspended  bool
	LastSignInAt *int64
	CreatedAt    int64
	UpdatedAt    int64
}

// UserFilter selects users for [Queries.ListUsers].
type UserFilter struct {
	Search Search
	// RoleID keeps only the users holding that role; ExcludeRoleID drops
	// them. Empty: no condition.
	RoleID        string
	ExcludeRoleID string
	// ExcludeOrganizationID drops the members of that organization.
	ExcludeOrganizationID string
	Limit                 int // 0: no limit
	Offset                int
}

const userColumns = `u.tenant_id, u.id, u.username, u.primary_email, u.primary_phone, u.name, u.avatar,
  u.custom_data, u.profile, u.is_suspended, u.last_sign_in_at, u.created_at, u.updated_at`

// userSearchColumns maps the Management API's user search fields (Logto's
// userSearchKeys) to columns.
var userSearchColumns = map[string]string{
	"id":           "u.id",
	"primaryEmail": "u.primary_email",
	"primaryPhone": "u.primary_phone",
	"username":     "u.username",
	"name":         "u.name",
}

// userRoleSearchColumns maps the role search fields to columns.
var userRoleSearchColumns = map[string]string{
	"id":          "r.id",
	"name":        "r.name",
	"description": "r.description",
}

// InsertUser creates u. Empty JSON fields are stored as {}. ErrConflict if
// the id, the username, the phone or the email (ignoring case) is taken in
// the tenant; ErrCheck if a JSON field is not valid JSON.
func (q *Queries) InsertUser(ctx context.Context, u *User) error {
	customData, err := jsonArg("custom_data", u.CustomData, emptyObject)
	if err != nil {
		return err
	}
	profile, err := jsonArg("profile", u.Profile, emptyObject)
	if err != nil {
		return err
	}
	_, err = q.q.ExecContext(ctx, `INSERT INTO users (tenant_id, id, username, primary_email, primary_phone,
  name, avatar, custom_data, profile, is_suspended, last_sign_in_at, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		u.TenantID, u.ID, u.Username, u.PrimaryEmail, u.PrimaryPhone, u.Name, u.Avatar,
		customData, profile, u.IsSuspended, u.LastSignInAt, u.CreatedAt, u.UpdatedAt)
	return wrap("insert user "+u.ID, err)
}

// GetUser returns the user id of tenant; ErrNotFound if none.
func (q *Queries) GetUser(ctx context.Context, tenant, id string) (*User, error) {
	row := q.q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u
WHERE u.tenant_id = $1 AND u.id = $2`, tenant, id)
	u, err := scanUser(row)
	if err != nil {
		return nil, wrap("user "+id, err)
	}
	return u, nil
}

// UpdateUser writes the mutable fields of u (identifiers, name, avatar,
// custom data, profile, suspension, updatedAt) over the stored user.
// ErrNotFound if there is no such user; ErrConflict as for InsertUser.
func (q *Queries) UpdateUser(ctx context.Context, u *User) error {
	customData, err := jsonArg("custom_data", u.CustomData, emptyObject)
	if err != nil {
		return err
	}
	profile, err := jsonArg("profile", u.Profile, emptyObject)
	if err != nil {
		return err
	}
	res, err := q.q.ExecContext(ctx, `UPDATE users SET username = $3, primary_email = $4, primary_phone = $5,
  name = $6, avatar = $7, custom_data = $8, profile = $9, is_suspended = $10, updated_at = $11
WHERE tenant_id = $1 AND id = $2`,
		u.TenantID, u.ID, u.Username, u.PrimaryEmail, u.PrimaryPhone, u.Name, u.Avatar,
		customData, profile, u.IsSuspended, u.UpdatedAt)
	return affectedOne(res, err, "update user "+u.ID)
}

// DeleteUser deletes the user id of tenant with its role links (foreign
// keys cascade); ErrNotFound if there is none.
func (q *Queries) DeleteUser(ctx context.Context, tenant, id string) error {
	res, err := q.q.ExecContext(ctx, `DELETE FROM users WHERE tenant_id = $1 AND id = $2`, tenant, id)
	return affectedOne(res, err, "delete user "+id)
}

// UserIdentifier names a unique user identifier for [Queries.UserIdentifierTaken].
type UserIdentifier string

// The unique identifiers of a user.
const (
	UserUsername UserIdentifier = "username"
	UserEmail    UserIdentifier = "email"
	UserPhone    UserIdentifier = "phone"
)

// UserIdentifierTaken reports whether a user other than exceptID (which
// may be "") has value as its identifier which. Usernames and phones
// compare exactly; emails ignore case, as Logto compares them.
func (q *Queries) UserIdentifierTaken(ctx context.Context, tenant string, which UserIdentifier, value, exceptID string) (bool, error) {
	var cond string
	switch which {
	case UserUsername:
		cond = `username = $2`
	case UserEmail:
		cond = `lower(primary_email) = lower($2)`
	case UserPhone:
		cond = `primary_phone = $2`
	default:
		return false, fmt.Errorf("store: unknown user identifier %q", which)
	}
	var n int
	err := q.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM users
WHERE tenant_id = $1 AND `+cond+` AND id <> $3`, tenant, value, exceptID).Scan(&n)
	if err != nil {
		return false, wrap("user "+string(which)+" taken", err)
	}
	return n > 0, nil
}

// ListUsers returns the users f selects, newest first (ties by id,
// descending), paginated by f.Limit and f.Offset, and how many f selects
// regardless of pagination. ErrInvalidInput for a search
// pattern that does not compile.
func (q *Queries) ListUsers(ctx context.Context, tenant string, f UserFilter) ([]User, int64, error) {
	args := []any{tenant}
	cond := `u.tenant_id = $1`
	holding := func(roleID string) string {
		args = append(args, roleID)
		return `EXISTS (SELECT 1 FROM users_roles ur
  WHERE ur.tenant_id = u.tenant_id AND ur.user_id = u.id AND ur.role_id = $` + strconv.Itoa(len(args)) + `)`
	}
	if f.RoleID != "" {
		cond += ` AND ` + holding(f.RoleID)
	}
	if f.ExcludeRoleID != "" {
		cond += ` AND NOT ` + holding(f.ExcludeRoleID)
	}
	if f.ExcludeOrganizationID != "" {
		args = append(args, f.ExcludeOrganizationID)
		cond += ` AND NOT EXISTS (SELECT 1 FROM organization_user_relations m
  WHERE m.tenant_id = u.tenant_id AND m.user_id = u.id AND m.organization_id = $` + strconv.Itoa(len(args)) + `)`
	}
	search, err := q.where(f.Search, userSearchColumns, &args)
	if err != nil {
		return nil, 0, err
	}
	if search != "" {
		cond += ` AND ` + search
	}
	var total int64
	if err := q.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM users u WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, wrap("count users", err)
	}
	rows, err := q.q.QueryContext(ctx, `SELECT `+userColumns+` FROM users u WHERE `+cond+
		` ORDER BY u.created_at DESC, u.id DESC`+pageSQL(&args, f.Limit, f.Offset), args...)
	if err != nil {
		return nil, 0, wrap("list users", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, 0, wrap("list users", err)
		}
		out = append(out, *u)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, wrap("list users", err)
	}
	return out, total, nil
}

// scanUser reads one row selected with userColumns.
func scanUser(r interface{ Scan(...any) error }) (*User, error) {
	var (
		u                                    User
		username, email, phone, name, avatar sql.NullString
		customData, profile                  []byte
		lastSignIn                           sql.NullInt64
	)
	if err := r.Scan(&u.TenantID, &u.ID, &username, &email, &phone, &name, &avatar,
		&customData, &profile, &u.IsSuspended, &lastSignIn, &u.CreatedAt, &u.UpdatedAt); err != nil {
		return nil, err
	}
	u.Username, u.PrimaryEmail, u.PrimaryPhone = stringPtr(username), stringPtr(email), stringPtr(phone)
	u.Name, u.Avatar = stringPtr(name), stringPtr(avatar)
	u.CustomData, u.Profile = json.RawMessage(customData), json.RawMessage(profile)
	u.LastSignInAt = int64Ptr(lastSignIn)
	return &u, nil
}

// InsertUserRole gives role roleID to user userID; id names the link. Only
// User roles can be given to users: the insert selects the role with that
// type, and when it inserts nothing the store reports ErrForeignKey if the
// role does not exist and ErrCheck if it is a machine-to-machine role.
// ErrConflict if the user already has the role, ErrForeignKey if the user
// does not exist.
func (q *Queries) InsertUserRole(ctx context.Context, tenant, id, userID, roleID string) error {
	return q.insertTyped(ctx, "insert user role "+roleID, `INSERT INTO users_roles (tenant_id, id, user_id, role_id)
SELECT r.tenant_id, $2, $3, r.id FROM roles r
WHERE r.tenant_id = $1 AND r.id = $4 AND r.type = 'User'`, []any{tenant, id, userID, roleID},
		string(rbac.RoleUser), q.roleType(ctx, tenant, roleID))
}

// DeleteUserRole takes role roleID from user userID; ErrNotFound if the
// user does not have it.
func (q *Queries) DeleteUserRole(ctx context.Context, tenant, userID, roleID string) error {
	res, err := q.q.ExecContext(ctx, `DELETE FROM users_roles
WHERE tenant_id = $1 AND user_id = $2 AND role_id = $3`, tenant, userID, roleID)
	return affectedOne(res, err, "delete user role "+roleID)
}

// ListUserRoleIDs returns the ids of the roles user userID has, in no
// particular order. It is empty, not an error, for an unknown user.
func (q *Queries) ListUserRoleIDs(ctx context.Context, tenant, userID string) ([]string, error) {
	return q.stringColumn(ctx, "list user roles", `SELECT role_id FROM users_roles
WHERE tenant_id = $1 AND user_id = $2`, tenant, userID)
}

// DefaultUserRoleIDs returns the ids of the tenant's default User roles,
// which every new user gets (Logto's findDefaultRoles(RoleType.User)).
func (q *Queries) DefaultUserRoleIDs(ctx context.Context, tenant string) ([]string, error) {
	return q.stringColumn(ctx, "default user roles", `SELECT id FROM roles
WHERE tenant_id = $1 AND type = 'User' AND is_default`, tenant)
}

// FirstUserHoldingRole returns the first of userIDs (in their order) that
// holds role roleID, or "" when none does.
func (q *Queries) FirstUserHoldingRole(ctx context.Context, tenant, roleID string, userIDs []string) (string, error) {
	held, err := q.stringColumn(ctx, "users holding role", `SELECT user_id FROM users_roles
WHERE tenant_id = $1 AND role_id = $2`, tenant, roleID)
	if err != nil {
		return "", err
	}
	set := make(map[string]bool, len(held))
	for _, id := range held {
		set[id] = true
	}
	for _, id := range userIDs {
		if set[id] {
			return id, nil
		}
	}
	return "", nil
}

// ListUserRoles returns the User roles user userID holds that search
// selects, ordered by name then id, paginated by limit (0: none) and
// offset, and how many there are regardless of pagination. Machine-to-
// machine roles are never listed, even if one were linked.
func (q *Queries) ListUserRoles(ctx context.Context, tenant, userID string, search Search, limit, offset int) ([]rbac.Role, int64, error) {
	args := []any{tenant, userID}
	from := ` FROM users_roles ur
JOIN roles r ON r.tenant_id = ur.tenant_id AND r.id = ur.role_id
WHERE ur.tenant_id = $1 AND ur.user_id = $2 AND r.type = 'User'`
	cond, err := q.where(search, userRoleSearchColumns, &args)
	if err != nil {
		return nil, 0, err
	}
	if cond != "" {
		from += ` AND ` + cond
	}
	var total int64
	if err := q.q.QueryRowContext(ctx, `SELECT COUNT(*)`+from, args...).Scan(&total); err != nil {
		return nil, 0, wrap("count user roles", err)
	}
	rows, err := q.q.QueryContext(ctx, `SELECT r.tenant_id, r.id, r.name, r.description, r.type, r.is_default`+from+
		` ORDER BY r.name, r.id`+pageSQL(&args, limit, offset), args...)
	if err != nil {
		return nil, 0, wrap("list user roles", err)
	}
	defer rows.Close()
	var out []rbac.Role
	for rows.Next() {
		r, err := scanRole(rows)
		if err != nil {
			return nil, 0, wrap("list user roles", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, wrap("list user roles", err)
	}
	return out, total, nil
}
