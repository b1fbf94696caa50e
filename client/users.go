package client

import (
	"context"
	"iter"
	"net/http"
)

// ListUsers is GET /api/users (always paginated, newest first).
func (m *ManagementAPI) ListUsers(ctx context.Context, o ListOptions) ([]User, error) {
	var out []User
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/users", query: o.values()}, &out)
	return out, err
}

// AllUsers iterates over every user.
func (m *ManagementAPI) AllUsers(ctx context.Context, o ListOptions) iter.Seq2[User, error] {
	return all[User](m, ctx, "/api/users", o.values, o.PageSize)
}

// CreateUser is POST /api/users. A username, email or phone in use is
// ErrConflict.
func (m *ManagementAPI) CreateUser(ctx context.Context, in UserWrite) (*User, error) {
	var out User
	_, err := m.do(ctx, call{method: http.MethodPost, path: "/api/users", body: in}, &out)
	return nilIfErr(&out, err)
}

// GetUser is GET /api/users/{userId}.
func (m *ManagementAPI) GetUser(ctx context.Context, id string) (*User, error) {
	var out User
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/users/" + esc(id)}, &out)
	return nilIfErr(&out, err)
}

// UpdateUser is PATCH /api/users/{userId}; CustomData given replaces the
// stored object.
func (m *ManagementAPI) UpdateUser(ctx context.Context, id string, in UserWrite) (*User, error) {
	var out User
	_, err := m.do(ctx, call{method: http.MethodPatch, path: "/api/users/" + esc(id), body: in}, &out)
	return nilIfErr(&out, err)
}

// DeleteUser is DELETE /api/users/{userId}.
func (m *ManagementAPI) DeleteUser(ctx context.Context, id string) error {
	_, err := m.do(ctx, call{method: http.MethodDelete, path: "/api/users/" + esc(id)}, nil)
	return err
}

// GetUserCustomData is GET /api/users/{userId}/custom-data.
func (m *ManagementAPI) GetUserCustomData(ctx context.Context, id string) (map[string]any, error) {
	var out map[string]any
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/users/" + esc(id) + "/custom-data"}, &out)
	return out, err
}

// UpdateUserCustomData is PATCH /api/users/{userId}/custom-data: a shallow
// merge; it returns the custom data after it.
func (m *ManagementAPI) UpdateUserCustomData(ctx context.Context, id string, data map[string]any) (map[string]any, error) {
	var out map[string]any
	if data == nil {
		data = map[string]any{}
	}
	_, err := m.do(ctx, call{method: http.MethodPatch, path: "/api/users/" + esc(id) + "/custom-data",
		body: map[string]any{"customData": data}}, &out)
	return out, err
}

// ListUserRoles is GET /api/users/{userId}/roles (always paginated).
func (m *ManagementAPI) ListUserRoles(ctx context.Context, id string, o ListOptions) ([]Role, error) {
	var out []Role
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/users/" + esc(id) + "/roles", query: o.values()}, &out)
	return out, err
}

// AllUserRoles iterates over every role of the user.
func (m *ManagementAPI) AllUserRoles(ctx context.Context, id string, o ListOptions) iter.Seq2[Role, error] {
	return all[Role](m, ctx, "/api/users/"+esc(id)+"/roles", o.values, o.PageSize)
}

// AssignUserRoles is POST /api/users/{userId}/roles.
func (m *ManagementAPI) AssignUserRoles(ctx context.Context, id string, roleIDs []string) error {
	_, err := m.do(ctx, call{method: http.MethodPost, path: "/api/users/" + esc(id) + "/roles",
		body: map[string][]string{"roleIds": nonNil(roleIDs)}}, nil)
	return err
}

// ReplaceUserRoles is PUT /api/users/{userId}/roles.
func (m *ManagementAPI) ReplaceUserRoles(ctx context.Context, id string, roleIDs []string) error {
	_, err := m.do(ctx, call{method: http.MethodPut, path: "/api/users/" + esc(id) + "/roles",
		body: map[string][]string{"roleIds": nonNil(roleIDs)}}, nil)
	return err
}

// DeleteUserRole is DELETE /api/users/{userId}/roles/{roleId}.
func (m *ManagementAPI) DeleteUserRole(ctx context.Context, id, roleID string) error {
	_, err := m.do(ctx, call{method: http.MethodDelete, path: "/api/users/" + esc(id) + "/roles/" + esc(roleID)}, nil)
	return err
}
