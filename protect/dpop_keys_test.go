package protect_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse/gatehouse/protect"
)

// anyHolder is a DPoP key of any algorithm, signing with go-jose.
type anyHolder struct {
	t   *testing.T
	alg jose.SignatureAlgorithm
	key crypto.Signer
}

func (h *anyHolder) jkt() string {
	tp, err := (&jose.JSONWebKey{Key: h.key.Public()}).Thumbprint(crypto.SHA256)
	if err != nil {
		h.t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}

func (h *anyHolder) proof(u, tok string) string {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: h.alg, Key: h.key},
		(&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt"))
	if err != nil {
		h.t.Fatal(err)
	}
	jti := make([]byte, 16)
	rand.Read(jti)
	payload, _ := json.Marshal(map[string]any{"jti": base64.RawURLEncoding.EncodeToString(jti),
		"htm": "GET", "htu": u, "iat": time.Now().Unix(), "ath": ath(tok)})
	obj, err := s.Sign(payload)
	if err != nil {
		h.t.Fatal(err)
	}
	out, _ := obj.CompactSerialize()
	return out
}

// TestDPoPProofAlgorithms checks proofs of every allowed algorithm, twice
// each (the second reuses the remembered header), and what the header
// memory must not let through: a remembered header with another key's
// signature, a signature of the wrong size, keys that do not fit their alg.
func TestDPoPProofAlgorithms(t *testing.T) {
	is := newIssuer(t)
	kid := is.addKey(jose.ES256)
	v := mustNew(t, is)
	ctx := context.Background()
	const u = "https://api.example/products"
	ec256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ec384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	rs, _ := rsa.GenerateKey(rand.Reader, 2048)
	holders := []*anyHolder{
		{t, jose.ES256, ec256}, {t, jose.ES384, ec384}, {t, jose.EdDSA, ed},
		{t, jose.RS256, rs}, {t, jose.PS256, rs},
	}
	for _, h := range holders {
		c := is.claims(aud, "read:products")
		c["cnf"] = map[string]any{"jkt": h.jkt()}
		tok := is.sign(kid, "at+jwt", c)
		for i := range 2 {
			if _, err := v.VerifyDPoP(ctx, tok, h.proof(u, tok), "GET", u); err != nil {
				t.Fatalf("%s proof %d: %v", h.alg, i, err)
			}
		}
		// The same header (and so the same claimed jwk), signed by another
		// key of the same kind: the remembered header must not vouch for it.
		other := *h
		switch h.key.(type) {
		case *ecdsa.PrivateKey:
			other.key, _ = ecdsa.GenerateKey(h.key.(*ecdsa.PrivateKey).Curve, rand.Reader)
		case ed25519.PrivateKey:
			_, other.key, _ = ed25519.GenerateKey(rand.Reader)
		case *rsa.PrivateKey:
			other.key, _ = rsa.GenerateKey(rand.Reader, 2048)
		}
		good, forged := strings.Split(h.proof(u, tok), "."), strings.Split(other.proof(u, tok), ".")
		_, err := v.VerifyDPoP(ctx, tok, good[0]+"."+forged[1]+"."+forged[2], "GET", u)
		wantDesc(t, err, "signature invalid")
		// A signature cut short.
		_, err = v.VerifyDPoP(ctx, tok, good[0]+"."+good[1]+"."+good[2][:len(good[2])-4], "GET", u)
		wantDesc(t, err, "signature invalid")
	}

	// Keys that do not fit the header's alg.
	h := newHolder(t)
	c := is.claims(aud, "")
	c["cnf"] = map[string]any{"jkt": h.jkt()}
	tok := is.sign(kid, "at+jwt", c)
	pub, _ := json.Marshal(jose.JSONWebKey{Key: &h.priv.PublicKey})
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	smallJWK, _ := json.Marshal(jose.JSONWebKey{Key: &small.PublicKey})
	claims := h.claims("GET", u, tok, time.Now())
	for _, tc := range []struct {
		name string
		head map[string]any
		desc string
	}{
		{"ES384 with a P-256 key", map[string]any{"typ": "dpop+jwt", "alg": "ES384", "jwk": json.RawMessage(pub)}, "does not match its alg"},
		{"RS256 with an EC key", map[string]any{"typ": "dpop+jwt", "alg": "RS256", "jwk": json.RawMessage(pub)}, "does not match its alg"},
		{"RSA-1024", map[string]any{"typ": "dpop+jwt", "alg": "RS256", "jwk": json.RawMessage(smallJWK)}, "does not match its alg"},
		{"no jwk", map[string]any{"typ": "dpop+jwt", "alg": "ES256"}, "must be a public key"},
		{"typ JWT", map[string]any{"typ": "JWT", "alg": "ES256", "jwk": json.RawMessage(pub)}, "typ must be dpop+jwt"},
		{"crit", map[string]any{"typ": "dpop+jwt", "alg": "ES256", "jwk": json.RawMessage(pub), "crit": []string{"exp"}}, "crit"},
	} {
		_, err := v.VerifyDPoP(ctx, tok, rawJWS(tc.head, claims, h.signES256), "GET", u)
		if err == nil || !strings.Contains(err.Error(), tc.desc) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.desc)
		}
	}
	for _, bad := range []string{"a.b", "a.b.c.d", "!!!.e30.AA", rawJWS(map[string]any{"typ": "dpop+jwt", "alg": "ES256", "jwk": json.RawMessage(pub)}, claims, h.signES256) + ".x"} {
		_, err := v.VerifyDPoP(ctx, tok, bad, "GET", u)
		wantErr(t, err, protect.CodeInvalidDPoPProof, protect.ErrDPoPProof)
	}
}

func wantDesc(t *testing.T, err error, desc string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), desc) {
		t.Fatalf("err %v, want %q", err, desc)
	}
}
