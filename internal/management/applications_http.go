package management

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// appTypes are the application types Logto's guard knows, in its order.
var appTypes = []rbac.AppType{rbac.AppNative, rbac.AppSPA, rbac.AppTraditional, rbac.AppMachineToMachine, rbac.AppProtected, rbac.AppSAML}

// applicationSearchFields are the fields GET /api/applications searches.
var applicationSearchFields = []string{"id", "name", "description"}

// applicationRoutes registers the application routes: spec §4.2, §4.3,
// §4.4 and the custom data of §4.5.
func (a *api) applicationRoutes() {
	a.handle("GET /api/applications", a.listApplications)
	a.handle("POST /api/applications", a.createApplication)
	a.handle("GET /api/applications/{id}", a.getApplication)
	a.handle("PATCH /api/applications/{id}", a.patchApplication)
	a.handle("DELETE /api/applications/{id}", a.deleteApplication)
	a.handle("PATCH /api/applications/{id}/custom-data", a.patchApplicationCustomData)
	a.appSecretRoutes()
	a.appRoleRoutes()
}

// appTypeIssue records a value that is not an application type.
func appTypeIssue(g *Guard, path []any, got string) {
	names := make([]string, len(appTypes))
	for i, t := range appTypes {
		names[i] = "'" + string(t) + "'"
	}
	g.add(issue{Code: "invalid_enum_value", Path: path,
		Message: "Invalid enum value. Expected " + strings.Join(names, " | ") + ", received '" + got + "'"})
}

func validAppType(v string) bool {
	for _, t := range appTypes {
		if string(t) == v {
			return true
		}
	}
	return false
}

func (a *api) listApplications(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePager(r, false)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	g := QueryGuard(r)
	var f store.AppFilter
	for i, v := range q["types"] {
		if !validAppType(v) {
			path := []any{"types"}
			if len(q["types"]) > 1 {
				path = append(path, i)
			}
			appTypeIssue(g, path, v)
			continue
		}
		f.Types = append(f.Types, rbac.AppType(v))
	}
	if vs, ok := q["isThirdParty"]; ok {
		switch vs[0] {
		case "true", "false":
			b := vs[0] == "true"
			f.IsThirdParty = &b
		default:
			g.add(issue{Code: "invalid_union", Path: []any{"isThirdParty"}, Message: "Invalid input"})
		}
	}
	if err := g.Err(); err != nil {
		return err
	}
	f.ExcludeRoleID, f.ExcludeOrganizationID = q.Get("excludeRoleId"), q.Get("excludeOrganizationId")
	if f.ExcludeRoleID != "" && f.ExcludeOrganizationID != "" {
		return invalidInput("Parameter `excludeRoleId` and `excludeOrganizationId` cannot be used at the same time.")
	}
	if f.Search, err = parseSearch(q, applicationSearchFields); err != nil {
		return err
	}
	f.Limit, f.Offset = p.Limit(), p.Offset()
	list, total, err := a.svc.ListApplications(r.Context(), f, p.On)
	if err != nil {
		return err
	}
	a.writePaging(w, r, p, total)
	return writeJSON(w, http.StatusOK, list)
}

// oidcClientMetadata is the shape of oidcClientMetadata (spec §1.2); keys
// outside it are stripped.
type oidcClientMetadata struct {
	RedirectURIs                     []string `json:"redirectUris"`
	PostLogoutRedirectURIs           []string `json:"postLogoutRedirectUris"`
	BackchannelLogoutURI             *string  `json:"backchannelLogoutUri,omitempty"`
	BackchannelLogoutSessionRequired *bool    `json:"backchannelLogoutSessionRequired,omitempty"`
	LogoURI                          *string  `json:"logoUri,omitempty"`
	// DPoPBoundAccessTokens makes a DPoP proof mandatory at the token
	// endpoint (RFC 9449 §5.2's dpop_bound_access_tokens).
	DPoPBoundAccessTokens *bool `json:"dpopBoundAccessTokens,omitempty"`
	// Client authentication (issue 12, app_keys.go).
	TokenEndpointAuthMethod *string         `json:"tokenEndpointAuthMethod,omitempty"`
	JWKS                    json.RawMessage `json:"jwks,omitempty"`
	JWKSURI                 *string         `json:"jwksUri,omitempty"`
}

// oidcMetadata reads the oidcClientMetadata field: nil when absent, else
// the object with its known keys (missing URI lists are empty).
func oidcMetadata(g *Guard) json.RawMessage {
	raw, ok := g.Object("oidcClientMetadata", false)
	if !ok {
		return nil
	}
	var m oidcClientMetadata
	if err := json.Unmarshal(raw, &m); err != nil {
		path := []any{"oidcClientMetadata"}
		var te *json.UnmarshalTypeError
		msg := "Invalid input"
		if errors.As(err, &te) {
			for _, p := range strings.Split(te.Field, ".") {
				path = append(path, p)
			}
			msg = "Expected " + te.Type.String() + ", received " + te.Value
		}
		g.add(issue{Code: "invalid_type", Path: path, Message: msg})
		return nil
	}
	n := len(g.issues)
	if checkClientAuth(g, &m); len(g.issues) > n {
		return nil
	}
	if m.RedirectURIs == nil {
		m.RedirectURIs = []string{}
	}
	if m.PostLogoutRedirectURIs == nil {
		m.PostLogoutRedirectURIs = []string{}
	}
	b, _ := json.Marshal(m)
	return b
}

func (a *api) createApplication(w http.ResponseWriter, r *http.Request) error {
	g := BodyGuard(w, r)
	var in AppCreate
	in.Name, _ = g.String("name", StrRule{Required: true, Min: 1, Max: 256})
	if typ, ok := g.String("type", StrRule{Required: true}); ok {
		if validAppType(typ) {
			in.Type = rbac.AppType(typ)
		} else {
			appTypeIssue(g, []any{"type"}, typ)
		}
	}
	in.Description, _ = g.NullableString("description", rbac.MaxDescription)
	in.OIDCClientMetadata = oidcMetadata(g)
	in.CustomClientMetadata, _ = g.Object("customClientMetadata", false)
	in.CustomData, _ = g.Object("customData", false)
	in.IsThirdParty, _ = g.Bool("isThirdParty", false)
	if g.Has("protectedAppMetadata") && jsonType(g.Keys()["protectedAppMetadata"]) != "null" {
		g.Object("protectedAppMetadata", false) // only Protected apps use it
	}
	if err := g.Err(); err != nil {
		return err
	}
	app, err := a.svc.CreateApplication(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, app)
}

func (a *api) getApplication(w http.ResponseWriter, r *http.Request) error {
	app, err := a.svc.GetApplication(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, app)
}

func (a *api) patchApplication(w http.ResponseWriter, r *http.Request) error {
	g := BodyGuard(w, r)
	var p AppPatch
	if v, ok := g.String("name", StrRule{Min: 1, Max: 256}); ok {
		p.Name = &v
	}
	p.Description, p.DescriptionSet = g.NullableString("description", rbac.MaxDescription)
	p.OIDCClientMetadata = oidcMetadata(g)
	p.CustomClientMetadata, _ = g.Object("customClientMetadata", false)
	p.CustomData, _ = g.Object("customData", false)
	if g.Has("protectedAppMetadata") && jsonType(g.Keys()["protectedAppMetadata"]) != "null" {
		p.ProtectedAppMetadata, _ = g.Object("protectedAppMetadata", false)
	}
	if v, ok := g.Bool("appLevelAccessControlEnabled", false); ok {
		p.AppLevelAccessControlEnabled = &v
	}
	if v, ok := g.Bool("isAdmin", false); ok {
		p.IsAdmin = &v
	}
	if err := g.Err(); err != nil {
		return err
	}
	app, err := a.svc.UpdateApplication(r.Context(), r.PathValue("id"), p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, app)
}

func (a *api) deleteApplication(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.DeleteApplication(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return noContent(w)
}

func (a *api) patchApplicationCustomData(w http.ResponseWriter, r *http.Request) error {
	g := BodyGuard(w, r)
	if err := g.Err(); err != nil {
		return err
	}
	data, err := a.svc.MergeApplicationCustomData(r.Context(), r.PathValue("id"), g.Keys())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data)
}
