package console_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// orgToken asks for a client-credentials token with form and returns the
// status, the answer and the access token's claims.
func (e *env) orgToken(id, secret string, form url.Values) (int, map[string]any, map[string]any) {
	e.t.Helper()
	form.Set("grant_type", "client_credentials")
	req, _ := http.NewRequest("POST", e.url+"/oidc/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	json.NewDecoder(res.Body).Decode(&body)
	claims := map[string]any{}
	if tok, ok := body["access_token"].(string); ok {
		parts := strings.Split(tok, ".")
		b, _ := base64.RawURLEncoding.DecodeString(parts[1])
		json.Unmarshal(b, &claims)
	}
	return res.StatusCode, body, claims
}

// curlArgs reads the ready-to-run curl of a page (the Copy button's text):
// its -u credentials and --data-urlencode fields.
func curlArgs(t *testing.T, body, id string) (user, secret string, form url.Values) {
	t.Helper()
	full := html.UnescapeString(find(t, "curl", `(?s)<textarea id="`+id+`-full" hidden readonly>(.*?)</textarea>`, body))
	cred := find(t, "credentials", `-u '([^']+)'`, full)
	user, secret, _ = strings.Cut(cred, ":")
	form = url.Values{}
	for _, m := range regexp.MustCompile(`--data-urlencode (\w+)='([^']*)'`).FindAllStringSubmatch(full, -1) {
		form.Set(m[1], m[2])
	}
	return user, secret, form
}

// An organization through the console, on both engines: the template (an
// organization permission, roles holding it and an API permission), the
// organization with a member app and a member user holding roles, the Try
// it request returning an organization-scoped token, every validation
// message, custom data, removal and deletion; every write audited.
func TestOrganizationsFlow(t *testing.T) {
	engines(t, nil, func(t *testing.T, e *env) {
		e.signIn()
		must(t, "empty list", e.get("/console/organizations"), 200, "No organizations yet")
		must(t, "no name", e.post("/console/organizations/new", url.Values{"name": {" "}}), http.StatusUnprocessableEntity, "Enter a name.")
		r := e.post("/console/organizations/new", url.Values{"name": {"Acme"}, "description": {"A customer"}})
		page := e.redirected("create org", r, "/console/organizations/")
		must(t, "org page", page, 200, "Organization “Acme” created.", "No apps in this organization yet", "No users in this organization yet")
		orgID := find(t, "org id", `/console/organizations/([^/"]+)/settings`, page.body)
		must(t, "list", e.get("/console/organizations?q=acm"), 200, "Acme", orgID)
		must(t, "search miss", e.get("/console/organizations?q=zzz"), 200, "No organizations match")
		must(t, "page beyond the end", e.get("/console/organizations?page=9"), 200, "No organizations on this page")
		// CSRF: a post without the token is refused and changes nothing.
		must(t, "no csrf", e.postRaw("/console/organizations/new", url.Values{"name": {"Forged"}}), http.StatusForbidden)

		// An API resource with a permission (the console's own forms).
		r = e.post("/console/resources/new", url.Values{"name": {"Orders"}, "indicator": {"https://orders.example.com"}, "accessTokenTtl": {"900"}})
		resPage := e.redirected("resource", r, "/console/resources/")
		resID := find(t, "resource id", `/console/resources/([^/"]+)/settings`, resPage.body)
		e.redirected("scope", e.post("/console/resources/"+resID+"/scopes", url.Values{"name": {"read:orders"}}), "/console/resources/"+resID)

		// Organization permissions.
		must(t, "scope with space", e.post("/console/organization-scopes/new", url.Values{"name": {"read members"}}),
			http.StatusUnprocessableEntity, "Use a name without spaces")
		e.redirected("org scope", e.post("/console/organization-scopes/new", url.Values{"name": {"read:members"}, "description": {"See members"}}), "/console/organization-scopes")
		must(t, "duplicate org scope", e.post("/console/organization-scopes/new", url.Values{"name": {"read:members"}}),
			http.StatusUnprocessableEntity, "An organization permission named read:members already exists.")
		scopes := e.get("/console/organization-scopes")
		must(t, "scopes page", scopes, 200, "read:members", "See members")
		orgScopeID := find(t, "org scope id", `/console/organization-scopes/([^/"]+)/edit`, scopes.body)
		e.redirected("edit org scope", e.post("/console/organization-scopes/"+orgScopeID+"/edit", url.Values{"name": {"read:members"}, "description": {"Lists members"}}), "/console/organization-scopes")

		// Organization roles: one for apps with both kinds of permission,
		// one for users.
		roles := e.get("/console/organization-roles")
		must(t, "roles page", roles, 200, "No organization roles yet", "read:orders", "read:members")
		readID := find(t, "read:orders id", `name="scopeId" value="([^"]+)"><span><code class="chip">read:orders<`, roles.body)
		must(t, "role invalid", e.post("/console/organization-roles/new", url.Values{"name": {""}, "type": {"Nope"}}),
			http.StatusUnprocessableEntity, "Enter a name.", "Choose who the role is for.")
		r = e.post("/console/organization-roles/new", url.Values{"name": {"Syncer"}, "type": {"MachineToMachine"},
			"scopeId": {readID}, "organizationScopeId": {orgScopeID}})
		rolePage := e.redirected("create org role", r, "/console/organization-roles/")
		must(t, "org role page", rolePage, 200, "Organization role “Syncer” created.", "read:orders", "read:members", "https://orders.example.com")
		m2mRole := find(t, "m2m role id", `/console/organization-roles/([^/"]+)/settings`, rolePage.body)
		must(t, "taken role name", e.post("/console/organization-roles/new", url.Values{"name": {"Syncer"}, "type": {"User"}}),
			http.StatusUnprocessableEntity, "An organization role named Syncer already exists.")
		r = e.post("/console/organization-roles/new", url.Values{"name": {"Member"}, "type": {"User"}})
		userRole := find(t, "user role id", `/console/organization-roles/([^/"]+)`, r.location())

		// Remove and re-add the role's organization permission.
		base := "/console/organization-roles/" + m2mRole
		must(t, "nothing picked", e.post(base+"/scopes", nil), http.StatusUnprocessableEntity, "Pick at least one permission.")
		e.redirected("remove org scope", e.post(base+"/scopes/remove", url.Values{"organizationScopeId": {orgScopeID}}), base)
		e.redirected("add org scope", e.post(base+"/scopes", url.Values{"organizationScopeId": {orgScopeID}}), base)

		// A member app with the role, and a member user with the user role.
		r = e.post("/console/applications/new", url.Values{"name": {"Acme sync"}})
		appID := find(t, "app id", `/console/applications/([^/?]+)/assign-roles`, r.location())
		must(t, "users", e.redirected("user", e.post("/console/users/new", url.Values{"username": {"carol"}}), "/console/users/"), 200)
		orgPath := "/console/organizations/" + orgID
		page = e.get(orgPath)
		must(t, "choices", page, 200, "Acme sync", "carol", "Syncer", "Member")
		userID := find(t, "user id", `<option value="([^"]+)">carol \(`, page.body)
		must(t, "add nothing", e.post(orgPath+"/applications", nil), http.StatusUnprocessableEntity, "Pick an application.")
		page = e.redirected("add app", e.post(orgPath+"/applications", url.Values{"applicationId": {appID}, "roleId": {m2mRole}}), orgPath)
		must(t, "app added", page, 200, "Application added with 1 role.", "organization_id=", "--data-urlencode resource=")
		e.redirected("add user", e.post(orgPath+"/users", url.Values{"userId": {userID}, "roleId": {userRole}}), orgPath)

		// Try it: the page's request, run, gives a token for the resource
		// within the organization.
		page = e.get(orgPath)
		if strings.Contains(page.body, "organization_id='"+orgID+"'") == strings.Contains(page.body, "No role") {
			t.Fatalf("organization page: %.3000s", page.body)
		}
		user, secret, form := curlArgs(t, page.body, "org-curl")
		if user != appID || form.Get("organization_id") != orgID || form.Get("resource") != "https://orders.example.com" || form.Get("scope") != "read:orders" {
			t.Fatalf("try it: %s %v", user, form)
		}
		status, body, claims := e.orgToken(user, secret, form)
		if status != 200 || claims["organization_id"] != orgID || claims["scope"] != "read:orders" || claims["aud"] != "https://orders.example.com" {
			t.Fatalf("organization token: %d %v %v", status, body, claims)
		}
		// Without a resource: an organization token with the organization
		// permission.
		status, body, claims = e.orgToken(user, secret, url.Values{"organization_id": {orgID}, "scope": {"read:members"}})
		if status != 200 || claims["aud"] != "urn:logto:organization:"+orgID || claims["scope"] != "read:members" {
			t.Fatalf("organization token: %d %v %v", status, body, claims)
		}

		// Roles of members: take away, give back, refuse a role of the
		// wrong kind.
		e.redirected("unassign app role", e.post(orgPath+"/applications/roles/remove", url.Values{"applicationId": {appID}, "roleId": {m2mRole}}), orgPath)
		if status, _, _ = e.orgToken(user, secret, form); status != 200 {
			t.Fatalf("member without role: %d", status)
		}
		if _, _, claims = e.orgToken(user, secret, form); claims["scope"] != nil {
			t.Fatalf("role removed, scope still granted: %v", claims)
		}
		must(t, "user role to app", e.post(orgPath+"/applications/roles", url.Values{"applicationId": {appID}, "roleId": {userRole}}), http.StatusUnprocessableEntity)
		must(t, "no role picked", e.post(orgPath+"/applications/roles", url.Values{"applicationId": {appID}}), http.StatusUnprocessableEntity, "Pick a role to assign.")
		e.redirected("assign app role", e.post(orgPath+"/applications/roles", url.Values{"applicationId": {appID}, "roleId": {m2mRole}}), orgPath)
		e.redirected("unassign user role", e.post(orgPath+"/users/roles/remove", url.Values{"userId": {userID}, "roleId": {userRole}}), orgPath)
		e.redirected("assign user role", e.post(orgPath+"/users/roles", url.Values{"userId": {userID}, "roleId": {userRole}}), orgPath)
		page = e.get(orgPath)
		must(t, "roles shown", page, 200, `<code class="chip">Syncer`, `<code class="chip">Member`)

		// Settings and custom data.
		must(t, "bad custom data", e.post(orgPath+"/custom-data", url.Values{"customData": {"[1]"}}), http.StatusUnprocessableEntity, "must be a JSON object")
		page = e.redirected("custom data", e.post(orgPath+"/custom-data", url.Values{"customData": {`{"plan":"gold"}`}}), orgPath)
		must(t, "custom data saved", page, 200, "Custom data saved.", "&#34;plan&#34;: &#34;gold&#34;")
		must(t, "settings invalid", e.post(orgPath+"/settings", url.Values{"name": {""}}), http.StatusUnprocessableEntity, "Enter a name.")
		e.redirected("settings", e.post(orgPath+"/settings", url.Values{"name": {"Acme Corp"}}), orgPath)

		// Members leave; the app's organization tokens stop.
		e.redirected("remove user", e.post(orgPath+"/users/remove", url.Values{"userId": {userID}}), orgPath)
		e.redirected("remove app", e.post(orgPath+"/applications/remove", url.Values{"applicationId": {appID}}), orgPath)
		if status, _, _ = e.orgToken(user, secret, form); status != http.StatusForbidden {
			t.Fatalf("non-member token: %d", status)
		}
		must(t, "remove again", e.post(orgPath+"/applications/remove", url.Values{"applicationId": {appID}}), http.StatusUnprocessableEntity,
			"Nothing to remove: it was already removed.")

		// Delete the role, the scope, the organization.
		must(t, "role delete unconfirmed", e.post(base+"/delete", url.Values{"confirm": {"x"}}), http.StatusUnprocessableEntity, "Type the role&#39;s name, Syncer, to confirm.")
		e.redirected("role delete", e.post(base+"/delete", url.Values{"confirm": {"Syncer"}}), "/console/organization-roles")
		e.redirected("scope delete", e.post("/console/organization-scopes/"+orgScopeID+"/delete", nil), "/console/organization-scopes")
		must(t, "org delete unconfirmed", e.post(orgPath+"/delete", url.Values{"confirm": {"Acme"}}), http.StatusUnprocessableEntity, "Type the organization&#39;s name, Acme Corp, to confirm.")
		page = e.redirected("org delete", e.post(orgPath+"/delete", url.Values{"confirm": {"Acme Corp"}}), "/console/organizations")
		must(t, "deleted", page, 200, "Organization “Acme Corp” deleted.", "No organizations yet")
		must(t, "gone", e.get(orgPath), http.StatusNotFound)

		// Every write above is in the audit log, with its ids.
		ctx := context.Background()
		if err := e.srv.FlushAudit(ctx); err != nil {
			t.Fatal(err)
		}
		logs, _, err := e.srv.Store().ListLogs(ctx, rbac.LogFilter{KeyPrefix: rbac.LogKeyPrefixAdmin})
		if err != nil {
			t.Fatal(err)
		}
		routes := map[string]bool{}
		for _, l := range logs {
			var p struct{ Route string }
			json.Unmarshal(l.Payload, &p)
			routes[p.Route] = true
		}
		for _, want := range []string{"/console/organizations/new", "/console/organizations/{id}/applications", "/console/organizations/{id}/users/roles",
			"/console/organization-roles/new", "/console/organization-scopes/{scope}/delete", "/console/organizations/{id}/delete"} {
			if !routes[want] {
				t.Errorf("no audit entry for %s in %v", want, routes)
			}
		}
	})
}

// The JWT customizer page, on both engines: the limits shown, a test run
// showing the claims and one showing the script's error, the environment
// variables never shown once saved, and a token carrying the claim.
func TestCustomizerPage(t *testing.T) {
	engines(t, map[string]string{"GATEHOUSE_CUSTOMIZER_TIMEOUT": "3s"}, func(t *testing.T, e *env) {
		e.signIn()
		must(t, "page", e.get("/console/jwt-customizer"), 200, "Not configured", "getCustomJwtClaims", "3s", "128 MB",
			"GATEHOUSE_CUSTOMIZER_TIMEOUT", "ClientCredentials")
		script := `const getCustomJwtClaims = async ({ token, context, environmentVariables }) => ({ tier: context.application.customData.tier, region: environmentVariables.REGION, seen: token.clientId });`
		form := url.Values{"script": {script}, "envName": {"REGION", ""}, "envValue": {"eu-sealed-value", ""}, "blockIssuanceOnError": {"false", "true"}}
		r := e.post("/console/jwt-customizer/test", form)
		must(t, "test", r, 200, "The script ran.", "&#34;tier&#34;: &#34;gold&#34;", "&#34;region&#34;: &#34;eu-sealed-value&#34;", "&#34;seen&#34;: &#34;m2m-app-id&#34;")
		bad := url.Values{"script": {`const getCustomJwtClaims = () => { throw new Error("no tier here"); };`}}
		must(t, "test error", e.post("/console/jwt-customizer/test", bad), 200, "The script failed.", "no tier here")
		// The rows typed come back with the result, so that Save after Test
		// saves them.
		bad.Set("envName", "KEEP_ME")
		bad.Set("envValue", "typed")
		must(t, "rows kept", e.post("/console/jwt-customizer/test", bad), 200, `value="KEEP_ME"`, `value="typed"`)
		deny := url.Values{"script": {`const getCustomJwtClaims = ({ api }) => api.denyAccess("not today");`}}
		must(t, "test denial", e.post("/console/jwt-customizer/test", deny), 200, "The script denied the token: not today")
		must(t, "value without name", e.post("/console/jwt-customizer", url.Values{"script": {script}, "envName": {""}, "envValue": {"x"}}),
			http.StatusUnprocessableEntity, "Give every value a name.")
		must(t, "bad sample", e.post("/console/jwt-customizer", url.Values{"script": {script}, "tokenSample": {`{"kind":"User"}`}}),
			http.StatusUnprocessableEntity, `kind must be &#34;ClientCredentials&#34;`)
		many := url.Values{"script": {script}}
		for i := 0; i <= 100; i++ {
			many.Add("envName", "V"+strings.Repeat("x", i))
			many.Add("envValue", "v")
		}
		must(t, "too many variables", e.post("/console/jwt-customizer", many), http.StatusUnprocessableEntity, "Use at most 100 environment variables.")
		must(t, "name with space", e.post("/console/jwt-customizer", url.Values{"script": {script}, "envName": {"A B"}, "envValue": {"v"}}),
			http.StatusUnprocessableEntity, "has spaces")
		must(t, "empty script", e.post("/console/jwt-customizer", url.Values{"script": {" "}}), http.StatusUnprocessableEntity, "Enter a script.")

		page := e.redirected("save", e.post("/console/jwt-customizer", form), "/console/jwt-customizer")
		must(t, "saved", page, 200, "JWT customizer saved.", "Active", `value="REGION" readonly`, "Remove customizer", `value="true" id="block-switch" checked`)
		if strings.Contains(page.body, "eu-sealed-value") {
			t.Fatal("the page shows a saved environment variable's value")
		}
		// An empty value keeps the saved one: the test still sees it.
		keep := url.Values{"script": {script}, "envName": {"REGION"}, "envValue": {""}}
		must(t, "kept value", e.post("/console/jwt-customizer/test", keep), 200, "&#34;region&#34;: &#34;eu-sealed-value&#34;")

		// A token of an app with custom data carries the claims.
		r = e.post("/console/applications/new", url.Values{"name": {"Gold app"}})
		appID := find(t, "app id", `/console/applications/([^/?]+)/assign-roles`, r.location())
		e.redirected("custom data", e.post("/console/applications/"+appID+"/custom-data", url.Values{"customData": {`{"tier":"gold"}`}}), "/console/applications/"+appID)
		app := e.get("/console/applications/" + appID + "?reveal=1")
		secret := find(t, "secret", `id="app-secret" class="mono" type="text" readonly value="([^"]+)"`, app.body)
		status, body, claims := e.orgToken(appID, secret, url.Values{"resource": {"https://default.logto.app/api"}, "scope": {"all"}})
		if status != 200 || claims["tier"] != "gold" || claims["region"] != "eu-sealed-value" {
			t.Fatalf("customized token: %d %v %v", status, body, claims)
		}

		// Removing a saved variable; removing the customizer.
		page = e.redirected("remove var", e.post("/console/jwt-customizer", url.Values{"script": {script}, "envName": {"REGION"}, "envValue": {""}, "envRemove": {"REGION"}}), "/console/jwt-customizer")
		if strings.Contains(page.body, `value="REGION" readonly`) {
			t.Fatal("removed variable still listed")
		}
		page = e.redirected("delete", e.post("/console/jwt-customizer/delete", nil), "/console/jwt-customizer")
		must(t, "deleted", page, 200, "JWT customizer removed.", "Not configured")
		if _, _, claims = e.orgToken(appID, secret, url.Values{"resource": {"https://default.logto.app/api"}, "scope": {"all"}}); claims["tier"] != nil {
			t.Fatalf("claims after removal: %v", claims)
		}

		// The audit log has the writes but never a variable's value.
		ctx := context.Background()
		if err := e.srv.FlushAudit(ctx); err != nil {
			t.Fatal(err)
		}
		logs, _, err := e.srv.Store().ListLogs(ctx, rbac.LogFilter{KeyPrefix: rbac.LogKeyPrefixAdmin})
		if err != nil {
			t.Fatal(err)
		}
		saw := false
		for _, l := range logs {
			if strings.Contains(string(l.Payload), "eu-sealed-value") {
				t.Fatalf("environment variable value in the audit log: %s", l.Payload)
			}
			saw = saw || strings.Contains(string(l.Payload), `"/console/jwt-customizer"`)
		}
		if !saw {
			t.Fatal("customizer save not audited")
		}
	})
}
