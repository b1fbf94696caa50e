package protecttest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse/gatehouse/protect"
)

// Issuer is an RFC 9068 issuer for tests: an [httptest.Server] on loopback
// serving OpenID discovery metadata and a JWK Set, with private keys that
// sign whatever tokens the test asks for. Its methods may be called from
// several goroutines, but those that mint or make keys stop the test on
// failure (tb.Fatal), so call them from the test's goroutine.
type Issuer struct {
	tb     testing.TB
	server *httptest.Server
	issuer string
	alg    jose.SignatureAlgorithm

	mu      sync.Mutex
	keys    []signingKey // published, in order; the last one signs
	made    int
	fetches int
}

type signingKey struct {
	kid  string
	priv crypto.Signer
}

// Option configures an [Issuer] in [NewIssuer].
type Option func(*Issuer)

// WithAlgorithm sets the signing algorithm: ES256 (the default, as
// Gatehouse), ES384, ES512, RS256, PS256 or EdDSA. Other values make
// NewIssuer fail the test.
func WithAlgorithm(alg string) Option {
	return func(is *Issuer) { is.alg = jose.SignatureAlgorithm(alg) }
}

// NewIssuer starts an issuer with one signing key, and stops it when tb's
// test ends. Its issuer identifier ([Issuer.URL]) is the server's address
// followed by /oidc, as Gatehouse's is its endpoint followed by /oidc.
func NewIssuer(tb testing.TB, opts ...Option) *Issuer {
	tb.Helper()
	is := &Issuer{tb: tb, alg: jose.ES256}
	for _, o := range opts {
		o(is)
	}
	k, err := newKey(is.alg)
	if err != nil {
		tb.Fatalf("protecttest: %v", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oidc/.well-known/openid-configuration", is.metadata)
	mux.HandleFunc("GET /oidc/jwks", is.jwks)
	is.server = httptest.NewServer(mux)
	tb.Cleanup(is.server.Close)
	is.issuer = is.server.URL + "/oidc"
	is.add(k)
	return is
}

// URL returns the issuer identifier: the iss of its tokens, what
// [protect.New] takes.
func (is *Issuer) URL() string { return is.issuer }

// JWKSURL returns where the issuer publishes its keys.
func (is *Issuer) JWKSURL() string { return is.issuer + "/jwks" }

// Server returns the issuer's HTTP server, to close it early (an issuer
// that went down) or reach its client.
func (is *Issuer) Server() *httptest.Server { return is.server }

// Fetches returns how many times the JWK Set was requested.
func (is *Issuer) Fetches() int {
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.fetches
}

// Validator returns a [protect.Validator] for this issuer and audience,
// closed when tb's test ends; opts are passed on to [protect.New].
func (is *Issuer) Validator(tb testing.TB, audience string, opts ...protect.Option) *protect.Validator {
	tb.Helper()
	v, err := protect.New(context.Background(), is.issuer, audience, opts...)
	if err != nil {
		tb.Fatalf("protecttest: %v", err)
	}
	tb.Cleanup(func() { v.Close() })
	return v
}

// RotateKey publishes a new key and signs the tokens minted from now on
// with it. The previous keys stay published, as at a real rotation; a
// Validator finds the new one at its first token.
func (is *Issuer) RotateKey() {
	is.tb.Helper()
	k, err := newKey(is.alg)
	if err != nil {
		is.tb.Fatalf("protecttest: %v", err)
	}
	is.add(k)
}

func (is *Issuer) add(k crypto.Signer) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.made++
	is.keys = append(is.keys, signingKey{kid: fmt.Sprintf("test-key-%d", is.made), priv: k})
}

// Claims are the claims of a token to mint. The zero value gives a valid
// token with no audience; set at least Audience.
type Claims struct {
	Audience       []string  // aud; one is written as a string, as Gatehouse does
	Scopes         []string  // scope, joined with spaces; none: no scope claim
	Subject        string    // sub; default "test-client"
	ClientID       string    // client_id; default Subject
	OrganizationID string    // organization_id; none when empty
	Issuer         string    // iss; default the issuer's URL in [Issuer.Token] (set it to mint a token of another issuer)
	IssuedAt       time.Time // iat; default now
	Expiry         time.Time // exp; default IssuedAt + 1 hour (a past time mints an expired token)
	NotBefore      time.Time // nbf; none when zero
	JTI            string    // jti; default random

	// Extra are more claims, a JWT customizer's for instance. They are
	// written last, so they can also replace or (with a nil value) remove
	// the ones above.
	Extra map[string]any
}

// Token mints an access token with c, signed with the current key, with
// typ at+jwt and its kid, as Gatehouse signs them. It stops the test on
// failure, so call it from the test's goroutine.
func (is *Issuer) Token(c Claims) string {
	is.tb.Helper()
	if c.Issuer == "" {
		c.Issuer = is.issuer
	}
	return is.Sign(c.Map())
}

// Map returns the claims as a JSON object, defaults applied (iss only when
// Issuer is set), ready for [Issuer.Sign].
func (c Claims) Map() map[string]any {
	m := map[string]any{}
	now := time.Now()
	iat := c.IssuedAt
	if iat.IsZero() {
		iat = now
	}
	exp := c.Expiry
	if exp.IsZero() {
		exp = iat.Add(time.Hour)
	}
	sub := c.Subject
	if sub == "" {
		sub = "test-client"
	}
	clientID := c.ClientID
	if clientID == "" {
		clientID = sub
	}
	jti := c.JTI
	if jti == "" {
		b := make([]byte, 12)
		rand.Read(b)
		jti = hex.EncodeToString(b)
	}
	m["sub"], m["client_id"], m["jti"] = sub, clientID, jti
	m["iat"], m["exp"] = iat.Unix(), exp.Unix()
	if c.Issuer != "" {
		m["iss"] = c.Issuer
	}
	switch len(c.Audience) {
	case 0:
	case 1:
		m["aud"] = c.Audience[0]
	default:
		m["aud"] = c.Audience
	}
	if len(c.Scopes) > 0 {
		m["scope"] = strings.Join(c.Scopes, " ")
	}
	if c.OrganizationID != "" {
		m["organization_id"] = c.OrganizationID
	}
	if !c.NotBefore.IsZero() {
		m["nbf"] = c.NotBefore.Unix()
	}
	for k, v := range c.Extra {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}

// Sign signs claims exactly as given (iss included: set it to
// [Issuer.URL] for a token of this issuer), with the current key, typ
// at+jwt and its kid, for tokens [Claims] cannot describe. It stops the
// test on failure.
func (is *Issuer) Sign(claims map[string]any) string {
	is.tb.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		is.tb.Fatalf("protecttest: claims: %v", err)
	}
	is.mu.Lock()
	k := is.keys[len(is.keys)-1]
	is.mu.Unlock()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: is.alg, Key: jose.JSONWebKey{Key: k.priv, KeyID: k.kid}},
		(&jose.SignerOptions{}).WithType("at+jwt"))
	if err != nil {
		is.tb.Fatalf("protecttest: %v", err)
	}
	jws, err := s.Sign(payload)
	if err != nil {
		is.tb.Fatalf("protecttest: %v", err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		is.tb.Fatalf("protecttest: %v", err)
	}
	return tok
}

// Request returns a request for target with the token as its bearer token,
// for handler tests with [httptest.NewRecorder].
func Request(method, target, token string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

func (is *Issuer) metadata(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"issuer":                                is.issuer,
		"jwks_uri":                              is.JWKSURL(),
		"token_endpoint":                        is.issuer + "/token",
		"grant_types_supported":                 []string{"client_credentials"},
		"id_token_signing_alg_values_supported": []string{string(is.alg)},
	})
}

func (is *Issuer) jwks(w http.ResponseWriter, r *http.Request) {
	is.mu.Lock()
	is.fetches++
	set := jose.JSONWebKeySet{}
	for _, k := range is.keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid, Algorithm: string(is.alg), Use: "sig"})
	}
	is.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "max-age=0")
	json.NewEncoder(w).Encode(set)
}

// newKey makes a private key for alg.
func newKey(alg jose.SignatureAlgorithm) (crypto.Signer, error) {
	switch alg {
	case jose.ES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.ES384:
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case jose.ES512:
		return ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case jose.RS256, jose.PS256:
		return rsa.GenerateKey(rand.Reader, 2048)
	case jose.EdDSA:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	}
	return nil, fmt.Errorf("unsupported algorithm %q", alg)
}
