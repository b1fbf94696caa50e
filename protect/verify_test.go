package protect_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse/gatehouse/protect"
)

const aud = "https://shopping.api"

func mustNew(t testing.TB, is *issuer, opts ...protect.Option) *protect.Validator {
	t.Helper()
	v, err := protect.New(context.Background(), is.Issuer, aud, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// wantErr checks that err is an *protect.Error with code and cause.
func wantErr(t testing.TB, err error, code string, cause error) {
	t.Helper()
	var e *protect.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want *protect.Error", err, err)
	}
	if e.Code != code || !errors.Is(err, cause) {
		t.Fatalf("error %v (code %q), want code %q and cause %v", err, e.Code, code, cause)
	}
}

func TestVerifyEveryDefaultAlgorithm(t *testing.T) {
	for _, alg := range []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.ES512, jose.RS256, jose.PS256, jose.EdDSA} {
		t.Run(string(alg), func(t *testing.T) {
			is := newIssuer(t)
			kid := is.addKey(alg)
			v := mustNew(t, is)
			claims := is.claims(aud, "read:products write:products")
			claims["organization_id"] = "org-7"
			claims["tier"] = "gold"
			claims["nbf"] = time.Now().Unix() - 5
			c, err := v.Verify(context.Background(), is.sign(kid, "at+jwt", claims))
			if err != nil {
				t.Fatal(err)
			}
			if c.Subject != "app-1" || c.ClientID != "app-1" || c.Issuer != is.Issuer || c.JTI != "j1" ||
				c.OrganizationID != "org-7" || !slices.Equal(c.Audience, []string{aud}) ||
				!slices.Equal(c.Scopes, []string{"read:products", "write:products"}) || c.Raw["tier"] != "gold" {
				t.Fatalf("claims %+v", c)
			}
			if c.Expiry.Unix() != int64(claims["exp"].(int64)) || c.IssuedAt.Unix() != claims["iat"].(int64) || c.NotBefore.IsZero() {
				t.Fatalf("times %v %v %v", c.Expiry, c.IssuedAt, c.NotBefore)
			}
			if !c.HasScope("write:products") || c.HasScope("write") || c.Missing("read:products", "x") == nil {
				t.Fatal("scope helpers")
			}
		})
	}
}

func TestVerifyClaims(t *testing.T) {
	is := newIssuer(t)
	kid := is.addKey(jose.ES256)
	clk := newClock()
	v := mustNew(t, is, protect.WithClock(clk.Now))
	now := clk.Now().Unix()
	with := func(mod func(map[string]any)) map[string]any {
		c := is.claims(aud, "read:products")
		c["iat"], c["exp"] = now, now+60
		mod(c)
		return c
	}
	ok := func(map[string]any) {}
	tests := []struct {
		name   string
		typ    string
		claims map[string]any
		cause  error // nil: valid
	}{
		{"valid", "at+jwt", with(ok), nil},
		{"typ application/at+jwt", "application/at+jwt", with(ok), nil},
		{"typ in capitals", "AT+JWT", with(ok), nil},
		{"typ JWT", "JWT", with(ok), protect.ErrType},
		{"no typ", "", with(ok), protect.ErrType},
		{"typ application/jwt", "application/jwt", with(ok), protect.ErrType},
		{"aud list", "at+jwt", with(func(c map[string]any) { c["aud"] = []string{"https://other", aud} }), nil},
		{"other aud", "at+jwt", with(func(c map[string]any) { c["aud"] = "https://other" }), protect.ErrAudience},
		{"aud list without us", "at+jwt", with(func(c map[string]any) { c["aud"] = []string{"https://other"} }), protect.ErrAudience},
		{"aud prefix", "at+jwt", with(func(c map[string]any) { c["aud"] = aud + "/x" }), protect.ErrAudience},
		{"no aud", "at+jwt", with(func(c map[string]any) { delete(c, "aud") }), protect.ErrAudience},
		{"other iss", "at+jwt", with(func(c map[string]any) { c["iss"] = "https://evil.example/tenant" }), protect.ErrIssuer},
		{"iss with slash", "at+jwt", with(func(c map[string]any) { c["iss"] = is.Issuer + "/" }), protect.ErrIssuer},
		{"no iss", "at+jwt", with(func(c map[string]any) { delete(c, "iss") }), protect.ErrIssuer},
		{"expired beyond leeway", "at+jwt", with(func(c map[string]any) { c["exp"] = now - 31 }), protect.ErrExpired},
		{"expired within leeway", "at+jwt", with(func(c map[string]any) { c["exp"] = now - 29 }), nil},
		{"no exp", "at+jwt", with(func(c map[string]any) { delete(c, "exp") }), protect.ErrExpired},
		{"exp a string", "at+jwt", with(func(c map[string]any) { c["exp"] = "tomorrow" }), protect.ErrMalformed},
		{"nbf ahead beyond leeway", "at+jwt", with(func(c map[string]any) { c["nbf"] = now + 31 }), protect.ErrNotYetValid},
		{"nbf ahead within leeway", "at+jwt", with(func(c map[string]any) { c["nbf"] = now + 29 }), nil},
		{"aud a number", "at+jwt", with(func(c map[string]any) { c["aud"] = 7 }), protect.ErrMalformed},
		{"scope a list", "at+jwt", with(func(c map[string]any) { c["scope"] = []string{"read:products"} }), protect.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), is.sign(kid, tt.typ, tt.claims))
			if tt.cause == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, protect.CodeInvalidToken, tt.cause)
		})
	}

	t.Run("leeway option", func(t *testing.T) {
		v := mustNew(t, is, protect.WithClock(clk.Now), protect.WithLeeway(0))
		_, err := v.Verify(context.Background(), is.sign(kid, "at+jwt", with(func(c map[string]any) { c["exp"] = now })))
		wantErr(t, err, protect.CodeInvalidToken, protect.ErrExpired)
	})
	t.Run("without type check", func(t *testing.T) {
		v := mustNew(t, is, protect.WithClock(clk.Now), protect.WithoutTypeCheck())
		for _, typ := range []string{"", "JWT"} {
			if _, err := v.Verify(context.Background(), is.sign(kid, typ, with(ok))); err != nil {
				t.Fatalf("typ %q: %v", typ, err)
			}
		}
	})
	t.Run("time passes", func(t *testing.T) {
		tok := is.sign(kid, "at+jwt", with(ok))
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
		clk.Add(91 * time.Second)
		defer clk.Add(-91 * time.Second)
		_, err := v.Verify(context.Background(), tok)
		wantErr(t, err, protect.CodeInvalidToken, protect.ErrExpired)
	})
}

func TestVerifyMalformed(t *testing.T) {
	is := newIssuer(t)
	kid := is.addKey(jose.ES256)
	v := mustNew(t, is)
	good := is.token(kid, aud, "read:products")
	parts := strings.Split(good, ".")
	other := strings.Split(is.token(kid, "https://other", "read:products"), ".")
	jsonJWS := `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`
	tests := []struct {
		name, token string
		cause       error
	}{
		{"empty", "", protect.ErrMalformed},
		{"garbage", "not a token", protect.ErrMalformed},
		{"two parts", parts[0] + "." + parts[1], protect.ErrMalformed},
		{"four parts", good + ".x", protect.ErrMalformed},
		{"JSON serialization", jsonJWS, protect.ErrMalformed},
		{"payload swapped", parts[0] + "." + other[1] + "." + parts[2], protect.ErrSignature},
		{"signature cut", good[:len(good)-4], protect.ErrSignature},
		{"huge", strings.Repeat("a", 17<<10), protect.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), tt.token)
			wantErr(t, err, protect.CodeInvalidToken, tt.cause)
		})
	}

	t.Run("payload not an object", func(t *testing.T) {
		is.mu.Lock()
		priv := is.keys[kid].priv
		is.mu.Unlock()
		s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: priv, KeyID: kid}},
			(&jose.SignerOptions{}).WithType("at+jwt"))
		for _, p := range []string{`[1,2]`, `null`, `{"exp":`, `"x"`} {
			jws, err := s.Sign([]byte(p))
			if err != nil {
				t.Fatal(err)
			}
			tok, _ := jws.CompactSerialize()
			_, err = v.Verify(context.Background(), tok)
			wantErr(t, err, protect.CodeInvalidToken, protect.ErrMalformed)
		}
	})

	t.Run("crit header", func(t *testing.T) {
		is.mu.Lock()
		priv := is.keys[kid].priv
		is.mu.Unlock()
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: priv, KeyID: kid}},
			(&jose.SignerOptions{}).WithType("at+jwt").WithHeader("exp", 1).WithCritical("exp"))
		if err != nil {
			t.Fatal(err)
		}
		payload, _ := json.Marshal(is.claims(aud, ""))
		jws, err := s.Sign(payload)
		if err != nil {
			t.Fatal(err)
		}
		tok, _ := jws.CompactSerialize()
		_, err = v.Verify(context.Background(), tok)
		wantErr(t, err, protect.CodeInvalidToken, protect.ErrMalformed)
	})
}

// TestAttacks tries the classic JWT forgeries: alg "none", and HS256 with
// the issuer's public key as the HMAC secret (a verifier that picks the
// algorithm from the token would accept them).
func TestAttacks(t *testing.T) {
	is := newIssuer(t)
	kid := is.addKey(jose.ES256)
	rsaKid := is.addKey(jose.RS256)
	// An "oct" key in the JWKS must be ignored, not used for HS256.
	secret := []byte("0123456789abcdef0123456789abcdef")
	is.extra = append(is.extra, jose.JSONWebKey{Key: secret, KeyID: "oct-1", Algorithm: "HS256", Use: "sig"})
	v := mustNew(t, is)
	claims := is.claims(aud, "read:products write:products")
	hmacWith := func(key []byte) func([]byte) []byte {
		return func(in []byte) []byte {
			m := hmac.New(sha256.New, key)
			m.Write(in)
			return m.Sum(nil)
		}
	}
	der, _ := x509.MarshalPKIXPublicKey(is.publicKey(rsaKid))
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	jwkJSON, _ := json.Marshal(jose.JSONWebKey{Key: is.publicKey(kid), KeyID: kid, Algorithm: "ES256", Use: "sig"})
	none := func([]byte) []byte { return nil }

	tests := []struct {
		name  string
		token string
		cause error
	}{
		{"alg none", rawJWS(map[string]any{"alg": "none", "typ": "at+jwt", "kid": kid}, claims, none), protect.ErrAlgorithm},
		{"alg None", rawJWS(map[string]any{"alg": "None", "typ": "at+jwt"}, claims, none), protect.ErrAlgorithm},
		{"HS256 with the RSA PEM", rawJWS(map[string]any{"alg": "HS256", "typ": "at+jwt", "kid": rsaKid}, claims, hmacWith(pemKey)), protect.ErrAlgorithm},
		{"HS256 with the EC JWK", rawJWS(map[string]any{"alg": "HS256", "typ": "at+jwt", "kid": kid}, claims, hmacWith(jwkJSON)), protect.ErrAlgorithm},
		{"HS256 with the published oct key", rawJWS(map[string]any{"alg": "HS256", "typ": "at+jwt", "kid": "oct-1"}, claims, hmacWith(secret)), protect.ErrAlgorithm},
		{"no alg", rawJWS(map[string]any{"typ": "at+jwt", "kid": kid}, claims, none), protect.ErrAlgorithm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), tt.token)
			if err == nil {
				t.Fatal("forged token accepted")
			}
			wantErr(t, err, protect.CodeInvalidToken, tt.cause)
		})
	}

	t.Run("key of another type", func(t *testing.T) {
		// An ES256 token naming the RSA key's kid, and the other way round.
		es := is.token(kid, aud, "")
		h := strings.Split(rawJWS(map[string]any{"alg": "ES256", "typ": "at+jwt", "kid": rsaKid}, claims, none), ".")[0]
		_, err := v.Verify(context.Background(), h+es[strings.IndexByte(es, '.'):])
		wantErr(t, err, protect.CodeInvalidToken, protect.ErrUnknownKey)
	})

	t.Run("alg pinned", func(t *testing.T) {
		v := mustNew(t, is, protect.WithAlgorithms("ES256"))
		_, err := v.Verify(context.Background(), is.token(rsaKid, aud, ""))
		wantErr(t, err, protect.CodeInvalidToken, protect.ErrAlgorithm)
		if _, err := v.Verify(context.Background(), is.token(kid, aud, "")); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("HMAC and none cannot be allowed", func(t *testing.T) {
		for _, alg := range []string{"none", "HS256", "HS512", "hs384", "ES257"} {
			if _, err := protect.New(context.Background(), is.Issuer, aud, protect.WithAlgorithms(alg)); err == nil {
				t.Errorf("WithAlgorithms(%q) accepted", alg)
			}
		}
	})
}
