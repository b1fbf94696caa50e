package management_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/management"
)

// TestOpenAPIDescribesResponses holds api/openapi.yaml to what the server
// answers: a walk over the routes (every GET, and writes that answer
// JSON) checks each answer's status is documented, its body validates
// against the documented schema, and it has no field the schema leaves
// out. The Logto comparison (TestOpenAPIMatchesLogto) is between
// documents; this keeps our document true to the server.
func TestOpenAPIDescribesResponses(t *testing.T) {
	doc, err := management.OpenAPI(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		var checked int
		call := func(method, path string, body any) map[string]any {
			t.Helper()
			r := e.API(method, path, body)
			if r.Status >= 300 {
				t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Body)
			}
			for _, p := range checkResponse(doc, method, path, r) {
				t.Errorf("%s %s: %s", method, path, p)
			}
			checked++
			var out map[string]any
			json.Unmarshal(r.Body, &out)
			return out
		}
		id := func(m map[string]any) string { return m["id"].(string) }

		res := call("POST", "/api/resources", map[string]any{"name": "Docs", "indicator": "https://docs.example"})
		scope := call("POST", "/api/resources/"+id(res)+"/scopes", map[string]any{"name": "read:docs", "description": "Read"})
		role := call("POST", "/api/roles", map[string]any{"name": "docs-bot", "description": "Bots", "type": "MachineToMachine", "scopeIds": []string{id(scope)}})
		userRole := call("POST", "/api/roles", map[string]any{"name": "docs-people", "description": "People"})
		app := call("POST", "/api/applications", map[string]any{"name": "Docs worker", "type": "MachineToMachine"})
		user := call("POST", "/api/users", map[string]any{"username": "docs_user", "name": "Doc", "profile": map[string]any{"nickname": "d"}})
		org := call("POST", "/api/organizations", map[string]any{"name": "Docs org"})
		oscope := call("POST", "/api/organization-scopes", map[string]any{"name": "read:org"})
		orole := call("POST", "/api/organization-roles", map[string]any{"name": "org-bot", "type": "MachineToMachine",
			"organizationScopeIds": []string{id(oscope)}, "resourceScopeIds": []string{id(scope)}})
		e.Must(201, "POST", "/api/applications/"+id(app)+"/roles", map[string]any{"roleIds": []string{id(role)}}, nil)
		call("POST", "/api/users/"+id(user)+"/roles", map[string]any{"roleIds": []string{id(userRole)}})
		e.Must(201, "POST", "/api/organizations/"+id(org)+"/applications", map[string]any{"applicationIds": []string{id(app)}}, nil)
		e.Must(201, "POST", "/api/organizations/"+id(org)+"/applications/"+id(app)+"/roles", map[string]any{"organizationRoleIds": []string{id(orole)}}, nil)
		call("PUT", "/api/configs/jwt-customizer/client-credentials", map[string]any{"script": "const getCustomJwtClaims = async () => ({});"})
		secrets := e.API("GET", "/api/applications/"+id(app)+"/secrets", nil)
		var secretList []map[string]any
		secrets.JSON(t, &secretList)

		for _, p := range []string{
			"/api/applications", "/api/applications/" + id(app), "/api/applications/" + id(app) + "/secrets",
			"/api/applications/" + id(app) + "/roles", "/api/applications/" + id(app) + "/organizations",
			"/api/resources", "/api/resources?includeScopes=true", "/api/resources/" + id(res), "/api/resources/" + id(res) + "/scopes",
			"/api/roles", "/api/roles/" + id(role), "/api/roles/" + id(role) + "/scopes", "/api/roles/" + id(role) + "/applications",
			"/api/roles/" + id(userRole) + "/users",
			"/api/users", "/api/users/" + id(user), "/api/users/" + id(user) + "/custom-data", "/api/users/" + id(user) + "/roles",
			"/api/configs/oidc/private-keys", "/api/configs/jwt-customizer", "/api/configs/jwt-customizer/client-credentials",
			"/api/logs", "/api/organizations", "/api/organizations?showFeatured=true", "/api/organizations/" + id(org),
			"/api/organizations/" + id(org) + "/applications", "/api/organizations/" + id(org) + "/applications/" + id(app) + "/roles",
			"/api/organization-scopes", "/api/organization-scopes/" + id(oscope),
			"/api/organization-roles", "/api/organization-roles/" + id(orole), "/api/organization-roles/" + id(orole) + "/scopes",
			"/api/organization-roles/" + id(orole) + "/resource-scopes",
		} {
			call("GET", p, nil)
		}
		var logs []map[string]any
		e.Must(200, "GET", "/api/logs", nil, &logs)
		call("GET", "/api/logs/"+id(logs[0]), nil)
		call("PATCH", "/api/applications/"+id(app), map[string]any{"description": "Indexes docs"})
		call("PATCH", "/api/applications/"+id(app)+"/custom-data", map[string]any{"customData": map[string]any{"a": 1}})
		call("POST", "/api/applications/"+id(app)+"/secrets", map[string]any{"name": "second"})
		call("PATCH", "/api/applications/"+id(app)+"/secrets/second", map[string]any{"name": "third"})
		call("PATCH", "/api/resources/"+id(res), map[string]any{"name": "Docs API"})
		call("PATCH", "/api/resources/"+id(res)+"/is-default", map[string]any{"isDefault": false})
		call("PATCH", "/api/resources/"+id(res)+"/scopes/"+id(scope), map[string]any{"description": "Read docs"})
		call("PATCH", "/api/roles/"+id(role), map[string]any{"description": "Doc bots"})
		call("PATCH", "/api/users/"+id(user), map[string]any{"name": "Docs"})
		call("PATCH", "/api/users/"+id(user)+"/custom-data", map[string]any{"customData": map[string]any{"plan": "pro"}})
		call("PUT", "/api/users/"+id(user)+"/roles", map[string]any{"roleIds": []string{id(userRole)}})
		call("PATCH", "/api/organizations/"+id(org), map[string]any{"description": "About docs"})
		call("PATCH", "/api/organization-scopes/"+id(oscope), map[string]any{"description": "Read the org"})
		call("PATCH", "/api/organization-roles/"+id(orole), map[string]any{"description": "Org bots"})
		call("PATCH", "/api/configs/jwt-customizer/client-credentials", map[string]any{"script": "const getCustomJwtClaims = async () => ({a: 1});", "environmentVariables": map[string]string{"A": "b"}})
		call("POST", "/api/configs/oidc/private-keys/rotate", map[string]any{})
		if checked < 50 {
			t.Fatalf("only %d answers checked", checked)
		}
	})
}

// checkResponse lists what in r the document does not describe.
func checkResponse(doc *openapi3.T, method, path string, r *apptest.Response) []string {
	op := findOperation(doc, method, strings.SplitN(path, "?", 2)[0])
	if op == nil {
		return []string{"no operation in the document"}
	}
	resp := op.Responses.Status(r.Status)
	if resp == nil || resp.Value == nil {
		return []string{fmt.Sprintf("status %d not documented", r.Status)}
	}
	ct := r.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "application/json") {
		return nil
	}
	mt := resp.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil {
		return []string{fmt.Sprintf("status %d: JSON body not documented", r.Status)}
	}
	var v any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		return []string{"body is not JSON"}
	}
	var problems []string
	if err := mt.Schema.Value.VisitJSON(v, openapi3.MultiErrors()); err != nil {
		problems = append(problems, fmt.Sprintf("body does not match the schema: %v", err))
	}
	undocumented(mt.Schema.Value, v, "body", &problems)
	return problems
}

// findOperation finds the operation serving method and path, literal
// segments winning over parameters (/applications/roles over
// /applications/{applicationId}).
func findOperation(doc *openapi3.T, method, path string) *openapi3.Operation {
	var best *openapi3.Operation
	bestParams := -1
	for p, item := range doc.Paths.Map() {
		re := "^" + regexp.MustCompile(`\\\{[^}]*\\\}`).ReplaceAllString(regexp.QuoteMeta(p), "[^/]+") + "$"
		if !regexp.MustCompile(re).MatchString(path) {
			continue
		}
		op := item.GetOperation(strings.ToUpper(method))
		if op == nil {
			continue
		}
		if n := strings.Count(p, "{"); best == nil || n < bestParams {
			best, bestParams = op, n
		}
	}
	return best
}

// undocumented reports the object fields of v that schema s does not
// list, recursively, where s lists its fields (objects that take any
// field, additionalProperties, are not checked).
func undocumented(s *openapi3.Schema, v any, where string, problems *[]string) {
	if s == nil {
		return
	}
	switch v := v.(type) {
	case []any:
		if s.Items != nil {
			for i, it := range v {
				undocumented(s.Items.Value, it, fmt.Sprintf("%s[%d]", where, i), problems)
			}
		}
	case map[string]any:
		props := map[string]*openapi3.Schema{}
		open := false
		var collect func(*openapi3.Schema)
		collect = func(s *openapi3.Schema) {
			for n, p := range s.Properties {
				props[n] = p.Value
			}
			if s.AdditionalProperties.Has != nil && *s.AdditionalProperties.Has || s.AdditionalProperties.Schema != nil {
				open = true
			}
			if len(s.OneOf) > 0 || len(s.AnyOf) > 0 {
				open = true // the branch is not known here; VisitJSON checked it
			}
			for _, a := range s.AllOf {
				collect(a.Value)
			}
		}
		collect(s)
		if len(props) == 0 {
			return
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			p, ok := props[k]
			if !ok {
				if !open {
					*problems = append(*problems, fmt.Sprintf("%s.%s is not in the schema", where, k))
				}
				continue
			}
			undocumented(p, v[k], where+"."+k, problems)
		}
	}
}
