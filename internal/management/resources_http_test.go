package management_test

import (
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/management"
	"github.com/gatehouse/gatehouse/internal/storetest"
	"github.com/gatehouse/gatehouse/internal/token"
)

// resourceBody is a resource as the API returns it.
type resourceBody struct {
	TenantID       string       `json:"tenantId"`
	ID             string       `json:"id"`
	Name           string       `json:"name"`
	Indicator      string       `json:"indicator"`
	IsDefault      bool         `json:"isDefault"`
	AccessTokenTTL int64        `json:"accessTokenTtl"`
	Scopes         *[]scopeBody `json:"scopes"`
}

// scopeBody is a scope as the API returns it.
type scopeBody struct {
	TenantID    string        `json:"tenantId"`
	ID          string        `json:"id"`
	ResourceID  string        `json:"resourceId"`
	Name        string        `json:"name"`
	Description *string       `json:"description"`
	CreatedAt   int64         `json:"createdAt"`
	Resource    *resourceBody `json:"resource"`
}

// wantErrorCode fails unless r is an error answer with status and code
// (and, when message is not "", that message).
func wantErrorCode(t *testing.T, what string, r *apptest.Response, status int, code, message string) {
	t.Helper()
	if r.Status != status || r.Code() != code {
		t.Fatalf("%s: got %d %s, want %d %s", what, r.Status, r.Body, status, code)
	}
	if message != "" && !strings.Contains(string(r.Body), `"message":"`+message+`"`) {
		t.Fatalf("%s: message not %q: %s", what, message, r.Body)
	}
}

// postResource creates a resource through the API.
func postResource(t *testing.T, e *apptest.Env, name, indicator string) resourceBody {
	t.Helper()
	var res resourceBody
	e.Must(http.StatusCreated, "POST", "/api/resources", map[string]any{"name": name, "indicator": indicator}, &res)
	return res
}

// jsonKeys returns the keys of a JSON object body, sorted.
func jsonKeys(t *testing.T, r *apptest.Response) []string {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestResourceRoutes(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		// Create: 201 with the resource and an empty scope list.
		r := e.Must(201, "POST", "/api/resources", map[string]any{"name": "Online shopping", "indicator": "https://shopping.api",
			"isDefault": true, "unknown": 1}, nil)
		if got := jsonKeys(t, r); !reflect.DeepEqual(got, []string{"accessTokenTtl", "id", "indicator", "isDefault", "name", "scopes", "tenantId"}) {
			t.Fatalf("create keys %v", got)
		}
		var shop resourceBody
		r.JSON(t, &shop)
		if shop.TenantID != "default" || len(shop.ID) != 21 || shop.IsDefault || shop.AccessTokenTTL != 3600 || shop.Scopes == nil || len(*shop.Scopes) != 0 {
			t.Fatalf("created %+v", shop)
		}
		wantErrorCode(t, "duplicate indicator", e.API("POST", "/api/resources", map[string]any{"name": "Dup", "indicator": "https://shopping.api"}),
			422, "resource.resource_identifier_in_use", "The API identifier https://shopping.api is already in use")
		for name, body := range map[string]any{
			"no name":        map[string]any{"indicator": "https://x"},
			"empty name":     map[string]any{"name": "", "indicator": "https://x"},
			"no indicator":   map[string]any{"name": "x"},
			"ttl not number": map[string]any{"name": "x", "indicator": "https://x", "accessTokenTtl": "60"},
			"ttl fraction":   map[string]any{"name": "x", "indicator": "https://x", "accessTokenTtl": 1.5},
			"not an object":  []int{1},
		} {
			wantErrorCode(t, name, e.API("POST", "/api/resources", body), 400, "guard.invalid_input", "The request body is invalid.")
		}
		var ttl resourceBody
		e.Must(201, "POST", "/api/resources", map[string]any{"name": "Short", "indicator": "https://short.api", "accessTokenTtl": 60}, &ttl)
		if ttl.AccessTokenTTL != 60 {
			t.Fatalf("ttl %+v", ttl)
		}

		// Get.
		var got resourceBody
		r = e.Must(200, "GET", "/api/resources/"+shop.ID, nil, &got)
		if got.Scopes != nil || got.Name != "Online shopping" {
			t.Fatalf("get %s", r.Body)
		}
		var mapi resourceBody
		e.Must(200, "GET", "/api/resources/management-api", nil, &mapi)
		if mapi != (resourceBody{TenantID: "default", ID: "management-api", Name: "Logto Management API", Indicator: apptest.Indicator, AccessTokenTTL: 3600}) {
			t.Fatalf("management api %+v", mapi)
		}
		wantErrorCode(t, "get unknown", e.API("GET", "/api/resources/nope", nil), 404, "entity.not_exists_with_id", "The resources with ID `nope` does not exist.")

		// List: everything without pagination, the Management API included.
		var list []resourceBody
		r = e.Must(200, "GET", "/api/resources", nil, &list)
		if len(list) != 3 || r.Header.Get("Total-Number") != "" || list[0].Scopes != nil {
			t.Fatalf("list %d %v %s", len(list), r.Header, r.Body)
		}
		r = e.Must(200, "GET", "/api/resources?page=2&page_size=2", nil, &list)
		if len(list) != 1 || r.Header.Get("Total-Number") != "3" || len(r.Header.Values("Link")) != 3 {
			t.Fatalf("page 2: %d %v", len(list), r.Header)
		}
		wantErrorCode(t, "bad page", e.API("GET", "/api/resources?page=0", nil), 400, "guard.invalid_pagination", "")
		e.Must(201, "POST", "/api/resources/"+shop.ID+"/scopes", map[string]any{"name": "read:products"}, nil)
		e.Must(200, "GET", "/api/resources?includeScopes=true", nil, &list)
		for _, res := range list {
			want := map[string]int{shop.ID: 1, "management-api": 1, ttl.ID: 0}[res.ID]
			if res.Scopes == nil || len(*res.Scopes) != want {
				t.Fatalf("includeScopes: %+v", res)
			}
		}
		var plain []resourceBody
		e.Must(200, "GET", "/api/resources?includeScopes=false", nil, &plain)
		if plain[0].Scopes != nil {
			t.Fatal("includeScopes=false gave scopes")
		}

		// Patch: name and TTL; the indicator and isDefault are ignored.
		e.Must(200, "PATCH", "/api/resources/"+shop.ID, map[string]any{"name": "Shop", "accessTokenTtl": 120,
			"indicator": "https://elsewhere", "isDefault": true}, &got)
		if got.Name != "Shop" || got.AccessTokenTTL != 120 || got.Indicator != "https://shopping.api" || got.IsDefault {
			t.Fatalf("patched %+v", got)
		}
		e.Must(200, "PATCH", "/api/resources/"+shop.ID, map[string]any{}, &got)
		if got.Name != "Shop" {
			t.Fatalf("empty patch %+v", got)
		}
		wantErrorCode(t, "patch unknown", e.API("PATCH", "/api/resources/nope", map[string]any{"name": "x"}), 404, "entity.not_exists_with_id", "")
		wantErrorCode(t, "patch bad type", e.API("PATCH", "/api/resources/"+shop.ID, map[string]any{"name": 1}), 400, "guard.invalid_input", "")
		wantErrorCode(t, "patch empty name", e.API("PATCH", "/api/resources/"+shop.ID, map[string]any{"name": ""}), 400, "guard.invalid_input", "")
		wantErrorCode(t, "patch management api", e.API("PATCH", "/api/resources/management-api", map[string]any{"name": "x"}),
			400, "resource.cannot_modify_management_api", "Cannot modify Logto management API.")
		lookalike := postResource(t, e, "Other tenant's API", "https://other.logto.app/api")
		wantErrorCode(t, "patch lookalike", e.API("PATCH", "/api/resources/"+lookalike.ID, map[string]any{"name": "x"}),
			400, "resource.cannot_modify_management_api", "")

		// is-default: one default at a time; the Management API may be it.
		e.Must(200, "PATCH", "/api/resources/"+shop.ID+"/is-default", map[string]any{"isDefault": true}, &got)
		if !got.IsDefault {
			t.Fatalf("default %+v", got)
		}
		e.Must(200, "PATCH", "/api/resources/management-api/is-default", map[string]any{"isDefault": true}, &got)
		e.Must(200, "GET", "/api/resources/"+shop.ID, nil, &got)
		if got.IsDefault {
			t.Fatal("the old default is still default")
		}
		e.Must(200, "PATCH", "/api/resources/management-api/is-default", map[string]any{"isDefault": false}, &got)
		if got.IsDefault || got.ID != "management-api" {
			t.Fatalf("undefault %+v", got)
		}
		wantErrorCode(t, "default unknown", e.API("PATCH", "/api/resources/nope/is-default", map[string]any{"isDefault": true}),
			404, "entity.not_exists", "The resources does not exist.")
		wantErrorCode(t, "undefault unknown", e.API("PATCH", "/api/resources/nope/is-default", map[string]any{"isDefault": false}), 404, "entity.not_exists", "")
		wantErrorCode(t, "default no body", e.API("PATCH", "/api/resources/"+shop.ID+"/is-default", nil), 400, "guard.invalid_input", "")
		wantErrorCode(t, "default string", e.API("PATCH", "/api/resources/"+shop.ID+"/is-default", map[string]any{"isDefault": "true"}), 400, "guard.invalid_input", "")

		// Delete.
		wantErrorCode(t, "delete management api", e.API("DELETE", "/api/resources/management-api", nil),
			400, "resource.cannot_delete_management_api", "Cannot delete Logto management API.")
		wantErrorCode(t, "delete lookalike", e.API("DELETE", "/api/resources/"+lookalike.ID, nil), 400, "resource.cannot_delete_management_api", "")
		if r := e.Must(204, "DELETE", "/api/resources/"+shop.ID, nil, nil); len(r.Body) != 0 {
			t.Fatalf("delete body %q", r.Body)
		}
		wantErrorCode(t, "delete again", e.API("DELETE", "/api/resources/"+shop.ID, nil), 404, "entity.not_exists_with_id", "")
	})
}

// TestResourceChangesReachTokens: the token endpoint sees resource writes
// at once (the grant cache is invalidated).
func TestResourceChangesReachTokens(t *testing.T) {
	e := apptest.New(t, storetest.SQLite(t))
	res := postResource(t, e, "Shop", "https://shop.example")
	if _, status := e.TokenAs(apptest.BootstrapID, apptest.BootstrapSecret, "https://shop.example", ""); status != 200 {
		t.Fatalf("token for a new resource: %d", status)
	}
	e.Must(200, "PATCH", "/api/resources/"+res.ID, map[string]any{"accessTokenTtl": 77}, nil)
	c := decodeClaims(t, e.Token("https://shop.example", ""))
	if exp, iat := c["exp"].(float64), c["iat"].(float64); exp-iat != 77 {
		t.Fatalf("ttl %v", exp-iat)
	}
	e.Must(200, "PATCH", "/api/resources/"+res.ID+"/is-default", map[string]any{"isDefault": true}, nil)
	if c := decodeClaims(t, e.Token("", "")); c["aud"] != "https://shop.example" {
		t.Fatalf("default resource not used: %v", c["aud"])
	}
	e.Must(204, "DELETE", "/api/resources/"+res.ID, nil, nil)
	if _, status := e.TokenAs(apptest.BootstrapID, apptest.BootstrapSecret, "https://shop.example", ""); status != 400 {
		t.Fatalf("token for a deleted resource: %d", status)
	}
}

// TestResourceAndRoleRoutesAuth: every route of the resource, scope and
// role families refuses a missing token, a token for another audience and
// a token without the scope "all".
func TestResourceAndRoleRoutesAuth(t *testing.T) {
	e := apptest.New(t, storetest.SQLite(t))
	wrongAudience := mint(t, e, func(c *token.Claims) { c.Audience = "https://shopping.api" })
	noScope := e.Token(apptest.Indicator, "")
	routes := []string{
		"GET /api/resources", "POST /api/resources", "GET /api/resources/x", "PATCH /api/resources/x",
		"PATCH /api/resources/x/is-default", "DELETE /api/resources/x",
		"GET /api/resources/x/scopes", "POST /api/resources/x/scopes", "PATCH /api/resources/x/scopes/y", "DELETE /api/resources/x/scopes/y",
		"GET /api/roles", "POST /api/roles", "GET /api/roles/x", "PATCH /api/roles/x", "DELETE /api/roles/x",
		"GET /api/roles/x/scopes", "POST /api/roles/x/scopes", "DELETE /api/roles/x/scopes/y",
		"GET /api/roles/x/applications", "POST /api/roles/x/applications", "DELETE /api/roles/x/applications/y",
	}
	for _, route := range routes {
		method, path, _ := strings.Cut(route, " ")
		for _, c := range []struct {
			name, token string
			status      int
			code        string
		}{
			{"missing", "", 401, "auth.authorization_header_missing"},
			{"wrong audience", wrongAudience, 401, "auth.unauthorized"},
			{"no scope", noScope, 403, "auth.forbidden"},
		} {
			r := e.Do(method, path, map[string]any{}, c.token)
			if r.Status != c.status || r.Code() != c.code {
				t.Errorf("%s, %s token: %d %s", route, c.name, r.Status, r.Body)
			}
		}
	}
	// Every route listed is served (a valid token never gets the catch-all
	// 404 with a text body).
	for _, route := range routes {
		method, path, _ := strings.Cut(route, " ")
		if r := e.API(method, path, map[string]any{}); r.Status == 404 && r.Code() == "" {
			t.Errorf("%s is not served", route)
		}
	}
	if !slices.Contains(management.Patterns(), "DELETE /api/roles/{id}/applications/{applicationId}") {
		t.Error("pattern missing")
	}
}
