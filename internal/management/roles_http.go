package management

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// roleSearchFields are the fields the role routes' lists search (roles,
// their scopes and their applications alike).
var roleSearchFields = []string{"id", "name", "description"}

// roleRoutes registers the role routes (spec §4.8), their scopes (§4.9)
// and their applications (§4.10). /api/roles/{id}/users belongs to the
// user routes.
func (a *api) roleRoutes() {
	a.handle("GET /api/roles", a.listRoles)
	a.handle("POST /api/roles", a.createRole)
	a.handle("GET /api/roles/{id}", a.getRole)
	a.handle("PATCH /api/roles/{id}", a.patchRole)
	a.handle("DELETE /api/roles/{id}", a.deleteRole)
	a.handle("GET /api/roles/{id}/scopes", a.listRoleScopes)
	a.handle("POST /api/roles/{id}/scopes", a.addRoleScopes)
	a.handle("DELETE /api/roles/{id}/scopes/{scopeId}", a.removeRoleScope)
	a.handle("GET /api/roles/{id}/applications", a.listRoleApplications)
	a.handle("POST /api/roles/{id}/applications", a.addRoleApplications)
	a.handle("DELETE /api/roles/{id}/applications/{applicationId}", a.removeRoleApplication)
}

// roleType reads the role type field name of g (a body or the query).
func roleType(g *Guard, name string) rbac.RoleType {
	v, ok := g.String(name, StrRule{})
	if !ok {
		return ""
	}
	switch t := rbac.RoleType(v); t {
	case rbac.RoleUser, rbac.RoleMachineToMachine:
		return t
	}
	g.add(issue{Code: "invalid_enum_value", Path: []any{name},
		Message: "Invalid enum value. Expected 'User' | 'MachineToMachine', received '" + v + "'"})
	return ""
}

func (a *api) listRoles(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePager(r, true)
	if err != nil {
		return err
	}
	g := QueryGuard(r)
	var f store.RoleFilter
	f.Type = roleType(g, "type")
	f.ExcludeUserID, _ = g.String("excludeUserId", StrRule{})
	f.ExcludeApplicationID, _ = g.String("excludeApplicationId", StrRule{})
	if err := g.Err(); err != nil {
		return err
	}
	if f.Search, err = parseSearch(r.URL.Query(), roleSearchFields); err != nil {
		return err
	}
	list, total, err := a.svc.ListRoles(r.Context(), f, p)
	if err != nil {
		return err
	}
	a.writePaging(w, r, p, total)
	return writeJSON(w, http.StatusOK, list)
}

func (a *api) createRole(w http.ResponseWriter, r *http.Request) error {
	g := BodyGuard(w, r)
	var in RoleInput
	in.Name, _ = g.String("name", StrRule{Required: true, Min: 1, Max: 128})
	in.Description, _ = g.String("description", StrRule{Required: true, Min: 1, Max: 128})
	in.Type = roleType(g, "type")
	in.IsDefault, _ = g.Bool("isDefault", false)
	in.ScopeIDs, _ = g.Strings("scopeIds", false, 0, 1)
	if err := g.Err(); err != nil {
		return err
	}
	role, err := a.svc.CreateRole(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, role)
}

func (a *api) getRole(w http.ResponseWriter, r *http.Request) error {
	role, err := a.svc.GetRole(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, role)
}

func (a *api) patchRole(w http.ResponseWriter, r *http.Request) error {
	g := BodyGuard(w, r)
	var u store.RoleUpdate
	if v, ok := g.String("name", StrRule{Min: 1, Max: 128}); ok {
		u.Name = &v
	}
	if v, ok := g.String("description", StrRule{Min: 1, Max: 128}); ok {
		u.Description = &v
	}
	if v, ok := g.Bool("isDefault", false); ok {
		u.IsDefault = &v
	}
	if err := g.Err(); err != nil {
		return err
	}
	role, err := a.svc.UpdateRole(r.Context(), r.PathValue("id"), u)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, role)
}

func (a *api) deleteRole(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.DeleteRole(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return noContent(w)
}

func (a *api) listRoleScopes(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePager(r, false)
	if err != nil {
		return err
	}
	search, err := parseSearch(r.URL.Query(), roleSearchFields)
	if err != nil {
		return err
	}
	list, total, err := a.svc.ListRoleScopes(r.Context(), r.PathValue("id"), search, p)
	if err != nil {
		return err
	}
	a.writePaging(w, r, p, total)
	return writeJSON(w, http.StatusOK, list)
}

// idsBody reads the field name of a body: a non-empty array of non-empty
// strings.
func idsBody(w http.ResponseWriter, r *http.Request, name string) ([]string, error) {
	g := BodyGuard(w, r)
	ids, _ := g.Strings(name, true, 1, 1)
	return ids, g.Err()
}

func (a *api) addRoleScopes(w http.ResponseWriter, r *http.Request) error {
	ids, err := idsBody(w, r, "scopeIds")
	if err != nil {
		return err
	}
	scopes, err := a.svc.AddRoleScopes(r.Context(), r.PathValue("id"), ids)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, scopes)
}

func (a *api) removeRoleScope(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.RemoveRoleScope(r.Context(), r.PathValue("id"), r.PathValue("scopeId")); err != nil {
		return err
	}
	return noContent(w)
}

func (a *api) listRoleApplications(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePager(r, true)
	if err != nil {
		return err
	}
	search, err := parseSearch(r.URL.Query(), roleSearchFields)
	if err != nil {
		return err
	}
	list, total, err := a.svc.ListRoleApplications(r.Context(), r.PathValue("id"), search, p)
	if err != nil {
		return err
	}
	a.writePaging(w, r, p, total)
	return writeJSON(w, http.StatusOK, list)
}

func (a *api) addRoleApplications(w http.ResponseWriter, r *http.Request) error {
	ids, err := idsBody(w, r, "applicationIds")
	if err != nil {
		return err
	}
	if err := a.svc.AddRoleApplications(r.Context(), r.PathValue("id"), ids); err != nil {
		return err
	}
	return writeText(w, http.StatusCreated)
}

func (a *api) removeRoleApplication(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.RemoveRoleApplication(r.Context(), r.PathValue("id"), r.PathValue("applicationId")); err != nil {
		return err
	}
	return noContent(w)
}
