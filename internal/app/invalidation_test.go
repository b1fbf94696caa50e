package app

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse/gatehouse/internal/storetest"
)

// The tests of this file hold the grant cache to its guarantee (issue 9,
// "Targeted invalidation"): a write's effect shows on the very next token
// request, on every instance. For each kind of write that can change a
// token they make the write through the Management API of instance A, over
// real HTTP, and check the token's content (status and error code, aud,
// scope, expires_in, kid, custom claims) on A at once, with no waiting,
// and, on PostgreSQL, on instance B sharing A's database. Notifications
// reach B asynchronously, so B is polled, for invPoll at most.
//
// Before each write the state it changes is asked for on every instance,
// so that the old answer is cached where the write must drop it. The
// caches are warm and complete (they answer unknown ids without a query)
// before the first case: a change set that did not reach them would leave
// a created app refused.
//
// The cases share the instances of one engine and run in order; each makes
// the objects it writes to.

// invPoll bounds how long instance B may take to show a write of A.
const invPoll = 5 * time.Second

// invClock is time.Now shifted by an offset the test advances: secret
// expiry and staged signing keys without sleeping.
type invClock struct{ off atomic.Int64 }

func (c *invClock) Now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *invClock) Advance(d time.Duration) { c.off.Add(int64(d)) }

// invInstance is one running server.
type invInstance struct {
	name string
	srv  *Server
	url  string
}

// invEnv is instance A, which takes every write, and on PostgreSQL
// instance B on the same database.
type invEnv struct {
	a      *invInstance
	all    []*invInstance // a first
	clock  *invClock
	admin  string // Management API token, from A
	serial int
}

func startInvEnv(t *testing.T, eng storetest.Engine) *invEnv {
	t.Helper()
	var dsn string
	if eng.Name == "postgres" {
		dsn = isolatedPostgres(t)
	} else {
		dsn = eng.DSN(t)
	}
	dir := t.TempDir() // one data dir: one master key file for both instances
	n := 1
	if strings.HasPrefix(dsn, "postgres") {
		n = 2
	} else {
		dir = filepath.Dir(dsn)
	}
	e := &invEnv{clock: &invClock{}}
	for i := range n {
		cfg := testConfig(t, dsn, dir)
		srv, f := startOn(t, cfg, Options{Now: e.clock.Now})
		e.all = append(e.all, &invInstance{name: string(rune('A' + i)), srv: srv, url: f.http.URL})
	}
	e.a = e.all[0]
	e.waitComplete(t)
	return e
}

// isolatedPostgres creates a database of its own on the server named by
// storetest.PostgresEnv (dropped when the test ends) and returns its DSN.
// Not a schema, as storetest.Postgres makes: the change notification
// channel is one per database, so every Gatehouse test server on the same
// PostgreSQL database, whatever its schema (other packages' tests, other
// checkouts), would send this test's instances its changes, and a foreign
// change that reloads grants (an unreadable payload is "everything") hides
// what a missed targeted change would show. Without the right to create
// databases it falls back to a schema.
func isolatedPostgres(t *testing.T) string {
	t.Helper()
	base := os.Getenv(storetest.PostgresEnv)
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "gh_inv_" + hex.EncodeToString(b[:])
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		db.Close()
		t.Logf("cannot create a database (%v): a schema instead; other servers' notifications may reach this test's", err)
		return storetest.Postgres(t)
	}
	t.Cleanup(func() {
		if _, err := db.Exec("DROP DATABASE " + name + " WITH (FORCE)"); err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
		db.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// waitComplete waits until every instance's grant cache has warmed and
// knows every application.
func (e *invEnv) waitComplete(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, in := range e.all {
		for !in.srv.cache.Stats().Complete {
			if time.Now().After(deadline) {
				t.Fatalf("instance %s: the grant cache is not complete 10s after start: %+v", in.name, in.srv.cache.Stats())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func (e *invEnv) uniq(prefix string) string {
	e.serial++
	return fmt.Sprintf("%s%d", prefix, e.serial)
}

// ---- The Management API, on instance A.

// call sends a Management API request to A and fails the test unless it
// succeeds (2xx); it returns the body.
func (e *invEnv) call(t *testing.T, method, path string, body any) []byte {
	t.Helper()
	for try := 0; ; try++ {
		if e.admin == "" {
			r := e.token(t, e.a, bootID, bootSecret, url.Values{"resource": {mapi}, "scope": {"all"}})
			if r.status != 200 {
				t.Fatalf("admin token: %d %s", r.status, r.raw)
			}
			e.admin = r.body["access_token"].(string)
		}
		var rd io.Reader
		if body != nil {
			b, err := json.Marshal(body)
			if err != nil {
				t.Fatal(err)
			}
			rd = strings.NewReader(string(b))
		}
		req, err := http.NewRequest(method, e.a.url+path, rd)
		if err != nil {
			t.Fatal(err)
		}
		if rd != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+e.admin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 401 && try == 0 { // the admin token's key was deleted, or it expired on the test clock
			e.admin = ""
			continue
		}
		if resp.StatusCode/100 != 2 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return b
	}
}

// create sends a write that answers an object and returns its id.
func (e *invEnv) create(t *testing.T, method, path string, body any) string {
	t.Helper()
	var v struct{ ID string }
	if err := json.Unmarshal(e.call(t, method, path, body), &v); err != nil || v.ID == "" {
		t.Fatalf("%s %s: no id in the answer (%v)", method, path, err)
	}
	return v.ID
}

// resource creates an API resource with this token lifetime and returns
// its id and indicator.
func (e *invEnv) resource(t *testing.T, ttl int) (id, indicator string) {
	t.Helper()
	indicator = "https://" + e.uniq("inv") + ".example"
	id = e.create(t, "POST", "/api/resources", map[string]any{"name": indicator, "indicator": indicator, "accessTokenTtl": ttl})
	return id, indicator
}

func (e *invEnv) scope(t *testing.T, resourceID, name string) string {
	t.Helper()
	return e.create(t, "POST", "/api/resources/"+resourceID+"/scopes", map[string]any{"name": name})
}

// role creates an M2M role holding scopeIDs.
func (e *invEnv) role(t *testing.T, scopeIDs ...string) string {
	t.Helper()
	if scopeIDs == nil {
		scopeIDs = []string{}
	}
	return e.create(t, "POST", "/api/roles", map[string]any{"name": e.uniq("role"), "description": "d",
		"type": "MachineToMachine", "scopeIds": scopeIDs})
}

// app creates an M2M app and returns its id and its Default secret.
func (e *invEnv) app(t *testing.T) (id, secret string) {
	t.Helper()
	id = e.create(t, "POST", "/api/applications", map[string]any{"name": e.uniq("app"), "type": "MachineToMachine"})
	var secrets []struct{ Name, Value string }
	if err := json.Unmarshal(e.call(t, "GET", "/api/applications/"+id+"/secrets", nil), &secrets); err != nil || len(secrets) != 1 {
		t.Fatalf("secrets of a new app: %v %+v", err, secrets)
	}
	return id, secrets[0].Value
}

func (e *invEnv) giveRoles(t *testing.T, app string, roles ...string) {
	t.Helper()
	e.call(t, "POST", "/api/applications/"+app+"/roles", map[string]any{"roleIds": roles})
}

// grantedApp is an app holding a new M2M role with scopes (named) of a new
// resource with a one-hour token lifetime.
type grantedApp struct {
	id, secret, role, resource, indicator string
	scopes                                map[string]string // name → id
}

func (e *invEnv) grantedApp(t *testing.T, scopes ...string) grantedApp {
	t.Helper()
	g := grantedApp{scopes: map[string]string{}}
	g.resource, g.indicator = e.resource(t, 3600)
	var ids []string
	for _, s := range scopes {
		g.scopes[s] = e.scope(t, g.resource, s)
		ids = append(ids, g.scopes[s])
	}
	g.role = e.role(t, ids...)
	g.id, g.secret = e.app(t)
	e.giveRoles(t, g.id, g.role)
	return g
}

// orgMember is an organization with a member app, and an M2M organization
// role (not given to the app) with organization scope a and the resource
// scope read of a new resource.
type orgMember struct {
	org, app, secret, role, scopeA, resource, indicator, read string
}

func (e *invEnv) orgMember(t *testing.T) orgMember {
	t.Helper()
	var m orgMember
	m.app, m.secret = e.app(t)
	m.org = e.create(t, "POST", "/api/organizations", map[string]any{"name": e.uniq("org")})
	e.call(t, "POST", "/api/organizations/"+m.org+"/applications", map[string]any{"applicationIds": []string{m.app}})
	m.scopeA = e.orgScope(t, e.uniq("a"))
	m.resource, m.indicator = e.resource(t, 3600)
	m.read = e.scope(t, m.resource, "read")
	m.role = e.orgRole(t, "MachineToMachine", []string{m.scopeA}, []string{m.read})
	return m
}

func (e *invEnv) orgScope(t *testing.T, name string) string {
	t.Helper()
	return e.create(t, "POST", "/api/organization-scopes", map[string]any{"name": name})
}

func (e *invEnv) orgRole(t *testing.T, typ string, orgScopes, resourceScopes []string) string {
	t.Helper()
	if orgScopes == nil {
		orgScopes = []string{}
	}
	if resourceScopes == nil {
		resourceScopes = []string{}
	}
	return e.create(t, "POST", "/api/organization-roles", map[string]any{"name": e.uniq("orgrole"), "type": typ,
		"organizationScopeIds": orgScopes, "resourceScopeIds": resourceScopes})
}

// orgScopeName returns the name of organization scope id.
func (e *invEnv) orgScopeName(t *testing.T, id string) string {
	t.Helper()
	var v struct{ Name string }
	if err := json.Unmarshal(e.call(t, "GET", "/api/organization-scopes/"+id, nil), &v); err != nil {
		t.Fatal(err)
	}
	return v.Name
}

// ---- The token endpoint.

// tokenResult is a token endpoint answer, with the JWT's header and claims
// decoded (not verified) when there is one.
type tokenResult struct {
	status int
	raw    string
	body   map[string]any
	header map[string]any
	claims map[string]any
}

func (e *invEnv) token(t *testing.T, in *invInstance, id, secret string, form url.Values, header ...string) tokenResult {
	t.Helper()
	f := url.Values{"grant_type": {"client_credentials"}}
	for k, v := range form {
		f[k] = v
	}
	req, err := http.NewRequest("POST", in.url+"/oidc/token", strings.NewReader(f.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", basic(id, secret))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("token request to %s: %v", in.name, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := tokenResult{status: resp.StatusCode, raw: string(b)}
	if err := json.Unmarshal(b, &r.body); err != nil {
		t.Fatalf("token answer of %s is not JSON: %d %q", in.name, resp.StatusCode, b)
	}
	if tok, ok := r.body["access_token"].(string); ok {
		parts := strings.Split(tok, ".")
		if len(parts) != 3 {
			t.Fatalf("access token %q is not a JWS", tok)
		}
		for i, dst := range []*map[string]any{&r.header, &r.claims} {
			seg, err := base64.RawURLEncoding.DecodeString(parts[i])
			if err == nil {
				err = json.Unmarshal(seg, dst)
			}
			if err != nil {
				t.Fatalf("access token segment %d: %v", i, err)
			}
		}
	}
	return r
}

// asker asks one instance for a token.
type asker func(t *testing.T, in *invInstance) tokenResult

func (e *invEnv) ask(id, secret string, form url.Values, header ...string) asker {
	return func(t *testing.T, in *invInstance) tokenResult { return e.token(t, in, id, secret, form, header...) }
}

// forResource asks for a token for indicator with scope.
func (e *invEnv) forResource(id, secret, indicator, scope string) asker {
	return e.ask(id, secret, url.Values{"resource": {indicator}, "scope": {scope}})
}

// forOrg asks for an organization token (indicator "") or an
// organization-scoped resource token.
func (e *invEnv) forOrg(id, secret, org, indicator, scope string) asker {
	form := url.Values{"organization_id": {org}, "scope": {scope}}
	if indicator != "" {
		form.Set("resource", indicator)
	}
	return e.ask(id, secret, form)
}

// want is what a token answer must be. The zero status is 200.
type want struct {
	status    int
	err, desc string // error and error_description (desc unchecked when "")

	sub     string // sub and client_id of a 200
	aud     string
	scope   string // the scope granted (as a set), in the answer and the JWT
	noScope bool   // no scope member in the answer nor claim in the JWT
	ttl     int    // expires_in and exp - iat, when not 0
	kid     string // when not ""
	claims  map[string]any
	absent  []string // claims that must not be there
}

func ok(sub, aud, scope string) want { return want{sub: sub, aud: aud, scope: scope} }
func okNone(sub, aud string) want    { return want{sub: sub, aud: aud, noScope: true} }
func refused(status int, code, desc string) want {
	return want{status: status, err: code, desc: desc}
}

func orgAud(org string) string { return "urn:logto:organization:" + org }

var (
	deniedOrg     = refused(403, "access_denied", "app has not associated with the organization")
	unknownTarget = refused(400, "invalid_target", "resource indicator is missing, or unknown")
	badSecret     = refused(401, "invalid_client", "client authentication failed")
	expiredSecret = refused(400, "invalid_request", "client secret has expired")
)

func scopeSet(s string) string {
	f := strings.Fields(s)
	slices.Sort(f)
	return strings.Join(f, " ")
}

func shown(v any, present bool) string {
	if !present {
		return "absent"
	}
	return fmt.Sprintf("%q", v)
}

// check reports how r differs from w (nil: it matches).
func (w want) check(r tokenResult) error {
	status := w.status
	if status == 0 {
		status = 200
	}
	if r.status != status {
		return fmt.Errorf("status %d, want %d: %s", r.status, status, r.raw)
	}
	if status != 200 {
		if r.body["error"] != w.err || (w.desc != "" && r.body["error_description"] != w.desc) {
			return fmt.Errorf("error %v %q, want %s %q", r.body["error"], r.body["error_description"], w.err, w.desc)
		}
		return nil
	}
	c := r.claims
	if c == nil {
		return fmt.Errorf("no access token: %s", r.raw)
	}
	if c["sub"] != w.sub || c["client_id"] != w.sub {
		return fmt.Errorf("sub %v client_id %v, want %s", c["sub"], c["client_id"], w.sub)
	}
	if c["aud"] != w.aud {
		return fmt.Errorf("aud %v, want %s", c["aud"], w.aud)
	}
	bs, inBody := r.body["scope"]
	cs, inClaims := c["scope"]
	if w.noScope {
		if inBody || inClaims {
			return fmt.Errorf("scope %s (claim %s), want none", shown(bs, inBody), shown(cs, inClaims))
		}
	} else {
		b, _ := bs.(string)
		cl, _ := cs.(string)
		if !inBody || !inClaims || scopeSet(b) != scopeSet(w.scope) || scopeSet(cl) != scopeSet(w.scope) {
			return fmt.Errorf("scope %s (claim %s), want %q", shown(bs, inBody), shown(cs, inClaims), w.scope)
		}
	}
	if w.ttl != 0 {
		exp, _ := c["exp"].(float64)
		iat, _ := c["iat"].(float64)
		if r.body["expires_in"] != float64(w.ttl) || exp-iat != float64(w.ttl) {
			return fmt.Errorf("expires_in %v (exp-iat %v), want %d", r.body["expires_in"], exp-iat, w.ttl)
		}
	}
	if w.kid != "" && r.header["kid"] != w.kid {
		return fmt.Errorf("kid %v, want %s", r.header["kid"], w.kid)
	}
	for k, v := range w.claims {
		if !reflect.DeepEqual(c[k], v) {
			return fmt.Errorf("claim %s = %#v, want %#v", k, c[k], v)
		}
	}
	for _, k := range w.absent {
		if v, has := c[k]; has {
			return fmt.Errorf("claim %s = %#v, want none", k, v)
		}
	}
	return nil
}

// expect checks the answer to ask on every instance: on A (which took the
// writes) the very next answer, on the others the first matching answer
// within invPoll.
func (e *invEnv) expect(t *testing.T, what string, ask asker, w want) {
	t.Helper()
	e.expectFn(t, what, ask, w.check)
}

func (e *invEnv) expectFn(t *testing.T, what string, ask asker, check func(tokenResult) error) {
	t.Helper()
	for _, in := range e.all {
		if in == e.a {
			if err := check(ask(t, in)); err != nil {
				t.Errorf("%s: on %s, the writing instance, the very next token: %v", what, in.name, err)
			}
			continue
		}
		deadline := time.Now().Add(invPoll)
		for {
			err := check(ask(t, in))
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("%s: on %s, another instance on the same database, still after %s: %v", what, in.name, invPoll, err)
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// jwksKids returns the kids in the JWKS of in.
func jwksKids(t *testing.T, in *invInstance) []string {
	t.Helper()
	resp, err := http.Get(in.url + "/oidc/jwks")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct{ Keys []struct{ Kid string } }
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	return kids
}

// expectJWKS checks the kids of the JWKS of every instance as expect does
// tokens.
func (e *invEnv) expectJWKS(t *testing.T, what string, check func([]string) error) {
	t.Helper()
	for _, in := range e.all {
		deadline := time.Now().Add(invPoll)
		for {
			err := check(jwksKids(t, in))
			if err == nil {
				break
			}
			if in == e.a || time.Now().After(deadline) {
				t.Errorf("%s: the JWKS of %s: %v", what, in.name, err)
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// verifyOn checks r's token against the JWKS of instance in, over HTTP.
func verifyOn(t *testing.T, in *invInstance, r tokenResult) error {
	t.Helper()
	resp, err := http.Get(in.url + "/oidc/jwks")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	parsed, err := jwt.ParseSigned(r.body["access_token"].(string), []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.ES512, jose.EdDSA, jose.RS256})
	if err != nil {
		return fmt.Errorf("parse token: %w", err)
	}
	kid := parsed.Headers[0].KeyID
	keys := set.Key(kid)
	if len(keys) != 1 {
		return fmt.Errorf("kid %s: %d keys in the JWKS of %s", kid, len(keys), in.name)
	}
	var claims map[string]any
	if err := parsed.Claims(keys[0].Key, &claims); err != nil {
		return fmt.Errorf("the token (kid %s) does not verify against the JWKS of %s: %w", kid, in.name, err)
	}
	return nil
}

// ---- The cases.

type invCase struct {
	name string
	run  func(t *testing.T, e *invEnv)
}

func TestInvalidation(t *testing.T) {
	for _, eng := range storetest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			e := startInvEnv(t, eng)
			for _, c := range invalidationCases() {
				t.Run(c.name, func(t *testing.T) { c.run(t, e) })
			}
		})
	}
}

func invalidationCases() []invCase {
	return slices.Concat(appCases(), roleCases(), resourceCases(), orgCases(), keyAndCustomizerCases(), unrelatedCases())
}

// Applications and their secrets.
func appCases() []invCase {
	return []invCase{
		{"app created while the caches are complete", func(t *testing.T, e *invEnv) {
			res, ind := e.resource(t, 3600)
			read := e.scope(t, res, "read")
			role := e.role(t, read)
			for _, in := range e.all {
				if s := in.srv.cache.Stats(); !s.Complete {
					t.Fatalf("instance %s: grant cache not complete before the create (%+v): the case proves nothing", in.name, s)
				}
			}
			id, secret := e.app(t) // POST /api/applications
			e.expect(t, "created", e.forResource(id, secret, ind, "read"), want{sub: id, aud: ind, noScope: true, ttl: 3600})
			e.giveRoles(t, id, role)
			e.expect(t, "created, then given a role", e.forResource(id, secret, ind, "read"), ok(id, ind, "read"))
		}},
		{"app deleted", func(t *testing.T, e *invEnv) {
			g := e.grantedApp(t, "read")
			ask := e.forResource(g.id, g.secret, g.indicator, "read")
			e.expect(t, "before", ask, ok(g.id, g.indicator, "read"))
			e.call(t, "DELETE", "/api/applications/"+g.id, nil)
			e.expect(t, "after DELETE /api/applications/{id}", ask, refused(400, "invalid_client", "invalid client "+g.id))
		}},
		{"app secret added", func(t *testing.T, e *invEnv) {
			g := e.grantedApp(t, "read")
			e.expect(t, "before", e.forResource(g.id, g.secret, g.indicator, "read"), ok(g.id, g.indicator, "read"))
			var sec struct{ Value string }
			json.Unmarshal(e.call(t, "POST", "/api/applications/"+g.id+"/secrets", map[string]any{"name": "second"}), &sec)
			e.expect(t, "the new secret", e.forResource(g.id, sec.Value, g.indicator, "read"), ok(g.id, g.indicator, "read"))
			e.expect(t, "the old secret", e.forResource(g.id, g.secret, g.indicator, "read"), ok(g.id, g.indicator, "read"))
		}},
		{"app secret deleted", func(t *testing.T, e *invEnv) {
			g := e.grantedApp(t, "read")
			var sec struct{ Value string }
			json.Unmarshal(e.call(t, "POST", "/api/applications/"+g.id+"/secrets", map[string]any{"name": "to go"}), &sec)
			ask := e.forResource(g.id, sec.Value, g.indicator, "read")
			e.expect(t, "before", ask, ok(g.id, g.indicator, "read"))
			e.call(t, "DELETE", "/api/applications/"+g.id+"/secrets/"+url.PathEscape("to go"), nil)
			e.expect(t, "after DELETE .../secrets/{name}", ask, badSecret)
			e.expect(t, "the other secret", e.forResource(g.id, g.secret, g.indicator, "read"), ok(g.id, g.indicator, "read"))
		}},
		{"app secret expired", func(t *testing.T, e *invEnv) {
			g := e.grantedApp(t, "read")
			at := e.clock.Now().Add(10 * time.Minute).UnixMilli()
			var sec struct{ Value string }
			json.Unmarshal(e.call(t, "POST", "/api/applications/"+g.id+"/secrets", map[string]any{"name": "short", "expiresAt": at}), &sec)
			ask := e.forResource(g.id, sec.Value, g.indicator, "read")
			e.expect(t, "before it expires", ask, ok(g.id, g.indicator, "read"))
			e.clock.Advance(11 * time.Minute) // no write: the cached secret's expiry
			e.expect(t, "once expired", ask, expiredSecret)
		}},
		{"app CORS origins changed", func(t *testing.T, e *invEnv) {
			g := e.grantedApp(t, "read")
			const origin = "https://console.example"
			ask := e.ask(g.id, g.secret, url.Values{"resource": {g.indicator}, "scope": {"read"}}, "Origin", origin)
			e.expect(t, "before", ask, refused(400, "invalid_request", "origin "+origin+" not allowed for client: "+g.id))
			e.call(t, "PATCH", "/api/applications/"+g.id, map[string]any{"customClientMetadata": map[string]any{"corsAllowedOrigins": []string{origin}}})
			e.expect(t, "after PATCH customClientMetadata", ask, ok(g.id, g.indicator, "read"))
		}},
		{"app isAdmin", func(t *testing.T, e *invEnv) {
			id, secret := e.app(t)
			ask := e.forResource(id, secret, mapi, "all")
			e.expect(t, "before", ask, okNone(id, mapi))
			e.call(t, "PATCH", "/api/applications/"+id, map[string]any{"isAdmin": true})
			e.expect(t, "after PATCH isAdmin true", ask, ok(id, mapi, "all"))
			e.call(t, "PATCH", "/api/applications/"+id, map[string]any{"isAdmin": false})
			e.expect(t, "after PATCH isAdmin false", ask, okNone(id, mapi))
		}},
	}
}

// M2M roles, from the application's side and from the role's.
func roleCases() []invCase {
	// prepared: an app, and a role with scopes read and write of a new
	// resource that the app does not hold yet.
	type prepared struct {
		app, secret, role, resource, indicator string
		scopes                                 map[string]string
		ask                                    asker
	}
	prepare := func(t *testing.T, e *invEnv, scopes ...string) prepared {
		g := e.grantedApp(t) // a role without scopes, given
		p := prepared{app: g.id, secret: g.secret, resource: g.resource, indicator: g.indicator, scopes: map[string]string{}}
		var ids []string
		for _, s := range scopes {
			p.scopes[s] = e.scope(t, g.resource, s)
			ids = append(ids, p.scopes[s])
		}
		p.role = e.role(t, ids...)
		p.ask = e.forResource(g.id, g.secret, g.indicator, "read write")
		e.expect(t, "before", p.ask, okNone(p.app, p.indicator))
		return p
	}
	return []invCase{
		{"role assigned from the app", func(t *testing.T, e *invEnv) {
			p := prepare(t, e, "read")
			e.call(t, "POST", "/api/applications/"+p.app+"/roles", map[string]any{"roleIds": []string{p.role}})
			e.expect(t, "after POST /api/applications/{id}/roles", p.ask, ok(p.app, p.indicator, "read"))
		}},
		{"role assigned from the role", func(t *testing.T, e *invEnv) {
			p := prepare(t, e, "read")
			e.call(t, "POST", "/api/roles/"+p.role+"/applications", map[string]any{"applicationIds": []string{p.app}})
			e.expect(t, "after POST /api/roles/{id}/applications", p.ask, ok(p.app, p.indicator, "read"))
		}},
		{"roles replaced from the app", func(t *testing.T, e *invEnv) {
			p := prepare(t, e, "read")
			other := e.role(t, e.scope(t, p.resource, "write"))
			e.giveRoles(t, p.app, p.role)
			e.expect(t, "given read", p.ask, ok(p.app, p.indicator, "read"))
			e.call(t, "PUT", "/api/applications/"+p.app+"/roles", map[string]any{"roleIds": []string{other}})
			e.expect(t, "after PUT /api/applications/{id}/roles", p.ask, ok(p.app, p.indicator, "write"))
		}},
		{"role removed from the app", func(t *testing.T, e *invEnv) {
			p := prepare(t, e, "read")
			e.giveRoles(t, p.app, p.role)
			e.expect(t, "given", p.ask, ok(p.app, p.indicator, "read"))
			e.call(t, "DELETE", "/api/applications/"+p.app+"/roles/"+p.role, nil)
			e.expect(t, "after DELETE /api/applications/{id}/roles/{roleId}", p.ask, okNone(p.app, p.indicator))
		}},
		{"role removed from the role", func(t *testing.T, e *invEnv) {
			p := prepare(t, e, "read")
			e.giveRoles(t, p.app, p.role)
			e.expect(t, "given", p.ask, ok(p.app, p.indicator, "read"))
			e.call(t, "DELETE", "/api/roles/"+p.role+"/applications/"+p.app, nil)
			e.expect(t, "after DELETE /api/roles/{id}/applications/{applicationId}", p.ask, okNone(p.app, p.indicator))
		}},
		{"role scope added", func(t *testing.T, e *invEnv) {
			p := prepare(t, e, "read")
			write := e.scope(t, p.resource, "write")
			e.giveRoles(t, p.app, p.role)
			e.expect(t, "given", p.ask, ok(p.app, p.indicator, "read"))
			e.call(t, "POST", "/api/roles/"+p.role+"/scopes", map[string]any{"scopeIds": []string{write}})
			e.expect(t, "after POST /api/roles/{id}/scopes", p.ask, ok(p.app, p.indicator, "read write"))
		}},
		{"role scope removed", func(t *testing.T, e *invEnv) {
			p := prepare(t, e, "read", "write")
			e.giveRoles(t, p.app, p.role)
			e.expect(t, "given", p.ask, ok(p.app, p.indicator, "read write"))
			e.call(t, "DELETE", "/api/roles/"+p.role+"/scopes/"+p.scopes["write"], nil)
			e.expect(t, "after DELETE /api/roles/{id}/scopes/{scopeId}", p.ask, ok(p.app, p.indicator, "read"))
		}},
		{"role deleted", func(t *testing.T, e *invEnv) {
			p := prepare(t, e, "read", "write")
			e.giveRoles(t, p.app, p.role)
			e.expect(t, "given", p.ask, ok(p.app, p.indicator, "read write"))
			e.call(t, "DELETE", "/api/roles/"+p.role, nil)
			e.expect(t, "after DELETE /api/roles/{id}", p.ask, okNone(p.app, p.indicator))
		}},
	}
}

// API resources and their scopes.
func resourceCases() []invCase {
	return []invCase{
		{"resource created", func(t *testing.T, e *invEnv) {
			id, secret := e.app(t)
			indicator := "https://" + e.uniq("late") + ".example"
			ask := e.forResource(id, secret, indicator, "read")
			e.expect(t, "before", ask, unknownTarget)
			e.create(t, "POST", "/api/resources", map[string]any{"name": indicator, "indicator": indicator, "accessTokenTtl": 900})
			e.expect(t, "after POST /api/resources", ask, want{sub: id, aud: indicator, noScope: true, ttl: 900})
		}},
		{"resource token lifetime changed", func(t *testing.T, e *invEnv) {
			g := e.grantedApp(t, "read")
			ask := e.forResource(g.id, g.secret, g.indicator, "read")
			e.expect(t, "before", ask, want{sub: g.id, aud: g.indicator, scope: "read", ttl: 3600})
			e.call(t, "PATCH", "/api/resources/"+g.resource, map[string]any{"accessTokenTtl": 600})
			e.expect(t, "after PATCH accessTokenTtl", ask, want{sub: g.id, aud: g.indicator, scope: "read", ttl: 600})
		}},
		{"resource deleted", func(t *testing.T, e *invEnv) {
			g := e.grantedApp(t, "read")
			ask := e.forResource(g.id, g.secret, g.indicator, "read")
			e.expect(t, "before", ask, ok(g.id, g.indicator, "read"))
			e.call(t, "DELETE", "/api/resources/"+g.resource, nil)
			e.expect(t, "after DELETE /api/resources/{id}", ask, unknownTarget)
		}},
		{"scope renamed", func(t *testing.T, e *invEnv) {
			g := e.grantedApp(t, "read", "write")
			ask := e.forResource(g.id, g.secret, g.indicator, "read write read:v2")
			e.expect(t, "before", ask, ok(g.id, g.indicator, "read write"))
			e.call(t, "PATCH", "/api/resources/"+g.resource+"/scopes/"+g.scopes["read"], map[string]any{"name": "read:v2"})
			e.expect(t, "after PATCH .../scopes/{scopeId} name", ask, ok(g.id, g.indicator, "read:v2 write"))
		}},
		{"scope deleted", func(t *testing.T, e *invEnv) {
			g := e.grantedApp(t, "read", "write")
			ask := e.forResource(g.id, g.secret, g.indicator, "read write")
			e.expect(t, "before", ask, ok(g.id, g.indicator, "read write"))
			e.call(t, "DELETE", "/api/resources/"+g.resource+"/scopes/"+g.scopes["write"], nil)
			e.expect(t, "after DELETE .../scopes/{scopeId}", ask, ok(g.id, g.indicator, "read"))
		}},
		{"default resource set, switched, unset", func(t *testing.T, e *invEnv) {
			g1 := e.grantedApp(t, "one")
			g2res, g2ind := e.resource(t, 1200)
			two := e.scope(t, g2res, "two")
			e.giveRoles(t, g1.id, e.role(t, two))
			ask := e.ask(g1.id, g1.secret, url.Values{"scope": {"one two"}})
			e.expect(t, "before, no default", ask, refused(400, "invalid_target", "both `resource` and `organization_id` are not provided"))
			e.call(t, "PATCH", "/api/resources/"+g1.resource+"/is-default", map[string]any{"isDefault": true})
			e.expect(t, "after setting a default", ask, want{sub: g1.id, aud: g1.indicator, scope: "one", ttl: 3600})
			e.call(t, "PATCH", "/api/resources/"+g2res+"/is-default", map[string]any{"isDefault": true})
			e.expect(t, "after switching the default", ask, want{sub: g1.id, aud: g2ind, scope: "two", ttl: 1200})
			e.call(t, "PATCH", "/api/resources/"+g2res+"/is-default", map[string]any{"isDefault": false})
			e.expect(t, "after unsetting the default", ask, refused(400, "invalid_target", "both `resource` and `organization_id` are not provided"))
		}},
	}
}

// Organizations: memberships, organization roles and their scopes, the
// organization template.
func orgCases() []invCase {
	// given: m with its organization role given; both tokens checked.
	given := func(t *testing.T, e *invEnv) (orgMember, asker, asker) {
		m := e.orgMember(t)
		name := e.orgScopeName(t, m.scopeA)
		org := e.forOrg(m.app, m.secret, m.org, "", name+" b x")
		res := e.forOrg(m.app, m.secret, m.org, m.indicator, "read write")
		e.call(t, "POST", "/api/organizations/"+m.org+"/applications/"+m.app+"/roles", map[string]any{"organizationRoleIds": []string{m.role}})
		e.expect(t, "given the organization role", org, ok(m.app, orgAud(m.org), name))
		e.expect(t, "given the organization role, resource token", res,
			want{sub: m.app, aud: m.indicator, scope: "read", claims: map[string]any{"organization_id": m.org}})
		return m, org, res
	}
	return []invCase{
		{"organization membership added", func(t *testing.T, e *invEnv) {
			id, secret := e.app(t)
			org := e.create(t, "POST", "/api/organizations", map[string]any{"name": e.uniq("org")})
			ask := e.forOrg(id, secret, org, "", "x")
			e.expect(t, "before", ask, deniedOrg)
			e.call(t, "POST", "/api/organizations/"+org+"/applications", map[string]any{"applicationIds": []string{id}})
			e.expect(t, "after POST /api/organizations/{id}/applications", ask, want{sub: id, aud: orgAud(org), scope: "", ttl: 3600})
		}},
		{"organization membership replaced", func(t *testing.T, e *invEnv) {
			m, org, _ := given(t, e)
			other, otherSecret := e.app(t)
			otherAsk := e.forOrg(other, otherSecret, m.org, "", "x")
			e.expect(t, "before, the other app", otherAsk, deniedOrg)
			e.call(t, "PUT", "/api/organizations/"+m.org+"/applications", map[string]any{"applicationIds": []string{other}})
			e.expect(t, "after PUT, the member replaced", org, deniedOrg)
			e.expect(t, "after PUT, the new member", otherAsk, ok(other, orgAud(m.org), ""))
		}},
		{"organization membership removed", func(t *testing.T, e *invEnv) {
			m, org, res := given(t, e)
			e.call(t, "DELETE", "/api/organizations/"+m.org+"/applications/"+m.app, nil)
			e.expect(t, "after DELETE /api/organizations/{id}/applications/{applicationId}", org, deniedOrg)
			e.expect(t, "after DELETE, resource token", res, deniedOrg)
		}},
		{"organization role assigned to the app", func(t *testing.T, e *invEnv) {
			m := e.orgMember(t)
			name := e.orgScopeName(t, m.scopeA)
			org := e.forOrg(m.app, m.secret, m.org, "", name)
			res := e.forOrg(m.app, m.secret, m.org, m.indicator, "read")
			e.expect(t, "before", org, ok(m.app, orgAud(m.org), ""))
			e.expect(t, "before, resource token", res, want{sub: m.app, aud: m.indicator, noScope: true, claims: map[string]any{"organization_id": m.org}})
			e.call(t, "POST", "/api/organizations/"+m.org+"/applications/"+m.app+"/roles", map[string]any{"organizationRoleIds": []string{m.role}})
			e.expect(t, "after POST .../applications/{applicationId}/roles", org, ok(m.app, orgAud(m.org), name))
			e.expect(t, "after POST, resource token", res, want{sub: m.app, aud: m.indicator, scope: "read", claims: map[string]any{"organization_id": m.org}})
		}},
		{"organization roles assigned in bulk", func(t *testing.T, e *invEnv) {
			m := e.orgMember(t)
			name := e.orgScopeName(t, m.scopeA)
			org := e.forOrg(m.app, m.secret, m.org, "", name)
			e.expect(t, "before", org, ok(m.app, orgAud(m.org), ""))
			e.call(t, "POST", "/api/organizations/"+m.org+"/applications/roles", map[string]any{"applicationIds": []string{m.app}, "organizationRoleIds": []string{m.role}})
			e.expect(t, "after POST /api/organizations/{id}/applications/roles", org, ok(m.app, orgAud(m.org), name))
		}},
		{"organization roles replaced", func(t *testing.T, e *invEnv) {
			m, org, res := given(t, e)
			b := e.orgScope(t, e.uniq("b"))
			other := e.orgRole(t, "MachineToMachine", []string{b}, nil)
			org = e.forOrg(m.app, m.secret, m.org, "", e.orgScopeName(t, m.scopeA)+" "+e.orgScopeName(t, b))
			e.call(t, "PUT", "/api/organizations/"+m.org+"/applications/"+m.app+"/roles", map[string]any{"organizationRoleIds": []string{other}})
			e.expect(t, "after PUT .../applications/{applicationId}/roles", org, ok(m.app, orgAud(m.org), e.orgScopeName(t, b)))
			e.expect(t, "after PUT, resource token", res, want{sub: m.app, aud: m.indicator, noScope: true, claims: map[string]any{"organization_id": m.org}})
		}},
		{"organization role removed from the app", func(t *testing.T, e *invEnv) {
			m, org, res := given(t, e)
			e.call(t, "DELETE", "/api/organizations/"+m.org+"/applications/"+m.app+"/roles/"+m.role, nil)
			e.expect(t, "after DELETE .../roles/{organizationRoleId}", org, ok(m.app, orgAud(m.org), ""))
			e.expect(t, "after DELETE, resource token", res, want{sub: m.app, aud: m.indicator, noScope: true, claims: map[string]any{"organization_id": m.org}})
		}},
		{"organization role scope added", func(t *testing.T, e *invEnv) {
			m, _, _ := given(t, e)
			bName := e.uniq("b")
			b := e.orgScope(t, bName)
			a := e.orgScopeName(t, m.scopeA)
			org := e.forOrg(m.app, m.secret, m.org, "", a+" "+bName)
			e.expect(t, "before", org, ok(m.app, orgAud(m.org), a))
			e.call(t, "POST", "/api/organization-roles/"+m.role+"/scopes", map[string]any{"organizationScopeIds": []string{b}})
			e.expect(t, "after POST /api/organization-roles/{id}/scopes", org, ok(m.app, orgAud(m.org), a+" "+bName))
		}},
		{"organization role scope removed", func(t *testing.T, e *invEnv) {
			m, org, _ := given(t, e)
			e.call(t, "DELETE", "/api/organization-roles/"+m.role+"/scopes/"+m.scopeA, nil)
			e.expect(t, "after DELETE /api/organization-roles/{id}/scopes/{organizationScopeId}", org, ok(m.app, orgAud(m.org), ""))
		}},
		{"organization role scopes replaced", func(t *testing.T, e *invEnv) {
			m, _, _ := given(t, e)
			bName := e.uniq("b")
			b := e.orgScope(t, bName)
			a := e.orgScopeName(t, m.scopeA)
			org := e.forOrg(m.app, m.secret, m.org, "", a+" "+bName)
			e.expect(t, "before", org, ok(m.app, orgAud(m.org), a))
			e.call(t, "PUT", "/api/organization-roles/"+m.role+"/scopes", map[string]any{"organizationScopeIds": []string{b}})
			e.expect(t, "after PUT /api/organization-roles/{id}/scopes", org, ok(m.app, orgAud(m.org), bName))
		}},
		{"organization role resource scopes added and removed", func(t *testing.T, e *invEnv) {
			m, _, res := given(t, e)
			write := e.scope(t, m.resource, "write")
			e.call(t, "POST", "/api/organization-roles/"+m.role+"/resource-scopes", map[string]any{"scopeIds": []string{write}})
			e.expect(t, "after POST /api/organization-roles/{id}/resource-scopes", res,
				want{sub: m.app, aud: m.indicator, scope: "read write", claims: map[string]any{"organization_id": m.org}})
			e.call(t, "DELETE", "/api/organization-roles/"+m.role+"/resource-scopes/"+m.read, nil)
			e.expect(t, "after DELETE /api/organization-roles/{id}/resource-scopes/{scopeId}", res,
				want{sub: m.app, aud: m.indicator, scope: "write", claims: map[string]any{"organization_id": m.org}})
		}},
		// Fails at the time of writing (the second step, on every
		// instance): a cached app holding an organization role of type User
		// does not list that role (internal/store/grants.go, kinds 3 and 4,
		// join organization_roles on r.type = 'MachineToMachine', so
		// grant.Client.orgRoles lacks it), so the change the PATCH announces,
		// {OrganizationRoles: [role]}, matches no cached app
		// (internal/grant/events.go, affects) and the app keeps the grants
		// it had while the role was User.
		{"organization role type changed", func(t *testing.T, e *invEnv) {
			t.Cleanup(func() {
				if t.Failed() {
					t.Log("known bug: apps holding a User organization role are not dropped when it becomes MachineToMachine (see the comment on this case)")
				}
			})
			m, org, res := given(t, e)
			name := e.orgScopeName(t, m.scopeA)
			e.call(t, "PATCH", "/api/organization-roles/"+m.role, map[string]any{"type": "User"})
			e.expect(t, "after PATCH type User", org, ok(m.app, orgAud(m.org), ""))
			e.expect(t, "after PATCH type User, resource token", res, want{sub: m.app, aud: m.indicator, noScope: true, claims: map[string]any{"organization_id": m.org}})
			e.call(t, "PATCH", "/api/organization-roles/"+m.role, map[string]any{"type": "MachineToMachine"})
			e.expect(t, "after PATCH type MachineToMachine again", org, ok(m.app, orgAud(m.org), name))
			e.expect(t, "after PATCH type MachineToMachine again, resource token", res,
				want{sub: m.app, aud: m.indicator, scope: "read", claims: map[string]any{"organization_id": m.org}})
		}},
		{"organization role deleted", func(t *testing.T, e *invEnv) {
			m, org, res := given(t, e)
			e.call(t, "DELETE", "/api/organization-roles/"+m.role, nil)
			e.expect(t, "after DELETE /api/organization-roles/{id}", org, ok(m.app, orgAud(m.org), ""))
			e.expect(t, "after DELETE, resource token", res, want{sub: m.app, aud: m.indicator, noScope: true, claims: map[string]any{"organization_id": m.org}})
		}},
		{"organization scope renamed", func(t *testing.T, e *invEnv) {
			m, _, _ := given(t, e)
			old := e.orgScopeName(t, m.scopeA)
			renamed := e.uniq("renamed")
			org := e.forOrg(m.app, m.secret, m.org, "", old+" "+renamed)
			e.expect(t, "before", org, ok(m.app, orgAud(m.org), old))
			e.call(t, "PATCH", "/api/organization-scopes/"+m.scopeA, map[string]any{"name": renamed})
			e.expect(t, "after PATCH /api/organization-scopes/{id} name", org, ok(m.app, orgAud(m.org), renamed))
		}},
		{"organization scope deleted", func(t *testing.T, e *invEnv) {
			m, org, _ := given(t, e)
			e.call(t, "DELETE", "/api/organization-scopes/"+m.scopeA, nil)
			e.expect(t, "after DELETE /api/organization-scopes/{id}", org, ok(m.app, orgAud(m.org), ""))
		}},
		{"organization deleted", func(t *testing.T, e *invEnv) {
			m, org, res := given(t, e)
			e.call(t, "DELETE", "/api/organizations/"+m.org, nil)
			e.expect(t, "after DELETE /api/organizations/{id}", org, deniedOrg)
			e.expect(t, "after DELETE, resource token", res, deniedOrg)
		}},
	}
}

// Signing keys and the JWT customizer.
func keyAndCustomizerCases() []invCase {
	// kidOn returns the kid of a token from instance A.
	kidOn := func(t *testing.T, e *invEnv, ask asker) string {
		t.Helper()
		r := ask(t, e.a)
		if r.status != 200 {
			t.Fatalf("token: %d %s", r.status, r.raw)
		}
		kid, _ := r.header["kid"].(string)
		return kid
	}
	// signedBy expects tokens signed with kid and verified by each
	// instance's own JWKS.
	signedBy := func(t *testing.T, e *invEnv, what string, ask asker, g grantedApp, kid string) {
		t.Helper()
		w := want{sub: g.id, aud: g.indicator, scope: "read", kid: kid}
		var in *invInstance
		e.expectFn(t, what, func(t *testing.T, i *invInstance) tokenResult { in = i; return ask(t, i) }, func(r tokenResult) error {
			if err := w.check(r); err != nil {
				return err
			}
			return verifyOn(t, in, r)
		})
	}
	return []invCase{
		{"signing key rotated, previous deleted", func(t *testing.T, e *invEnv) {
			g := e.grantedApp(t, "read")
			ask := e.forResource(g.id, g.secret, g.indicator, "read")
			old := kidOn(t, e, ask)
			signedBy(t, e, "before", ask, g, old)
			e.call(t, "POST", "/api/configs/oidc/private-keys/rotate", map[string]any{"signingKeyAlgorithm": "EC"})
			kid := kidOn(t, e, ask)
			if kid == old {
				t.Fatalf("after POST .../private-keys/rotate: on A, still signed with the old kid %s", old)
			}
			signedBy(t, e, "after POST .../private-keys/rotate", ask, g, kid)
			// The key ids of the Management API are not the JWKS kids.
			var keys []struct{ ID, Status string }
			json.Unmarshal(e.call(t, "GET", "/api/configs/oidc/private-keys", nil), &keys)
			var prev string
			for _, k := range keys {
				if k.Status == "Previous" {
					prev = k.ID
				}
			}
			if prev == "" {
				t.Fatalf("no Previous key after a rotation: %+v", keys)
			}
			e.call(t, "DELETE", "/api/configs/oidc/private-keys/"+prev, nil)
			e.expectJWKS(t, "after DELETE .../private-keys/{keyId}", func(kids []string) error {
				if slices.Contains(kids, old) || !slices.Contains(kids, kid) {
					return fmt.Errorf("kids %q, want %s and not the deleted %s", kids, kid, old)
				}
				return nil
			})
			signedBy(t, e, "after DELETE .../private-keys/{keyId}", ask, g, kid)
		}},
		{"signing key staged, then due", func(t *testing.T, e *invEnv) {
			g := e.grantedApp(t, "read")
			ask := e.forResource(g.id, g.secret, g.indicator, "read")
			old := kidOn(t, e, ask)
			published := jwksKids(t, e.a)
			e.call(t, "POST", "/api/configs/oidc/private-keys/rotate", map[string]any{"rotationGracePeriod": 600})
			var next string
			for _, k := range jwksKids(t, e.a) {
				if !slices.Contains(published, k) {
					next = k
				}
			}
			if next == "" {
				t.Fatalf("after a staged rotation: on A, no new key in the JWKS (%q)", published)
			}
			e.expectJWKS(t, "after a staged rotation", func(kids []string) error {
				if !slices.Contains(kids, next) || !slices.Contains(kids, old) {
					return fmt.Errorf("kids %q, want the staged %s and the current %s", kids, next, old)
				}
				return nil
			})
			signedBy(t, e, "staged", ask, g, old)
			e.clock.Advance(11 * time.Minute) // no write: the staged key's time comes
			signedBy(t, e, "once due", ask, g, next)
		}},
		{"JWT customizer set, changed, deleted", func(t *testing.T, e *invEnv) {
			g := e.grantedApp(t, "read")
			ask := e.forResource(g.id, g.secret, g.indicator, "read")
			base := want{sub: g.id, aud: g.indicator, scope: "read"}
			with := func(claims map[string]any) want { w := base; w.claims = claims; return w }
			without := base
			without.absent = []string{"inv", "app", "tier"}
			e.expect(t, "before", ask, without)
			script := func(v string) string {
				return `const getCustomJwtClaims = async ({ token, context }) => ({ inv: "` + v + `",
  app: context.application ? context.application.id : "missing",
  tier: (context.application && context.application.customData && context.application.customData.tier) || "none" });`
			}
			const path = "/api/configs/jwt-customizer/client-credentials"
			e.call(t, "PUT", path, map[string]any{"script": script("one")})
			e.expect(t, "after PUT "+path, ask, with(map[string]any{"inv": "one", "app": g.id, "tier": "none"}))
			e.call(t, "PATCH", path, map[string]any{"script": script("two")})
			e.expect(t, "after PATCH "+path, ask, with(map[string]any{"inv": "two", "app": g.id, "tier": "none"}))
			e.call(t, "PATCH", "/api/applications/"+g.id+"/custom-data", map[string]any{"tier": "gold"})
			e.expect(t, "after PATCH /api/applications/{id}/custom-data", ask, with(map[string]any{"inv": "two", "app": g.id, "tier": "gold"}))
			e.call(t, "DELETE", path, nil)
			e.expect(t, "after DELETE "+path, ask, without)
		}},
	}
}

// unrelatedCases: a write that changes no token reloads nothing.
func unrelatedCases() []invCase {
	return []invCase{
		{"unrelated write reloads nothing", func(t *testing.T, e *invEnv) {
			g := e.grantedApp(t, "read")
			other, _ := e.app(t)
			probe := e.grantedApp(t, "read") // its secret added after the PATCH: B has seen the PATCH once it shows
			ask := e.forResource(g.id, g.secret, g.indicator, "read")
			e.expect(t, "cached", ask, ok(g.id, g.indicator, "read"))
			e.expect(t, "probe cached", e.forResource(probe.id, probe.secret, probe.indicator, "read"), ok(probe.id, probe.indicator, "read"))
			ctx := context.Background()
			cached := map[string]any{}
			loads := map[string]uint64{}
			for _, in := range e.all {
				cl, err := in.srv.cache.Client(ctx, "default", g.id)
				if err != nil {
					t.Fatal(err)
				}
				cached[in.name] = cl
				loads[in.name] = in.srv.cache.Stats().Loads
			}
			e.call(t, "PATCH", "/api/applications/"+other, map[string]any{"description": "another app's description"})
			e.call(t, "PATCH", "/api/resources/"+g.resource, map[string]any{"name": "renamed, which no token shows"})
			var sec struct{ Value string }
			json.Unmarshal(e.call(t, "POST", "/api/applications/"+probe.id+"/secrets", map[string]any{"name": "probe"}), &sec)
			// Notifications come in commit order: once B shows the probe's
			// new secret, it has applied the writes before it.
			e.expect(t, "probe", e.forResource(probe.id, sec.Value, probe.indicator, "read"), ok(probe.id, probe.indicator, "read"))
			for _, in := range e.all {
				before := in.srv.cache.Stats().Loads
				r := ask(t, in)
				if err := ok(g.id, g.indicator, "read").check(r); err != nil {
					t.Errorf("on %s: %v", in.name, err)
				}
				s := in.srv.cache.Stats()
				if s.Loads != before {
					t.Errorf("on %s: the token for a cached app unrelated to the writes cost %d loads, want none", in.name, s.Loads-before)
				}
				// The probe's reload is the one load the writes may cost.
				if d := s.Loads - loads[in.name]; d > 1 {
					t.Errorf("on %s: %d loads since the unrelated writes, want at most 1 (the probe's)", in.name, d)
				}
				cl, err := in.srv.cache.Client(ctx, "default", g.id)
				if err != nil {
					t.Fatal(err)
				}
				if any(cl) != cached[in.name] {
					t.Errorf("on %s: the unrelated app's cached entry was replaced by the writes", in.name)
				}
				if !s.Complete {
					t.Errorf("on %s: the cache is no longer complete after unrelated writes: %+v", in.name, s)
				}
			}
		}},
	}
}
