package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/management"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// appTypeNames are the application types the console creates, as it
// names them: the type filter's choices.
var appTypeNames = []struct {
	Type rbac.AppType
	Name string
}{
	{rbac.AppMachineToMachine, "Machine-to-machine"},
}

// otherTypes names the types the console cannot create, for apps made
// through the Management API (they show in the list, not in the filter).
var otherTypes = map[rbac.AppType]string{
	rbac.AppTraditional: "Traditional web", rbac.AppSPA: "Single-page app", rbac.AppNative: "Native",
	rbac.AppProtected: "Protected", rbac.AppSAML: "SAML",
}

// appListPage is the applications list.
type appListPage struct {
	Apps  []rbac.Application
	Query string
	Type  string
	Types []struct {
		Type rbac.AppType
		Name string
	}
	Paging paging
}

func (c *console) listApplications(w http.ResponseWriter, r *http.Request, s *session) error {
	q := r.URL.Query()
	p := appListPage{Query: strings.TrimSpace(q.Get("q")), Type: q.Get("type"), Types: appTypeNames}
	f := store.AppFilter{Search: likeSearch(p.Query, "id", "name", "description")}
	if p.Type != "" {
		f.Types = []rbac.AppType{rbac.AppType(p.Type)}
	}
	n := pageOf(r)
	f.Limit, f.Offset = pageSize, (n-1)*pageSize
	list, total, err := c.svc.ListApplications(r.Context(), f, true)
	if err != nil {
		return err
	}
	if c.pastEnd(w, r, n, total) {
		return nil
	}
	p.Apps, p.Paging = list, newPaging(r, n, total)
	c.render(w, r, s, http.StatusOK, "applications", view{Title: "Applications", Nav: "applications", D: p})
	return nil
}

func (c *console) newApplicationForm(w http.ResponseWriter, r *http.Request, s *session) error {
	c.render(w, r, s, http.StatusOK, "application-new", view{Title: "Create a machine-to-machine app", Nav: "applications"})
	return nil
}

// checkName records what is wrong with a required name of at most max
// characters.
func checkName(f *form, field, value string, max int) {
	switch {
	case value == "":
		f.fail(field, "Enter a name.")
	case utf8.RuneCountInString(value) > max:
		f.fail(field, fmt.Sprintf("Use at most %d characters.", max))
	}
}

// checkDescription refuses a description longer than the Management API
// accepts (rbac.MaxDescription), so that both answer alike.
func checkDescription(f *form, field, value string) {
	if utf8.RuneCountInString(value) > rbac.MaxDescription {
		f.fail(field, fmt.Sprintf("Use at most %d characters.", rbac.MaxDescription))
	}
}

// optional is a form value as a nullable string ("" is nil).
func optional(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

func (c *console) createApplication(w http.ResponseWriter, r *http.Request, s *session) error {
	f := newForm(r)
	name := f.get("name")
	checkName(f, "name", name, 256)
	checkDescription(f, "description", f.get("description"))
	if f.ok() {
		app, err := c.svc.CreateApplication(r.Context(), management.AppCreate{
			Name: name, Description: optional(f.get("description")), Type: rbac.AppMachineToMachine,
		})
		if err == nil {
			return c.redirect(w, r, "/applications/"+app.ID+"/assign-roles?new=1", "Application “"+name+"” created.")
		}
		if err := formError(f, err); err != nil {
			return err
		}
	}
	c.render(w, r, s, http.StatusUnprocessableEntity, "application-new", view{Title: "Create a machine-to-machine app",
		Nav: "applications", Forms: map[string]*form{"app": f}})
	return nil
}

// grantSummary is what an application's roles grant for one resource.
type grantSummary struct {
	Resource rbac.Resource
	Scopes   []string
}

// appDetailPage is an application's page.
type appDetailPage struct {
	App        *management.AppDetail
	Secrets    []management.SecretView
	AppSecret  *management.SecretView // the first secret that has not expired
	Reveal     bool
	Roles      []rbac.Role
	Available  []rbac.Role // M2M roles it does not hold
	Grants     []grantSummary
	URLs       endpointURLs
	Curl       commandLine
	CustomData string
	Now        int64
	Auth       *clientAuth // how the app authenticates (clientauth.go)
}

// endpointURLs are this server's OAuth URLs.
type endpointURLs struct {
	Issuer, Token, JWKS, Discovery string
}

func (c *console) urls() endpointURLs {
	iss := c.cfg.Issuer
	return endpointURLs{Issuer: iss, Token: iss + "/token", JWKS: iss + "/jwks", Discovery: iss + "/.well-known/openid-configuration"}
}

// appDetail loads application id's page.
func (c *console) appDetail(r *http.Request, id string) (*appDetailPage, error) {
	ctx := r.Context()
	app, err := c.svc.GetApplication(ctx, id)
	if err != nil {
		return nil, err
	}
	p := &appDetailPage{App: app, URLs: c.urls(), Now: c.now().UnixMilli(), Reveal: r.URL.Query().Get("reveal") == "1"}
	if p.Secrets, err = c.svc.ListAppSecrets(ctx, id); err != nil {
		return nil, err
	}
	for i := range p.Secrets {
		if e := p.Secrets[i].ExpiresAt; e == nil || *e > p.Now {
			p.AppSecret = &p.Secrets[i]
			break
		}
	}
	if app.Type == rbac.AppMachineToMachine {
		if p.Roles, _, err = c.svc.ListAppRoles(ctx, id, store.Search{}, 0, 0); err != nil {
			return nil, err
		}
		avail, _, err := c.svc.ListRoles(ctx, store.RoleFilter{Type: rbac.RoleMachineToMachine, ExcludeApplicationID: id}, all)
		if err != nil {
			return nil, err
		}
		for _, a := range avail {
			p.Available = append(p.Available, a.Role)
		}
		if p.Grants, err = c.grants(r, p.Roles); err != nil {
			return nil, err
		}
	}
	p.CustomData = prettyJSON(app.CustomData)
	if p.Auth, err = c.clientAuthOf(ctx, app, p.Grants); err != nil {
		return nil, err
	}
	p.Curl = c.curl(app.ID, p.AppSecret, p.Grants, p.Reveal, p.Auth.DPoP)
	return p, nil
}

// grants sums up, per resource, the scopes roles hold.
func (c *console) grants(r *http.Request, roles []rbac.Role) ([]grantSummary, error) {
	byRes := map[string]*grantSummary{}
	var order []string
	for _, role := range roles {
		list, _, err := c.svc.ListRoleScopes(r.Context(), role.ID, store.Search{}, all)
		if err != nil {
			return nil, err
		}
		for _, sc := range list {
			g := byRes[sc.Resource.ID]
			if g == nil {
				g = &grantSummary{Resource: sc.Resource}
				byRes[sc.Resource.ID] = g
				order = append(order, sc.Resource.ID)
			}
			if !contains(g.Scopes, sc.Name) {
				g.Scopes = append(g.Scopes, sc.Name)
			}
		}
	}
	out := make([]grantSummary, 0, len(order))
	for _, id := range order {
		sort.Strings(byRes[id].Scopes)
		out = append(out, *byRes[id])
	}
	return out, nil
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// commandLine is a command as the page shows it (with the secret masked
// unless revealed) and as its Copy button copies it (ready to run).
type commandLine struct{ Shown, Full string }

// curl is a ready-to-run token request for the application: for the first
// resource its roles grant, with every scope granted there. The shown form
// masks the secret unless reveal, like the App Secret field: the page must
// not show a secret in plain text to whoever looks at the screen.
//
// With dpop (the app requires DPoP) the request carries a DPoP header whose
// proof the client makes.
func (c *console) curl(appID string, sec *management.SecretView, grants []grantSummary, reveal, dpop bool) commandLine {
	if sec == nil {
		cmd := c.curlWith(appID, "<app secret>", grants, dpop)
		return commandLine{Shown: cmd, Full: cmd}
	}
	full := c.curlWith(appID, sec.Value, grants, dpop)
	if reveal {
		return commandLine{Shown: full, Full: full}
	}
	return commandLine{Shown: c.curlWith(appID, strings.Repeat("•", 12), grants, dpop), Full: full}
}

func (c *console) curlWith(appID, secretValue string, grants []grantSummary, dpop bool) string {
	resource, scope := "https://your-api.example.com", ""
	if len(grants) > 0 {
		resource, scope = grants[0].Resource.Indicator, strings.Join(grants[0].Scopes, " ")
	}
	dpopHeader := ""
	if dpop {
		dpopHeader = "  -H \"DPoP: $DPOP_PROOF\" \\\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "curl -X POST %s \\\n%s  -u %s \\\n  -d grant_type=client_credentials \\\n  --data-urlencode resource=%s",
		shellQuote(c.urls().Token), dpopHeader, shellQuote(appID+":"+secretValue), shellQuote(resource))
	if scope != "" {
		fmt.Fprintf(&b, " \\\n  --data-urlencode scope=%s", shellQuote(scope))
	}
	return b.String()
}

func (c *console) renderApp(w http.ResponseWriter, r *http.Request, s *session, status int, forms map[string]*form) error {
	p, err := c.appDetail(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	if f := forms["custom-data"]; f != nil {
		p.CustomData = f.Values.Get("customData")
	}
	c.render(w, r, s, status, "application", view{Title: p.App.Name, Nav: "applications", Forms: forms, D: p})
	return nil
}

func (c *console) showApplication(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.renderApp(w, r, s, http.StatusOK, nil)
}

// again re-renders the application's page with form f's problems, or
// returns err when it is not the form's fault.
func (c *console) againApp(w http.ResponseWriter, r *http.Request, s *session, name string, f *form, err error) error {
	if err != nil {
		if err := formError(f, err); err != nil {
			return err
		}
	}
	return c.renderApp(w, r, s, http.StatusUnprocessableEntity, map[string]*form{name: f})
}

func (c *console) updateApplication(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	name, desc := f.get("name"), f.get("description")
	checkName(f, "name", name, 256)
	checkDescription(f, "description", desc)
	if !f.ok() {
		return c.againApp(w, r, s, "settings", f, nil)
	}
	_, err := c.svc.UpdateApplication(r.Context(), id, management.AppPatch{Name: &name, Description: optional(desc), DescriptionSet: true})
	if err != nil {
		return c.againApp(w, r, s, "settings", f, err)
	}
	return c.redirect(w, r, "/applications/"+id, "Settings saved.")
}

// assignPage is the role-assignment step of an application.
type assignPage struct {
	App   *management.AppDetail
	New   bool
	Roles []roleChoice
}

// roleChoice is a role offered for assignment, with its permissions.
type roleChoice struct {
	Role   rbac.Role
	Scopes []management.ScopeWithResource
}

func (c *console) renderAssign(w http.ResponseWriter, r *http.Request, s *session, status int, f *form) error {
	ctx := r.Context()
	id := r.PathValue("id")
	app, err := c.svc.GetApplication(ctx, id)
	if err != nil {
		return err
	}
	avail, _, err := c.svc.ListRoles(ctx, store.RoleFilter{Type: rbac.RoleMachineToMachine, ExcludeApplicationID: id}, all)
	if err != nil {
		return err
	}
	p := assignPage{App: app, New: r.URL.Query().Get("new") == "1" || (f != nil && f.Values.Get("new") == "1")}
	for _, a := range avail {
		sc, _, err := c.svc.ListRoleScopes(ctx, a.ID, store.Search{}, all)
		if err != nil {
			return err
		}
		p.Roles = append(p.Roles, roleChoice{Role: a.Role, Scopes: sc})
	}
	forms := map[string]*form{}
	if f != nil {
		forms["assign"] = f
	}
	c.render(w, r, s, status, "application-roles", view{Title: "Assign roles to " + app.Name, Nav: "applications", Forms: forms, D: p})
	return nil
}

func (c *console) assignAppRolesForm(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.renderAssign(w, r, s, http.StatusOK, nil)
}

func (c *console) assignAppRoles(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	ids := f.Values["roleId"]
	if len(ids) == 0 {
		f.fail("roleId", "Pick at least one role, or skip this step.")
		return c.renderAssign(w, r, s, http.StatusUnprocessableEntity, f)
	}
	added, err := c.svc.AddAppRoles(r.Context(), id, ids)
	if err != nil {
		if err := formError(f, err); err != nil {
			return err
		}
		return c.renderAssign(w, r, s, http.StatusUnprocessableEntity, f)
	}
	return c.redirect(w, r, "/applications/"+id, plural(len(added), "role", "roles")+" assigned.")
}

// plural is "1 role" or "3 roles".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func (c *console) removeAppRole(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	if err := c.svc.RemoveAppRole(r.Context(), id, f.get("roleId")); err != nil {
		return c.againApp(w, r, s, "roles", f, err)
	}
	return c.redirect(w, r, "/applications/"+id+"#roles", "Role removed.")
}

// parseExpiry reads an optional expiry date (YYYY-MM-DD, the end of that
// day in UTC) or date-time (YYYY-MM-DDTHH:MM, UTC) into epoch ms.
func parseExpiry(v string) (*int64, bool) {
	if v == "" {
		return nil, true
	}
	if t, err := time.Parse("2006-01-02T15:04", v); err == nil {
		ms := t.UnixMilli()
		return &ms, true
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		ms := t.Add(24*time.Hour - time.Millisecond).UnixMilli()
		return &ms, true
	}
	return nil, false
}

func (c *console) addSecret(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	name := f.get("name")
	checkName(f, "name", name, 256)
	exp, ok := parseExpiry(f.get("expiresAt"))
	if !ok {
		f.fail("expiresAt", "Enter a date like 2030-12-31.")
	} else if exp != nil && *exp <= c.now().UnixMilli() {
		f.fail("expiresAt", "Choose a date in the future.")
	}
	if !f.ok() {
		return c.againApp(w, r, s, "secret-add", f, nil)
	}
	if _, err := c.svc.CreateAppSecret(r.Context(), id, name, exp); err != nil {
		return c.againApp(w, r, s, "secret-add", f, err)
	}
	return c.redirect(w, r, "/applications/"+id+"#secrets", "Secret “"+name+"” added.")
}

func (c *console) renameSecret(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	old, name := f.Values.Get("secret"), f.get("name")
	checkName(f, "name", name, 256)
	if !f.ok() {
		return c.againApp(w, r, s, "secret-rename:"+old, f, nil)
	}
	if _, err := c.svc.RenameAppSecret(r.Context(), id, old, name); err != nil {
		return c.againApp(w, r, s, "secret-rename:"+old, f, err)
	}
	return c.redirect(w, r, "/applications/"+id+"#secrets", "Secret renamed to “"+name+"”.")
}

func (c *console) deleteSecret(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	if err := c.svc.DeleteAppSecret(r.Context(), id, f.Values.Get("secret")); err != nil {
		return c.againApp(w, r, s, "secrets", f, err)
	}
	return c.redirect(w, r, "/applications/"+id+"#secrets", "Secret deleted. It no longer works.")
}

// jsonObject parses a custom data editor's text: a JSON object (empty
// text is {}).
func jsonObject(f *form, field string) json.RawMessage {
	v := strings.TrimSpace(f.Values.Get(field))
	if v == "" {
		// Saving nothing as {} would erase the data unasked.
		f.fail(field, "Enter a JSON object. To remove all custom data, enter {} and save.")
		return nil
	}
	var m map[string]json.RawMessage
	if !json.Valid([]byte(v)) {
		var x any
		err := json.Unmarshal([]byte(v), &x)
		f.fail(field, "This is not valid JSON: "+strings.TrimPrefix(err.Error(), "json: ")+".")
		return nil
	}
	if json.Unmarshal([]byte(v), &m) != nil || m == nil {
		f.fail(field, "Custom data must be a JSON object, like {\"tier\": \"gold\"}.")
		return nil
	}
	if rbac.JSONDepth([]byte(v)) > rbac.MaxJSONDepth {
		f.fail(field, fmt.Sprintf("Custom data may nest at most %d levels deep.", rbac.MaxJSONDepth))
		return nil
	}
	var b bytes.Buffer
	json.Compact(&b, []byte(v))
	return b.Bytes()
}

func (c *console) updateAppCustomData(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	data := jsonObject(f, "customData")
	if !f.ok() {
		return c.againApp(w, r, s, "custom-data", f, nil)
	}
	if _, err := c.svc.UpdateApplication(r.Context(), id, management.AppPatch{CustomData: data}); err != nil {
		return c.againApp(w, r, s, "custom-data", f, err)
	}
	return c.redirect(w, r, "/applications/"+id+"#custom-data", "Custom data saved.")
}

func (c *console) deleteApplication(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	app, err := c.svc.GetApplication(r.Context(), id)
	if err != nil {
		return err
	}
	if f.get("confirm") != app.Name {
		f.fail("confirm", "Type the application's name, "+app.Name+", to confirm.")
		return c.againApp(w, r, s, "delete", f, nil)
	}
	if err := c.svc.DeleteApplication(r.Context(), id); err != nil {
		return c.againApp(w, r, s, "delete", f, err)
	}
	return c.redirect(w, r, "/applications", "Application “"+app.Name+"” deleted.")
}
