package management

import (
	"net/http"
)

// organizationRoleRoutes registers /api/organization-roles with their
// organization scopes and resource scopes.
func (a *api) organizationRoleRoutes() {
	a.handle("GET /api/organization-roles", a.listOrganizationRoles)
	a.handle("POST /api/organization-roles", a.createOrganizationRole)
	a.handle("GET /api/organization-roles/{id}", a.getOrganizationRole)
	a.handle("PATCH /api/organization-roles/{id}", a.patchOrganizationRole)
	a.handle("DELETE /api/organization-roles/{id}", a.deleteOrganizationRole)
	a.handle("GET /api/organization-roles/{id}/scopes", a.listOrganizationRoleScopes(false))
	a.handle("POST /api/organization-roles/{id}/scopes", a.setOrganizationRoleScopes(false, false))
	a.handle("PUT /api/organization-roles/{id}/scopes", a.setOrganizationRoleScopes(false, true))
	a.handle("DELETE /api/organization-roles/{id}/scopes/{organizationScopeId}", a.removeOrganizationRoleScope(false))
	a.handle("GET /api/organization-roles/{id}/resource-scopes", a.listOrganizationRoleScopes(true))
	a.handle("POST /api/organization-roles/{id}/resource-scopes", a.setOrganizationRoleScopes(true, false))
	a.handle("PUT /api/organization-roles/{id}/resource-scopes", a.setOrganizationRoleScopes(true, true))
	a.handle("DELETE /api/organization-roles/{id}/resource-scopes/{scopeId}", a.removeOrganizationRoleScope(true))
}

func (a *api) listOrganizationRoles(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePager(r, true)
	if err != nil {
		return err
	}
	list, total, err := a.svc.ListOrganizationRoles(r.Context(), keywordSearch(r, "id", "name", "description"), p)
	if err != nil {
		return err
	}
	a.writePaging(w, r, p, total)
	return writeJSON(w, http.StatusOK, list)
}

func (a *api) createOrganizationRole(w http.ResponseWriter, r *http.Request) error {
	g := BodyGuard(w, r)
	u := templateBody(g, true)
	in := OrganizationRoleInput{Description: u.Description, Type: roleType(g, "type")}
	in.OrganizationScopeIDs, _ = g.Strings("organizationScopeIds", false, 0, 0)
	in.ResourceScopeIDs, _ = g.Strings("resourceScopeIds", false, 0, 0)
	if err := g.Err(); err != nil {
		return err
	}
	in.Name = *u.Name
	role, err := a.svc.CreateOrganizationRole(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, role)
}

func (a *api) getOrganizationRole(w http.ResponseWriter, r *http.Request) error {
	role, err := a.svc.GetOrganizationRole(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, role)
}

func (a *api) patchOrganizationRole(w http.ResponseWriter, r *http.Request) error {
	g := BodyGuard(w, r)
	u := templateBody(g, false)
	u.Type = roleType(g, "type")
	if err := g.Err(); err != nil {
		return err
	}
	role, err := a.svc.UpdateOrganizationRole(r.Context(), r.PathValue("id"), u)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, role)
}

func (a *api) deleteOrganizationRole(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.DeleteOrganizationRole(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return noContent(w)
}

// scopeIDsField is the body field of a role's scope relation routes.
func scopeIDsField(resource bool) string {
	if resource {
		return "scopeIds"
	}
	return "organizationScopeIds"
}

func (a *api) listOrganizationRoleScopes(resource bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := parsePager(r, true)
		if err != nil {
			return err
		}
		var (
			list  any
			total int64
		)
		if resource {
			list, total, err = a.svc.ListOrganizationRoleResourceScopes(r.Context(), r.PathValue("id"), p)
		} else {
			list, total, err = a.svc.ListOrganizationRoleScopes(r.Context(), r.PathValue("id"), p)
		}
		if err != nil {
			return err
		}
		a.writePaging(w, r, p, total)
		return writeJSON(w, http.StatusOK, list)
	}
}

// setOrganizationRoleScopes serves POST (add, 201) and PUT (replace, 204;
// the list may be empty).
func (a *api) setOrganizationRoleScopes(resource, replace bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		read := idsBody
		if replace {
			read = idsOrEmptyBody
		}
		ids, err := read(w, r, scopeIDsField(resource))
		if err != nil {
			return err
		}
		if err := a.svc.SetOrganizationRoleScopes(r.Context(), r.PathValue("id"), ids, resource, replace); err != nil {
			return err
		}
		if replace {
			return noContent(w)
		}
		return writeText(w, http.StatusCreated)
	}
}

func (a *api) removeOrganizationRoleScope(resource bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		scopeID := r.PathValue("organizationScopeId")
		if resource {
			scopeID = r.PathValue("scopeId")
		}
		if err := a.svc.RemoveOrganizationRoleScope(r.Context(), r.PathValue("id"), scopeID, resource); err != nil {
			return err
		}
		return noContent(w)
	}
}
