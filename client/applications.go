package client

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

func (p ListApplicationsParams) values() url.Values {
	q := p.ListOptions.values()
	for _, t := range p.Types {
		q.Add("types", t)
	}
	if p.ExcludeRoleID != "" {
		q.Set("excludeRoleId", p.ExcludeRoleID)
	}
	if p.ExcludeOrganizationID != "" {
		q.Set("excludeOrganizationId", p.ExcludeOrganizationID)
	}
	if p.IsThirdParty != nil {
		q.Set("isThirdParty", strconv.FormatBool(*p.IsThirdParty))
	}
	return q
}

// ListApplications is GET /api/applications: newest first; everything
// unless p asks for a page.
func (m *ManagementAPI) ListApplications(ctx context.Context, p ListApplicationsParams) ([]Application, error) {
	var out []Application
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/applications", query: p.values()}, &out)
	return out, err
}

// AllApplications iterates over every application matching p, page by page
// (p.PageSize a page, 100 if 0; p.Page is ignored).
func (m *ManagementAPI) AllApplications(ctx context.Context, p ListApplicationsParams) iter.Seq2[Application, error] {
	return all[Application](m, ctx, "/api/applications", p.values, p.PageSize)
}

// CreateApplication is POST /api/applications. A MachineToMachine
// application gets a secret named "Default secret" (ListApplicationSecrets
// shows it).
func (m *ManagementAPI) CreateApplication(ctx context.Context, in ApplicationCreate) (*Application, error) {
	if in.Type == "" {
		in.Type = TypeMachineToMachine
	}
	var out Application
	_, err := m.do(ctx, call{method: http.MethodPost, path: "/api/applications", body: in}, &out)
	return nilIfErr(&out, err)
}

// GetApplication is GET /api/applications/{id}, with IsAdmin set.
func (m *ManagementAPI) GetApplication(ctx context.Context, id string) (*Application, error) {
	var out Application
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/applications/" + esc(id)}, &out)
	return nilIfErr(&out, err)
}

// UpdateApplication is PATCH /api/applications/{id}.
func (m *ManagementAPI) UpdateApplication(ctx context.Context, id string, in ApplicationUpdate) (*Application, error) {
	var out Application
	_, err := m.do(ctx, call{method: http.MethodPatch, path: "/api/applications/" + esc(id), body: in}, &out)
	return nilIfErr(&out, err)
}

// DeleteApplication is DELETE /api/applications/{id}: its secrets and role
// assignments go too.
func (m *ManagementAPI) DeleteApplication(ctx context.Context, id string) error {
	_, err := m.do(ctx, call{method: http.MethodDelete, path: "/api/applications/" + esc(id)}, nil)
	return err
}

// ListApplicationSecrets is GET /api/applications/{id}/secrets, with the
// values.
func (m *ManagementAPI) ListApplicationSecrets(ctx context.Context, id string) ([]ApplicationSecret, error) {
	var out []ApplicationSecret
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/applications/" + esc(id) + "/secrets"}, &out)
	return out, err
}

// CreateApplicationSecret is POST /api/applications/{id}/secrets.
func (m *ManagementAPI) CreateApplicationSecret(ctx context.Context, id string, in SecretCreate) (*ApplicationSecret, error) {
	var out ApplicationSecret
	_, err := m.do(ctx, call{method: http.MethodPost, path: "/api/applications/" + esc(id) + "/secrets", body: in}, &out)
	return nilIfErr(&out, err)
}

// UpdateApplicationSecret is PATCH /api/applications/{id}/secrets/{name}:
// it renames the secret.
func (m *ManagementAPI) UpdateApplicationSecret(ctx context.Context, id, name, newName string) (*ApplicationSecret, error) {
	var out ApplicationSecret
	_, err := m.do(ctx, call{method: http.MethodPatch, path: "/api/applications/" + esc(id) + "/secrets/" + esc(name),
		body: map[string]string{"name": newName}}, &out)
	return nilIfErr(&out, err)
}

// DeleteApplicationSecret is DELETE /api/applications/{id}/secrets/{name}:
// the secret stops working at once.
func (m *ManagementAPI) DeleteApplicationSecret(ctx context.Context, id, name string) error {
	_, err := m.do(ctx, call{method: http.MethodDelete, path: "/api/applications/" + esc(id) + "/secrets/" + esc(name)}, nil)
	return err
}

// DeleteApplicationLegacySecret is DELETE
// /api/applications/{id}/legacy-secret.
func (m *ManagementAPI) DeleteApplicationLegacySecret(ctx context.Context, id string) (*Application, error) {
	var out Application
	_, err := m.do(ctx, call{method: http.MethodDelete, path: "/api/applications/" + esc(id) + "/legacy-secret"}, &out)
	return nilIfErr(&out, err)
}

// ListApplicationRoles is GET /api/applications/{id}/roles (always
// paginated).
func (m *ManagementAPI) ListApplicationRoles(ctx context.Context, id string, o ListOptions) ([]Role, error) {
	var out []Role
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/applications/" + esc(id) + "/roles", query: o.values()}, &out)
	return out, err
}

// AllApplicationRoles iterates over every role of the application.
func (m *ManagementAPI) AllApplicationRoles(ctx context.Context, id string, o ListOptions) iter.Seq2[Role, error] {
	return all[Role](m, ctx, "/api/applications/"+esc(id)+"/roles", o.values, o.PageSize)
}

// AssignApplicationRoles is POST /api/applications/{id}/roles; roles held
// already are skipped.
func (m *ManagementAPI) AssignApplicationRoles(ctx context.Context, id string, roleIDs []string) (*AssignedRoles, error) {
	var out AssignedRoles
	_, err := m.do(ctx, call{method: http.MethodPost, path: "/api/applications/" + esc(id) + "/roles",
		body: map[string][]string{"roleIds": nonNil(roleIDs)}}, &out)
	return nilIfErr(&out, err)
}

// ReplaceApplicationRoles is PUT /api/applications/{id}/roles.
func (m *ManagementAPI) ReplaceApplicationRoles(ctx context.Context, id string, roleIDs []string) error {
	_, err := m.do(ctx, call{method: http.MethodPut, path: "/api/applications/" + esc(id) + "/roles",
		body: map[string][]string{"roleIds": nonNil(roleIDs)}}, nil)
	return err
}

// DeleteApplicationRole is DELETE /api/applications/{id}/roles/{roleId}.
func (m *ManagementAPI) DeleteApplicationRole(ctx context.Context, id, roleID string) error {
	_, err := m.do(ctx, call{method: http.MethodDelete, path: "/api/applications/" + esc(id) + "/roles/" + esc(roleID)}, nil)
	return err
}

// UpdateApplicationCustomData is PATCH /api/applications/{id}/custom-data:
// a shallow merge; it returns the custom data after it.
func (m *ManagementAPI) UpdateApplicationCustomData(ctx context.Context, id string, data map[string]any) (map[string]any, error) {
	var out map[string]any
	if data == nil {
		data = map[string]any{}
	}
	_, err := m.do(ctx, call{method: http.MethodPatch, path: "/api/applications/" + esc(id) + "/custom-data", body: data}, &out)
	return out, err
}

// nilIfErr returns (nil, err) on failure, so no half-filled value escapes.
func nilIfErr[T any](v *T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return v, nil
}

// nonNil makes a nil slice encode as [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ListApplicationFederatedCredentials is GET /api/applications/{id}/federated-credentials
// (Gatehouse only).
func (m *ManagementAPI) ListApplicationFederatedCredentials(ctx context.Context, id string) ([]FederatedCredential, error) {
	var out []FederatedCredential
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/applications/" + esc(id) + "/federated-credentials"}, &out)
	return out, err
}

// CreateApplicationFederatedCredential is POST
// /api/applications/{id}/federated-credentials (Gatehouse only): tokens of
// that external identity then authenticate the application.
func (m *ManagementAPI) CreateApplicationFederatedCredential(ctx context.Context, id string, in FederatedCredentialCreate) (*FederatedCredential, error) {
	var out FederatedCredential
	_, err := m.do(ctx, call{method: http.MethodPost, path: "/api/applications/" + esc(id) + "/federated-credentials", body: in}, &out)
	return nilIfErr(&out, err)
}

// DeleteApplicationFederatedCredential is DELETE
// /api/applications/{id}/federated-credentials/{credentialId} (Gatehouse
// only): its tokens stop working at once.
func (m *ManagementAPI) DeleteApplicationFederatedCredential(ctx context.Context, id, credentialID string) error {
	_, err := m.do(ctx, call{method: http.MethodDelete, path: "/api/applications/" + esc(id) + "/federated-credentials/" + esc(credentialID)}, nil)
	return err
}
