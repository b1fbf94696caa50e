package app

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse/gatehouse/internal/change"
	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storetest"
)

const (
	bootID     = "bootstrap-app"
	bootSecret = "a b+c/d:e%f&g=h~!*'()\"<>"
	mapi       = "https://default.logto.app/api"
	shopAPI    = "https://shopping.api"
	otherAPI   = "https://other.api"
	shopApp    = "shopapp0000000000001"
	shopSecret = "shopSecretValue0123456789abcdefZ"
	oldSecret  = "expiredSecretValue0123456789abcd"
)

// fixture is a running server on loopback with the seeds' shopping example.
type fixture struct {
	t    *testing.T
	srv  *Server
	http *httptest.Server
	cfg  config.Config
}

func testConfig(t testing.TB, dsn, dataDir string) config.Config {
	t.Helper()
	env := map[string]string{
		"GATEHOUSE_DATA_DIR":             dataDir,
		"GATEHOUSE_DATABASE_URL":         "",
		"GATEHOUSE_BOOTSTRAP_APP_ID":     bootID,
		"GATEHOUSE_BOOTSTRAP_APP_SECRET": bootSecret,
		"GATEHOUSE_AUDIT_FLUSH_INTERVAL": "20ms",
	}
	if strings.HasPrefix(dsn, "postgres") {
		env["GATEHOUSE_DATABASE_URL"] = dsn
	}
	cfg, err := config.Load(func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

// newFixture starts a server on dsn (an SQLite path or a PostgreSQL DSN).
func newFixture(t *testing.T, dsn string) *fixture {
	t.Helper()
	dataDir := t.TempDir()
	if !strings.HasPrefix(dsn, "postgres") {
		dataDir = strings.TrimSuffix(dsn, "/gatehouse.db")
	}
	_, f := startOn(t, testConfig(t, dsn, dataDir), Options{})
	f.seedShop()
	return f
}

// startOn starts a server with cfg and opts and serves it on loopback
// until the test ends.
func startOn(t *testing.T, cfg config.Config, opts Options) (*Server, *fixture) {
	t.Helper()
	srv, err := New(context.Background(), cfg, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); srv.Close(context.Background()) })
	return srv, &fixture{t: t, srv: srv, http: hs, cfg: cfg}
}

// forEachEngine runs fn on a fresh fixture per engine.
func forEachEngine(t *testing.T, fn func(t *testing.T, f *fixture)) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) { fn(t, newFixture(t, e.DSN(t))) })
	}
}

// seedShop writes the seeds' walk-through straight into the store: the
// shopping API with two permissions, an M2M role with one of them, a User
// role with the other (which must never count for apps), and an app holding
// both roles with a valid and an expired secret.
func (f *fixture) seedShop() {
	t, ctx, st := f.t, context.Background(), f.srv.store
	t.Helper()
	now := time.Now().UnixMilli()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.InsertResource(ctx, &rbac.Resource{TenantID: "default", ID: "shop", Name: "Online shopping", Indicator: shopAPI, AccessTokenTTL: 3600}))
	must(st.InsertResource(ctx, &rbac.Resource{TenantID: "default", ID: "other", Name: "Other", Indicator: otherAPI, AccessTokenTTL: 120}))
	must(st.InsertResource(ctx, &rbac.Resource{TenantID: "default", ID: "zero", Name: "Zero TTL", Indicator: "urn:zero:ttl", AccessTokenTTL: 0}))
	for _, s := range []rbac.Scope{
		{ID: "read", ResourceID: "shop", Name: "read:products"},
		{ID: "write", ResourceID: "shop", Name: "write:products"},
		{ID: "oread", ResourceID: "other", Name: "read:other"},
		{ID: "zread", ResourceID: "zero", Name: "read"},
	} {
		s.TenantID, s.CreatedAt = "default", now
		must(st.InsertScope(ctx, &s))
	}
	must(st.InsertRole(ctx, &rbac.Role{TenantID: "default", ID: "reader", Name: "shop-reader", Description: "Reads products", Type: rbac.RoleMachineToMachine}))
	must(st.InsertRole(ctx, &rbac.Role{TenantID: "default", ID: "writer", Name: "shop-writer-users", Description: "A user role", Type: rbac.RoleUser}))
	must(st.InsertRoleScope(ctx, "default", "rs1", "reader", "read"))
	must(st.InsertRoleScope(ctx, "default", "rs2", "reader", "oread"))
	must(st.InsertRoleScope(ctx, "default", "rs3", "reader", "zread"))
	must(st.InsertRoleScope(ctx, "default", "rs4", "writer", "write"))
	must(st.InsertApplication(ctx, &rbac.Application{TenantID: "default", ID: shopApp, Name: "Daily orders", Type: rbac.AppMachineToMachine, CreatedAt: now}))
	f.addSecret(shopApp, "Default secret", shopSecret, nil)
	past := now - 1000
	f.addSecret(shopApp, "old one", oldSecret, &past)
	must(st.InsertApplicationRole(ctx, "default", "ar1", shopApp, "reader"))
	f.srv.cache.Apply(change.Set{All: true})
}

func (f *fixture) addSecret(appID, name, plain string, expiresAt *int64) {
	f.t.Helper()
	box := f.box()
	sealed, err := box.Seal(secret.PurposeAppSecret, []byte(plain))
	if err != nil {
		f.t.Fatal(err)
	}
	err = f.srv.store.InsertSecret(context.Background(), &rbac.Secret{TenantID: "default", ApplicationID: appID, Name: name,
		Sealed: sealed, Digest: box.Digest(plain), CreatedAt: time.Now().UnixMilli(), ExpiresAt: expiresAt})
	if err != nil {
		f.t.Fatal(err)
	}
	f.srv.cache.Apply(change.Set{All: true})
}

func (f *fixture) box() *secret.Box {
	key, err := secret.ReadKeyFile(f.cfg.MasterKeyPath())
	if err != nil {
		f.t.Fatal(err)
	}
	b, err := secret.NewBox(key, rand.Reader)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// tokenURL is the token endpoint on loopback.
func (f *fixture) tokenURL() string { return f.http.URL + "/oidc/token" }

// post sends a form body to the token endpoint.
func (f *fixture) post(form string, header ...string) *http.Response {
	f.t.Helper()
	return f.do("POST", f.tokenURL(), "application/x-www-form-urlencoded", form, header...)
}

func (f *fixture) do(method, u, ctype, body string, header ...string) *http.Response {
	f.t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func basic(id, secret string) string {
	return "Basic " + b64(url.QueryEscape(id)+":"+url.QueryEscape(secret))
}

// readJSON decodes a response body into a map and returns the raw text too.
func readJSON(t *testing.T, resp *http.Response) (map[string]any, string) {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", b, err)
	}
	return m, string(b)
}

// verify checks a JWT against the JWKS fetched over HTTP (not the
// in-process key) and returns its header and claims.
func (f *fixture) verify(tok string) (jose.Header, map[string]any) {
	t := f.t
	t.Helper()
	resp, err := http.Get(f.http.URL + "/oidc/jwks")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.ES512, jose.EdDSA, jose.RS256})
	if err != nil {
		t.Fatalf("parse token: %v", err)
	}
	h := parsed.Headers[0]
	keys := set.Key(h.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q: %d keys in the JWKS", h.KeyID, len(keys))
	}
	var claims map[string]any
	if err := parsed.Claims(keys[0].Key, &claims); err != nil {
		t.Fatalf("verify token: %v", err)
	}
	return h, claims
}
