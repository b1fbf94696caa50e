package management_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/storetest"
)

// orgTokenResponse asks the token endpoint with client_secret_basic and
// returns the status, the body's keys (sorted) and the body.
func orgTokenResponse(t *testing.T, e *apptest.Env, id, secret string, form url.Values) (int, []string, map[string]any) {
	t.Helper()
	form.Set("grant_type", "client_credentials")
	req, _ := http.NewRequest("POST", e.URL+"/oidc/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range body {
		keys = append(keys, k)
	}
	return resp.StatusCode, sortedCopy(keys), body
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// orgFixture is an organization with a member app holding an M2M
// organization role with organization scopes a and b and the resource
// scope read of https://org.api; the app's global M2M role grants write
// on the same resource.
type orgFixture struct {
	org, app, secret, role, other string
	resource                      resourceBody
}

func newOrgFixture(t *testing.T, e *apptest.Env) orgFixture {
	t.Helper()
	var f orgFixture
	app, secret := newApp(t, e, "org member")
	f.app, f.secret = app.ID, secret
	f.resource = postResource(t, e, "Org API", "https://org.api")
	read := postScope(t, e, f.resource.ID, "read")
	write := postScope(t, e, f.resource.ID, "write")
	global := postRole(t, e, map[string]any{"name": "global", "description": "d", "type": "MachineToMachine", "scopeIds": []string{write.ID}})
	e.Must(201, "POST", "/api/applications/"+f.app+"/roles", map[string]any{"roleIds": []string{global.ID}}, nil)

	var sa, sb, org map[string]any
	e.Must(201, "POST", "/api/organization-scopes", map[string]any{"name": "b"}, &sb)
	e.Must(201, "POST", "/api/organization-scopes", map[string]any{"name": "a"}, &sa)
	var role map[string]any
	e.Must(201, "POST", "/api/organization-roles", map[string]any{"name": "m2m", "type": "MachineToMachine",
		"organizationScopeIds": []any{sa["id"], sb["id"]}, "resourceScopeIds": []string{read.ID}}, &role)
	f.role = role["id"].(string)
	e.Must(201, "POST", "/api/organizations", map[string]any{"name": "Acme"}, &org)
	f.org = org["id"].(string)
	e.Must(201, "POST", "/api/organizations", map[string]any{"name": "Other"}, &org)
	f.other = org["id"].(string)
	e.Must(201, "POST", "/api/organizations/"+f.org+"/applications", map[string]any{"applicationIds": []string{f.app}}, nil)
	e.Must(201, "POST", "/api/organizations/"+f.org+"/applications/"+f.app+"/roles", map[string]any{"organizationRoleIds": []string{f.role}}, nil)
	return f
}

func TestOrganizationTokens(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		f := newOrgFixture(t, e)
		req := func(form url.Values) (int, []string, map[string]any) {
			return orgTokenResponse(t, e, f.app, f.secret, form)
		}
		denied := func(what string, form url.Values) {
			t.Helper()
			status, _, body := req(form)
			if status != 403 || body["error"] != "access_denied" || body["error_description"] != "app has not associated with the organization" {
				t.Fatalf("%s: %d %v", what, status, body)
			}
		}
		// Not a member (an unknown organization counts as one), checked
		// before the resource.
		denied("unknown organization", url.Values{"organization_id": {"nope"}})
		denied("not a member", url.Values{"organization_id": {f.other}, "scope": {"a"}})
		denied("before the resource", url.Values{"organization_id": {f.other}, "resource": {"https://not-found"}})

		// Organization token: aud urn, TTL 3600, scope in database order
		// (by name) intersected with the request, no organization_id claim.
		status, keys, body := req(url.Values{"organization_id": {f.org}, "scope": {"b x a b"}})
		if status != 200 || body["scope"] != "a b" || body["expires_in"] != 3600.0 ||
			!reflect.DeepEqual(keys, []string{"access_token", "expires_in", "scope", "token_type"}) {
			t.Fatalf("organization token: %d %v", status, body)
		}
		c := decodeClaims(t, body["access_token"].(string))
		if c["aud"] != "urn:logto:organization:"+f.org || c["scope"] != "a b" || c["exp"].(float64)-c["iat"].(float64) != 3600 || c["sub"] != f.app {
			t.Fatalf("organization token claims %v", c)
		}
		if _, ok := c["organization_id"]; ok {
			t.Fatalf("organization token with organization_id: %v", c)
		}
		// Nothing granted: scope is "" in the answer and in the JWT.
		for _, scope := range []string{"", "x read"} {
			form := url.Values{"organization_id": {f.org}}
			if scope != "" {
				form.Set("scope", scope)
			}
			status, keys, body = req(form)
			if status != 200 || body["scope"] != "" || !reflect.DeepEqual(keys, []string{"access_token", "expires_in", "scope", "token_type"}) {
				t.Fatalf("empty organization token (%q): %d %v", scope, status, body)
			}
			if s, ok := decodeClaims(t, body["access_token"].(string))["scope"]; !ok || s != "" {
				t.Fatalf("JWT scope %v %v", s, ok)
			}
		}
		// The default resource is ignored when organization_id comes
		// without resource.
		e.Must(200, "PATCH", "/api/resources/"+f.resource.ID, map[string]any{"isDefault": true}, nil)
		if status, _, body = req(url.Values{"organization_id": {f.org}, "scope": {"a read"}}); status != 200 ||
			decodeClaims(t, body["access_token"].(string))["aud"] != "urn:logto:organization:"+f.org || body["scope"] != "a" {
			t.Fatalf("with a default resource: %d %v", status, body)
		}

		// Organization-scoped resource token: the organization roles'
		// resource scopes only (not the global role's write), the
		// resource's TTL, and the organization_id claim.
		status, _, body = req(url.Values{"organization_id": {f.org}, "resource": {"https://org.api"}, "scope": {"write read a"}})
		c = decodeClaims(t, body["access_token"].(string))
		if status != 200 || body["scope"] != "read" || c["aud"] != "https://org.api" || c["organization_id"] != f.org || c["scope"] != "read" {
			t.Fatalf("organization resource token: %d %v %v", status, body, c)
		}
		// Nothing granted: scope omitted, the claim still there.
		status, keys, body = req(url.Values{"organization_id": {f.org}, "resource": {"https://org.api"}, "scope": {"write"}})
		c = decodeClaims(t, body["access_token"].(string))
		if _, has := c["scope"]; status != 200 || has || c["organization_id"] != f.org ||
			!reflect.DeepEqual(keys, []string{"access_token", "expires_in", "token_type"}) {
			t.Fatalf("empty organization resource token: %d %v %v", status, body, c)
		}
		// Without organization_id the global role counts, not the
		// organization's.
		if status, _, body = req(url.Values{"resource": {"https://org.api"}, "scope": {"write read"}}); status != 200 || body["scope"] != "write" {
			t.Fatalf("resource token: %d %v", status, body)
		}
		// A member asking for an unknown resource, and the reserved
		// organizations resource (not served; see docs/compatibility.md).
		for _, res := range []string{"https://not-found", "urn:logto:resource:organizations"} {
			status, _, body = req(url.Values{"organization_id": {f.org}, "resource": {res}})
			if status != 400 || body["error"] != "invalid_target" || body["error_description"] != "resource indicator is missing, or unknown" {
				t.Fatalf("resource %s: %d %v", res, status, body)
			}
		}

		// The grant cache follows every change at once. Type User: the role
		// no longer grants anything.
		e.Must(200, "PATCH", "/api/organization-roles/"+f.role, map[string]any{"type": "User"}, nil)
		if _, _, body = req(url.Values{"organization_id": {f.org}, "scope": {"a b"}}); body["scope"] != "" {
			t.Fatalf("after the role became User: %v", body)
		}
		e.Must(200, "PATCH", "/api/organization-roles/"+f.role, map[string]any{"type": "MachineToMachine"}, nil)
		// A scope taken from the role.
		var scopes []map[string]any
		e.Must(200, "GET", "/api/organization-roles/"+f.role+"/scopes", nil, &scopes)
		e.Must(204, "DELETE", "/api/organization-roles/"+f.role+"/scopes/"+scopes[0]["id"].(string), nil, nil)
		if _, _, body = req(url.Values{"organization_id": {f.org}, "scope": {"a b"}}); body["scope"] != "b" {
			t.Fatalf("after removing scope a: %v", body)
		}
		// The role taken from the app.
		e.Must(204, "DELETE", "/api/organizations/"+f.org+"/applications/"+f.app+"/roles/"+f.role, nil, nil)
		if _, _, body = req(url.Values{"organization_id": {f.org}, "scope": {"a b"}}); body["scope"] != "" {
			t.Fatalf("after removing the role: %v", body)
		}
		if _, _, body = req(url.Values{"organization_id": {f.org}, "resource": {"https://org.api"}, "scope": {"read"}}); body["scope"] != nil {
			t.Fatalf("resource token after removing the role: %v", body)
		}
		// The app removed from the organization.
		e.Must(204, "DELETE", "/api/organizations/"+f.org+"/applications/"+f.app, nil, nil)
		denied("after leaving", url.Values{"organization_id": {f.org}})
		// Back in (no roles), then the organization deleted.
		e.Must(201, "POST", "/api/organizations/"+f.org+"/applications", map[string]any{"applicationIds": []string{f.app}}, nil)
		if status, _, _ = req(url.Values{"organization_id": {f.org}}); status != 200 {
			t.Fatalf("member again: %d", status)
		}
		e.Must(204, "DELETE", "/api/organizations/"+f.org, nil, nil)
		denied("organization deleted", url.Values{"organization_id": {f.org}})
	})
}

// TestIntrospectOrganizationTokens: introspection re-checks the grant
// behind organization tokens: membership and the organization role's
// scopes, for organization tokens and organization-scoped resource tokens.
func TestIntrospectOrganizationTokens(t *testing.T) {
	e := apptest.New(t, storetest.SQLite(t))
	f := newOrgFixture(t, e)
	token := func(form url.Values) string {
		t.Helper()
		_, _, body := orgTokenResponse(t, e, f.app, f.secret, form)
		tok, _ := body["access_token"].(string)
		if tok == "" {
			t.Fatalf("no token: %v", body)
		}
		return tok
	}
	introspect := func(tok string) bool {
		t.Helper()
		req, _ := http.NewRequest("POST", e.URL+"/oidc/token/introspection", strings.NewReader(url.Values{"token": {tok}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape(f.app), url.QueryEscape(f.secret))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct{ Active bool }
		if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&body) != nil {
			t.Fatalf("introspection: %d", resp.StatusCode)
		}
		return body.Active
	}
	orgTok := token(url.Values{"organization_id": {f.org}, "scope": {"a"}})
	resTok := token(url.Values{"organization_id": {f.org}, "resource": {"https://org.api"}, "scope": {"read"}})
	if !introspect(orgTok) || !introspect(resTok) {
		t.Fatal("fresh organization tokens are inactive")
	}
	e.Must(204, "DELETE", "/api/organizations/"+f.org+"/applications/"+f.app, nil, nil)
	if introspect(orgTok) || introspect(resTok) {
		t.Fatal("organization tokens stay active after the app left the organization")
	}
}

// TestListApplicationsExcludingOrganization: excludeOrganizationId drops
// the organization's members from GET /api/applications.
func TestListApplicationsExcludingOrganization(t *testing.T) {
	e := apptest.New(t, storetest.SQLite(t))
	f := newOrgFixture(t, e)
	listed := func(org string) bool {
		t.Helper()
		var apps []struct{ ID string }
		e.Must(200, "GET", "/api/applications?excludeOrganizationId="+org, nil, &apps)
		for _, a := range apps {
			if a.ID == f.app {
				return true
			}
		}
		return false
	}
	if listed(f.org) {
		t.Fatal("a member of the excluded organization is listed")
	}
	if !listed(f.other) {
		t.Fatal("an app outside the excluded organization is missing")
	}
}
