package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/storetest"
)

const (
	adminName     = "admin"
	adminPassword = "correct horse battery staple"
)

// env is a whole server (the real app handler) on loopback and a browser
// of its own: a cookie jar, no redirects followed.
type env struct {
	t      *testing.T
	srv    *app.Server
	url    string
	client *http.Client
	notice string
	csrf   string // the signed-in session's form token
	dsn    string
	vars   map[string]string
	dir    string // the data directory, kept across restarts
	stop   func() // stops the running server
}

// start runs a server on dsn with the variables vars added to a test
// configuration (the admin from the constants unless vars say otherwise).
func start(t *testing.T, dsn string, vars map[string]string) *env {
	t.Helper()
	e := &env{t: t, dsn: dsn, vars: vars, dir: t.TempDir()}
	e.boot()
	return e
}

// boot starts the server, stopping the one running first (one server per
// SQLite data dir).
func (e *env) boot() {
	t := e.t
	t.Helper()
	if e.stop != nil {
		e.stop()
	}
	m := map[string]string{
		"GATEHOUSE_DATA_DIR":             e.dir,
		"GATEHOUSE_BOOTSTRAP_APP_ID":     "bootstrap-admin",
		"GATEHOUSE_BOOTSTRAP_APP_SECRET": "bootstrap-secret",
		"GATEHOUSE_AUDIT_FLUSH_INTERVAL": "50ms",
		"GATEHOUSE_ADMIN_USERNAME":       adminName,
		"GATEHOUSE_ADMIN_PASSWORD":       adminPassword,
	}
	if strings.HasPrefix(e.dsn, "postgres") {
		m["GATEHOUSE_DATABASE_URL"] = e.dsn
	} else {
		m["GATEHOUSE_DATA_DIR"] = strings.TrimSuffix(e.dsn, "/gatehouse.db")
	}
	for k, v := range e.vars {
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	cfg, err := config.Load(func(k string) string { return m[k] }, nil)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	var notice bytes.Buffer
	srv, err := app.New(context.Background(), cfg, app.Options{Notice: &notice})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	hs := httptest.NewServer(srv.Handler())
	var once sync.Once
	e.stop = func() {
		once.Do(func() {
			hs.Close()
			srv.Close(context.Background())
		})
	}
	t.Cleanup(e.stop)
	jar, _ := cookiejar.New(nil)
	e.srv, e.url, e.notice = srv, hs.URL, notice.String()
	e.client = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// engines runs fn on a fresh server per engine.
func engines(t *testing.T, vars map[string]string, fn func(t *testing.T, e *env)) {
	for _, eng := range storetest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) { fn(t, start(t, eng.DSN(t), vars)) })
	}
}

// resp is an answer, its body read.
type resp struct {
	status int
	header http.Header
	body   string
}

func (r resp) location() string { return r.header.Get("Location") }

func (e *env) do(req *http.Request) resp {
	e.t.Helper()
	res, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, string(b)}
}

func (e *env) get(path string) resp {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.url+path, nil)
	return e.do(req)
}

// postRaw posts form as it is.
func (e *env) postRaw(path string, form url.Values, header ...string) resp {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return e.do(req)
}

// post posts form with the session's CSRF token.
func (e *env) post(path string, form url.Values) resp {
	e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", e.csrf)
	return e.postRaw(path, form)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrfOf returns the form token of a page.
func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no csrf field in %.300q", body)
	}
	return html.UnescapeString(m[1])
}

// signIn signs the configured administrator in.
func (e *env) signIn() {
	e.t.Helper()
	page := e.get("/console/sign-in")
	if page.status != 200 {
		e.t.Fatalf("sign-in page: %d", page.status)
	}
	r := e.postRaw("/console/sign-in", url.Values{"csrf": {csrfOf(e.t, page.body)}, "username": {adminName}, "password": {adminPassword}})
	if r.status != http.StatusSeeOther || r.location() != "/console/get-started" {
		e.t.Fatalf("sign in: %d %s %.500s", r.status, r.location(), r.body)
	}
	home := e.get("/console/get-started")
	if home.status != 200 {
		e.t.Fatalf("home: %d", home.status)
	}
	e.csrf = csrfOf(e.t, home.body)
}

// must fails the test unless r has status want and contains every text.
func must(t *testing.T, what string, r resp, want int, texts ...string) {
	t.Helper()
	if r.status != want {
		t.Fatalf("%s: status %d, want %d; Location %q; body %.2000s", what, r.status, want, r.location(), r.body)
	}
	for _, s := range texts {
		if !strings.Contains(r.body, s) {
			t.Fatalf("%s: body lacks %q: %.3000s", what, s, r.body)
		}
	}
}

// redirected fails the test unless r is a 303 to path, and returns the
// page there.
func (e *env) redirected(what string, r resp, path string) resp {
	e.t.Helper()
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), path) {
		e.t.Fatalf("%s: status %d to %q, want 303 to %s; body %.2000s", what, r.status, r.location(), path, r.body)
	}
	return e.get(r.location())
}

// token asks the token endpoint for a token and returns the answer.
func (e *env) token(id, secret, resource, scope string) (int, map[string]any) {
	e.t.Helper()
	return e.tokenWith(id, secret, url.Values{"resource": {resource}, "scope": {scope}})
}

// tokenWith posts a client-credentials request with form (and Basic
// credentials when user is not "") and returns the status and answer.
func (e *env) tokenWith(user, secret string, form url.Values) (int, map[string]any) {
	e.t.Helper()
	form.Set("grant_type", "client_credentials")
	req, _ := http.NewRequest("POST", e.url+"/oidc/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, secret)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}
