package management

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/store"
)

// organizationScopeRoutes registers /api/organization-scopes.
func (a *api) organizationScopeRoutes() {
	a.handle("GET /api/organization-scopes", a.listOrganizationScopes)
	a.handle("POST /api/organization-scopes", a.createOrganizationScope)
	a.handle("GET /api/organization-scopes/{id}", a.getOrganizationScope)
	a.handle("PATCH /api/organization-scopes/{id}", a.patchOrganizationScope)
	a.handle("DELETE /api/organization-scopes/{id}", a.deleteOrganizationScope)
}

// templateBody reads the name and description of an organization scope or
// role (POST requires the name).
func templateBody(g *Guard, create bool) (u store.TemplateUpdate) {
	if v, ok := g.String("name", StrRule{Required: create, Min: 1, Max: 128}); ok {
		u.Name = &v
	}
	u.Description, u.DescriptionSet = g.NullableString("description", 256)
	return u
}

// listOrganizationScopes: pagination is optional, as in Logto
// (isPaginationOptional): without page or page_size every scope comes back.
func (a *api) listOrganizationScopes(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePager(r, false)
	if err != nil {
		return err
	}
	list, total, err := a.svc.ListOrganizationScopes(r.Context(), keywordSearch(r, "name"), p)
	if err != nil {
		return err
	}
	a.writePaging(w, r, p, total)
	return writeJSON(w, http.StatusOK, list)
}

func (a *api) createOrganizationScope(w http.ResponseWriter, r *http.Request) error {
	g := BodyGuard(w, r)
	u := templateBody(g, true)
	if err := g.Err(); err != nil {
		return err
	}
	sc, err := a.svc.CreateOrganizationScope(r.Context(), *u.Name, u.Description)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, sc)
}

func (a *api) getOrganizationScope(w http.ResponseWriter, r *http.Request) error {
	sc, err := a.svc.GetOrganizationScope(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sc)
}

func (a *api) patchOrganizationScope(w http.ResponseWriter, r *http.Request) error {
	g := BodyGuard(w, r)
	u := templateBody(g, false)
	if err := g.Err(); err != nil {
		return err
	}
	sc, err := a.svc.UpdateOrganizationScope(r.Context(), r.PathValue("id"), u)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sc)
}

func (a *api) deleteOrganizationScope(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.DeleteOrganizationScope(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return noContent(w)
}
