package client

import (
	"context"
	"iter"
	"net/http"
	"net/url"
)

func (p ListResourcesParams) values() url.Values {
	q := p.ListOptions.values()
	if p.IncludeScopes {
		q.Set("includeScopes", "true")
	}
	return q
}

// ListResources is GET /api/resources (the Management API resource
// included); everything unless p asks for a page.
func (m *ManagementAPI) ListResources(ctx context.Context, p ListResourcesParams) ([]Resource, error) {
	var out []Resource
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/resources", query: p.values()}, &out)
	return out, err
}

// AllResources iterates over every resource, page by page.
func (m *ManagementAPI) AllResources(ctx context.Context, p ListResourcesParams) iter.Seq2[Resource, error] {
	return all[Resource](m, ctx, "/api/resources", p.values, p.PageSize)
}

// CreateResource is POST /api/resources. An indicator in use is ErrConflict.
func (m *ManagementAPI) CreateResource(ctx context.Context, in ResourceCreate) (*Resource, error) {
	var out Resource
	_, err := m.do(ctx, call{method: http.MethodPost, path: "/api/resources", body: in}, &out)
	return nilIfErr(&out, err)
}

// GetResource is GET /api/resources/{id}.
func (m *ManagementAPI) GetResource(ctx context.Context, id string) (*Resource, error) {
	var out Resource
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/resources/" + esc(id)}, &out)
	return nilIfErr(&out, err)
}

// UpdateResource is PATCH /api/resources/{id}.
func (m *ManagementAPI) UpdateResource(ctx context.Context, id string, in ResourceUpdate) (*Resource, error) {
	var out Resource
	_, err := m.do(ctx, call{method: http.MethodPatch, path: "/api/resources/" + esc(id), body: in}, &out)
	return nilIfErr(&out, err)
}

// DeleteResource is DELETE /api/resources/{id}: its scopes go too.
func (m *ManagementAPI) DeleteResource(ctx context.Context, id string) error {
	_, err := m.do(ctx, call{method: http.MethodDelete, path: "/api/resources/" + esc(id)}, nil)
	return err
}

// UpdateResourceIsDefault is PATCH /api/resources/{id}/is-default: the
// default resource serves token requests without a resource.
func (m *ManagementAPI) UpdateResourceIsDefault(ctx context.Context, id string, isDefault bool) (*Resource, error) {
	var out Resource
	_, err := m.do(ctx, call{method: http.MethodPatch, path: "/api/resources/" + esc(id) + "/is-default",
		body: map[string]bool{"isDefault": isDefault}}, &out)
	return nilIfErr(&out, err)
}

// ListResourceScopes is GET /api/resources/{resourceId}/scopes (always
// paginated).
func (m *ManagementAPI) ListResourceScopes(ctx context.Context, resourceID string, o ListOptions) ([]Scope, error) {
	var out []Scope
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/resources/" + esc(resourceID) + "/scopes", query: o.values()}, &out)
	return out, err
}

// AllResourceScopes iterates over every scope of the resource.
func (m *ManagementAPI) AllResourceScopes(ctx context.Context, resourceID string, o ListOptions) iter.Seq2[Scope, error] {
	return all[Scope](m, ctx, "/api/resources/"+esc(resourceID)+"/scopes", o.values, o.PageSize)
}

// CreateResourceScope is POST /api/resources/{resourceId}/scopes. A name in
// use within the resource is ErrConflict.
func (m *ManagementAPI) CreateResourceScope(ctx context.Context, resourceID string, in ScopeCreate) (*Scope, error) {
	var out Scope
	_, err := m.do(ctx, call{method: http.MethodPost, path: "/api/resources/" + esc(resourceID) + "/scopes", body: in}, &out)
	return nilIfErr(&out, err)
}

// UpdateResourceScope is PATCH /api/resources/{resourceId}/scopes/{scopeId}.
func (m *ManagementAPI) UpdateResourceScope(ctx context.Context, resourceID, scopeID string, in ScopeUpdate) (*Scope, error) {
	var out Scope
	_, err := m.do(ctx, call{method: http.MethodPatch, path: "/api/resources/" + esc(resourceID) + "/scopes/" + esc(scopeID), body: in}, &out)
	return nilIfErr(&out, err)
}

// DeleteResourceScope is DELETE /api/resources/{resourceId}/scopes/{scopeId}.
func (m *ManagementAPI) DeleteResourceScope(ctx context.Context, resourceID, scopeID string) error {
	_, err := m.do(ctx, call{method: http.MethodDelete, path: "/api/resources/" + esc(resourceID) + "/scopes/" + esc(scopeID)}, nil)
	return err
}
