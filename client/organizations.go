package client

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

func (o OrganizationListOptions) values() url.Values {
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
	if o.ShowFeatured {
		q.Set("showFeatured", "true")
	}
	return q
}

// ListOrganizations is GET /api/organizations.
func (m *ManagementAPI) ListOrganizations(ctx context.Context, o OrganizationListOptions) ([]Organization, error) {
	var out []Organization
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/organizations", query: o.values()}, &out)
	return out, err
}

// AllOrganizations iterates over every organization.
func (m *ManagementAPI) AllOrganizations(ctx context.Context, o OrganizationListOptions) iter.Seq2[Organization, error] {
	return all[Organization](m, ctx, "/api/organizations", o.values, o.PageSize)
}

// CreateOrganization is POST /api/organizations.
func (m *ManagementAPI) CreateOrganization(ctx context.Context, in OrganizationWrite) (*Organization, error) {
	var out Organization
	_, err := m.do(ctx, call{method: http.MethodPost, path: "/api/organizations", body: in}, &out)
	return nilIfErr(&out, err)
}

// GetOrganization is GET /api/organizations/{id}.
func (m *ManagementAPI) GetOrganization(ctx context.Context, id string) (*Organization, error) {
	var out Organization
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/organizations/" + esc(id)}, &out)
	return nilIfErr(&out, err)
}

// UpdateOrganization is PATCH /api/organizations/{id}.
func (m *ManagementAPI) UpdateOrganization(ctx context.Context, id string, in OrganizationWrite) (*Organization, error) {
	var out Organization
	_, err := m.do(ctx, call{method: http.MethodPatch, path: "/api/organizations/" + esc(id), body: in}, &out)
	return nilIfErr(&out, err)
}

// DeleteOrganization is DELETE /api/organizations/{id}.
func (m *ManagementAPI) DeleteOrganization(ctx context.Context, id string) error {
	_, err := m.do(ctx, call{method: http.MethodDelete, path: "/api/organizations/" + esc(id)}, nil)
	return err
}

// ListOrganizationApplications is GET /api/organizations/{id}/applications.
func (m *ManagementAPI) ListOrganizationApplications(ctx context.Context, id string, o OrganizationListOptions) ([]OrganizationMember, error) {
	var out []OrganizationMember
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/organizations/" + esc(id) + "/applications", query: o.values()}, &out)
	return out, err
}

// AddOrganizationApplications is POST /api/organizations/{id}/applications.
func (m *ManagementAPI) AddOrganizationApplications(ctx context.Context, id string, applicationIDs []string) error {
	_, err := m.do(ctx, call{method: http.MethodPost, path: "/api/organizations/" + esc(id) + "/applications",
		body: map[string][]string{"applicationIds": nonNil(applicationIDs)}}, nil)
	return err
}

// ReplaceOrganizationApplications is PUT /api/organizations/{id}/applications.
func (m *ManagementAPI) ReplaceOrganizationApplications(ctx context.Context, id string, applicationIDs []string) error {
	_, err := m.do(ctx, call{method: http.MethodPut, path: "/api/organizations/" + esc(id) + "/applications",
		body: map[string][]string{"applicationIds": nonNil(applicationIDs)}}, nil)
	return err
}

// DeleteOrganizationApplication is DELETE
// /api/organizations/{id}/applications/{applicationId}.
func (m *ManagementAPI) DeleteOrganizationApplication(ctx context.Context, id, applicationID string) error {
	_, err := m.do(ctx, call{method: http.MethodDelete, path: "/api/organizations/" + esc(id) + "/applications/" + esc(applicationID)}, nil)
	return err
}

// AssignOrganizationRolesToApplications is POST
// /api/organizations/{id}/applications/roles: every role to every
// application.
func (m *ManagementAPI) AssignOrganizationRolesToApplications(ctx context.Context, id string, applicationIDs, organizationRoleIDs []string) error {
	_, err := m.do(ctx, call{method: http.MethodPost, path: "/api/organizations/" + esc(id) + "/applications/roles",
		body: map[string][]string{"applicationIds": nonNil(applicationIDs), "organizationRoleIds": nonNil(organizationRoleIDs)}}, nil)
	return err
}

// ListOrganizationApplicationRoles is GET
// /api/organizations/{id}/applications/{applicationId}/roles.
func (m *ManagementAPI) ListOrganizationApplicationRoles(ctx context.Context, id, applicationID string, o OrganizationListOptions) ([]OrganizationRole, error) {
	var out []OrganizationRole
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/organizations/" + esc(id) + "/applications/" + esc(applicationID) + "/roles", query: o.values()}, &out)
	return out, err
}

// AssignOrganizationApplicationRoles is POST
// /api/organizations/{id}/applications/{applicationId}/roles.
func (m *ManagementAPI) AssignOrganizationApplicationRoles(ctx context.Context, id, applicationID string, organizationRoleIDs []string) error {
	_, err := m.do(ctx, call{method: http.MethodPost, path: "/api/organizations/" + esc(id) + "/applications/" + esc(applicationID) + "/roles",
		body: map[string][]string{"organizationRoleIds": nonNil(organizationRoleIDs)}}, nil)
	return err
}

// ReplaceOrganizationApplicationRoles is PUT
// /api/organizations/{id}/applications/{applicationId}/roles.
func (m *ManagementAPI) ReplaceOrganizationApplicationRoles(ctx context.Context, id, applicationID string, organizationRoleIDs []string) error {
	_, err := m.do(ctx, call{method: http.MethodPut, path: "/api/organizations/" + esc(id) + "/applications/" + esc(applicationID) + "/roles",
		body: map[string][]string{"organizationRoleIds": nonNil(organizationRoleIDs)}}, nil)
	return err
}

// DeleteOrganizationApplicationRole is DELETE
// /api/organizations/{id}/applications/{applicationId}/roles/{organizationRoleId}.
func (m *ManagementAPI) DeleteOrganizationApplicationRole(ctx context.Context, id, applicationID, organizationRoleID string) error {
	_, err := m.do(ctx, call{method: http.MethodDelete,
		path: "/api/organizations/" + esc(id) + "/applications/" + esc(applicationID) + "/roles/" + esc(organizationRoleID)}, nil)
	return err
}

// ListApplicationOrganizations is GET /api/applications/{id}/organizations:
// the organizations the application is a member of, with its roles there.
func (m *ManagementAPI) ListApplicationOrganizations(ctx context.Context, id string, o OrganizationListOptions) ([]Organization, error) {
	var out []Organization
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/applications/" + esc(id) + "/organizations", query: o.values()}, &out)
	return out, err
}

// ListOrganizationScopes is GET /api/organization-scopes.
func (m *ManagementAPI) ListOrganizationScopes(ctx context.Context, o OrganizationListOptions) ([]OrganizationScope, error) {
	var out []OrganizationScope
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/organization-scopes", query: o.values()}, &out)
	return out, err
}

// CreateOrganizationScope is POST /api/organization-scopes.
func (m *ManagementAPI) CreateOrganizationScope(ctx context.Context, in OrganizationScopeWrite) (*OrganizationScope, error) {
	var out OrganizationScope
	_, err := m.do(ctx, call{method: http.MethodPost, path: "/api/organization-scopes", body: in}, &out)
	return nilIfErr(&out, err)
}

// GetOrganizationScope is GET /api/organization-scopes/{id}.
func (m *ManagementAPI) GetOrganizationScope(ctx context.Context, id string) (*OrganizationScope, error) {
	var out OrganizationScope
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/organization-scopes/" + esc(id)}, &out)
	return nilIfErr(&out, err)
}

// UpdateOrganizationScope is PATCH /api/organization-scopes/{id}.
func (m *ManagementAPI) UpdateOrganizationScope(ctx context.Context, id string, in OrganizationScopeWrite) (*OrganizationScope, error) {
	var out OrganizationScope
	_, err := m.do(ctx, call{method: http.MethodPatch, path: "/api/organization-scopes/" + esc(id), body: in}, &out)
	return nilIfErr(&out, err)
}

// DeleteOrganizationScope is DELETE /api/organization-scopes/{id}.
func (m *ManagementAPI) DeleteOrganizationScope(ctx context.Context, id string) error {
	_, err := m.do(ctx, call{method: http.MethodDelete, path: "/api/organization-scopes/" + esc(id)}, nil)
	return err
}

// ListOrganizationRoles is GET /api/organization-roles, with each role's
// scopes.
func (m *ManagementAPI) ListOrganizationRoles(ctx context.Context, o OrganizationListOptions) ([]OrganizationRole, error) {
	var out []OrganizationRole
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/organization-roles", query: o.values()}, &out)
	return out, err
}

// CreateOrganizationRole is POST /api/organization-roles.
func (m *ManagementAPI) CreateOrganizationRole(ctx context.Context, in OrganizationRoleCreate) (*OrganizationRole, error) {
	var out OrganizationRole
	_, err := m.do(ctx, call{method: http.MethodPost, path: "/api/organization-roles", body: in}, &out)
	return nilIfErr(&out, err)
}

// GetOrganizationRole is GET /api/organization-roles/{id}.
func (m *ManagementAPI) GetOrganizationRole(ctx context.Context, id string) (*OrganizationRole, error) {
	var out OrganizationRole
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/organization-roles/" + esc(id)}, &out)
	return nilIfErr(&out, err)
}

// UpdateOrganizationRole is PATCH /api/organization-roles/{id}.
func (m *ManagementAPI) UpdateOrganizationRole(ctx context.Context, id string, in OrganizationRoleUpdate) (*OrganizationRole, error) {
	var out OrganizationRole
	_, err := m.do(ctx, call{method: http.MethodPatch, path: "/api/organization-roles/" + esc(id), body: in}, &out)
	return nilIfErr(&out, err)
}

// DeleteOrganizationRole is DELETE /api/organization-roles/{id}.
func (m *ManagementAPI) DeleteOrganizationRole(ctx context.Context, id string) error {
	_, err := m.do(ctx, call{method: http.MethodDelete, path: "/api/organization-roles/" + esc(id)}, nil)
	return err
}

// ListOrganizationRoleScopes is GET /api/organization-roles/{id}/scopes.
func (m *ManagementAPI) ListOrganizationRoleScopes(ctx context.Context, id string, o OrganizationListOptions) ([]OrganizationScope, error) {
	var out []OrganizationScope
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/organization-roles/" + esc(id) + "/scopes", query: o.values()}, &out)
	return out, err
}

// AddOrganizationRoleScopes is POST /api/organization-roles/{id}/scopes.
func (m *ManagementAPI) AddOrganizationRoleScopes(ctx context.Context, id string, organizationScopeIDs []string) error {
	_, err := m.do(ctx, call{method: http.MethodPost, path: "/api/organization-roles/" + esc(id) + "/scopes",
		body: map[string][]string{"organizationScopeIds": nonNil(organizationScopeIDs)}}, nil)
	return err
}

// ReplaceOrganizationRoleScopes is PUT /api/organization-roles/{id}/scopes.
func (m *ManagementAPI) ReplaceOrganizationRoleScopes(ctx context.Context, id string, organizationScopeIDs []string) error {
	_, err := m.do(ctx, call{method: http.MethodPut, path: "/api/organization-roles/" + esc(id) + "/scopes",
		body: map[string][]string{"organizationScopeIds": nonNil(organizationScopeIDs)}}, nil)
	return err
}

// DeleteOrganizationRoleScope is DELETE
// /api/organization-roles/{id}/scopes/{organizationScopeId}.
func (m *ManagementAPI) DeleteOrganizationRoleScope(ctx context.Context, id, organizationScopeID string) error {
	_, err := m.do(ctx, call{method: http.MethodDelete, path: "/api/organization-roles/" + esc(id) + "/scopes/" + esc(organizationScopeID)}, nil)
	return err
}

// ListOrganizationRoleResourceScopes is GET
// /api/organization-roles/{id}/resource-scopes.
func (m *ManagementAPI) ListOrganizationRoleResourceScopes(ctx context.Context, id string, o OrganizationListOptions) ([]Scope, error) {
	var out []Scope
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/organization-roles/" + esc(id) + "/resource-scopes", query: o.values()}, &out)
	return out, err
}

// AddOrganizationRoleResourceScopes is POST
// /api/organization-roles/{id}/resource-scopes.
func (m *ManagementAPI) AddOrganizationRoleResourceScopes(ctx context.Context, id string, scopeIDs []string) error {
	_, err := m.do(ctx, call{method: http.MethodPost, path: "/api/organization-roles/" + esc(id) + "/resource-scopes",
		body: map[string][]string{"scopeIds": nonNil(scopeIDs)}}, nil)
	return err
}

// ReplaceOrganizationRoleResourceScopes is PUT
// /api/organization-roles/{id}/resource-scopes.
func (m *ManagementAPI) ReplaceOrganizationRoleResourceScopes(ctx context.Context, id string, scopeIDs []string) error {
	_, err := m.do(ctx, call{method: http.MethodPut, path: "/api/organization-roles/" + esc(id) + "/resource-scopes",
		body: map[string][]string{"scopeIds": nonNil(scopeIDs)}}, nil)
	return err
}

// DeleteOrganizationRoleResourceScope is DELETE
// /api/organization-roles/{id}/resource-scopes/{scopeId}.
func (m *ManagementAPI) DeleteOrganizationRoleResourceScope(ctx context.Context, id, scopeID string) error {
	_, err := m.do(ctx, call{method: http.MethodDelete, path: "/api/organization-roles/" + esc(id) + "/resource-scopes/" + esc(scopeID)}, nil)
	return err
}

// ListJwtCustomizers is GET /api/configs/jwt-customizer.
func (m *ManagementAPI) ListJwtCustomizers(ctx context.Context) ([]JWTCustomizerEntry, error) {
	var out []JWTCustomizerEntry
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/configs/jwt-customizer"}, &out)
	return out, err
}

// GetJwtCustomizerClientCredentials is GET
// /api/configs/jwt-customizer/client-credentials.
func (m *ManagementAPI) GetJwtCustomizerClientCredentials(ctx context.Context) (*JWTCustomizer, error) {
	var out JWTCustomizer
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/configs/jwt-customizer/client-credentials"}, &out)
	return nilIfErr(&out, err)
}

// UpsertJwtCustomizerClientCredentials is PUT
// /api/configs/jwt-customizer/client-credentials.
func (m *ManagementAPI) UpsertJwtCustomizerClientCredentials(ctx context.Context, in JWTCustomizer) (*JWTCustomizer, error) {
	var out JWTCustomizer
	_, err := m.do(ctx, call{method: http.MethodPut, path: "/api/configs/jwt-customizer/client-credentials", body: in}, &out)
	return nilIfErr(&out, err)
}

// UpdateJwtCustomizerClientCredentials is PATCH
// /api/configs/jwt-customizer/client-credentials.
func (m *ManagementAPI) UpdateJwtCustomizerClientCredentials(ctx context.Context, in JWTCustomizer) (*JWTCustomizer, error) {
	var out JWTCustomizer
	_, err := m.do(ctx, call{method: http.MethodPatch, path: "/api/configs/jwt-customizer/client-credentials", body: in}, &out)
	return nilIfErr(&out, err)
}

// DeleteJwtCustomizerClientCredentials is DELETE
// /api/configs/jwt-customizer/client-credentials.
func (m *ManagementAPI) DeleteJwtCustomizerClientCredentials(ctx context.Context) error {
	_, err := m.do(ctx, call{method: http.MethodDelete, path: "/api/configs/jwt-customizer/client-credentials"}, nil)
	return err
}

// TestJwtCustomizer is POST /api/configs/jwt-customizer/test: runs a script
// on a sample token and returns the claims it would add.
func (m *ManagementAPI) TestJwtCustomizer(ctx context.Context, in JWTCustomizerTest) (map[string]any, error) {
	if in.TokenType == "" {
		in.TokenType = "client-credentials"
	}
	if in.Token == nil {
		in.Token = map[string]any{}
	}
	var out map[string]any
	_, err := m.do(ctx, call{method: http.MethodPost, path: "/api/configs/jwt-customizer/test", body: in}, &out)
	return out, err
}
