package client

import (
	"context"
	"iter"
	"net/http"
	"net/url"
)

func (p ListRolesParams) values() url.Values {
	q := p.ListOptions.values()
	if p.Type != "" {
		q.Set("type", p.Type)
	}
	if p.ExcludeUserID != "" {
		q.Set("excludeUserId", p.ExcludeUserID)
	}
	if p.ExcludeApplicationID != "" {
		q.Set("excludeApplicationId", p.ExcludeApplicationID)
	}
	return q
}

// ListRoles is GET /api/roles (always paginated), with counts.
func (m *ManagementAPI) ListRoles(ctx context.Context, p ListRolesParams) ([]Role, error) {
	var out []Role
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/roles", query: p.values()}, &out)
	return out, err
}

// AllRoles iterates over every role matching p.
func (m *ManagementAPI) AllRoles(ctx context.Context, p ListRolesParams) iter.Seq2[Role, error] {
	return all[Role](m, ctx, "/api/roles", p.values, p.PageSize)
}

// CreateRole is POST /api/roles; the role and its scopes are one
// transaction. A name in use is ErrConflict.
func (m *ManagementAPI) CreateRole(ctx context.Context, in RoleCreate) (*Role, error) {
	var out Role
	_, err := m.do(ctx, call{method: http.MethodPost, path: "/api/roles", body: in}, &out)
	return nilIfErr(&out, err)
}

// GetRole is GET /api/roles/{id}.
func (m *ManagementAPI) GetRole(ctx context.Context, id string) (*Role, error) {
	var out Role
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/roles/" + esc(id)}, &out)
	return nilIfErr(&out, err)
}

// UpdateRole is PATCH /api/roles/{id}.
func (m *ManagementAPI) UpdateRole(ctx context.Context, id string, in RoleUpdate) (*Role, error) {
	var out Role
	_, err := m.do(ctx, call{method: http.MethodPatch, path: "/api/roles/" + esc(id), body: in}, &out)
	return nilIfErr(&out, err)
}

// DeleteRole is DELETE /api/roles/{id}.
func (m *ManagementAPI) DeleteRole(ctx context.Context, id string) error {
	_, err := m.do(ctx, call{method: http.MethodDelete, path: "/api/roles/" + esc(id)}, nil)
	return err
}

// ListRoleScopes is GET /api/roles/{id}/scopes: each scope with its
// Resource; everything unless o asks for a page.
func (m *ManagementAPI) ListRoleScopes(ctx context.Context, id string, o ListOptions) ([]Scope, error) {
	var out []Scope
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/roles/" + esc(id) + "/scopes", query: o.values()}, &out)
	return out, err
}

// AllRoleScopes iterates over every scope of the role.
func (m *ManagementAPI) AllRoleScopes(ctx context.Context, id string, o ListOptions) iter.Seq2[Scope, error] {
	return all[Scope](m, ctx, "/api/roles/"+esc(id)+"/scopes", o.values, o.PageSize)
}

// AssignRoleScopes is POST /api/roles/{id}/scopes; it returns all the
// role's scopes. A scope the role has already is ErrConflict.
func (m *ManagementAPI) AssignRoleScopes(ctx context.Context, id string, scopeIDs []string) ([]Scope, error) {
	var out []Scope
	_, err := m.do(ctx, call{method: http.MethodPost, path: "/api/roles/" + esc(id) + "/scopes",
		body: map[string][]string{"scopeIds": nonNil(scopeIDs)}}, &out)
	return out, err
}

// DeleteRoleScope is DELETE /api/roles/{id}/scopes/{scopeId}.
func (m *ManagementAPI) DeleteRoleScope(ctx context.Context, id, scopeID string) error {
	_, err := m.do(ctx, call{method: http.MethodDelete, path: "/api/roles/" + esc(id) + "/scopes/" + esc(scopeID)}, nil)
	return err
}

// ListRoleApplications is GET /api/roles/{id}/applications (always
// paginated).
func (m *ManagementAPI) ListRoleApplications(ctx context.Context, id string, o ListOptions) ([]Application, error) {
	var out []Application
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/roles/" + esc(id) + "/applications", query: o.values()}, &out)
	return out, err
}

// AllRoleApplications iterates over every application holding the role.
func (m *ManagementAPI) AllRoleApplications(ctx context.Context, id string, o ListOptions) iter.Seq2[Application, error] {
	return all[Application](m, ctx, "/api/roles/"+esc(id)+"/applications", o.values, o.PageSize)
}

// AssignRoleApplications is POST /api/roles/{id}/applications. An
// application holding the role already is ErrConflict.
func (m *ManagementAPI) AssignRoleApplications(ctx context.Context, id string, applicationIDs []string) error {
	_, err := m.do(ctx, call{method: http.MethodPost, path: "/api/roles/" + esc(id) + "/applications",
		body: map[string][]string{"applicationIds": nonNil(applicationIDs)}}, nil)
	return err
}

// DeleteRoleApplication is DELETE /api/roles/{id}/applications/{applicationId}.
func (m *ManagementAPI) DeleteRoleApplication(ctx context.Context, id, applicationID string) error {
	_, err := m.do(ctx, call{method: http.MethodDelete, path: "/api/roles/" + esc(id) + "/applications/" + esc(applicationID)}, nil)
	return err
}

// ListRoleUsers is GET /api/roles/{id}/users (always paginated).
func (m *ManagementAPI) ListRoleUsers(ctx context.Context, id string, o ListOptions) ([]User, error) {
	var out []User
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/roles/" + esc(id) + "/users", query: o.values()}, &out)
	return out, err
}

// AllRoleUsers iterates over every user holding the role.
func (m *ManagementAPI) AllRoleUsers(ctx context.Context, id string, o ListOptions) iter.Seq2[User, error] {
	return all[User](m, ctx, "/api/roles/"+esc(id)+"/users", o.values, o.PageSize)
}

// AssignRoleUsers is POST /api/roles/{id}/users.
func (m *ManagementAPI) AssignRoleUsers(ctx context.Context, id string, userIDs []string) error {
	_, err := m.do(ctx, call{method: http.MethodPost, path: "/api/roles/" + esc(id) + "/users",
		body: map[string][]string{"userIds": nonNil(userIDs)}}, nil)
	return err
}

// DeleteRoleUser is DELETE /api/roles/{id}/users/{userId}.
func (m *ManagementAPI) DeleteRoleUser(ctx context.Context, id, userID string) error {
	_, err := m.do(ctx, call{method: http.MethodDelete, path: "/api/roles/" + esc(id) + "/users/" + esc(userID)}, nil)
	return err
}
