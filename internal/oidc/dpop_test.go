package oidc_test

import (
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
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse/gatehouse/internal/apptest"
)

// dpopKey is a client's DPoP key, made in the test.
type dpopKey struct {
	priv crypto.Signer
	alg  jose.SignatureAlgorithm
}

func newDPoPKey(t testing.TB, alg jose.SignatureAlgorithm) *dpopKey {
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
	case jose.RS256, jose.PS256:
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		t.Fatal(err)
	}
	return &dpopKey{k, alg}
}

// jkt is the key's RFC 7638 thumbprint, base64url.
func (k *dpopKey) jkt(t testing.TB) string {
	t.Helper()
	tp, err := (&jose.JSONWebKey{Key: k.priv.Public()}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}

// proofClaims are the claims of a proof; zero fields are left out.
type proofClaims struct {
	JTI string `json:"jti,omitempty"`
	HTM string `json:"htm,omitempty"`
	HTU string `json:"htu,omitempty"`
	IAT int64  `json:"iat,omitempty"`
	ATH string `json:"ath,omitempty"`
}

// proof signs c with go-jose, the public key embedded, typ dpop+jwt.
func (k *dpopKey) proof(t testing.TB, c proofClaims) string {
	t.Helper()
	return k.proofTyped(t, "dpop+jwt", c)
}

func (k *dpopKey) proofTyped(t testing.TB, typ string, c proofClaims) string {
	t.Helper()
	opts := (&jose.SignerOptions{EmbedJWK: true}).WithType(jose.ContentType(typ))
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: k.priv}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(c)
	obj, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rawJWS builds a compact JWS from a header and claims by hand, signed by
// sign (nil: an empty signature), for the proofs no library makes.
func rawJWS(t testing.TB, header map[string]any, c proofClaims, sign func(input []byte) []byte) string {
	t.Helper()
	h, _ := json.Marshal(header)
	p, _ := json.Marshal(c)
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(h) + "." + enc.EncodeToString(p)
	var sig []byte
	if sign != nil {
		sig = sign([]byte(input))
	}
	return input + "." + enc.EncodeToString(sig)
}

func newJTI() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// tokenAnswer is a token endpoint answer.
type tokenAnswer struct {
	status int
	body   map[string]any
	raw    string
}

// dpopToken asks for a client-credentials token for shopAPI with the DPoP
// headers given (none when proofs is empty).
func dpopToken(t *testing.T, e *apptest.Env, c client, proofs ...string) tokenAnswer {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {shopAPI}, "scope": {"read"}}
	req, _ := http.NewRequest("POST", e.URL+"/oidc/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(c.id), url.QueryEscape(c.secret))
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := tokenAnswer{status: resp.StatusCode, raw: string(b)}
	json.Unmarshal(b, &a.body)
	return a
}

func TestDPoPToken(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		reader, _, _ := shop(t, e)
		admin := client{apptest.BootstrapID, apptest.BootstrapSecret}
		// The issuer is the configured public URL (http://localhost:3001/oidc),
		// not the address the test server listens on: htu must name it.
		htu := e.Config.Issuer() + "/token"
		fresh := func() proofClaims {
			return proofClaims{JTI: newJTI(), HTM: "POST", HTU: htu, IAT: time.Now().Unix()}
		}

		for _, alg := range []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.EdDSA, jose.RS256, jose.PS256} {
			k := newDPoPKey(t, alg)
			a := dpopToken(t, e, reader, k.proof(t, fresh()))
			if a.status != 200 || a.body["token_type"] != "DPoP" {
				t.Fatalf("%s: %d %s", alg, a.status, a.raw)
			}
			tok := a.body["access_token"].(string)
			cnf, _ := claimsOf(t, tok)["cnf"].(map[string]any)
			if cnf["jkt"] != k.jkt(t) {
				t.Fatalf("%s: cnf %v, want jkt %s", alg, cnf, k.jkt(t))
			}
			// Introspection names the binding (RFC 9449 §6.2).
			var in map[string]any
			json.Unmarshal([]byte(introspect(t, e, admin, tok).body), &in)
			if in["active"] != true || in["token_type"] != "DPoP" || in["cnf"].(map[string]any)["jkt"] != k.jkt(t) {
				t.Fatalf("%s: introspection %v", alg, in)
			}
		}

		// Without a proof: a bearer token with no cnf, as before.
		a := dpopToken(t, e, reader)
		if a.status != 200 || a.body["token_type"] != "Bearer" {
			t.Fatalf("no proof: %d %s", a.status, a.raw)
		}
		if _, ok := claimsOf(t, a.body["access_token"].(string))["cnf"]; ok {
			t.Fatal("bearer token with cnf")
		}
		var in map[string]any
		json.Unmarshal([]byte(introspect(t, e, admin, a.body["access_token"].(string)).body), &in)
		if in["token_type"] != "Bearer" || in["cnf"] != nil {
			t.Fatalf("bearer introspection %v", in)
		}

		k := newDPoPKey(t, jose.ES256)
		replayed := k.proof(t, fresh())
		if a := dpopToken(t, e, reader, replayed); a.status != 200 {
			t.Fatalf("first use: %d %s", a.status, a.raw)
		}
		ec := k.priv.(*ecdsa.PrivateKey)
		signES256 := func(input []byte) []byte {
			sum := sha256.Sum256(input)
			r, s, err := ecdsa.Sign(rand.Reader, ec, sum[:])
			if err != nil {
				t.Fatal(err)
			}
			sig := make([]byte, 64)
			r.FillBytes(sig[:32])
			s.FillBytes(sig[32:])
			return sig
		}
		pubJWK, _ := json.Marshal(jose.JSONWebKey{Key: ec.Public()})
		privJWK, _ := json.Marshal(jose.JSONWebKey{Key: ec})
		hmacKey := []byte("0123456789abcdef0123456789abcdef")
		octJWK, _ := json.Marshal(jose.JSONWebKey{Key: hmacKey})
		with := func(f func(*proofClaims)) proofClaims {
			c := fresh()
			f(&c)
			return c
		}
		signed := func(hd map[string]any, c proofClaims) string { return rawJWS(t, hd, c, signES256) }

		other := newDPoPKey(t, jose.ES256)
		// why each is refused: the description names the failed check.
		why := map[string]string{
			"another URL": "htu mismatch", "another path": "htu mismatch", "another method": "htm mismatch",
			"method in lower case": "htm mismatch", "stale iat": "iat is not recent enough",
			"iat ahead": "iat is not recent enough", "no iat": "iat missing", "no jti": "jti missing",
			"replayed": "replay detected", "wrong typ": "typ must be dpop+jwt", "no typ": "typ must be dpop+jwt",
			"alg none": "algorithm not allowed", "HMAC with an oct jwk": "algorithm not allowed",
			"HMAC with the public key": "algorithm not allowed", "no jwk": "must be a public key",
			"private key in jwk": "DPoP proof JWT jwk must be a public key", "signed by another key": "invalid DPoP proof JWT signature",
			"not a JWT": "invalid DPoP proof JWT", "two DPoP headers": "more than one DPoP header",
		}
		for name, proofs := range map[string][]string{
			"another URL":           {k.proof(t, with(func(c *proofClaims) { c.HTU = e.URL + "/oidc/token" }))},
			"another path":          {k.proof(t, with(func(c *proofClaims) { c.HTU = e.Config.Issuer() + "/token/introspection" }))},
			"another method":        {k.proof(t, with(func(c *proofClaims) { c.HTM = "GET" }))},
			"method in lower case":  {k.proof(t, with(func(c *proofClaims) { c.HTM = "post" }))},
			"stale iat":             {k.proof(t, with(func(c *proofClaims) { c.IAT -= 5 * 60 }))},
			"iat ahead":             {k.proof(t, with(func(c *proofClaims) { c.IAT += 5 * 60 }))},
			"no iat":                {k.proof(t, with(func(c *proofClaims) { c.IAT = 0 }))},
			"no jti":                {k.proof(t, with(func(c *proofClaims) { c.JTI = "" }))},
			"replayed":              {replayed},
			"wrong typ":             {k.proofTyped(t, "JWT", fresh())},
			"no typ":                {signed(map[string]any{"alg": "ES256", "jwk": json.RawMessage(pubJWK)}, fresh())},
			"alg none":              {rawJWS(t, map[string]any{"typ": "dpop+jwt", "alg": "none", "jwk": json.RawMessage(pubJWK)}, fresh(), nil)},
			"private key in jwk":    {signed(map[string]any{"typ": "dpop+jwt", "alg": "ES256", "jwk": json.RawMessage(privJWK)}, fresh())},
			"no jwk":                {signed(map[string]any{"typ": "dpop+jwt", "alg": "ES256"}, fresh())},
			"signed by another key": {signed(map[string]any{"typ": "dpop+jwt", "alg": "ES256", "jwk": json.RawMessage(mustJSON(jose.JSONWebKey{Key: other.priv.Public()}))}, fresh())},
			"HMAC with an oct jwk": {rawJWS(t, map[string]any{"typ": "dpop+jwt", "alg": "HS256", "jwk": json.RawMessage(octJWK)}, fresh(),
				func(in []byte) []byte { m := hmac.New(sha256.New, hmacKey); m.Write(in); return m.Sum(nil) })},
			"HMAC with the public key": {rawJWS(t, map[string]any{"typ": "dpop+jwt", "alg": "HS256", "jwk": json.RawMessage(pubJWK)}, fresh(),
				func(in []byte) []byte { m := hmac.New(sha256.New, pubJWK); m.Write(in); return m.Sum(nil) })},
			"not a JWT":        {"not.a.jwt"},
			"two DPoP headers": {k.proof(t, fresh()), k.proof(t, fresh())},
		} {
			a := dpopToken(t, e, reader, proofs...)
			if a.status != 400 || a.body["error"] != "invalid_dpop_proof" || a.body["code"] != "oidc.invalid_dpop_proof" ||
				a.body["message"] != "An OIDC error occurred: oidc.invalid_dpop_proof." ||
				!strings.Contains(a.body["error_description"].(string), why[name]) || why[name] == "" {
				t.Errorf("%s: %d %s", name, a.status, a.raw)
			}
		}

		// dpopBoundAccessTokens: the Management API keeps the field, and
		// the token endpoint requires a proof at once.
		var app struct {
			OIDC map[string]any `json:"oidcClientMetadata"`
		}
		e.Must(200, "PATCH", "/api/applications/"+reader.id, map[string]any{
			"oidcClientMetadata": map[string]any{"redirectUris": []string{}, "postLogoutRedirectUris": []string{}, "dpopBoundAccessTokens": true}}, &app)
		if app.OIDC["dpopBoundAccessTokens"] != true {
			t.Fatalf("PATCH answer: %v", app.OIDC)
		}
		e.Must(200, "GET", "/api/applications/"+reader.id, nil, &app)
		if app.OIDC["dpopBoundAccessTokens"] != true {
			t.Fatalf("GET answer: %v", app.OIDC)
		}
		if a := dpopToken(t, e, reader); a.status != 400 || a.body["error"] != "invalid_dpop_proof" ||
			a.body["error_description"] != "DPoP proof JWT not provided" {
			t.Fatalf("mandatory but missing: %d %s", a.status, a.raw)
		}
		if a := dpopToken(t, e, reader, k.proof(t, fresh())); a.status != 200 || a.body["token_type"] != "DPoP" {
			t.Fatalf("mandatory and given: %d %s", a.status, a.raw)
		}
		r := e.API("PATCH", "/api/applications/"+reader.id, map[string]any{"oidcClientMetadata": map[string]any{"dpopBoundAccessTokens": "yes"}})
		if r.Status != 400 {
			t.Fatalf("dpopBoundAccessTokens as a string: %d %s", r.Status, r.Body)
		}
		e.Must(200, "PATCH", "/api/applications/"+reader.id, map[string]any{"oidcClientMetadata": map[string]any{"dpopBoundAccessTokens": false}}, nil)
		if a := dpopToken(t, e, reader); a.status != 200 || a.body["token_type"] != "Bearer" {
			t.Fatalf("no longer mandatory: %d %s", a.status, a.raw)
		}

		// Discovery lists the proof algorithms.
		var md map[string]any
		e.Must(200, "GET", "/oidc/.well-known/openid-configuration", nil, &md)
		if got, _ := json.Marshal(md["dpop_signing_alg_values_supported"]); string(got) != `["ES256","ES384","EdDSA","RS256","PS256"]` {
			t.Fatalf("dpop_signing_alg_values_supported: %s", got)
		}
	})
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
