package protect_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// issuer is a second RFC 9068 issuer, made in the test with its own keys:
// it serves metadata and a JWK Set and signs whatever the test asks, so the
// tests can make every kind of good and bad token.
type issuer struct {
	t       testing.TB
	srv     *httptest.Server
	Issuer  string // the iss, served at <srv>/tenant
	keys    map[string]signingKey
	order   []string // kids in JWKS order
	extra   []any    // more raw JWKS entries (bad keys)
	made    int      // keys made, for unique kids
	mu      sync.Mutex
	fetches atomic.Int64 // JWKS requests
	metas   atomic.Int64 // metadata requests
	same    atomic.Int64 // JWKS requests answered 304

	// What the server does; set before New.
	discovery    string // "openid" (default), "rfc8414" (inserted), "appended", "none"
	metaIssuer   string // the issuer the metadata names ("" = Issuer)
	cacheControl string
}

type signingKey struct {
	alg  jose.SignatureAlgorithm
	priv crypto.Signer
}

func newIssuer(t testing.TB) *issuer {
	is := &issuer{t: t, keys: map[string]signingKey{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /tenant/.well-known/openid-configuration", is.meta("openid"))
	mux.HandleFunc("GET /.well-known/oauth-authorization-server/tenant", is.meta("rfc8414"))
	mux.HandleFunc("GET /tenant/.well-known/oauth-authorization-server", is.meta("appended"))
	mux.HandleFunc("GET /tenant/keys", is.jwks)
	is.srv = httptest.NewServer(mux)
	t.Cleanup(is.srv.Close)
	is.Issuer = is.srv.URL + "/tenant"
	is.discovery = "openid"
	return is
}

func (is *issuer) meta(mode string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		is.metas.Add(1)
		if is.discovery != mode {
			http.NotFound(w, r)
			return
		}
		iss := is.metaIssuer
		if iss == "" {
			iss = is.Issuer
		}
		json.NewEncoder(w).Encode(map[string]any{"issuer": iss, "jwks_uri": is.Issuer + "/keys",
			"token_endpoint": is.Issuer + "/token"})
	}
}

func (is *issuer) jwks(w http.ResponseWriter, r *http.Request) {
	is.fetches.Add(1)
	is.mu.Lock()
	keys := []any{}
	for _, kid := range is.order {
		k := is.keys[kid]
		keys = append(keys, jose.JSONWebKey{Key: k.priv.Public(), KeyID: kid, Algorithm: string(k.alg), Use: "sig"})
	}
	keys = append(keys, is.extra...)
	is.mu.Unlock()
	body, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		is.t.Error(err)
	}
	etag := fmt.Sprintf(`"%x"`, sha256.Sum256(body))
	w.Header().Set("ETag", etag)
	if is.cacheControl != "" {
		w.Header().Set("Cache-Control", is.cacheControl)
	}
	if r.Header.Get("If-None-Match") == etag {
		is.same.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Write(body)
}

// addKey makes a key for alg, publishes it and returns its kid.
func (is *issuer) addKey(alg jose.SignatureAlgorithm) string {
	is.t.Helper()
	var priv crypto.Signer
	var err error
	switch alg {
	case jose.ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.ES384:
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case jose.ES512:
		priv, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case jose.RS256, jose.PS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case jose.EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		is.t.Fatalf("addKey: %s", alg)
	}
	if err != nil {
		is.t.Fatal(err)
	}
	is.mu.Lock()
	defer is.mu.Unlock()
	is.made++
	kid := fmt.Sprintf("%s-%d", alg, is.made)
	is.keys[kid] = signingKey{alg, priv}
	is.order = append(is.order, kid)
	return kid
}

// removeKey unpublishes kid (its tokens can still be signed).
func (is *issuer) removeKey(kid string) {
	is.mu.Lock()
	defer is.mu.Unlock()
	for i, k := range is.order {
		if k == kid {
			is.order = append(is.order[:i], is.order[i+1:]...)
			return
		}
	}
}

// claims returns valid claims for aud with scope, issued now.
func (is *issuer) claims(aud any, scope string) map[string]any {
	now := time.Now().Unix()
	c := map[string]any{"jti": "j1", "sub": "app-1", "client_id": "app-1", "iat": now, "exp": now + 3600,
		"iss": is.Issuer, "aud": aud}
	if scope != "" {
		c["scope"] = scope
	}
	return c
}

// sign signs claims with kid under header typ (none if "") and returns the
// compact JWS.
func (is *issuer) sign(kid, typ string, claims map[string]any) string {
	is.t.Helper()
	is.mu.Lock()
	k, ok := is.keys[kid]
	is.mu.Unlock()
	if !ok {
		is.t.Fatalf("sign: no key %q", kid)
	}
	opts := &jose.SignerOptions{}
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: jose.JSONWebKey{Key: k.priv, KeyID: kid}}, opts)
	if err != nil {
		is.t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := s.Sign(payload)
	if err != nil {
		is.t.Fatal(err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		is.t.Fatal(err)
	}
	return tok
}

// signNoKid signs claims with kid's key but names no kid in the header.
func (is *issuer) signNoKid(kid string, claims map[string]any) string {
	is.t.Helper()
	is.mu.Lock()
	k := is.keys[kid]
	is.mu.Unlock()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: k.priv}, (&jose.SignerOptions{}).WithType("at+jwt"))
	if err != nil {
		is.t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := s.Sign(payload)
	if err != nil {
		is.t.Fatal(err)
	}
	tok, _ := jws.CompactSerialize()
	return tok
}

// token is a valid at+jwt for aud with scope, signed with kid.
func (is *issuer) token(kid string, aud any, scope string) string {
	return is.sign(kid, "at+jwt", is.claims(aud, scope))
}

// publicKey returns the public key of kid.
func (is *issuer) publicKey(kid string) crypto.PublicKey {
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.keys[kid].priv.Public()
}

// rawJWS assembles a compact JWS from a header, claims and a signature
// function over the signing input, for tokens go-jose would not make.
func rawJWS(header, claims map[string]any, sign func(input []byte) []byte) string {
	b64 := base64.RawURLEncoding
	h, _ := json.Marshal(header)
	p, _ := json.Marshal(claims)
	input := b64.EncodeToString(h) + "." + b64.EncodeToString(p)
	return input + "." + b64.EncodeToString(sign([]byte(input)))
}

// withKid returns tok with its header replaced by one naming kid: the
// signature no longer matches, but it is never checked for an unknown kid.
func withKid(tok, kid string) string {
	h := strings.Split(rawJWS(map[string]any{"alg": "ES256", "typ": "at+jwt", "kid": kid}, nil,
		func([]byte) []byte { return nil }), ".")[0]
	return h + tok[strings.IndexByte(tok, '.'):]
}

// header decodes the JOSE header of a compact JWS.
func header(t testing.TB, tok string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(tok[:strings.IndexByte(tok, '.')])
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// bearer returns a GET request for u with the Authorization header h
// (none if "").
func bearer(t testing.TB, method, u, h string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	if h != "" {
		req.Header.Set("Authorization", h)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

type okHandler struct{}

func (okHandler) ServeHTTP(http.ResponseWriter, *http.Request) {}

// nullWriter records only a status written with WriteHeader.
type nullWriter struct {
	h      http.Header
	status int
}

func (w *nullWriter) Header() http.Header {
	if w.h == nil {
		w.h = http.Header{}
	}
	return w.h
}
func (w *nullWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nullWriter) WriteHeader(s int)           { w.status = s }

func newRequest(auth string) *http.Request {
	req := httptest.NewRequest("GET", "/products", nil)
	req.Header.Set("Authorization", auth)
	return req
}
