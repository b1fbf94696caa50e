package client

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// OrganizationUser is a user member of an organization, with its
// organization roles there.
type OrganizationUser struct {
	User
	OrganizationRoles []OrganizationRoleRef `json:"organizationRoles"`
}

// OrganizationUserListOptions page and filter ListOrganizationUsers.
type OrganizationUserListOptions struct {
	Page, PageSize int
	// Q is a case-insensitive substring of the id, username, email, phone or
	// name.
	Q string
	// OrganizationRoleID keeps the members holding that organization role.
	OrganizationRoleID string
}

func (o OrganizationUserListOptions) values() url.Values {
	q := url.Values{}
	if o.Page > 0 {
		q.Set("page", strconv.Itoa(o.Page))
	}
	if o.PageSize > 0 {
		q.Set("page_size", strconv.Itoa(o.PageSize))
	}
	if o.Q != "" {
		q.Set("q", o.Q)
	}
	if o.OrganizationRoleID != "" {
		q.Set("organizationRoleId", o.OrganizationRoleID)
	}
	return q
}

// OrganizationUserRoles names organization roles by id, by name, or both,
// for AssignOrganizationRolesToUser and ReplaceOrganizationUserRoles.
type OrganizationUserRoles struct {
	IDs   []string `json:"organizationRoleIds,omitempty"`
	Names []string `json:"organizationRoleNames,omitempty"`
}

func orgUsersPath(id string) string { return "/api/organizations/" + esc(id) + "/users" }

// ListOrganizationUsers is GET /api/organizations/{id}/users: a page of
// the organization's member users, by user id.
func (m *ManagementAPI) ListOrganizationUsers(ctx context.Context, id string, o OrganizationUserListOptions) ([]OrganizationUser, error) {
	var out []OrganizationUser
	_, err := m.do(ctx, call{method: http.MethodGet, path: orgUsersPath(id), query: o.values()}, &out)
	return out, err
}

// AllOrganizationUsers iterates over every member user of an
// organization.
func (m *ManagementAPI) AllOrganizationUsers(ctx context.Context, id string, o OrganizationUserListOptions) iter.Seq2[OrganizationUser, error] {
	return all[OrganizationUser](m, ctx, orgUsersPath(id), o.values, o.PageSize)
}

// AddOrganizationUsers is POST /api/organizations/{id}/users; members
// already in stay.
func (m *ManagementAPI) AddOrganizationUsers(ctx context.Context, id string, userIDs []string) error {
	_, err := m.do(ctx, call{method: http.MethodPost, path: orgUsersPath(id),
		body: map[string][]string{"userIds": nonNil(userIDs)}}, nil)
	return err
}

// ReplaceOrganizationUsers is PUT /api/organizations/{id}/users: the users
// left out leave, with their roles there.
func (m *ManagementAPI) ReplaceOrganizationUsers(ctx context.Context, id string, userIDs []string) error {
	_, err := m.do(ctx, call{method: http.MethodPut, path: orgUsersPath(id),
		body: map[string][]string{"userIds": nonNil(userIDs)}}, nil)
	return err
}

// DeleteOrganizationUser is DELETE /api/organizations/{id}/users/{userId}.
func (m *ManagementAPI) DeleteOrganizationUser(ctx context.Context, id, userID string) error {
	_, err := m.do(ctx, call{method: http.MethodDelete, path: orgUsersPath(id) + "/" + esc(userID)}, nil)
	return err
}

// AssignOrganizationRolesToUsers is POST
// /api/organizations/{id}/users/roles: every role to every member user.
func (m *ManagementAPI) AssignOrganizationRolesToUsers(ctx context.Context, id string, userIDs, organizationRoleIDs []string) error {
	_, err := m.do(ctx, call{method: http.MethodPost, path: orgUsersPath(id) + "/roles",
		body: map[string][]string{"userIds": nonNil(userIDs), "organizationRoleIds": nonNil(organizationRoleIDs)}}, nil)
	return err
}

// ListOrganizationUserRoles is GET
// /api/organizations/{id}/users/{userId}/roles (every role when o has no
// page).
func (m *ManagementAPI) ListOrganizationUserRoles(ctx context.Context, id, userID string, o OrganizationListOptions) ([]OrganizationRole, error) {
	var out []OrganizationRole
	_, err := m.do(ctx, call{method: http.MethodGet, path: orgUsersPath(id) + "/" + esc(userID) + "/roles", query: o.values()}, &out)
	return out, err
}

// AssignOrganizationRolesToUser is POST
// /api/organizations/{id}/users/{userId}/roles. It returns the role ids
// given, names resolved, without repeats.
func (m *ManagementAPI) AssignOrganizationRolesToUser(ctx context.Context, id, userID string, roles OrganizationUserRoles) ([]string, error) {
	var out struct {
		IDs []string `json:"organizationRoleIds"`
	}
	_, err := m.do(ctx, call{method: http.MethodPost, path: orgUsersPath(id) + "/" + esc(userID) + "/roles", body: roles}, &out)
	return out.IDs, err
}

// ReplaceOrganizationUserRoles is PUT
// /api/organizations/{id}/users/{userId}/roles.
func (m *ManagementAPI) ReplaceOrganizationUserRoles(ctx context.Context, id, userID string, roles OrganizationUserRoles) error {
	_, err := m.do(ctx, call{method: http.MethodPut, path: orgUsersPath(id) + "/" + esc(userID) + "/roles", body: roles}, nil)
	return err
}

// DeleteOrganizationUserRole is DELETE
// /api/organizations/{id}/users/{userId}/roles/{organizationRoleId}.
func (m *ManagementAPI) DeleteOrganizationUserRole(ctx context.Context, id, userID, organizationRoleID string) error {
	_, err := m.do(ctx, call{method: http.MethodDelete,
		path: orgUsersPath(id) + "/" + esc(userID) + "/roles/" + esc(organizationRoleID)}, nil)
	return err
}

// ListOrganizationUserScopes is GET
// /api/organizations/{id}/users/{userId}/scopes: the organization scopes
// the user's roles there grant.
func (m *ManagementAPI) ListOrganizationUserScopes(ctx context.Context, id, userID string) ([]OrganizationScope, error) {
	var out []OrganizationScope
	_, err := m.do(ctx, call{method: http.MethodGet, path: orgUsersPath(id) + "/" + esc(userID) + "/scopes"}, &out)
	return out, err
}

// ListUserOrganizations is GET /api/users/{userId}/organizations: every
// organization the user is a member of, with its roles there.
func (m *ManagementAPI) ListUserOrganizations(ctx context.Context, userID string) ([]Organization, error) {
	var out []Organization
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/users/" + esc(userID) + "/organizations"}, &out)
	return out, err
}
