package management_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/storetest"
	"github.com/gatehouse/gatehouse/internal/token"
)

// appBody is an Application as the API returns it.
type appBody struct {
	TenantID                     string          `json:"tenantId"`
	ID                           string          `json:"id"`
	Name                         string          `json:"name"`
	Description                  *string         `json:"description"`
	Type                         string          `json:"type"`
	OIDCClientMetadata           json.RawMessage `json:"oidcClientMetadata"`
	CustomClientMetadata         json.RawMessage `json:"customClientMetadata"`
	ProtectedAppMetadata         json.RawMessage `json:"protectedAppMetadata"`
	CustomData                   json.RawMessage `json:"customData"`
	IsThirdParty                 bool            `json:"isThirdParty"`
	AppLevelAccessControlEnabled bool            `json:"appLevelAccessControlEnabled"`
	CreatedAt                    int64           `json:"createdAt"`
	IsAdmin                      *bool           `json:"isAdmin"`
}

// secretBody is a Secret as the API returns it.
type secretBody struct {
	TenantID      string `json:"tenantId"`
	ApplicationID string `json:"applicationId"`
	Name          string `json:"name"`
	Value         string `json:"value"`
	CreatedAt     int64  `json:"createdAt"`
	ExpiresAt     *int64 `json:"expiresAt"`
}

var secretValue = regexp.MustCompile(`^[0-9a-zA-Z]{32}$`)

// newApp creates an M2M app and returns it with its default secret.
func newApp(t *testing.T, e *apptest.Env, name string) (appBody, string) {
	t.Helper()
	var app appBody
	e.Must(200, "POST", "/api/applications", map[string]any{"name": name, "type": "MachineToMachine"}, &app)
	var secrets []secretBody
	e.Must(200, "GET", "/api/applications/"+app.ID+"/secrets", nil, &secrets)
	if len(secrets) != 1 {
		t.Fatalf("secrets of a new app: %+v", secrets)
	}
	return app, secrets[0].Value
}

// wantCode fails unless r has status and code.
func wantCode(t *testing.T, what string, r *apptest.Response, status int, code string) {
	t.Helper()
	if r.Status != status || r.Code() != code {
		t.Fatalf("%s: got %d %q (%s), want %d %q", what, r.Status, r.Code(), r.Body, status, code)
	}
}

func keysOf(t *testing.T, body []byte) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(body)))
	var keys []string
	tok, _ := dec.Token()
	if tok != json.Delim('{') {
		t.Fatalf("not an object: %s", body)
	}
	for dec.More() {
		k, _ := dec.Token()
		keys = append(keys, k.(string))
		var skip json.RawMessage
		dec.Decode(&skip)
	}
	return keys
}

func TestApplicationLifecycle(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		r := e.Must(200, "POST", "/api/applications", map[string]any{
			"name": "Stats service", "type": "MachineToMachine", "description": "pulls daily orders",
			"id": "ignored", "secret": "ignored", "customData": map[string]any{"team": "a"}, "unknown": 1,
		}, nil)
		want := "tenantId id name description type oidcClientMetadata customClientMetadata protectedAppMetadata customData isThirdParty appLevelAccessControlEnabled createdAt"
		if got := strings.Join(keysOf(t, r.Body), " "); got != want {
			t.Fatalf("keys %q", got)
		}
		var app appBody
		r.JSON(t, &app)
		if app.TenantID != "default" || len(app.ID) != 21 || app.Name != "Stats service" || *app.Description != "pulls daily orders" ||
			app.Type != "MachineToMachine" || string(app.OIDCClientMetadata) != `{"redirectUris":[],"postLogoutRedirectUris":[]}` ||
			string(app.CustomClientMetadata) != `{}` || string(app.ProtectedAppMetadata) != "null" || string(app.CustomData) != `{"team":"a"}` ||
			app.IsThirdParty || app.CreatedAt == 0 {
			t.Fatalf("created: %s", r.Body)
		}

		// The Default secret authenticates at once.
		var secrets []secretBody
		e.Must(200, "GET", "/api/applications/"+app.ID+"/secrets", nil, &secrets)
		if len(secrets) != 1 || secrets[0].Name != "Default secret" || !secretValue.MatchString(secrets[0].Value) ||
			secrets[0].ApplicationID != app.ID || secrets[0].ExpiresAt != nil || secrets[0].TenantID != "default" {
			t.Fatalf("secrets: %+v", secrets)
		}
		if _, status := e.TokenAs(app.ID, secrets[0].Value, apptest.Indicator, ""); status != 200 {
			t.Fatalf("token with the default secret: %d", status)
		}

		var got appBody
		r = e.Must(200, "GET", "/api/applications/"+app.ID, nil, &got)
		if !strings.HasSuffix(strings.Join(keysOf(t, r.Body), " "), "createdAt isAdmin") || got.IsAdmin == nil || *got.IsAdmin || got.ID != app.ID {
			t.Fatalf("get: %s", r.Body)
		}
		wantCode(t, "get unknown", e.API("GET", "/api/applications/doesnotexist", nil), 404, "entity.not_exists_with_id")
		if r := e.API("GET", "/api/applications/doesnotexist", nil); !strings.Contains(string(r.Body), "The applications with ID `doesnotexist` does not exist.") {
			t.Errorf("message: %s", r.Body)
		}

		// PATCH replaces JSON columns; type and isThirdParty are ignored.
		var patched appBody
		e.Must(200, "PATCH", "/api/applications/"+app.ID, map[string]any{
			"name": "Stats v2", "description": nil, "customData": map[string]any{"x": 1}, "type": "SPA", "isThirdParty": true,
			"oidcClientMetadata":   map[string]any{"redirectUris": []string{"https://a/cb"}, "junk": 1},
			"customClientMetadata": map[string]any{"allowTokenExchange": true}, "appLevelAccessControlEnabled": true,
		}, &patched)
		if patched.Name != "Stats v2" || patched.Description != nil || string(patched.CustomData) != `{"x":1}` ||
			patched.Type != "MachineToMachine" || patched.IsThirdParty || !patched.AppLevelAccessControlEnabled ||
			string(patched.OIDCClientMetadata) != `{"redirectUris":["https://a/cb"],"postLogoutRedirectUris":[]}` ||
			string(patched.CustomClientMetadata) != `{"allowTokenExchange":true}` || patched.IsAdmin != nil {
			t.Fatalf("patched: %+v", patched)
		}
		e.Must(200, "PATCH", "/api/applications/"+app.ID, map[string]any{"customData": map[string]any{}}, &patched)
		if string(patched.CustomData) != `{}` {
			t.Fatalf("customData {} clears: %s", patched.CustomData)
		}
		e.Must(200, "PATCH", "/api/applications/"+app.ID, map[string]any{}, &patched)
		wantCode(t, "patch unknown", e.API("PATCH", "/api/applications/nope", map[string]any{"name": "x"}), 404, "entity.not_exists_with_id")
		wantCode(t, "patch empty name", e.API("PATCH", "/api/applications/"+app.ID, map[string]any{"name": ""}), 400, "guard.invalid_input")
		wantCode(t, "patch bad oidc", e.API("PATCH", "/api/applications/"+app.ID, map[string]any{"oidcClientMetadata": map[string]any{"redirectUris": "x"}}), 400, "guard.invalid_input")
		wantCode(t, "patch protected metadata", e.API("PATCH", "/api/applications/"+app.ID, map[string]any{"protectedAppMetadata": map[string]any{"origin": "x"}}), 400, "application.protected_application_only")
		wantCode(t, "patch isAdmin type", e.API("PATCH", "/api/applications/"+app.ID, map[string]any{"isAdmin": "yes"}), 400, "guard.invalid_input")

		// isAdmin gives the internal admin role: a Management API token.
		if _, status := e.TokenAs(app.ID, secrets[0].Value, apptest.Indicator, "all"); status != 200 {
			t.Fatalf("token before isAdmin: %d", status)
		}
		e.Must(200, "PATCH", "/api/applications/"+app.ID, map[string]any{"isAdmin": true}, nil)
		e.Must(200, "GET", "/api/applications/"+app.ID, nil, &got)
		if !*got.IsAdmin {
			t.Fatal("isAdmin not set")
		}
		tok, _ := e.TokenAs(app.ID, secrets[0].Value, apptest.Indicator, "all")
		if r := e.Do("GET", "/api/applications/"+app.ID, nil, tok); r.Status != 200 {
			t.Fatalf("admin app calls the API: %d %s", r.Status, r.Body)
		}
		var roles []map[string]any
		e.Must(200, "GET", "/api/applications/"+app.ID+"/roles", nil, &roles)
		if len(roles) != 0 {
			t.Fatalf("internal role listed: %v", roles)
		}
		e.Must(200, "PATCH", "/api/applications/"+app.ID, map[string]any{"isAdmin": true}, nil) // idempotent
		e.Must(200, "PATCH", "/api/applications/"+app.ID, map[string]any{"isAdmin": false}, nil)
		e.Must(200, "GET", "/api/applications/"+app.ID, nil, &got)
		if *got.IsAdmin {
			t.Fatal("isAdmin not cleared")
		}
		tok, _ = e.TokenAs(app.ID, secrets[0].Value, apptest.Indicator, "all")
		if r := e.Do("GET", "/api/applications/"+app.ID, nil, tok); r.Status != 403 {
			t.Fatalf("app without admin calls the API: %d", r.Status)
		}

		// DELETE cascades: the secret stops working.
		r = e.Must(204, "DELETE", "/api/applications/"+app.ID, nil, nil)
		if len(r.Body) != 0 {
			t.Fatalf("204 body %q", r.Body)
		}
		if _, status := e.TokenAs(app.ID, secrets[0].Value, apptest.Indicator, ""); status == 200 {
			t.Fatal("deleted app still gets tokens")
		}
		wantCode(t, "get deleted", e.API("GET", "/api/applications/"+app.ID, nil), 404, "entity.not_exists_with_id")
		wantCode(t, "delete again", e.API("DELETE", "/api/applications/"+app.ID, nil), 404, "entity.not_exists_with_id")
	})
}

func TestCreateApplicationValidation(t *testing.T) {
	e := apptest.New(t, storetest.SQLite(t))
	cases := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"no name", map[string]any{"type": "MachineToMachine"}, 400, "guard.invalid_input"},
		{"empty name", map[string]any{"name": "", "type": "MachineToMachine"}, 400, "guard.invalid_input"},
		{"name too long", map[string]any{"name": strings.Repeat("n", 257), "type": "MachineToMachine"}, 400, "guard.invalid_input"},
		{"no type", map[string]any{"name": "x"}, 400, "guard.invalid_input"},
		{"unknown type", map[string]any{"name": "x", "type": "Robot"}, 400, "guard.invalid_input"},
		{"description not a string", map[string]any{"name": "x", "type": "MachineToMachine", "description": 3}, 400, "guard.invalid_input"},
		{"customData not an object", map[string]any{"name": "x", "type": "MachineToMachine", "customData": []int{1}}, 400, "guard.invalid_input"},
		{"oidc lists not arrays", map[string]any{"name": "x", "type": "MachineToMachine", "oidcClientMetadata": map[string]any{"postLogoutRedirectUris": 1}}, 400, "guard.invalid_input"},
		{"not JSON", "{", 400, "guard.invalid_input"},
		{"array body", "[]", 400, "guard.invalid_input"},
		{"SPA", map[string]any{"name": "x", "type": "SPA"}, 400, "application.type_not_supported"},
		{"Native", map[string]any{"name": "x", "type": "Native"}, 400, "application.type_not_supported"},
		{"Traditional", map[string]any{"name": "x", "type": "Traditional"}, 400, "application.type_not_supported"},
		{"Protected", map[string]any{"name": "x", "type": "Protected"}, 400, "application.type_not_supported"},
		{"SAML", map[string]any{"name": "x", "type": "SAML"}, 400, "application.saml.use_saml_app_api"},
		{"third party", map[string]any{"name": "x", "type": "MachineToMachine", "isThirdParty": true}, 400, "application.invalid_third_party_application_type"},
		{"name of 256", map[string]any{"name": strings.Repeat("é", 256), "type": "MachineToMachine", "isThirdParty": false, "description": nil}, 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantCode(t, c.name, e.API("POST", "/api/applications", c.body), c.status, c.code)
		})
	}
	r := e.API("POST", "/api/applications", map[string]any{"name": "x", "type": "SPA"})
	if !strings.Contains(string(r.Body), "Only MachineToMachine applications are supported.") {
		t.Errorf("message: %s", r.Body)
	}
	r = e.API("POST", "/api/applications", map[string]any{"type": "MachineToMachine"})
	if !strings.Contains(string(r.Body), `Error in key path \"name\": (invalid_type) Expected string but received undefined.`) {
		t.Errorf("details: %s", r.Body)
	}
}

func TestListApplications(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		stats, _ := newApp(t, e, "Stats service")
		newApp(t, e, "billing")
		third, _ := newApp(t, e, "stats-two")
		e.Must(200, "PATCH", "/api/applications/"+stats.ID, map[string]any{"description": "pulls daily orders"}, nil)

		ids := func(path string) []string {
			t.Helper()
			var list []appBody
			e.Must(200, "GET", path, nil, &list)
			out := []string{}
			for _, a := range list {
				out = append(out, a.Name)
			}
			return out
		}
		// Everything, newest first, no paging headers: the bootstrap app too.
		r := e.Must(200, "GET", "/api/applications", nil, nil)
		if r.Header.Get("Total-Number") != "" || len(r.Header.Values("Link")) != 0 {
			t.Fatalf("unpaginated list has paging headers: %v", r.Header)
		}
		var all []appBody
		e.Must(200, "GET", "/api/applications", nil, &all)
		if len(all) != 4 || all[3].Name != "Gatehouse bootstrap" {
			t.Fatalf("list: %+v", all)
		}
		for i := 1; i < len(all); i++ {
			p, c := all[i-1], all[i]
			if p.CreatedAt < c.CreatedAt || p.CreatedAt == c.CreatedAt && p.ID < c.ID {
				t.Fatalf("not newest first (ties by id desc): %+v", all)
			}
		}
		// Apps made within one millisecond tie: the id decides.
		first := third
		if stats.CreatedAt > third.CreatedAt || stats.CreatedAt == third.CreatedAt && stats.ID > third.ID {
			first = stats
		}
		r = e.Must(200, "GET", "/api/applications?types=MachineToMachine&search=%25Stats%25&page=1&page_size=1", nil, nil)
		var page []appBody
		r.JSON(t, &page)
		if r.Header.Get("Total-Number") != "2" || len(page) != 1 || page[0].ID != first.ID {
			t.Fatalf("page: %v %s", r.Header, r.Body)
		}
		links := strings.Join(r.Header.Values("Link"), ", ")
		if !strings.Contains(links, `rel="first"`) || !strings.Contains(links, `page=2&page_size=1>; rel="next"`) || !strings.Contains(links, `rel="last"`) {
			t.Fatalf("links: %s", links)
		}
		for path, want := range map[string]string{
			"/api/applications?types=SPA":                                                            "",
			"/api/applications?types=SPA&types=Native":                                               "",
			"/api/applications?types=SPA&types=MachineToMachine&search=billing":                      "billing",
			"/api/applications?search.description=%25daily%25":                                       "Stats service",
			"/api/applications?search=" + stats.ID + "&mode=exact":                                   "Stats service",
			"/api/applications?isThirdParty=true":                                                    "",
			"/api/applications?isThirdParty=false&search=%25bill%25":                                 "billing",
			"/api/applications?excludeOrganizationId=org1&search=%25bill%25":                         "billing",
			"/api/applications?excludeRoleId=nosuchrole&search=%25bill%25":                           "billing",
			"/api/applications?page=2&page_size=3":                                                   "Gatehouse bootstrap",
			"/api/applications?search=%25STATS%25&isCaseSensitive=true":                              "",
			"/api/applications?search=%25Stats%25&isCaseSensitive=true&page=1":                       "Stats service",
			"/api/applications?search.name=%25stats%25&search.id=x&joint=and":                        "",
			"/api/applications?search.name=%25stats%25&search.id=zz&jointMode=or&page=1&page_size=1": first.Name,
		} {
			if got := strings.Join(ids(path), ","); got != want {
				t.Errorf("%s: got %q, want %q", path, got, want)
			}
		}
		for path, code := range map[string]string{
			"/api/applications?types=Robot":                             "guard.invalid_input",
			"/api/applications?isThirdParty=maybe":                      "guard.invalid_input",
			"/api/applications?excludeRoleId=a&excludeOrganizationId=b": "request.invalid_input",
			"/api/applications?search=x&mode=fuzzy":                     "request.invalid_input",
			"/api/applications?search.secret=x":                         "request.invalid_input",
			"/api/applications?search=":                                 "request.invalid_input",
			"/api/applications?page=0":                                  "guard.invalid_pagination",
			"/api/applications?page_size=101":                           "guard.invalid_pagination",
		} {
			wantCode(t, path, e.API("GET", path, nil), 400, code)
		}
		// posix runs on both engines (RE2 on SQLite).
		if got := ids("/api/applications?search=^stats&mode=posix"); len(got) != 2 {
			t.Errorf("posix: %v", got)
		}

		// excludeRoleId drops the apps holding the role.
		role := mkRole(t, e, "r1", rbac.RoleMachineToMachine)
		e.Must(201, "POST", "/api/applications/"+third.ID+"/roles", map[string]any{"roleIds": []string{role}}, nil)
		if got := strings.Join(ids("/api/applications?excludeRoleId="+role+"&search=%25stats%25"), ","); got != "Stats service" {
			t.Errorf("excludeRoleId: %s", got)
		}
	})
}

// mkRole makes a role through the store (the roles API is not this
// family's) and returns its id.
func mkRole(t *testing.T, e *apptest.Env, id string, typ rbac.RoleType) string {
	t.Helper()
	err := e.Server.Store().InsertRole(context.Background(), &rbac.Role{TenantID: rbac.DefaultTenant, ID: id,
		Name: "role " + id, Description: "about " + id, Type: typ})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestApplicationCustomData(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		app, _ := newApp(t, e, "cd")
		e.Must(200, "PATCH", "/api/applications/"+app.ID, map[string]any{"customData": map[string]any{"keep": 1, "over": map[string]any{"a": 1}}}, nil)
		var merged map[string]any
		e.Must(200, "PATCH", "/api/applications/"+app.ID+"/custom-data", map[string]any{"over": map[string]any{"b": 2}, "new": "x"}, &merged)
		b, _ := json.Marshal(merged)
		if string(b) != `{"keep":1,"new":"x","over":{"b":2}}` {
			t.Fatalf("merged: %s", b)
		}
		var got appBody
		e.Must(200, "GET", "/api/applications/"+app.ID, nil, &got)
		var stored map[string]any
		json.Unmarshal(got.CustomData, &stored)
		if b2, _ := json.Marshal(stored); string(b2) != string(b) {
			t.Fatalf("stored: %s", got.CustomData)
		}
		e.Must(200, "PATCH", "/api/applications/"+app.ID+"/custom-data", nil, &merged)
		if len(merged) != 3 {
			t.Fatalf("empty patch: %v", merged)
		}
		wantCode(t, "unknown app", e.API("PATCH", "/api/applications/nope/custom-data", map[string]any{"a": 1}), 404, "entity.not_exists")
		wantCode(t, "array", e.API("PATCH", "/api/applications/"+app.ID+"/custom-data", "[1]"), 400, "guard.invalid_input")
		wantCode(t, "string", e.API("PATCH", "/api/applications/"+app.ID+"/custom-data", `"x"`), 400, "guard.invalid_input")
	})
}

// TestApplicationAuth checks every application route's token checks.
func TestApplicationAuth(t *testing.T) {
	e := apptest.New(t, storetest.SQLite(t))
	app, _ := newApp(t, e, "auth")
	wrongAud := mint(t, e, func(c *token.Claims) { c.Audience = "https://shopping.api" })
	noScope := e.Token(apptest.Indicator, "")
	id := app.ID
	routes := []struct{ method, path string }{
		{"GET", "/api/applications"},
		{"POST", "/api/applications"},
		{"GET", "/api/applications/" + id},
		{"PATCH", "/api/applications/" + id},
		{"DELETE", "/api/applications/" + id},
		{"PATCH", "/api/applications/" + id + "/custom-data"},
		{"GET", "/api/applications/" + id + "/secrets"},
		{"POST", "/api/applications/" + id + "/secrets"},
		{"PATCH", "/api/applications/" + id + "/secrets/Default%20secret"},
		{"DELETE", "/api/applications/" + id + "/secrets/Default%20secret"},
		{"DELETE", "/api/applications/" + id + "/legacy-secret"},
		{"GET", "/api/applications/" + id + "/roles"},
		{"POST", "/api/applications/" + id + "/roles"},
		{"PUT", "/api/applications/" + id + "/roles"},
		{"DELETE", "/api/applications/" + id + "/roles/r"},
	}
	for _, rt := range routes {
		for _, c := range []struct {
			name, token string
			status      int
			code        string
		}{
			{"missing", "", 401, "auth.authorization_header_missing"},
			{"wrong audience", wrongAud, 401, "auth.unauthorized"},
			{"no scope", noScope, 403, "auth.forbidden"},
		} {
			wantCode(t, rt.method+" "+rt.path+" "+c.name, e.Do(rt.method, rt.path, map[string]any{}, c.token), c.status, c.code)
		}
	}
	e.Must(200, "GET", "/api/applications/"+id, nil, nil) // nothing changed
}
