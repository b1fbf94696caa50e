package management

import (
	"encoding/json"
	"net/http"
	"regexp"

	"github.com/gatehouse/gatehouse/internal/store"
)

// organizationRoutes registers the organization routes (spec §4.11): the
// organizations, their member applications and those applications' roles,
// an application's organizations, and the organization template
// (organization scopes and roles).
func (a *api) organizationRoutes() {
	a.handle("GET /api/organizations", a.listOrganizations)
	a.handle("POST /api/organizations", a.createOrganization)
	a.handle("GET /api/organizations/{id}", a.getOrganization)
	a.handle("PATCH /api/organizations/{id}", a.patchOrganization)
	a.handle("DELETE /api/organizations/{id}", a.deleteOrganization)
	a.handle("GET /api/organizations/{id}/applications", a.listOrganizationApplications)
	a.handle("POST /api/organizations/{id}/applications", a.addOrganizationApplications)
	a.handle("PUT /api/organizations/{id}/applications", a.replaceOrganizationApplications)
	a.handle("DELETE /api/organizations/{id}/applications/{applicationId}", a.removeOrganizationApplication)
	a.handle("POST /api/organizations/{id}/applications/roles", a.addOrganizationApplicationsRoles)
	a.handle("GET /api/organizations/{id}/applications/{applicationId}/roles", a.listOrganizationApplicationRoles)
	a.handle("POST /api/organizations/{id}/applications/{applicationId}/roles", a.addOrganizationApplicationRoles)
	a.handle("PUT /api/organizations/{id}/applications/{applicationId}/roles", a.replaceOrganizationApplicationRoles)
	a.handle("DELETE /api/organizations/{id}/applications/{applicationId}/roles/{organizationRoleId}", a.removeOrganizationApplicationRole)
	a.handle("GET /api/applications/{id}/organizations", a.listApplicationOrganizations)
	a.organizationUserRoutes()
	a.organizationScopeRoutes()
	a.organizationRoleRoutes()
}

// keywordSearch reads the q parameter of Logto's organization routes: a
// case-insensitive substring of any of fields.
func keywordSearch(r *http.Request, fields ...string) store.Search {
	q := r.URL.Query().Get("q")
	if q == "" {
		return store.Search{}
	}
	return store.Search{Matches: []store.Match{{Fields: fields, Values: []string{"%" + q + "%"}, Mode: store.ModeLike}}}
}

func (a *api) listOrganizations(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePager(r, true)
	if err != nil {
		return err
	}
	sf := r.URL.Query().Get("showFeatured")
	list, total, err := a.svc.ListOrganizations(r.Context(), keywordSearch(r, "id", "name"), p, sf == "true" || sf == "1" || sf == "yes")
	if err != nil {
		return err
	}
	a.writePaging(w, r, p, total)
	return writeJSON(w, http.StatusOK, list)
}

// organizationBody reads the fields of an organization (POST requires the
// name) into u.
func organizationBody(g *Guard, create bool) (u store.OrganizationUpdate) {
	if v, ok := g.String("name", StrRule{Required: create, Min: 1, Max: 128}); ok {
		u.Name = &v
	}
	u.Description, u.DescriptionSet = g.NullableString("description", 256)
	u.CustomData, _ = g.Object("customData", false)
	if v, ok := g.Bool("isMfaRequired", false); ok {
		u.IsMfaRequired = &v
	}
	u.Branding, _ = g.Object("branding", false)
	u.Color = organizationColor(g)
	u.CustomCSS, u.CustomCSSSet = g.NullableString("customCss", 0)
	return u
}

// hexColor is Logto's hexColorRegEx: #rgb or #rrggbb, any case.
var hexColor = regexp.MustCompile(`^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$`)

// organizationColor reads Logto's color object: primaryColor and
// darkPrimaryColor hex colors, isDarkModeEnabled a boolean, each optional;
// other keys are dropped (zod's default). nil when absent or invalid.
func organizationColor(g *Guard) json.RawMessage {
	raw, ok := g.Object("color", false)
	if !ok {
		return nil
	}
	var in map[string]json.RawMessage
	if json.Unmarshal(raw, &in) != nil {
		return nil
	}
	out := map[string]any{}
	valid := true
	for _, k := range []string{"primaryColor", "darkPrimaryColor"} {
		v, ok := in[k]
		if !ok {
			continue
		}
		var c string
		if jsonType(v) != "string" || json.Unmarshal(v, &c) != nil || !hexColor.MatchString(c) {
			g.add(issue{Code: "invalid_string", Path: []any{"color", k}, Message: "Invalid"})
			valid = false
			continue
		}
		out[k] = c
	}
	if v, ok := in["isDarkModeEnabled"]; ok {
		if jsonType(v) != "boolean" {
			g.typeIssue("color", "boolean", v)
			g.issues[len(g.issues)-1].Path = []any{"color", "isDarkModeEnabled"}
			valid = false
		} else {
			out["isDarkModeEnabled"] = string(v) == "true"
		}
	}
	if !valid {
		return nil
	}
	b, _ := json.Marshal(out)
	return b
}

func (a *api) createOrganization(w http.ResponseWriter, r *http.Request) error {
	g := BodyGuard(w, r)
	u := organizationBody(g, true)
	if err := g.Err(); err != nil {
		return err
	}
	o := store.Organization{Name: *u.Name, Description: u.Description, CustomData: u.CustomData,
		Color: u.Color, Branding: u.Branding, CustomCSS: u.CustomCSS}
	if u.IsMfaRequired != nil {
		o.IsMfaRequired = *u.IsMfaRequired
	}
	org, err := a.svc.CreateOrganization(r.Context(), o)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, org)
}

func (a *api) getOrganization(w http.ResponseWriter, r *http.Request) error {
	org, err := a.svc.GetOrganization(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, org)
}

func (a *api) patchOrganization(w http.ResponseWriter, r *http.Request) error {
	g := BodyGuard(w, r)
	u := organizationBody(g, false)
	if err := g.Err(); err != nil {
		return err
	}
	org, err := a.svc.UpdateOrganization(r.Context(), r.PathValue("id"), u)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, org)
}

func (a *api) deleteOrganization(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.DeleteOrganization(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return noContent(w)
}

func (a *api) listOrganizationApplications(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePager(r, true)
	if err != nil {
		return err
	}
	list, total, err := a.svc.ListOrganizationApplications(r.Context(), r.PathValue("id"), keywordSearch(r, "id", "name", "description"), p)
	if err != nil {
		return err
	}
	a.writePaging(w, r, p, total)
	return writeJSON(w, http.StatusOK, list)
}

func (a *api) addOrganizationApplications(w http.ResponseWriter, r *http.Request) error {
	ids, err := idsBody(w, r, "applicationIds")
	if err != nil {
		return err
	}
	if err := a.svc.AddOrganizationApplications(r.Context(), r.PathValue("id"), ids); err != nil {
		return err
	}
	return writeText(w, http.StatusCreated)
}

// idsOrEmptyBody reads the field name of a body: an array (possibly empty)
// of non-empty strings, as the replacing PUT routes take it.
func idsOrEmptyBody(w http.ResponseWriter, r *http.Request, name string) ([]string, error) {
	g := BodyGuard(w, r)
	ids, _ := g.Strings(name, true, 0, 1)
	return ids, g.Err()
}

func (a *api) replaceOrganizationApplications(w http.ResponseWriter, r *http.Request) error {
	ids, err := idsOrEmptyBody(w, r, "applicationIds")
	if err != nil {
		return err
	}
	if err := a.svc.ReplaceOrganizationApplications(r.Context(), r.PathValue("id"), ids); err != nil {
		return err
	}
	return noContent(w)
}

func (a *api) removeOrganizationApplication(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.RemoveOrganizationApplication(r.Context(), r.PathValue("id"), r.PathValue("applicationId")); err != nil {
		return err
	}
	return noContent(w)
}

func (a *api) addOrganizationApplicationsRoles(w http.ResponseWriter, r *http.Request) error {
	g := BodyGuard(w, r)
	apps, _ := g.Strings("applicationIds", true, 1, 1)
	roles, _ := g.Strings("organizationRoleIds", true, 1, 1)
	if err := g.Err(); err != nil {
		return err
	}
	if err := a.svc.AddOrganizationApplicationRoles(r.Context(), r.PathValue("id"), apps, roles, false); err != nil {
		return err
	}
	return writeText(w, http.StatusCreated)
}

func (a *api) listOrganizationApplicationRoles(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePager(r, true)
	if err != nil {
		return err
	}
	list, err := a.svc.ListOrganizationApplicationRoles(r.Context(), r.PathValue("id"), r.PathValue("applicationId"))
	if err != nil {
		return err
	}
	// As in Logto: every role, with the paging headers of the whole list.
	a.writePaging(w, r, p, int64(len(list)))
	return writeJSON(w, http.StatusOK, list)
}

func (a *api) addOrganizationApplicationRoles(w http.ResponseWriter, r *http.Request) error {
	ids, err := idsBody(w, r, "organizationRoleIds")
	if err != nil {
		return err
	}
	appID := r.PathValue("applicationId")
	if err := a.svc.AddOrganizationApplicationRoles(r.Context(), r.PathValue("id"), []string{appID}, ids, true); err != nil {
		return err
	}
	return writeText(w, http.StatusCreated)
}

func (a *api) replaceOrganizationApplicationRoles(w http.ResponseWriter, r *http.Request) error {
	ids, err := idsBody(w, r, "organizationRoleIds")
	if err != nil {
		return err
	}
	if err := a.svc.ReplaceOrganizationApplicationRoles(r.Context(), r.PathValue("id"), r.PathValue("applicationId"), ids); err != nil {
		return err
	}
	return noContent(w)
}

func (a *api) removeOrganizationApplicationRole(w http.ResponseWriter, r *http.Request) error {
	err := a.svc.RemoveOrganizationApplicationRole(r.Context(), r.PathValue("id"), r.PathValue("applicationId"), r.PathValue("organizationRoleId"))
	if err != nil {
		return err
	}
	return noContent(w)
}

func (a *api) listApplicationOrganizations(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePager(r, false)
	if err != nil {
		return err
	}
	list, total, err := a.svc.ListApplicationOrganizations(r.Context(), r.PathValue("id"), p)
	if err != nil {
		return err
	}
	a.writePaging(w, r, p, total)
	return writeJSON(w, http.StatusOK, list)
}
