package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// The corners issue 15 found broken, each checked on both engines.
func TestIssue15Fixes(t *testing.T) {
	engines(t, nil, func(t *testing.T, e *env) {
		e.signIn()

		// Get started on a fresh install: the bootstrap app is not "your"
		// app, six steps over six cards, the example answer's scope is the
		// request's, and the SDK snippet masks the secret.
		start := e.get("/console/get-started")
		must(t, "get started", start, 200, "in six steps", "&#34;all&#34;")
		if strings.Count(start.body, `class="card step-card`) != 6 {
			t.Fatal("not six step cards")
		}
		if strings.Contains(start.body, `step-card done">`+"\n    <h2>Create an M2M app") {
			t.Fatal("the bootstrap app ticks the app step")
		}
		sdk := find(t, "sdk", `(?s)<pre id="start-sdk"[^>]*>(.*?)</pre>`, start.body)
		if strings.Contains(sdk, "bootstrap-secret") || !strings.Contains(sdk, "••••") {
			t.Fatalf("SDK snippet shows the secret: %s", sdk)
		}
		if strings.Contains(start.body, "read:products write:products&#34;") {
			t.Fatal("the sample answer's scope is not the request's")
		}

		// Deleting the Management API role warns that the bootstrap app
		// loses "all".
		roles := e.get("/console/roles")
		roleID := find(t, "management role", `/console/roles/([^/"]+)">Logto Management API access`, roles.body)
		must(t, "role warning", e.get("/console/roles/"+roleID), 200, "This role grants the Management API",
			"“Gatehouse bootstrap” (the bootstrap app)")

		// An unknown app id, for people.
		must(t, "unknown app", e.get("/console/applications/nope"), http.StatusNotFound,
			"There is no application with the ID “nope”. It may have been deleted")

		// The type filter offers what the console creates only.
		apps := e.get("/console/applications")
		if strings.Contains(apps.body, "Single-page app") || strings.Contains(apps.body, ">SAML<") {
			t.Fatal("the type filter lists types the console cannot create")
		}

		// Search: % and _ are literal.
		app := e.redirected("create app", e.post("/console/applications/new", url.Values{"name": {"Nightly_sync"}}), "/console/applications/")
		appID := find(t, "app id", `/console/applications/([^/"?]+)/assign-roles`, app.body)
		must(t, "percent", e.get("/console/applications?q=%25"), 200, "No applications match")
		must(t, "underscore", e.get("/console/applications?q=y_s"), 200, "Nightly_sync")
		if strings.Contains(e.get("/console/applications?q=_").body, "Gatehouse bootstrap") {
			t.Fatal("_ matches any character")
		}

		// Empty custom data is refused, {} clears it.
		must(t, "empty custom data", e.post("/console/applications/"+appID+"/custom-data", url.Values{"customData": {"  "}}),
			http.StatusUnprocessableEntity, "To remove all custom data, enter {} and save.")
		e.redirected("clear custom data", e.post("/console/applications/"+appID+"/custom-data", url.Values{"customData": {"{}"}}), "/console/applications/"+appID)

		// Duplicate messages end with a full stop.
		e.redirected("resource", e.post("/console/resources/new", url.Values{"name": {"A"}, "indicator": {"https://a.example.com"}}), "/console/resources/")
		dup := e.post("/console/resources/new", url.Values{"name": {"B"}, "indicator": {"https://a.example.com"}})
		must(t, "duplicate", dup, http.StatusUnprocessableEntity, "is already in use.")

		// "Try it" with roles that hold no permissions says so.
		role := e.redirected("role", e.post("/console/roles/new", url.Values{"name": {"Empty"}, "description": {"Holds nothing"}, "type": {"MachineToMachine"}}), "/console/roles/")
		emptyID := find(t, "role id", `/console/roles/([^/"]+)/settings`, role.body)
		e.redirected("assign", e.post("/console/applications/"+appID+"/assign-roles", url.Values{"roleId": {emptyID}}), "/console/applications/"+appID)
		page := e.get("/console/applications/" + appID)
		must(t, "try it", page, 200, "This app's roles hold no permissions")
		if strings.Contains(page.body, "This app has no roles yet") {
			t.Fatal("Try it says no roles while one is listed")
		}

		// The layout: a skip link first, the menu button, the navigation.
		if !regexp.MustCompile(`<body[^>]*>\s*<a class="skip-link" href="#main">`).MatchString(page.body) ||
			!strings.Contains(page.body, `aria-controls="sidebar"`) || !strings.Contains(page.body, `id="main" tabindex="-1"`) {
			t.Fatal("layout lacks the skip link or the menu")
		}
	})
}
