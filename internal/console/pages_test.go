package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/management"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/storetest"
)

// find returns the first group of re in body, failing the test if absent.
func find(t *testing.T, what, pattern, body string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("%s: no match for %s in %.3000s", what, pattern, body)
	}
	return m[1]
}

// The seeds' whole flow through the console's forms, every page and form
// of it, on both engines: the token at the end carries the scope the role
// gives.
func TestConsoleFlow(t *testing.T) {
	engines(t, nil, func(t *testing.T, e *env) {
		e.signIn()

		// Empty states and the seeded Management API resource, read-only.
		must(t, "apps", e.get("/console/applications"), 200, "Gatehouse bootstrap", "Machine-to-machine")
		must(t, "no match", e.get("/console/applications?q=zzz"), 200, "No applications match")
		must(t, "type filter", e.get("/console/applications?type=SPA"), 200, "No applications match")
		must(t, "users empty", e.get("/console/users"), 200, "No users yet")
		must(t, "logs empty", e.get("/console/audit-logs"), 200, "No token requests yet")
		res := e.get("/console/resources")
		must(t, "resources", res, 200, "Logto Management API", "Read-only")
		mgmt := e.get("/console/resources/management-api")
		must(t, "management api", mgmt, 200, "built-in Management API", "<fieldset disabled")
		if strings.Contains(mgmt.body, "Delete API resource") || strings.Contains(mgmt.body, "+ Add permission") {
			t.Fatal("the Management API resource offers changes")
		}
		r := e.post("/console/resources/management-api/scopes", url.Values{"name": {"x"}})
		must(t, "management api scope", r, http.StatusUnprocessableEntity, "Cannot modify Logto management API.")

		// API resource: validation next to fields, then created.
		must(t, "new resource page", e.get("/console/resources/new"), 200, "Create an API resource")
		r = e.post("/console/resources/new", url.Values{"name": {""}, "indicator": {"not a uri"}, "accessTokenTtl": {"5"}})
		must(t, "resource invalid", r, http.StatusUnprocessableEntity, "Enter a name.", "Use an absolute URI", "from 60 to 31536000")
		r = e.post("/console/resources/new", url.Values{"name": {"Orders API"}, "indicator": {"https://orders.example.com"}, "accessTokenTtl": {"900"}})
		resPage := e.redirected("create resource", r, "/console/resources/")
		must(t, "resource page", resPage, 200, "API resource “Orders API” created.", "https://orders.example.com", "No permissions yet")
		resID := find(t, "resource id", `/console/resources/([^/"]+)/settings`, resPage.body)
		r = e.post("/console/resources/new", url.Values{"name": {"Again"}, "indicator": {"https://orders.example.com"}})
		must(t, "duplicate indicator", r, http.StatusUnprocessableEntity, "The API identifier https://orders.example.com is already in use")

		// Permissions: add two, refuse a space and a duplicate, edit one.
		base := "/console/resources/" + resID
		for _, name := range []string{"read:orders", "write:orders"} {
			e.redirected("add "+name, e.post(base+"/scopes", url.Values{"name": {name}, "description": {"Can " + name}}), base)
		}
		must(t, "scope with space", e.post(base+"/scopes", url.Values{"name": {"read orders"}}), http.StatusUnprocessableEntity,
			"The name of the scope cannot contain any spaces.")
		must(t, "duplicate scope", e.post(base+"/scopes", url.Values{"name": {"read:orders"}}), http.StatusUnprocessableEntity,
			"The scope name read:orders is already in use")
		resPage = e.get(base)
		writeID := find(t, "write scope id", `scopes/([^/"]+)/edit"[^\n]*\n[^\n]*value="write:orders"`, resPage.body)
		page := e.redirected("edit scope", e.post(base+"/scopes/"+writeID+"/edit", url.Values{"name": {"write:orders"}, "description": {"Changes orders"}}), base)
		must(t, "edited", page, 200, "Changes orders")
		must(t, "edit to taken name", e.post(base+"/scopes/"+writeID+"/edit", url.Values{"name": {"read:orders"}}), http.StatusUnprocessableEntity, "already in use")
		// Descriptions are bounded as at the Management API.
		long := strings.Repeat("é", 2049)
		must(t, "scope description too long", e.post(base+"/scopes", url.Values{"name": {"x:orders"}, "description": {long}}),
			http.StatusUnprocessableEntity, "Use at most 2048 characters.")
		must(t, "edited description too long", e.post(base+"/scopes/"+writeID+"/edit", url.Values{"name": {"write:orders"}, "description": {long}}),
			http.StatusUnprocessableEntity, "Use at most 2048 characters.")
		must(t, "app description too long", e.post("/console/applications/new", url.Values{"name": {"Long"}, "description": {long}}),
			http.StatusUnprocessableEntity, "Use at most 2048 characters.")

		// Settings and the default toggle.
		must(t, "bad ttl", e.post(base+"/settings", url.Values{"name": {"Orders API"}, "accessTokenTtl": {"abc"}}), http.StatusUnprocessableEntity, "Enter a number of seconds")
		e.redirected("settings", e.post(base+"/settings", url.Values{"name": {"Orders"}, "accessTokenTtl": {"1200"}}), base)
		page = e.redirected("default on", e.post(base+"/default", url.Values{"isDefault": {"true"}}), base)
		must(t, "default", page, 200, "Default resource", "Stop being the default")
		e.redirected("default off", e.post(base+"/default", url.Values{"isDefault": {"false"}}), base)

		// A machine-to-machine role holding read:orders only.
		newRole := e.get("/console/roles/new")
		must(t, "new role page", newRole, 200, "Create a role", "read:orders", "write:orders")
		readID := find(t, "read scope id", `name="scopeId" value="([^"]+)"><span><code class="chip">read:orders<`, newRole.body)
		must(t, "role invalid", e.post("/console/roles/new", url.Values{"name": {""}, "type": {"Nope"}}), http.StatusUnprocessableEntity,
			"Enter a name.", "Describe what the role is for.", "Choose who the role is for.")
		r = e.post("/console/roles/new", url.Values{"name": {"Order reader"}, "description": {"Reads orders"}, "type": {"MachineToMachine"}, "scopeId": {readID}})
		rolePage := e.redirected("create role", r, "/console/roles/")
		must(t, "role page", rolePage, 200, "Role “Order reader” created.", "read:orders", "No application holds this role.")
		roleID := find(t, "role id", `/console/roles/([^/"]+)/settings`, rolePage.body)
		must(t, "taken role name", e.post("/console/roles/new", url.Values{"name": {"Order reader"}, "description": {"x"}, "type": {"User"}}),
			http.StatusUnprocessableEntity, "This role name Order reader is already in use")
		must(t, "roles list", e.get("/console/roles?type=MachineToMachine"), 200, "Order reader", "0 apps")

		// The M2M app, with the role assigned in the creation flow.
		must(t, "new app page", e.get("/console/applications/new"), 200, "Create a machine-to-machine app")
		must(t, "app without name", e.post("/console/applications/new", url.Values{"name": {"  "}}), http.StatusUnprocessableEntity, "Enter a name.")
		r = e.post("/console/applications/new", url.Values{"name": {"Order sync"}, "description": {"Nightly"}})
		step := e.redirected("create app", r, "/console/applications/")
		must(t, "assign step", step, 200, "Step 2 of 2", "Assign machine-to-machine roles", "Order reader", "Skip for now")
		appID := find(t, "app id", `/console/applications/([^/"]+)/assign-roles`, step.body)
		must(t, "assign nothing", e.post("/console/applications/"+appID+"/assign-roles", url.Values{"new": {"1"}}), http.StatusUnprocessableEntity, "Pick at least one role")
		appPage := e.redirected("assign", e.post("/console/applications/"+appID+"/assign-roles", url.Values{"roleId": {roleID}}), "/console/applications/"+appID)
		must(t, "app page", appPage, 200, "1 role assigned.", appID, "Order reader", "/oidc/token", "/oidc/jwks", "curl -X POST",
			"https://orders.example.com", "read:orders")
		secret := find(t, "app secret", `id="app-secret" class="mono" type="password" readonly value="([^"]+)"`, appPage.body)
		if !strings.Contains(appPage.body, secret+"&#39;") && !strings.Contains(appPage.body, appID+":"+secret) {
			t.Fatalf("curl lacks the credentials")
		}
		// The command shown masks the secret, as the App Secret field does;
		// its Copy button copies the full command, and ?reveal=1 shows it.
		shown := find(t, "shown curl", `(?s)<pre id="curl"[^>]*><code>(.*?)</code></pre>`, appPage.body)
		if strings.Contains(shown, secret) || !strings.Contains(shown, "••••") {
			t.Fatalf("the shown curl command exposes the secret: %s", shown)
		}
		revealed := e.get("/console/applications/" + appID + "?reveal=1")
		if shown := find(t, "revealed curl", `(?s)<pre id="curl"[^>]*><code>(.*?)</code></pre>`, revealed.body); !strings.Contains(shown, secret) {
			t.Fatalf("revealed curl lacks the secret: %s", shown)
		}
		status, tok := e.token(appID, secret, "https://orders.example.com", "read:orders write:orders")
		if status != 200 || tok["scope"] != "read:orders" {
			t.Fatalf("token: %d %v", status, tok)
		}
		must(t, "reveal without js", e.get("/console/applications/"+appID+"?reveal=1"), 200, `id="app-secret" class="mono" type="text"`)

		// Secrets: add with an expiry, refuse a past date and a taken name,
		// rename, delete.
		sbase := "/console/applications/" + appID + "/secrets"
		must(t, "past expiry", e.post(sbase, url.Values{"name": {"old"}, "expiresAt": {"2001-01-01"}}), http.StatusUnprocessableEntity, "Choose a date in the future.")
		must(t, "bad expiry", e.post(sbase, url.Values{"name": {"old"}, "expiresAt": {"tomorrow"}}), http.StatusUnprocessableEntity, "Enter a date like")
		must(t, "taken secret name", e.post(sbase, url.Values{"name": {"Default secret"}}), http.StatusUnprocessableEntity, "Secret name already exists.")
		exp := time.Now().AddDate(1, 0, 0).Format("2006-01-02")
		page = e.redirected("add secret", e.post(sbase, url.Values{"name": {"Rotation"}, "expiresAt": {exp}}), "/console/applications/"+appID)
		must(t, "secret added", page, 200, "Secret “Rotation” added.", exp)
		page = e.redirected("rename", e.post(sbase+"/rename", url.Values{"secret": {"Rotation"}, "name": {"Rotation 2"}}), "/console/applications/"+appID)
		must(t, "renamed", page, 200, "Rotation 2")
		must(t, "rename to taken", e.post(sbase+"/rename", url.Values{"secret": {"Rotation 2"}, "name": {"Default secret"}}), http.StatusUnprocessableEntity, "Secret name already exists.")
		page = e.redirected("delete secret", e.post(sbase+"/delete", url.Values{"secret": {"Rotation 2"}}), "/console/applications/"+appID)
		if strings.Contains(page.body, "Rotation 2") {
			t.Fatal("secret still listed")
		}

		// Custom data: invalid JSON and a non-object stay in the editor with
		// the problem; an object is saved.
		cd := "/console/applications/" + appID + "/custom-data"
		must(t, "bad json", e.post(cd, url.Values{"customData": {`{"tier": }`}}), http.StatusUnprocessableEntity, "This is not valid JSON", `{&#34;tier&#34;: }`)
		must(t, "array", e.post(cd, url.Values{"customData": {`[1]`}}), http.StatusUnprocessableEntity, "must be a JSON object")
		page = e.redirected("custom data", e.post(cd, url.Values{"customData": {`{"tier": "gold"}`}}), "/console/applications/"+appID)
		must(t, "custom data saved", page, 200, "Custom data saved.", "&#34;tier&#34;: &#34;gold&#34;")

		// Settings.
		must(t, "empty app name", e.post("/console/applications/"+appID+"/settings", url.Values{"name": {""}}), http.StatusUnprocessableEntity, "Enter a name.")
		page = e.redirected("app settings", e.post("/console/applications/"+appID+"/settings", url.Values{"name": {"Order sync"}, "description": {"Hourly"}}), "/console/applications/"+appID)
		must(t, "app settings saved", page, 200, "Settings saved.", "Hourly")

		// The audit log shows the token request, filtered by app and result.
		must(t, "logs", e.get("/console/audit-logs?app="+appID), 200, "Issued", "Order sync", "read:orders")
		e.token(appID, "wrong secret", "https://orders.example.com", "")
		must(t, "failed logs", e.get("/console/audit-logs?result=Error"), 200, "Failed", "invalid_client")
		if r := e.get("/console/audit-logs?result=Success&app=" + appID); strings.Contains(r.body, "invalid_client") {
			t.Fatal("the result filter kept a failure")
		}

		// Role page lists the holder; removal from the role page and from
		// the app page.
		must(t, "role holders", e.get("/console/roles/"+roleID), 200, "Order sync")
		e.redirected("remove app role", e.post("/console/applications/"+appID+"/roles/remove", url.Values{"roleId": {roleID}}), "/console/applications/"+appID)
		if status, tok := e.token(appID, secret, "https://orders.example.com", "read:orders"); status != 200 || tok["scope"] != nil {
			t.Fatalf("token after removal: %d %v", status, tok)
		}
		e.redirected("role adds app", e.post("/console/roles/"+roleID+"/applications", url.Values{"applicationId": {appID}}), "/console/roles/"+roleID)
		must(t, "role adds app again", e.post("/console/roles/"+roleID+"/applications", url.Values{"applicationId": {appID}}), http.StatusUnprocessableEntity, "is already been added")
		e.redirected("role removes app", e.post("/console/roles/"+roleID+"/applications/remove", url.Values{"applicationId": {appID}}), "/console/roles/"+roleID)

		// Role permissions: add write:orders, remove it; settings.
		e.redirected("role adds scope", e.post("/console/roles/"+roleID+"/scopes", url.Values{"scopeId": {writeID}}), "/console/roles/"+roleID)
		must(t, "role adds nothing", e.post("/console/roles/"+roleID+"/scopes", nil), http.StatusUnprocessableEntity, "Pick at least one permission.")
		e.redirected("role removes scope", e.post("/console/roles/"+roleID+"/scopes/remove", url.Values{"scopeId": {writeID}}), "/console/roles/"+roleID)
		e.redirected("role settings", e.post("/console/roles/"+roleID+"/settings", url.Values{"name": {"Order reader"}, "description": {"Reads all orders"}}), "/console/roles/"+roleID)

		// Users: create (a bad email next to its field), profile, custom
		// data, a user role, delete.
		must(t, "new user page", e.get("/console/users/new"), 200, "Create a user")
		must(t, "bad user", e.post("/console/users/new", url.Values{"username": {"1abc"}, "primaryEmail": {"nope"}}), http.StatusUnprocessableEntity,
			"Use letters, digits and _ only", "Enter an email address, like ada@example.com.")
		page = e.redirected("create user", e.post("/console/users/new", url.Values{"username": {"alice"}, "primaryEmail": {"alice@example.com"}}), "/console/users/")
		must(t, "user page", page, 200, "User created.", "alice@example.com")
		userID := find(t, "user id", `/console/users/([^/"]+)/settings`, page.body)
		must(t, "taken username", e.post("/console/users/new", url.Values{"username": {"alice"}}), http.StatusUnprocessableEntity, "This username is already in use.")
		e.redirected("user profile", e.post("/console/users/"+userID+"/settings", url.Values{"username": {"alice"}, "name": {"Alice"}, "primaryEmail": {"alice@example.com"}}), "/console/users/"+userID)
		must(t, "user bad json", e.post("/console/users/"+userID+"/custom-data", url.Values{"customData": {"nope"}}), http.StatusUnprocessableEntity, "not valid JSON")
		e.redirected("user custom data", e.post("/console/users/"+userID+"/custom-data", url.Values{"customData": {`{"plan":"pro"}`}}), "/console/users/"+userID)
		r = e.post("/console/roles/new", url.Values{"name": {"Support"}, "description": {"Support staff"}, "type": {"User"}})
		userRole := find(t, "user role", `/console/roles/([^/?"]+)`, r.location())
		e.redirected("user role", e.post("/console/users/"+userID+"/roles", url.Values{"roleId": {userRole}}), "/console/users/"+userID)
		must(t, "user roles", e.get("/console/users/"+userID), 200, "Support", "&#34;plan&#34;: &#34;pro&#34;", "Alice")
		must(t, "user role holders", e.get("/console/roles/"+userRole), 200, "Alice")
		must(t, "m2m role to user", e.post("/console/users/"+userID+"/roles", url.Values{"roleId": {roleID}}), http.StatusUnprocessableEntity)
		e.redirected("user role remove", e.post("/console/users/"+userID+"/roles/remove", url.Values{"roleId": {userRole}}), "/console/users/"+userID)
		must(t, "users search", e.get("/console/users?q=ali"), 200, "alice@example.com")
		must(t, "user delete unconfirmed", e.post("/console/users/"+userID+"/delete", nil), http.StatusUnprocessableEntity, "to confirm")
		e.redirected("user delete", e.post("/console/users/"+userID+"/delete", url.Values{"confirm": {userID}}), "/console/users")

		// Signing keys: rotate, then delete the previous key.
		must(t, "keys", e.get("/console/signing-keys"), 200, "Current", "/oidc/jwks")
		must(t, "bad kind", e.post("/console/signing-keys/rotate", url.Values{"kind": {"DSA"}}), http.StatusUnprocessableEntity, "Choose EC or RSA.")
		page = e.redirected("rotate", e.post("/console/signing-keys/rotate", url.Values{"kind": {"EC"}}), "/console/signing-keys")
		must(t, "rotated", page, 200, "Keys rotated", "Previous")
		prev := find(t, "previous key", `name="id" value="([^"]+)"`, page.body)
		must(t, "delete unknown key", e.post("/console/signing-keys/delete", url.Values{"id": {"nope"}}), http.StatusUnprocessableEntity, "Key with ID nope is not found.")
		page = e.redirected("delete key", e.post("/console/signing-keys/delete", url.Values{"id": {prev}}), "/console/signing-keys")
		if strings.Contains(page.body, prev) {
			t.Fatal("previous key still listed")
		}

		// Get started, filled in with this server and the app.
		must(t, "get started", e.get("/console/get-started?app="+appID), 200, "/oidc/token", "Order sync", "createManagementApi", "https://default.logto.app/api")

		// A session form with a wrong CSRF token changes nothing.
		r = e.postRaw("/console/applications/"+appID+"/delete", url.Values{"csrf": {"forged"}, "confirm": {"Order sync"}})
		must(t, "forged delete", r, http.StatusForbidden, "security token")
		must(t, "still there", e.get("/console/applications/"+appID), 200, "Order sync")

		// Deletes, with confirmation.
		must(t, "app delete unconfirmed", e.post("/console/applications/"+appID+"/delete", url.Values{"confirm": {"order sync"}}), http.StatusUnprocessableEntity, "to confirm")
		page = e.redirected("app delete", e.post("/console/applications/"+appID+"/delete", url.Values{"confirm": {"Order sync"}}), "/console/applications")
		must(t, "app deleted", page, 200, "Application “Order sync” deleted.")
		must(t, "deleted app page", e.get("/console/applications/"+appID), http.StatusNotFound, "Not found")
		e.redirected("role delete", e.post("/console/roles/"+roleID+"/delete", url.Values{"confirm": {"Order reader"}}), "/console/roles")
		e.redirected("scope delete", e.post(base+"/scopes/"+writeID+"/delete", nil), base)
		e.redirected("resource delete", e.post(base+"/delete", url.Values{"confirm": {"Orders"}}), "/console/resources")
		must(t, "deleted resource", e.get(base), http.StatusNotFound)
		must(t, "unknown page", e.get("/console/nothing-here"), http.StatusNotFound, "Page not found")
		must(t, "internal role hidden", e.get("/console/roles/admin-role"), http.StatusNotFound)
	})
}

// Lists page through their items, keeping the filters.
func TestPagination(t *testing.T) {
	e := start(t, storetest.SQLite(t), nil)
	ctx := context.Background()
	for i := range 23 {
		if _, err := e.srv.Service().CreateApplication(ctx, management.AppCreate{Name: fmt.Sprintf("svc-%02d", i), Type: rbac.AppMachineToMachine}); err != nil {
			t.Fatal(err)
		}
	}
	e.signIn()
	p1 := e.get("/console/applications?q=svc")
	must(t, "page 1", p1, 200, "1–20 of 23", `href="/console/applications?page=2&amp;q=svc"`)
	p2 := e.get("/console/applications?page=2&q=svc")
	must(t, "page 2", p2, 200, "21–23 of 23", `rel="prev"`)
	// Apps made in the same millisecond have no defined order among
	// themselves, so the pages are checked as sets: 20 and 3 apps, none on
	// both, all 23 in all.
	names := func(body string) map[string]bool {
		out := map[string]bool{}
		for _, m := range regexp.MustCompile(`>(svc-\d\d)<`).FindAllStringSubmatch(body, -1) {
			out[m[1]] = true
		}
		return out
	}
	n1, n2 := names(p1.body), names(p2.body)
	for n := range n2 {
		if n1[n] {
			t.Fatalf("%s on both pages", n)
		}
	}
	if len(n1) != 20 || len(n2) != 3 {
		t.Fatalf("pages hold %d and %d apps", len(n1), len(n2))
	}
	// Past the end: to the last page, saying so.
	past := e.redirected("past the end", e.get("/console/applications?page=9&q=svc"), "/console/applications?page=2&q=svc")
	must(t, "last page", past, 200, "There is no page 9: the list has 2 pages. This is the last one.", "21–23 of 23")
	must(t, "bad page", e.get("/console/applications?page=-3"), 200, "1–20 of")
}
