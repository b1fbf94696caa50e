package apptest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/storetest"
)

// The bootstrap app every Env starts with; it holds the "Logto Management
// API access" role.
const (
	BootstrapID     = "bootstrap-admin"
	BootstrapSecret = "bootstrap secret: with /+% and spaces"
	Indicator       = "https://default.logto.app/api"
)

// Env is a running server.
type Env struct {
	T      testing.TB
	Server *app.Server
	HTTP   *httptest.Server
	URL    string // base URL, no trailing slash
	Config config.Config
	token  string
}

// New starts a server on the database dsn (from storetest).
func New(t testing.TB, dsn string) *Env {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{
		"GATEHOUSE_DATA_DIR":             dir,
		"GATEHOUSE_BOOTSTRAP_APP_ID":     BootstrapID,
		"GATEHOUSE_BOOTSTRAP_APP_SECRET": BootstrapSecret,
		"GATEHOUSE_AUDIT_FLUSH_INTERVAL": "50ms",
	}
	if strings.HasPrefix(dsn, "postgres") {
		env["GATEHOUSE_DATABASE_URL"] = dsn
	} else {
		env["GATEHOUSE_DATA_DIR"] = strings.TrimSuffix(dsn, "/gatehouse.db")
	}
	cfg, err := config.Load(func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatalf("apptest: config: %v", err)
	}
	srv, err := app.New(context.Background(), cfg, app.Options{})
	if err != nil {
		t.Fatalf("apptest: start: %v", err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		srv.Close(context.Background())
	})
	return &Env{T: t, Server: srv, HTTP: hs, URL: hs.URL, Config: cfg}
}

// Run runs fn on a fresh Env per engine: SQLite, and PostgreSQL when
// GATEHOUSE_TEST_POSTGRES_DSN is set.
func Run(t *testing.T, fn func(t *testing.T, e *Env)) {
	for _, eng := range storetest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) { fn(t, New(t, eng.DSN(t))) })
	}
}

// TokenAs asks the token endpoint for a token with client_secret_basic and
// returns the token and the status (the token is "" unless 200).
func (e *Env) TokenAs(clientID, secret, resource, scope string) (string, int) {
	e.T.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	if resource != "" {
		form.Set("resource", resource)
	}
	if scope != "" {
		form.Set("scope", scope)
	}
	req, _ := http.NewRequest("POST", e.URL+"/oidc/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.T.Fatalf("apptest: token: %v", err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	return body.AccessToken, resp.StatusCode
}

// Token returns a token of the bootstrap app for resource and scope.
func (e *Env) Token(resource, scope string) string {
	e.T.Helper()
	tok, status := e.TokenAs(BootstrapID, BootstrapSecret, resource, scope)
	if status != 200 {
		e.T.Fatalf("apptest: token for %s %q: status %d", resource, scope, status)
	}
	return tok
}

// AdminToken returns a Management API token with the scope all (cached).
func (e *Env) AdminToken() string {
	if e.token == "" {
		e.token = e.Token(Indicator, "all")
	}
	return e.token
}

// Response is an API answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test if it is not JSON.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("apptest: body %q: %v", r.Body, err)
	}
}

// Code returns the "code" of an error body ("" if none).
func (r *Response) Code() string {
	var e struct {
		Code string `json:"code"`
	}
	json.Unmarshal(r.Body, &e)
	return e.Code
}

// Do sends a request with token (none if ""); body is JSON-encoded unless
// it is a string or nil.
func (e *Env) Do(method, path string, body any, token string) *Response {
	e.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.T.Fatal(err)
		}
		rd = strings.NewReader(string(j))
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		e.T.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.T.Fatalf("apptest: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// API sends a request with the admin token.
func (e *Env) API(method, path string, body any) *Response {
	e.T.Helper()
	return e.Do(method, path, body, e.AdminToken())
}

// Must sends a request with the admin token and fails the test unless the
// status is want; it decodes a JSON answer into out when out is not nil.
func (e *Env) Must(want int, method, path string, body, out any) *Response {
	e.T.Helper()
	r := e.API(method, path, body)
	if r.Status != want {
		e.T.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	if out != nil {
		r.JSON(e.T, out)
	}
	return r
}
