package app

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse/gatehouse/client"
	"github.com/gatehouse/gatehouse/internal/limit"
	"github.com/gatehouse/gatehouse/internal/storetest"
)

const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// newSecretlessFixture is newFixture with GATEHOUSE_FEDERATION_ALLOW_INSECURE
// as given (the test issuers are on loopback, over http) and no failure
// limit (the tests make many failed requests from one address).
func newSecretlessFixture(t *testing.T, dsn string, insecure bool) *fixture {
	t.Helper()
	dataDir := t.TempDir()
	if !strings.HasPrefix(dsn, "postgres") {
		dataDir = strings.TrimSuffix(dsn, "/gatehouse.db")
	}
	cfg := testConfig(t, dsn, dataDir)
	cfg.FederationAllowInsecure = insecure
	cfg.TokenFailureLimit = limit.Rate{}
	_, f := startOn(t, cfg, Options{})
	f.seedShop()
	return f
}

// signer is a key made in the test and the JWK of its public half.
type signer struct {
	alg  jose.SignatureAlgorithm
	priv crypto.Signer
	kid  string
}

func newSigner(t testing.TB, alg jose.SignatureAlgorithm, kid string) *signer {
	t.Helper()
	var (
		k   crypto.Signer
		err error
	)
	switch alg {
	case jose.ES256:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.ES384:
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case jose.EdDSA:
		_, k, err = ed25519.GenerateKey(rand.Reader)
	default:
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		t.Fatal(err)
	}
	return &signer{alg: alg, priv: k, kid: kid}
}

func (s *signer) jwk() jose.JSONWebKey {
	return jose.JSONWebKey{Key: s.priv.Public(), KeyID: s.kid, Algorithm: string(s.alg), Use: "sig"}
}

// jwks is the JSON of a JWK Set holding the public keys of ss.
func jwks(t testing.TB, ss ...*signer) string {
	t.Helper()
	var set jose.JSONWebKeySet
	for _, s := range ss {
		set.Keys = append(set.Keys, s.jwk())
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sign makes a compact JWS of claims.
func (s *signer) sign(t testing.TB, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: s.alg, Key: jose.JSONWebKey{Key: s.priv, KeyID: s.kid}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jwt.Signed(sig).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// unsigned makes a JWT with alg "none"; hmacWith one signed with HS256
// under key (the public key's bytes, in the key-confusion attack).
func unsigned(claims map[string]any) string {
	return seg(map[string]any{"alg": "none", "typ": "JWT"}) + "." + seg(claims) + "."
}

func hmacWith(key []byte, kid string, claims map[string]any) string {
	in := seg(map[string]any{"alg": "HS256", "typ": "JWT", "kid": kid}) + "." + seg(claims)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func seg(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// clientClaims are the claims of a good private_key_jwt assertion for id.
func (f *fixture) clientClaims(id string) map[string]any {
	now := time.Now().Unix()
	return map[string]any{"iss": id, "sub": id, "aud": f.cfg.Issuer() + "/token", "iat": now, "exp": now + 60,
		"jti": rand.Text()}
}

// assertionForm is a token request authenticated by a client assertion.
func assertionForm(clientID, assertion string) string {
	v := url.Values{"grant_type": {"client_credentials"}, "resource": {shopAPI}, "scope": {"read:products"},
		"client_assertion_type": {assertionType}, "client_assertion": {assertion}}
	if clientID != "" {
		v.Set("client_id", clientID)
	}
	return v.Encode()
}

// tokenStatus posts form and returns the status, error code and
// description (or the access token).
func (f *fixture) tokenStatus(form string) (int, string, string) {
	f.t.Helper()
	resp := f.post(form)
	m, _ := readJSON(f.t, resp)
	if resp.StatusCode == 200 {
		tok, _ := m["access_token"].(string)
		return 200, "", tok
	}
	code, _ := m["error"].(string)
	desc, _ := m["error_description"].(string)
	if m["code"] != "oidc."+code || m["message"] == nil {
		f.t.Errorf("error body is not in Logto's shape: %v", m)
	}
	return resp.StatusCode, code, desc
}

// makeApp creates an M2M app with the shop reader role and sets its
// oidcClientMetadata; it returns the app id.
func (f *fixture) makeApp(tok, name, oidcMeta string) string {
	f.t.Helper()
	id := f.createApp(tok, name)
	if code, body := f.api(tok, "POST", "/api/applications/"+id+"/roles", `{"roleIds":["reader"]}`); code != 201 && code != 200 {
		f.t.Fatalf("assign role: %d %s", code, body)
	}
	if oidcMeta != "" {
		if code, body := f.api(tok, "PATCH", "/api/applications/"+id, `{"oidcClientMetadata":`+oidcMeta+`}`); code != 200 {
			f.t.Fatalf("patch app: %d %s", code, body)
		}
	}
	return id
}

// jwksServer serves a JWK Set on loopback, counting fetches; set replaces
// what it serves.
type jwksServer struct {
	*httptest.Server
	mu      sync.Mutex
	body    string
	fetches atomic.Int64
}

func newJWKSServer(t *testing.T, body string) *jwksServer {
	s := &jwksServer{body: body}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "max-age=300")
		w.Write([]byte(s.body))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(body string) { s.mu.Lock(); s.body = body; s.mu.Unlock() }

// TestPrivateKeyJWT: apps registered for private_key_jwt get tokens with
// assertions signed by their keys (inline jwks, or a jwksUri), once per
// jti, and every malformed or foreign assertion is invalid_client; such an
// app refuses secrets, and a secret app refuses assertions.
func TestPrivateKeyJWT(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			f := newSecretlessFixture(t, e.DSN(t), true)
			tok := f.mgmtToken()
			es := newSigner(t, jose.ES256, "k1")
			ed := newSigner(t, jose.EdDSA, "k2")
			app := f.makeApp(tok, "pkjwt", `{"tokenEndpointAuthMethod":"private_key_jwt","jwks":`+jwks(t, es, ed)+`}`)

			// Each registered key works, with client_id or without it.
			for _, s := range []*signer{es, ed} {
				code, _, access := f.tokenStatus(assertionForm(app, s.sign(t, f.clientClaims(app))))
				if code != 200 {
					t.Fatalf("%s: %d %s", s.alg, code, access)
				}
				_, claims := f.verify(access)
				if claims["sub"] != app || claims["scope"] != "read:products" {
					t.Errorf("claims: %v", claims)
				}
			}
			if code, _, d := f.tokenStatus(assertionForm("", es.sign(t, f.clientClaims(app)))); code != 200 {
				t.Errorf("without client_id: %d %s", code, d)
			}
			// The issuer is an audience too.
			c := f.clientClaims(app)
			c["aud"] = f.cfg.Issuer()
			if code, _, d := f.tokenStatus(assertionForm(app, es.sign(t, c))); code != 200 {
				t.Errorf("aud = issuer: %d %s", code, d)
			}

			// The same assertion twice.
			once := es.sign(t, f.clientClaims(app))
			if code, _, d := f.tokenStatus(assertionForm(app, once)); code != 200 {
				t.Fatalf("first use: %d %s", code, d)
			}
			other := newSigner(t, jose.ES256, "k1") // same kid, not registered
			rsaKey := newSigner(t, jose.RS256, "k9")
			pub, _ := json.Marshal(es.jwk())
			now := time.Now().Unix()
			with := func(k string, v any) map[string]any {
				c := f.clientClaims(app)
				if v == nil {
					delete(c, k)
				} else {
					c[k] = v
				}
				return c
			}
			cases := []struct {
				name, assertion, desc string
			}{
				{"replayed jti", once, "client_assertion jti has already been used"},
				{"wrong aud", es.sign(t, with("aud", "https://elsewhere.example/token")), "client_assertion aud must name the issuer or the token endpoint"},
				{"expired", es.sign(t, with("exp", now-120)), "client_assertion has expired"},
				{"exp too far", es.sign(t, with("exp", now+3600)), "client_assertion exp is more than 5 minutes ahead"},
				{"no exp", es.sign(t, with("exp", nil)), "client_assertion has no exp claim"},
				{"no jti", es.sign(t, with("jti", nil)), "client_assertion must have a jti of at most 256 characters"},
				{"nbf ahead", es.sign(t, with("nbf", now+600)), "client_assertion is not valid yet (nbf)"},
				{"sub not the client", es.sign(t, with("sub", "someone")), "client_assertion sub must be the client id"},
				{"wrong key", other.sign(t, f.clientClaims(app)), "no registered key of the client verifies the client_assertion"},
				{"unregistered kid", rsaKey.sign(t, f.clientClaims(app)), "no registered key of the client verifies the client_assertion"},
				{"alg none", unsigned(f.clientClaims(app)), "client_assertion is not a JWT signed with an allowed algorithm (ES256, ES384, EdDSA, RS256, PS256)"},
				{"HMAC with the public key", hmacWith(pub, "k1", f.clientClaims(app)), "client_assertion is not a JWT signed with an allowed algorithm (ES256, ES384, EdDSA, RS256, PS256)"},
				{"not a JWT", "a.b.c", "client_assertion is not a JWT signed with an allowed algorithm (ES256, ES384, EdDSA, RS256, PS256)"},
			}
			for _, tc := range cases {
				code, ecode, desc := f.tokenStatus(assertionForm(app, tc.assertion))
				if code != 401 || ecode != "invalid_client" || desc != tc.desc {
					t.Errorf("%s: %d %s %q, want 401 invalid_client %q", tc.name, code, ecode, desc, tc.desc)
				}
			}
			// A wrong assertion type is a malformed request.
			bad := strings.Replace(assertionForm(app, es.sign(t, f.clientClaims(app))), url.QueryEscape(assertionType), "jwt", 1)
			if code, ecode, _ := f.tokenStatus(bad); code != 400 || ecode != "invalid_request" {
				t.Errorf("wrong client_assertion_type: %d %s", code, ecode)
			}

			// A secret for an app that allows only assertions.
			resp := f.post("grant_type=client_credentials&resource="+shopAPI, "Authorization", basic(app, "anything"))
			if m, raw := readJSON(t, resp); resp.StatusCode != 401 || m["error"] != "invalid_client" {
				t.Errorf("secret for a private_key_jwt app: %d %s", resp.StatusCode, raw)
			}
			var secret struct{ Value string }
			code, body := f.api(tok, "POST", "/api/applications/"+app+"/secrets", `{"name":"s"}`)
			if code != 201 || json.Unmarshal([]byte(body), &secret) != nil {
				t.Fatalf("secret: %d %s", code, body)
			}
			resp = f.post("grant_type=client_credentials&resource="+shopAPI, "Authorization", basic(app, secret.Value))
			if m, raw := readJSON(t, resp); resp.StatusCode != 401 || m["error"] != "invalid_client" {
				t.Errorf("real secret for a private_key_jwt app: %d %s", resp.StatusCode, raw)
			}
			// An assertion for an app that allows only secrets.
			if code, ecode, desc := f.tokenStatus(assertionForm(shopApp, es.sign(t, f.clientClaims(shopApp)))); code != 401 || ecode != "invalid_client" || desc != "client authentication failed" {
				t.Errorf("assertion for a secret app: %d %s %s", code, ecode, desc)
			}

			// Introspection takes the same authentication.
			_, _, access := f.tokenStatus(assertionForm(app, es.sign(t, f.clientClaims(app))))
			v := url.Values{"token": {access}, "client_id": {app}, "client_assertion_type": {assertionType},
				"client_assertion": {es.sign(t, f.clientClaims(app))}}
			resp = f.do("POST", f.http.URL+"/oidc/token/introspection", "application/x-www-form-urlencoded", v.Encode())
			if m, raw := readJSON(t, resp); resp.StatusCode != 200 || m["active"] != true {
				t.Errorf("introspection: %d %s", resp.StatusCode, raw)
			}

			// Replacing the keys takes effect at once: the grant cache drops
			// the app on the write.
			es2 := newSigner(t, jose.ES384, "k3")
			if code, body := f.api(tok, "PATCH", "/api/applications/"+app, `{"oidcClientMetadata":{"tokenEndpointAuthMethod":"private_key_jwt","jwks":`+jwks(t, es2)+`}}`); code != 200 {
				t.Fatalf("patch: %d %s", code, body)
			}
			if code, _, _ := f.tokenStatus(assertionForm(app, es.sign(t, f.clientClaims(app)))); code != 401 {
				t.Errorf("old key after rotation: %d", code)
			}
			if code, _, d := f.tokenStatus(assertionForm(app, es2.sign(t, f.clientClaims(app)))); code != 200 {
				t.Errorf("new key: %d %s", code, d)
			}
			// Back to secrets: the secret works again, assertions do not.
			if code, body := f.api(tok, "PATCH", "/api/applications/"+app, `{"oidcClientMetadata":{}}`); code != 200 {
				t.Fatalf("patch: %d %s", code, body)
			}
			resp = f.post("grant_type=client_credentials&resource="+shopAPI, "Authorization", basic(app, secret.Value))
			if resp.StatusCode != 200 {
				t.Errorf("secret after switching back: %d", resp.StatusCode)
			}
		})
	}
}

// TestPrivateKeyJWTJWKSURI: keys at a jwksUri are fetched once, cached,
// and refetched once for an unknown kid (a rotation).
func TestPrivateKeyJWTJWKSURI(t *testing.T) {
	f := newSecretlessFixture(t, storetest.Engines(t)[0].DSN(t), true)
	tok := f.mgmtToken()
	k1 := newSigner(t, jose.RS256, "r1")
	srv := newJWKSServer(t, jwks(t, k1))
	app := f.makeApp(tok, "by-uri", `{"tokenEndpointAuthMethod":"private_key_jwt","jwksUri":"`+srv.URL+`/jwks"}`)
	for range 3 {
		if code, _, d := f.tokenStatus(assertionForm(app, k1.sign(t, f.clientClaims(app)))); code != 200 {
			t.Fatalf("jwksUri: %d %s", code, d)
		}
	}
	if n := srv.fetches.Load(); n != 1 {
		t.Errorf("%d fetches for 3 requests, want 1 (cached)", n)
	}
	// A kid the cached set lacks: refused without a refetch while the set
	// is younger than the refetch interval...
	k2 := newSigner(t, jose.PS256, "r2")
	srv.set(jwks(t, k1, k2))
	if code, _, _ := f.tokenStatus(assertionForm(app, k2.sign(t, f.clientClaims(app)))); code != 401 {
		t.Errorf("new kid within the refetch interval: %d, want 401", code)
	}
	if n := srv.fetches.Load(); n != 1 {
		t.Errorf("%d fetches, want 1", n)
	}
}

// A loopback jwksUri is refused without GATEHOUSE_FEDERATION_ALLOW_INSECURE.
func TestJWKSURILoopbackRefused(t *testing.T) {
	f := newSecretlessFixture(t, storetest.Engines(t)[0].DSN(t), false)
	tok := f.mgmtToken()
	k1 := newSigner(t, jose.ES256, "e1")
	srv := newJWKSServer(t, jwks(t, k1))
	tls := httptest.NewTLSServer(srv.Config.Handler)
	t.Cleanup(tls.Close)
	for _, u := range []string{srv.URL + "/jwks", tls.URL + "/jwks"} {
		app := f.makeApp(tok, "loopback", `{"tokenEndpointAuthMethod":"private_key_jwt","jwksUri":"`+u+`"}`)
		code, ecode, desc := f.tokenStatus(assertionForm(app, k1.sign(t, f.clientClaims(app))))
		if code != 401 || ecode != "invalid_client" || desc != "no key of the client's jwksUri verifies the client_assertion" {
			t.Errorf("%s: %d %s %s", u, code, ecode, desc)
		}
	}
	if n := srv.fetches.Load(); n != 0 {
		t.Errorf("the loopback server was reached %d times", n)
	}
}

// TestClientKeysValidated: what oidcClientMetadata accepts as keys.
func TestClientKeysValidated(t *testing.T) {
	f := newSecretlessFixture(t, storetest.Engines(t)[0].DSN(t), true)
	tok := f.mgmtToken()
	app := f.createApp(tok, "v")
	es := newSigner(t, jose.ES256, "k")
	privJSON, _ := json.Marshal(jose.JSONWebKey{Key: es.priv, KeyID: "k"})
	// Keys go-jose reads but the token endpoint cannot verify with.
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	pubJSON := func(k any, alg string) string {
		b, _ := json.Marshal(jose.JSONWebKey{Key: k, KeyID: "x", Algorithm: alg})
		return `{"tokenEndpointAuthMethod":"private_key_jwt","jwks":{"keys":[` + string(b) + `]}}`
	}
	for _, tc := range []struct{ name, meta string }{
		{"RSA-1024", pubJSON(&rsa1024.PublicKey, "")},
		{"P-521", pubJSON(&p521.PublicKey, "")},
		{"ES384 named on a P-256 key", pubJSON(es.priv.Public(), "ES384")},
		{"unknown method", `{"tokenEndpointAuthMethod":"client_secret_jwt"}`},
		{"private_key_jwt without keys", `{"tokenEndpointAuthMethod":"private_key_jwt"}`},
		{"private key", `{"tokenEndpointAuthMethod":"private_key_jwt","jwks":{"keys":[` + string(privJSON) + `]}}`},
		{"symmetric key", `{"tokenEndpointAuthMethod":"private_key_jwt","jwks":{"keys":[{"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}]}}`},
		{"HS256 alg", `{"jwks":{"keys":[` + strings.Replace(jwks(t, es)[9:len(jwks(t, es))-2], `"ES256"`, `"HS256"`, 1) + `]}}`},
		{"empty set", `{"tokenEndpointAuthMethod":"private_key_jwt","jwks":{"keys":[]}}`},
		{"both", `{"tokenEndpointAuthMethod":"private_key_jwt","jwks":` + jwks(t, es) + `,"jwksUri":"https://keys.example/jwks"}`},
		{"uri not http", `{"tokenEndpointAuthMethod":"private_key_jwt","jwksUri":"file:///etc/passwd"}`},
		{"duplicate kid", `{"tokenEndpointAuthMethod":"private_key_jwt","jwks":` + jwks(t, es, newSigner(t, jose.ES256, "k")) + `}`},
	} {
		code, body := f.api(tok, "PATCH", "/api/applications/"+app, `{"oidcClientMetadata":`+tc.meta+`}`)
		if code != 400 || !strings.Contains(body, "guard.invalid_input") {
			t.Errorf("%s: %d %s", tc.name, code, body)
		}
	}
	code, body := f.api(tok, "PATCH", "/api/applications/"+app, `{"oidcClientMetadata":{"tokenEndpointAuthMethod":"private_key_jwt","jwks":`+jwks(t, es)+`}}`)
	if code != 200 || !strings.Contains(body, `"tokenEndpointAuthMethod":"private_key_jwt"`) || !strings.Contains(body, `"kid":"k"`) {
		t.Errorf("valid keys: %d %s", code, body)
	}
}

// TestClientSecretless: the Go client's TokenSource gets tokens with a
// private_key_jwt assertion it signs, and with a workload token read from
// a file (a projected service-account token), and its Management API
// methods manage federated credentials.
func TestClientSecretless(t *testing.T) {
	f := newSecretlessFixture(t, storetest.Engines(t)[0].DSN(t), true)
	tok := f.mgmtToken()
	es := newSigner(t, jose.ES256, "k1")
	app := f.makeApp(tok, "sdk", `{"tokenEndpointAuthMethod":"private_key_jwt","jwks":`+jwks(t, es)+`}`)
	ctx := context.Background()
	ts := client.NewTokenSource(client.TokenConfig{BaseURL: f.http.URL, ClientID: app, Resource: shopAPI, Scopes: []string{"read:products"},
		ClientAssertion: client.SignedAssertion(app, f.cfg.Issuer()+"/token", "k1", es.priv)})
	for range 2 {
		ts.Invalidate() // a fresh assertion each time: none is replayed
		if got, err := ts.TokenContext(ctx); err != nil || got.AccessToken == "" {
			t.Fatalf("private_key_jwt token source: %v", err)
		}
	}

	m := client.NewManagementAPI("default", client.ManagementOptions{BaseURL: f.http.URL, APIIndicator: mapi, ClientID: bootID, ClientSecret: bootSecret})
	k8s := newTestIssuer(t, jose.RS256, "sa")
	wl := f.makeApp(tok, "workload", "")
	c, err := m.CreateApplicationFederatedCredential(ctx, wl, client.FederatedCredentialCreate{Name: "pod", Issuer: k8s.URL,
		Subject: "system:serviceaccount:shop:*", Audiences: []string{"gatehouse"}, Claims: map[string]string{"kubernetes.io/namespace": "shop"}})
	if err != nil {
		t.Fatal(err)
	}
	if list, err := m.ListApplicationFederatedCredentials(ctx, wl); err != nil || len(list) != 1 || list[0].ID != c.ID {
		t.Fatalf("list: %v %v", list, err)
	}
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte(k8s.key.sign(t, k8s.k8sClaims("shop", "orders", "gatehouse"))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fs := client.NewTokenSource(client.TokenConfig{BaseURL: f.http.URL, ClientID: wl, Resource: shopAPI, ClientAssertion: client.FileAssertion(path)})
	if got, err := fs.TokenContext(ctx); err != nil || got.AccessToken == "" {
		t.Fatalf("federated token source: %v", err)
	}
	if err := m.DeleteApplicationFederatedCredential(ctx, wl, c.ID); err != nil {
		t.Fatal(err)
	}
	fs.Invalidate()
	var oe *client.OAuthError
	if _, err := fs.TokenContext(ctx); !errors.As(err, &oe) || oe.Code != "invalid_client" {
		t.Fatalf("after delete: %v", err)
	}
}
