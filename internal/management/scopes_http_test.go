package management_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
)

// postScope creates a scope of a resource through the API.
func postScope(t *testing.T, e *apptest.Env, resourceID, name string) scopeBody {
	t.Helper()
	var sc scopeBody
	e.Must(http.StatusCreated, "POST", "/api/resources/"+resourceID+"/scopes", map[string]any{"name": name}, &sc)
	return sc
}

func TestScopeRoutes(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		shop := postResource(t, e, "Shop", "https://shopping.api")
		base := "/api/resources/" + shop.ID + "/scopes"

		// Create.
		r := e.Must(201, "POST", base, map[string]any{"name": "read:products", "description": "Read products", "x": 1}, nil)
		if got := jsonKeys(t, r); !reflect.DeepEqual(got, []string{"createdAt", "description", "id", "name", "resourceId", "tenantId"}) {
			t.Fatalf("keys %v", got)
		}
		var read scopeBody
		r.JSON(t, &read)
		if read.ResourceID != shop.ID || *read.Description != "Read products" || read.CreatedAt == 0 || len(read.ID) != 21 {
			t.Fatalf("created %+v", read)
		}
		write := postScope(t, e, shop.ID, "write:products")
		if write.Description != nil {
			t.Fatalf("no description: %+v", write)
		}
		// The checks run in Logto's order: the space before the resource.
		wantErrorCode(t, "space", e.API("POST", base, map[string]any{"name": "read products"}),
			400, "scope.name_with_space", "The name of the scope cannot contain any spaces.")
		wantErrorCode(t, "tab, unknown resource", e.API("POST", "/api/resources/nope/scopes", map[string]any{"name": "a\tb"}), 400, "scope.name_with_space", "")
		wantErrorCode(t, "unknown resource", e.API("POST", "/api/resources/nope/scopes", map[string]any{"name": "a"}), 404, "entity.not_exists_with_id", "")
		wantErrorCode(t, "management api", e.API("POST", "/api/resources/management-api/scopes", map[string]any{"name": "all"}),
			400, "resource.cannot_modify_management_api", "")
		wantErrorCode(t, "duplicate", e.API("POST", base, map[string]any{"name": "read:products"}),
			422, "scope.name_exists", "The scope name read:products is already in use")
		for name, body := range map[string]any{
			"no name":          map[string]any{},
			"empty name":       map[string]any{"name": ""},
			"long name":        map[string]any{"name": strings.Repeat("a", 257)},
			"description type": map[string]any{"name": "x", "description": 1},
		} {
			wantErrorCode(t, name, e.API("POST", base, body), 400, "guard.invalid_input", "")
		}
		e.Must(201, "POST", base, map[string]any{"name": strings.Repeat("a", 256), "description": nil}, nil)

		// List: always paginated; an unknown resource has no scopes.
		var list []scopeBody
		r = e.Must(200, "GET", base, nil, &list)
		if len(list) != 3 || r.Header.Get("Total-Number") != "3" {
			t.Fatalf("list %v %s", r.Header, r.Body)
		}
		if link := r.Header.Values("Link"); len(link) != 2 || !strings.Contains(link[0], "/resources/"+shop.ID+"/scopes?page=1>") {
			t.Fatalf("links %q", link)
		}
		r = e.Must(200, "GET", base+"?page=2&page_size=2", nil, &list)
		if len(list) != 1 || r.Header.Get("Total-Number") != "3" {
			t.Fatalf("page 2 %s", r.Body)
		}
		e.Must(200, "GET", base+"?search=%25products%25", nil, &list)
		if len(list) != 2 {
			t.Fatalf("search %+v", list)
		}
		e.Must(200, "GET", base+"?search.description=Read%20products&mode.description=exact", nil, &list)
		if len(list) != 1 || list[0].ID != read.ID {
			t.Fatalf("exact search %+v", list)
		}
		wantErrorCode(t, "bad search", e.API("GET", base+"?search.nope=x", nil), 400, "request.invalid_input", "")
		wantErrorCode(t, "bad page size", e.API("GET", base+"?page_size=101", nil), 400, "guard.invalid_pagination", "")
		r = e.Must(200, "GET", "/api/resources/nope/scopes", nil, nil)
		if strings.TrimSpace(string(r.Body)) != "[]" || r.Header.Get("Total-Number") != "0" {
			t.Fatalf("unknown resource %q %v", r.Body, r.Header)
		}

		// Patch.
		var got scopeBody
		e.Must(200, "PATCH", base+"/"+read.ID, map[string]any{"name": "read:catalog"}, &got)
		if got.Name != "read:catalog" || *got.Description != "Read products" || got.CreatedAt != read.CreatedAt {
			t.Fatalf("rename %+v", got)
		}
		e.Must(200, "PATCH", base+"/"+read.ID, map[string]any{"description": nil}, &got)
		if got.Description != nil || got.Name != "read:catalog" {
			t.Fatalf("clear description %+v", got)
		}
		e.Must(200, "PATCH", base+"/"+read.ID, map[string]any{"name": "read:catalog"}, &got) // its own name
		wantErrorCode(t, "patch unknown resource", e.API("PATCH", "/api/resources/nope/scopes/"+read.ID, map[string]any{"name": "x"}), 404, "entity.not_exists_with_id", "")
		wantErrorCode(t, "patch management api", e.API("PATCH", "/api/resources/management-api/scopes/management-api-all", map[string]any{"name": "x"}),
			400, "resource.cannot_modify_management_api", "")
		wantErrorCode(t, "patch space", e.API("PATCH", base+"/"+read.ID, map[string]any{"name": "a b"}), 400, "scope.name_with_space", "")
		wantErrorCode(t, "patch taken", e.API("PATCH", base+"/"+read.ID, map[string]any{"name": "write:products"}), 422, "scope.name_exists", "")
		wantErrorCode(t, "patch unknown scope", e.API("PATCH", base+"/nope", map[string]any{"name": "x"}), 404, "entity.not_exists", "The scopes does not exist.")
		wantErrorCode(t, "patch bad", e.API("PATCH", base+"/"+read.ID, map[string]any{"name": ""}), 400, "guard.invalid_input", "")

		// Delete.
		wantErrorCode(t, "delete unknown resource", e.API("DELETE", "/api/resources/nope/scopes/"+read.ID, nil), 404, "entity.not_exists_with_id", "")
		wantErrorCode(t, "delete management api", e.API("DELETE", "/api/resources/management-api/scopes/management-api-all", nil),
			400, "resource.cannot_modify_management_api", "")
		e.Must(204, "DELETE", base+"/"+read.ID, nil, nil)
		wantErrorCode(t, "delete again", e.API("DELETE", base+"/"+read.ID, nil), 404, "entity.not_found", "The resource does not exist.")
		other := postResource(t, e, "Other", "https://other.api")
		wantErrorCode(t, "delete through another resource", e.API("DELETE", "/api/resources/"+other.ID+"/scopes/"+write.ID, nil), 404, "entity.not_found", "")
	})
}
