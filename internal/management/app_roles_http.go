package management

import "net/http"

// appRoleSearchFields are the fields a role list searches.
var appRoleSearchFields = []string{"id", "name", "description"}

// appRoleRoutes registers the application role routes (spec §4.4).
func (a *api) appRoleRoutes() {
	a.handle("GET /api/applications/{id}/roles", a.listAppRoles)
	a.handle("POST /api/applications/{id}/roles", a.addAppRoles)
	a.handle("PUT /api/applications/{id}/roles", a.replaceAppRoles)
	a.handle("DELETE /api/applications/{id}/roles/{roleId}", a.removeAppRole)
}

func (a *api) listAppRoles(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePager(r, true)
	if err != nil {
		return err
	}
	search, err := parseSearch(r.URL.Query(), appRoleSearchFields)
	if err != nil {
		return err
	}
	list, total, err := a.svc.ListAppRoles(r.Context(), r.PathValue("id"), search, p.Limit(), p.Offset())
	if err != nil {
		return err
	}
	a.writePaging(w, r, p, total)
	return writeJSON(w, http.StatusOK, list)
}

// roleIDsBody reads {roleIds: string[]} (each at least one character).
func roleIDsBody(w http.ResponseWriter, r *http.Request) ([]string, error) {
	g := BodyGuard(w, r)
	ids, _ := g.Strings("roleIds", true, 0, 1)
	return ids, g.Err()
}

func (a *api) addAppRoles(w http.ResponseWriter, r *http.Request) error {
	ids, err := roleIDsBody(w, r)
	if err != nil {
		return err
	}
	added, err := a.svc.AddAppRoles(r.Context(), r.PathValue("id"), ids)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, struct {
		RoleIDs      []string `json:"roleIds"`
		AddedRoleIDs []string `json:"addedRoleIds"`
	}{ids, added})
}

func (a *api) replaceAppRoles(w http.ResponseWriter, r *http.Request) error {
	ids, err := roleIDsBody(w, r)
	if err != nil {
		return err
	}
	if err := a.svc.ReplaceAppRoles(r.Context(), r.PathValue("id"), ids); err != nil {
		return err
	}
	return writeText(w, http.StatusOK)
}

func (a *api) removeAppRole(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.RemoveAppRole(r.Context(), r.PathValue("id"), r.PathValue("roleId")); err != nil {
		return err
	}
	return noContent(w)
}
