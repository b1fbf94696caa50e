package protect_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse/gatehouse/protect"
)

// holder is a client's DPoP key.
type holder struct {
	t    testing.TB
	priv *ecdsa.PrivateKey
}

func newHolder(t testing.TB) *holder {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &holder{t, k}
}

func (h *holder) jkt() string {
	tp, err := (&jose.JSONWebKey{Key: &h.priv.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		h.t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}

func ath(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// claims are fresh proof claims for method and u, bound to tok.
func (h *holder) claims(method, u, tok string, now time.Time) map[string]any {
	jti := make([]byte, 16)
	rand.Read(jti)
	return map[string]any{"jti": base64.RawURLEncoding.EncodeToString(jti),
		"htm": method, "htu": u, "iat": now.Unix(), "ath": ath(tok)}
}

// sign makes a proof of claims with go-jose, typ typ, the jwk embedded.
func (h *holder) sign(typ string, claims map[string]any) string {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: h.priv},
		(&jose.SignerOptions{EmbedJWK: true}).WithType(jose.ContentType(typ)))
	if err != nil {
		h.t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	obj, err := s.Sign(payload)
	if err != nil {
		h.t.Fatal(err)
	}
	out, _ := obj.CompactSerialize()
	return out
}

func (h *holder) proof(method, u, tok string) string {
	return h.sign("dpop+jwt", h.claims(method, u, tok, time.Now()))
}

// signES256 signs input by hand (R || S), for headers go-jose will not write.
func (h *holder) signES256(input []byte) []byte {
	sum := sha256.Sum256(input)
	r, s, err := ecdsa.Sign(rand.Reader, h.priv, sum[:])
	if err != nil {
		h.t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return sig
}

// boundToken is an access token bound to h.
func boundToken(is *issuer, kid string, h *holder, scope string) string {
	c := is.claims(aud, scope)
	c["cnf"] = map[string]any{"jkt": h.jkt()}
	return is.sign(kid, "at+jwt", c)
}

type dpopCall struct {
	method, path, authz string
	proofs              []string
}

func doDPoP(t *testing.T, base string, c dpopCall) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(c.method, base+c.path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.authz != "" {
		req.Header.Set("Authorization", c.authz)
	}
	for _, p := range c.proofs {
		req.Header.Add("DPoP", p)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestDPoPMiddleware(t *testing.T) {
	is := newIssuer(t)
	kid := is.addKey(jose.ES256)
	v := mustNew(t, is)
	u := api(t, v)
	h := newHolder(t)
	tok := boundToken(is, kid, h, "read:products")
	bearerTok := is.token(kid, aud, "read:products")
	products := u + "/products"

	// The happy path: Authorization: DPoP, the proof for this URL, the
	// claims in the context.
	status, _, body := doDPoP(t, u, dpopCall{"GET", "/products", "DPoP " + tok, []string{h.proof("GET", products, tok)}})
	if status != 200 || body != "app-1 read:products" {
		t.Fatalf("valid DPoP request: %d %s", status, body)
	}
	// The htu is compared without query, fragment or default port, and
	// the scheme name in any case.
	status, _, body = doDPoP(t, u, dpopCall{"GET", "/products?page=2", "dpop " + tok, []string{h.proof("GET", strings.ToUpper(u[:4])+u[4:]+"/products?x#y", tok)}})
	if status != 200 {
		t.Fatalf("normalized htu: %d %s", status, body)
	}
	// A plain bearer token still works as before.
	if status, _, body := doDPoP(t, u, dpopCall{"GET", "/products", "Bearer " + bearerTok, nil}); status != 200 {
		t.Fatalf("bearer: %d %s", status, body)
	}

	replayed := h.proof("GET", products, tok)
	if status, _, body := doDPoP(t, u, dpopCall{"GET", "/products", "DPoP " + tok, []string{replayed}}); status != 200 {
		t.Fatalf("first use: %d %s", status, body)
	}
	other := newHolder(t)
	now := time.Now()
	pubJWK, _ := json.Marshal(jose.JSONWebKey{Key: &h.priv.PublicKey})
	privJWK, _ := json.Marshal(jose.JSONWebKey{Key: h.priv})
	fresh := func() map[string]any { return h.claims("GET", products, tok, now) }
	with := func(name string, v any) map[string]any { c := fresh(); c[name] = v; return c }
	hmacOf := func(key []byte) func([]byte) []byte {
		return func(in []byte) []byte { m := hmac.New(sha256.New, key); m.Write(in); return m.Sum(nil) }
	}
	const (
		badProof = `error="invalid_dpop_proof"`
		badToken = `error="invalid_token"`
	)
	tests := []struct {
		name  string
		call  dpopCall
		code  int
		error string // in the DPoP challenge
		desc  string // in the challenge's error_description
	}{
		{"proof for another URL", dpopCall{"GET", "/products", "DPoP " + tok, []string{h.proof("GET", u+"/me", tok)}}, 401, badProof, "htu mismatch"},
		{"proof for another host", dpopCall{"GET", "/products", "DPoP " + tok, []string{h.proof("GET", "https://shop.example/products", tok)}}, 401, badProof, "htu mismatch"},
		{"proof for another method", dpopCall{"GET", "/products", "DPoP " + tok, []string{h.proof("POST", products, tok)}}, 401, badProof, "htm mismatch"},
		{"stale iat", dpopCall{"GET", "/products", "DPoP " + tok, []string{h.sign("dpop+jwt", with("iat", now.Add(-5*time.Minute).Unix()))}}, 401, badProof, "iat is not recent enough"},
		{"iat ahead", dpopCall{"GET", "/products", "DPoP " + tok, []string{h.sign("dpop+jwt", with("iat", now.Add(5*time.Minute).Unix()))}}, 401, badProof, "iat is not recent enough"},
		{"replayed", dpopCall{"GET", "/products", "DPoP " + tok, []string{replayed}}, 401, badProof, "replayed"},
		{"ath mismatch", dpopCall{"GET", "/products", "DPoP " + tok, []string{h.sign("dpop+jwt", with("ath", ath(bearerTok)))}}, 401, badProof, "ath mismatch"},
		{"no ath", dpopCall{"GET", "/products", "DPoP " + tok, []string{h.sign("dpop+jwt", with("ath", ""))}}, 401, badProof, "ath mismatch"},
		{"wrong typ", dpopCall{"GET", "/products", "DPoP " + tok, []string{h.sign("JWT", fresh())}}, 401, badProof, "typ must be dpop+jwt"},
		{"alg none", dpopCall{"GET", "/products", "DPoP " + tok, []string{rawJWS(map[string]any{"typ": "dpop+jwt", "alg": "none", "jwk": json.RawMessage(pubJWK)}, fresh(), func([]byte) []byte { return nil })}}, 401, badProof, "algorithm not allowed"},
		{"HMAC with the public key", dpopCall{"GET", "/products", "DPoP " + tok, []string{rawJWS(map[string]any{"typ": "dpop+jwt", "alg": "HS256", "jwk": json.RawMessage(pubJWK)}, fresh(), hmacOf(pubJWK))}}, 401, badProof, "algorithm not allowed"},
		{"private key in jwk", dpopCall{"GET", "/products", "DPoP " + tok, []string{rawJWS(map[string]any{"typ": "dpop+jwt", "alg": "ES256", "jwk": json.RawMessage(privJWK)}, fresh(), h.signES256)}}, 401, badProof, "must be a public key"},
		{"proof by another key", dpopCall{"GET", "/products", "DPoP " + tok, []string{other.proof("GET", products, tok)}}, 401, badProof, "does not match the token's binding"},
		{"no proof", dpopCall{"GET", "/products", "DPoP " + tok, nil}, 400, `error="invalid_request"`, "exactly one DPoP header"},
		{"two proofs", dpopCall{"GET", "/products", "DPoP " + tok, []string{h.proof("GET", products, tok), h.proof("GET", products, tok)}}, 400, `error="invalid_request"`, "exactly one DPoP header"},
		{"bound token as Bearer", dpopCall{"GET", "/products", "Bearer " + tok, nil}, 401, badToken, "DPoP-bound token presented as a bearer token"},
		{"bound token as Bearer with its proof", dpopCall{"GET", "/products", "Bearer " + tok, []string{h.proof("GET", products, tok)}}, 401, badToken, "DPoP-bound token presented as a bearer token"},
		{"bearer token with DPoP", dpopCall{"GET", "/products", "DPoP " + bearerTok, []string{h.proof("GET", products, bearerTok)}}, 401, badToken, "not DPoP-bound"},
		{"expired bound token", dpopCall{"GET", "/products", "DPoP " + is.sign(kid, "at+jwt", map[string]any{"jti": "x", "sub": "app-1", "iss": is.Issuer, "aud": aud,
			"exp": now.Add(-time.Hour).Unix(), "cnf": map[string]any{"jkt": h.jkt()}}), []string{h.proof("GET", products, tok)}}, 401, badToken, "expired"},
		{"malformed DPoP token", dpopCall{"GET", "/products", "DPoP a b", []string{h.proof("GET", products, tok)}}, 400, `error="invalid_request"`, "malformed DPoP token"},
	}
	for _, tc := range tests {
		status, hd, body := doDPoP(t, u, tc.call)
		ch := hd.Get("WWW-Authenticate")
		if status != tc.code || !strings.HasPrefix(ch, `DPoP realm="https://shopping.api", `+tc.error) ||
			!strings.Contains(ch, tc.desc) || !strings.HasSuffix(ch, `algs="ES256 ES384 EdDSA RS256 PS256"`) {
			t.Errorf("%s: %d %q %s", tc.name, status, ch, body)
		}
	}
}

func TestDPoPVerify(t *testing.T) {
	is := newIssuer(t)
	kid := is.addKey(jose.ES256)
	clk := newClock()
	v := mustNew(t, is, protect.WithClock(clk.Now), protect.WithDPoPWindow(10*time.Second))
	h := newHolder(t)
	tok := boundToken(is, kid, h, "read:products")
	const u = "https://api.example/products"
	ctx := context.Background()

	c, err := v.VerifyDPoP(ctx, tok, h.sign("dpop+jwt", h.claims("GET", u, tok, clk.Now())), "GET", u)
	if err != nil || c.JKT() != h.jkt() || c.ClientID != "app-1" {
		t.Fatalf("VerifyDPoP: %v %+v", err, c)
	}
	// The window is the option's, either way.
	p := h.sign("dpop+jwt", h.claims("GET", u, tok, clk.Now().Add(-11*time.Second)))
	_, err = v.VerifyDPoP(ctx, tok, p, "GET", u)
	wantErr(t, err, protect.CodeInvalidDPoPProof, protect.ErrDPoPProof)
	p = h.sign("dpop+jwt", h.claims("GET", u, tok, clk.Now().Add(-9*time.Second)))
	if _, err = v.VerifyDPoP(ctx, tok, p, "GET", u); err != nil {
		t.Fatalf("within the window: %v", err)
	}
	// A replay stays refused for as long as the proof's iat passes, across
	// a rotation of the cache (every 2 × window).
	clk.Add(15 * time.Second)
	p = h.sign("dpop+jwt", h.claims("GET", u, tok, clk.Now().Add(9*time.Second)))
	if _, err = v.VerifyDPoP(ctx, tok, p, "GET", u); err != nil {
		t.Fatalf("iat ahead within the window: %v", err)
	}
	clk.Add(18 * time.Second)
	_, err = v.VerifyDPoP(ctx, tok, p, "GET", u)
	if err == nil || !strings.Contains(err.Error(), "replayed") {
		t.Fatalf("replay after 18s: %v", err)
	}
	// Verify refuses the bound token, whatever the caller's scheme.
	_, err = v.Verify(ctx, tok)
	wantErr(t, err, protect.CodeInvalidToken, protect.ErrDPoPBound)
	var e *protect.Error
	if !errors.As(err, &e) || !strings.HasPrefix(e.Challenge("r"), "DPoP ") {
		t.Fatalf("challenge %v", err)
	}
	// A cnf.jkt that is not a string is a binding all the same.
	c2 := is.claims(aud, "")
	c2["cnf"] = map[string]any{"jkt": 7}
	_, err = v.Verify(ctx, is.sign(kid, "at+jwt", c2))
	wantErr(t, err, protect.CodeInvalidToken, protect.ErrDPoPBound)
}

func TestDPoPOptions(t *testing.T) {
	is := newIssuer(t)
	kid := is.addKey(jose.ES256)
	h := newHolder(t)
	tok := boundToken(is, kid, h, "read:products")

	// Behind a proxy, the proof names the public URL, not the address the
	// API listens on.
	v := mustNew(t, is, protect.WithPublicURL("https://api.example/shop/"))
	u := api(t, v)
	if status, _, body := doDPoP(t, u, dpopCall{"GET", "/products", "DPoP " + tok, []string{h.proof("GET", "https://api.example/shop/products", tok)}}); status != 200 {
		t.Fatalf("public URL: %d %s", status, body)
	}
	if status, _, _ := doDPoP(t, u, dpopCall{"GET", "/products", "DPoP " + tok, []string{h.proof("GET", u+"/products", tok)}}); status != 401 {
		t.Fatalf("listening address accepted with WithPublicURL: %d", status)
	}

	// WithDPoPRequired refuses bearer tokens, with a DPoP challenge.
	req := mustNew(t, is, protect.WithDPoPRequired())
	ru := api(t, req)
	status, hd, _ := doDPoP(t, ru, dpopCall{"GET", "/products", "Bearer " + is.token(kid, aud, "read:products"), nil})
	if status != 401 || !strings.Contains(hd.Get("WWW-Authenticate"), "a DPoP-bound token is required") {
		t.Fatalf("bearer with DPoP required: %d %v", status, hd)
	}
	status, hd, _ = doDPoP(t, ru, dpopCall{"GET", "/products", "", nil})
	if status != 401 || hd.Get("WWW-Authenticate") != `DPoP realm="https://shopping.api", algs="ES256 ES384 EdDSA RS256 PS256"` {
		t.Fatalf("no token with DPoP required: %d %v", status, hd)
	}
	if status, _, body := doDPoP(t, ru, dpopCall{"GET", "/products", "DPoP " + tok, []string{h.proof("GET", ru+"/products", tok)}}); status != 200 {
		t.Fatalf("DPoP with DPoP required: %d %s", status, body)
	}

	// A full replay cache refuses proofs rather than forget one.
	small := mustNew(t, is, protect.WithDPoPReplayLimit(1))
	ctx := context.Background()
	const pu = "https://api.example/x"
	if _, err := small.VerifyDPoP(ctx, tok, h.proof("GET", pu, tok), "GET", pu); err != nil {
		t.Fatal(err)
	}
	_, err := small.VerifyDPoP(ctx, tok, h.proof("GET", pu, tok), "GET", pu)
	if err == nil || !strings.Contains(err.Error(), "too many DPoP proofs") {
		t.Fatalf("full cache: %v", err)
	}

	for name, o := range map[string]protect.Option{
		"window 0": protect.WithDPoPWindow(0), "window 1h": protect.WithDPoPWindow(time.Hour),
		"limit 0": protect.WithDPoPReplayLimit(0), "relative URL": protect.WithPublicURL("/shop"),
	} {
		if _, err := protect.New(ctx, is.Issuer, aud, o); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}
