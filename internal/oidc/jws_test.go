package oidc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// joseSign signs payload with go-jose, an independent implementation.
func joseSign(t *testing.T, alg jose.SignatureAlgorithm, key crypto.Signer, extra map[jose.HeaderKey]any) string {
	t.Helper()
	opts := &jose.SignerOptions{ExtraHeaders: extra}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.Sign([]byte(`{"iss":"app","sub":"app"}`))
	if err != nil {
		t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCompactJWS checks the token endpoint's JWS reading against go-jose's
// signatures: each allowed algorithm verifies with its key and with no
// other, a JWK whose alg differs or whose kind does not fit is refused,
// and malformed or critical-header input is not read.
func TestCompactJWS(t *testing.T) {
	ec256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ec256b, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ec384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	rs, _ := rsa.GenerateKey(rand.Reader, 2048)
	rs1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	for _, tc := range []struct {
		alg        jose.SignatureAlgorithm
		key, wrong crypto.Signer
	}{
		{jose.ES256, ec256, ec256b},
		{jose.ES384, ec384, ec256},
		{jose.EdDSA, ed, ec256},
		{jose.RS256, rs, ec256},
		{jose.PS256, rs, ec384},
	} {
		raw := joseSign(t, tc.alg, tc.key, nil)
		j, err := parseCompact(raw, AssertionAlgs)
		if err != nil {
			t.Fatalf("%s: %v", tc.alg, err)
		}
		if string(j.payload) != `{"iss":"app","sub":"app"}` {
			t.Errorf("%s: payload %q", tc.alg, j.payload)
		}
		if !j.verifyWith(&jose.JSONWebKey{Key: tc.key.Public()}) {
			t.Errorf("%s: its own key does not verify", tc.alg)
		}
		if !j.verifyWith(&jose.JSONWebKey{Key: tc.key.Public(), Algorithm: string(tc.alg)}) {
			t.Errorf("%s: its own key with alg does not verify", tc.alg)
		}
		if j.verifyWith(&jose.JSONWebKey{Key: tc.wrong.Public()}) {
			t.Errorf("%s: another key verifies", tc.alg)
		}
		if j.verifyWith(&jose.JSONWebKey{Key: tc.key.Public(), Algorithm: "ES512"}) {
			t.Errorf("%s: a JWK for another alg verifies", tc.alg)
		}
		// The signature cut by a byte, or one byte changed.
		cut := *j
		cut.sig = j.sig[:len(j.sig)-1]
		if cut.verifyWith(&jose.JSONWebKey{Key: tc.key.Public()}) {
			t.Errorf("%s: a short signature verifies", tc.alg)
		}
		flip := *j
		flip.sig = append([]byte(nil), j.sig...)
		flip.sig[3] ^= 1
		if flip.verifyWith(&jose.JSONWebKey{Key: tc.key.Public()}) {
			t.Errorf("%s: a changed signature verifies", tc.alg)
		}
	}
	// A 1024-bit RSA key (RFC 7518 §3.3 wants 2048) does not verify even
	// its own signature.
	j, err := parseCompact(joseSign(t, jose.RS256, rs1024, nil), AssertionAlgs)
	if err != nil || j.verifyWith(&jose.JSONWebKey{Key: rs1024.Public()}) {
		t.Errorf("RSA-1024: %v", err)
	}
	// A P-256 key under an ES384 header.
	j, _ = parseCompact(joseSign(t, jose.ES384, ec384, nil), AssertionAlgs)
	if j.verifyWith(&jose.JSONWebKey{Key: ec256.Public()}) {
		t.Error("ES384 verified with a P-256 key")
	}

	b64 := base64.RawURLEncoding
	seg := func(v any) string { b, _ := json.Marshal(v); return b64.EncodeToString(b) }
	good := strings.Split(joseSign(t, jose.ES256, ec256, nil), ".")
	for _, tc := range []struct {
		name, raw string
		want      error
	}{
		{"two parts", good[0] + "." + good[1], errJWSMalformed},
		{"four parts", strings.Join(good, ".") + ".x", errJWSMalformed},
		{"header not base64url", "!!." + good[1] + "." + good[2], errJWSMalformed},
		{"header not JSON", b64.EncodeToString([]byte("{")) + "." + good[1] + "." + good[2], errJWSMalformed},
		{"payload not base64url", good[0] + ".%%." + good[2], errJWSMalformed},
		{"signature padded", good[0] + "." + good[1] + "." + good[2] + "=", errJWSMalformed},
		{"alg none", seg(map[string]string{"alg": "none"}) + "." + good[1] + ".", errJWSAlg},
		{"alg HS256", seg(map[string]string{"alg": "HS256"}) + "." + good[1] + "." + good[2], errJWSAlg},
		{"no alg", seg(map[string]string{"kid": "k"}) + "." + good[1] + "." + good[2], errJWSAlg},
		{"crit", seg(map[string]any{"alg": "ES256", "crit": []string{"b64"}, "b64": false}) + "." + good[1] + "." + good[2], errJWSCrit},
	} {
		if _, err := parseCompact(tc.raw, AssertionAlgs); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}
