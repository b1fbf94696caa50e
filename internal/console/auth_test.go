package console_test

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/internal/storetest"
)

// Every page sends anonymous visitors to the sign-in page, remembering
// where they wanted to go; writes without a session are refused.
func TestAnonymousVisitors(t *testing.T) {
	e := start(t, storetest.SQLite(t), nil)
	if r := e.get("/"); r.status != http.StatusFound || r.location() != "console/" {
		t.Fatalf("/: %d %q", r.status, r.location())
	}
	if r := e.get("/console"); r.status != http.StatusMovedPermanently || r.location() != "/console/" {
		t.Fatalf("/console: %d %q", r.status, r.location())
	}
	for _, p := range []string{"/console/", "/console/get-started", "/console/applications", "/console/applications/new",
		"/console/applications/x", "/console/applications/x/assign-roles", "/console/resources", "/console/resources/new",
		"/console/resources/x", "/console/roles", "/console/roles/new", "/console/roles/x", "/console/users",
		"/console/users/new", "/console/users/x", "/console/audit-logs", "/console/signing-keys", "/console/nothing-here",
		"/console/applications?q=a&type=MachineToMachine"} {
		r := e.get(p)
		want := "/console/sign-in?next=" + url.QueryEscape(p)
		if r.status != http.StatusSeeOther || r.location() != want {
			t.Errorf("GET %s: %d to %q, want 303 to %q", p, r.status, r.location(), want)
		}
	}
	for _, p := range []string{"/console/applications/new", "/console/resources/new", "/console/signing-keys/rotate", "/console/sign-out"} {
		if r := e.postRaw(p, url.Values{"name": {"x"}}); r.status != http.StatusUnauthorized {
			t.Errorf("POST %s: %d, want 401", p, r.status)
		}
	}
	// Static files are public (the sign-in page needs them), with the
	// console's headers too.
	r := e.get("/console/static/console.css")
	must(t, "css", r, 200, ".btn")
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("css content type %q", ct)
	}
	must(t, "js", e.get("/console/static/console.js"), 200, "data-copy")
}

func TestSignInAndOut(t *testing.T) {
	engines(t, nil, func(t *testing.T, e *env) {
		page := e.get("/console/sign-in?next=/console/roles")
		must(t, "sign-in page", page, 200, "Sign in to the console", `name="next" value="/console/roles"`)
		h := page.header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %q", csp, want)
			}
		}
		if h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("Cache-Control") != "no-store" {
			t.Errorf("headers: %v", h)
		}
		if regexp.MustCompile(`(?i)<script>|style="|on(click|load)=|https?://[a-z]`).MatchString(strings.ReplaceAll(page.body, "http://localhost", "")) {
			t.Errorf("inline script, style or external URL in %s", page.body)
		}
		token := csrfOf(t, page.body)
		form := func(pw string) url.Values {
			return url.Values{"csrf": {token}, "username": {adminName}, "password": {pw}, "next": {"/console/roles"}}
		}

		// CSRF: no token, a wrong one, or a cross-site request.
		noToken := form(adminPassword)
		noToken.Del("csrf")
		must(t, "no csrf", e.postRaw("/console/sign-in", noToken), http.StatusForbidden, "security token")
		bad := form(adminPassword)
		flip := "x"
		if token[0] == 'x' {
			flip = "y" // a token starting with x would be left as it was
		}
		bad.Set("csrf", flip+token[1:])
		must(t, "bad csrf", e.postRaw("/console/sign-in", bad), http.StatusForbidden)
		must(t, "cross-site", e.postRaw("/console/sign-in", form(adminPassword), "Sec-Fetch-Site", "cross-site"), http.StatusForbidden)

		// Wrong and missing credentials.
		must(t, "wrong password", e.postRaw("/console/sign-in", form("nope nope nope")), http.StatusUnauthorized, "The username or password is wrong.")
		empty := form("")
		empty.Set("username", "")
		must(t, "empty", e.postRaw("/console/sign-in", empty), http.StatusUnprocessableEntity, "Enter your username.", "Enter your password.")

		// Success: the session cookie's attributes, then the page asked for.
		r := e.postRaw("/console/sign-in", form(adminPassword))
		if r.status != http.StatusSeeOther || r.location() != "/console/roles" {
			t.Fatalf("sign in: %d %q", r.status, r.location())
		}
		set := strings.Join(r.header.Values("Set-Cookie"), "\n")
		for _, want := range []string{"gatehouse_console=", "Path=/console", "HttpOnly", "SameSite=Strict"} {
			if !strings.Contains(set, want) {
				t.Errorf("Set-Cookie %q lacks %q", set, want)
			}
		}
		if strings.Contains(set, "Secure") {
			t.Errorf("Secure cookie on an http endpoint: %q", set)
		}
		roles := e.get("/console/roles")
		must(t, "roles", roles, 200, "Logto Management API access", adminName)
		e.csrf = csrfOf(t, roles.body)

		// An open redirect is not followed.
		if r := e.postRaw("/console/sign-in", url.Values{"csrf": {token}, "username": {adminName}, "password": {adminPassword}, "next": {"//evil.example/x"}}); r.location() != "/console/get-started" {
			t.Errorf("next //evil: %q", r.location())
		}
		e.csrf = csrfOf(t, e.get("/console/roles").body) // that sign-in made a new session

		// Sign out with a wrong token is refused; with the right one the
		// session ends for good.
		must(t, "sign out without csrf", e.postRaw("/console/sign-out", url.Values{"csrf": {"nope"}}), http.StatusForbidden)
		r = e.post("/console/sign-out", nil)
		if r.status != http.StatusSeeOther || r.location() != "/console/sign-in" {
			t.Fatalf("sign out: %d %q", r.status, r.location())
		}
		if r := e.get("/console/roles"); r.status != http.StatusSeeOther {
			t.Fatalf("after sign out: %d", r.status)
		}
	})
}

func TestSecureCookieOnHTTPSEndpoint(t *testing.T) {
	e := start(t, storetest.SQLite(t), map[string]string{"GATEHOUSE_ENDPOINT": "https://gatehouse.example.com/auth"})
	page := e.get("/console/sign-in")
	set := page.header.Get("Set-Cookie")
	if !strings.Contains(set, "Secure") || !strings.Contains(set, "Path=/auth/console") {
		t.Fatalf("pre-session cookie %q", set)
	}
	// The cookie jar does not send Secure cookies over http: post by hand.
	token := csrfOf(t, page.body)
	req, _ := http.NewRequest("POST", e.url+"/console/sign-in", strings.NewReader(url.Values{
		"csrf": {token}, "username": {adminName}, "password": {adminPassword}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "gatehouse_console_csrf", Value: token})
	r := e.do(req)
	if r.status != http.StatusSeeOther || r.location() != "/auth/console/get-started" {
		t.Fatalf("sign in: %d %q %s", r.status, r.location(), r.body)
	}
	set = strings.Join(r.header.Values("Set-Cookie"), "\n")
	if !strings.Contains(set, "gatehouse_console=") || !strings.Contains(set, "Secure") || !strings.Contains(set, "SameSite=Strict") {
		t.Fatalf("session cookie %q", set)
	}
}

func TestSignInRateLimited(t *testing.T) {
	e := start(t, storetest.SQLite(t), nil)
	page := e.get("/console/sign-in")
	token := csrfOf(t, page.body)
	try := func(pw string) resp {
		return e.postRaw("/console/sign-in", url.Values{"csrf": {token}, "username": {adminName}, "password": {pw}})
	}
	for i := range 5 {
		if r := try("wrong password " + string(rune('a'+i))); r.status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, r.status)
		}
	}
	// Locked now, even with the right password.
	r := try(adminPassword)
	must(t, "locked", r, http.StatusTooManyRequests, "Too many failed sign-ins")
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	// Another username is not locked by this one's failures.
	r = e.postRaw("/console/sign-in", url.Values{"csrf": {token}, "username": {"someone"}, "password": {"whatever1"}})
	must(t, "other user", r, http.StatusUnauthorized)
}

var setupLink = regexp.MustCompile(`(/console/setup\?token=[A-Za-z0-9_-]+)`)

func TestSetupLink(t *testing.T) {
	engines(t, map[string]string{"GATEHOUSE_ADMIN_USERNAME": "", "GATEHOUSE_ADMIN_PASSWORD": ""}, func(t *testing.T, e *env) {
		m := setupLink.FindStringSubmatch(e.notice)
		if m == nil {
			t.Fatalf("no setup link in %q", e.notice)
		}
		link := m[1]
		must(t, "bad token", e.get("/console/setup?token=nope"), http.StatusNotFound, "not valid")
		page := e.get(link)
		must(t, "setup page", page, 200, "Create the first administrator")
		token := strings.TrimPrefix(link, "/console/setup?token=")
		form := url.Values{"csrf": {csrfOf(t, page.body)}, "token": {token}, "username": {"root"}, "password": {"short"}, "confirm": {"short"}}
		must(t, "short password", e.postRaw("/console/setup", form), http.StatusUnprocessableEntity, "at least 8 characters")
		form.Set("password", "long enough password")
		must(t, "mismatch", e.postRaw("/console/setup", form), http.StatusUnprocessableEntity, "do not match")
		form.Set("confirm", "long enough password")
		form.Set("username", "has space")
		must(t, "username", e.postRaw("/console/setup", form), http.StatusUnprocessableEntity, "Use no spaces.")
		form.Set("username", "root")
		r := e.redirected("setup", e.postRaw("/console/setup", form), "/console/get-started")
		must(t, "signed in after setup", r, 200, "Welcome, root.", "Get started")

		// The link is used up; a restart prints none.
		must(t, "link again", e.get(link), http.StatusGone, "Already set up")
		must(t, "post again", e.postRaw("/console/setup", form), http.StatusNotFound)
		e.boot()
		if e.notice != "" {
			t.Fatalf("restart printed %q", e.notice)
		}
		// The new administrator signs in with the chosen password.
		page = e.get("/console/sign-in")
		r = e.postRaw("/console/sign-in", url.Values{"csrf": {csrfOf(t, page.body)}, "username": {"root"}, "password": {"long enough password"}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("sign in as root: %d %s", r.status, r.body)
		}
	})
}

// A configured password replaces the stored one at start and ends the
// administrator's sessions.
func TestConfiguredPasswordChange(t *testing.T) {
	e := start(t, storetest.SQLite(t), nil)
	e.signIn()
	e.vars = map[string]string{"GATEHOUSE_ADMIN_PASSWORD": "a brand new password"}
	jar := e.client.Jar
	e.boot()
	e.client.Jar = jar
	if r := e.get("/console/applications"); r.status != http.StatusSeeOther {
		t.Fatalf("old session after password change: %d", r.status)
	}
	page := e.get("/console/sign-in")
	r := e.postRaw("/console/sign-in", url.Values{"csrf": {csrfOf(t, page.body)}, "username": {adminName}, "password": {adminPassword}})
	must(t, "old password", r, http.StatusUnauthorized)
	r = e.postRaw("/console/sign-in", url.Values{"csrf": {csrfOf(t, page.body)}, "username": {adminName}, "password": {"a brand new password"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("new password: %d", r.status)
	}
}

// TestSignInConcurrentLimit: 60 concurrent wrong sign-ins for one username
// are 5 password checks and 55 refusals: the limit is reserved before the
// password is checked.
func TestSignInConcurrentLimit(t *testing.T) {
	e := start(t, storetest.SQLite(t), nil)
	token := csrfOf(t, e.get("/console/sign-in").body)
	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.postRaw("/console/sign-in", url.Values{"csrf": {token}, "username": {adminName}, "password": {fmt.Sprint("wrong ", i)}})
			mu.Lock()
			counts[r.status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if counts[http.StatusUnauthorized] != 5 || counts[http.StatusTooManyRequests] != 55 {
		t.Fatalf("answers: %v, want 5 × 401 and 55 × 429", counts)
	}
}

// TestSignInNoLockout: a flood of wrong passwords from one address does
// not lock the administrator out from another, and the refusal says how
// long in minutes.
func TestSignInNoLockout(t *testing.T) {
	e := start(t, storetest.SQLite(t), nil)
	token := csrfOf(t, e.get("/console/sign-in").body)
	for i := range 30 {
		e.postRaw("/console/sign-in", url.Values{"csrf": {token}, "username": {adminName}, "password": {fmt.Sprint("wrong ", i)}})
	}
	r := e.postRaw("/console/sign-in", url.Values{"csrf": {token}, "username": {adminName}, "password": {adminPassword}})
	must(t, "flooding address", r, http.StatusTooManyRequests, "Try again in 15 minutes.")

	// The administrator's own machine: another loopback address.
	other := &http.Client{Jar: e.client.Jar, CheckRedirect: e.client.CheckRedirect, Transport: &http.Transport{
		DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}).DialContext}}
	req, _ := http.NewRequest("POST", e.url+"/console/sign-in", strings.NewReader(url.Values{
		"csrf": {token}, "username": {adminName}, "password": {adminPassword}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := other.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("administrator from another address: %d", res.StatusCode)
	}
}

// TestUnstorableInput: a value PostgreSQL cannot store is refused with 400
// and a message naming the field, on both engines, in every form and in
// the address.
func TestUnstorableInput(t *testing.T) {
	engines(t, nil, func(t *testing.T, e *env) {
		token := csrfOf(t, e.get("/console/sign-in").body)
		r := e.postRaw("/console/sign-in", url.Values{"csrf": {token}, "username": {"ad\x00min"}, "password": {"whatever"}})
		must(t, "sign-in", r, http.StatusBadRequest, "The field “username” contains characters that cannot be stored")
		e.signIn()
		for _, c := range []struct {
			path string
			form url.Values
		}{
			{"/console/resources/new", url.Values{"name": {"a\x00b"}, "indicator": {"https://x.example"}}},
			{"/console/applications/new", url.Values{"name": {"\xed\xa0\x80"}, "type": {"MachineToMachine"}}},
			{"/console/applications/x/custom-data", url.Values{"customData": {`{"k":"\u0000"}`}}},
			{"/console/applications/x/custom-data", url.Values{"customData": {`{"k":"\ud800"}`}}},
		} {
			r := e.post(c.path, c.form)
			must(t, c.path, r, http.StatusBadRequest, "contains characters that cannot be stored")
		}
		r = e.get("/console/applications?q=%00")
		must(t, "query", r, http.StatusBadRequest, "contains characters that cannot be stored")
		r = e.get("/console/applications/sec%00boot")
		must(t, "path", r, http.StatusBadRequest, "contains characters that cannot be stored")
	})
}
