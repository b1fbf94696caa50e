package management

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// scopeSearchFields are the fields a scope list searches.
var scopeSearchFields = []string{"id", "name", "description"}

// scopeRoutes registers the routes of a resource's scopes (spec §4.7).
func (a *api) scopeRoutes() {
	a.handle("GET /api/resources/{resourceId}/scopes", a.listResourceScopes)
	a.handle("POST /api/resources/{resourceId}/scopes", a.createScope)
	a.handle("PATCH /api/resources/{resourceId}/scopes/{scopeId}", a.patchScope)
	a.handle("DELETE /api/resources/{resourceId}/scopes/{scopeId}", a.deleteScope)
}

func (a *api) listResourceScopes(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePager(r, true)
	if err != nil {
		return err
	}
	search, err := parseSearch(r.URL.Query(), scopeSearchFields)
	if err != nil {
		return err
	}
	list, total, err := a.svc.ListResourceScopes(r.Context(), r.PathValue("resourceId"), search, p)
	if err != nil {
		return err
	}
	a.writePaging(w, r, p, total)
	return writeJSON(w, http.StatusOK, list)
}

func (a *api) createScope(w http.ResponseWriter, r *http.Request) error {
	g := BodyGuard(w, r)
	name, _ := g.String("name", StrRule{Required: true, Min: 1, Max: 256})
	description, _ := g.NullableString("description", rbac.MaxDescription)
	if err := g.Err(); err != nil {
		return err
	}
	sc, err := a.svc.CreateScope(r.Context(), r.PathValue("resourceId"), name, description)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, sc)
}

func (a *api) patchScope(w http.ResponseWriter, r *http.Request) error {
	g := BodyGuard(w, r)
	var u store.ScopeUpdate
	if v, ok := g.String("name", StrRule{Min: 1, Max: 256}); ok {
		u.Name = &v
	}
	u.Description, u.SetDescription = g.NullableString("description", rbac.MaxDescription)
	if err := g.Err(); err != nil {
		return err
	}
	sc, err := a.svc.UpdateScope(r.Context(), r.PathValue("resourceId"), r.PathValue("scopeId"), u)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sc)
}

func (a *api) deleteScope(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.DeleteScope(r.Context(), r.PathValue("resourceId"), r.PathValue("scopeId")); err != nil {
		return err
	}
	return noContent(w)
}
