package protecttest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/protect"
	"github.com/gatehouse/gatehouse/protect/protecttest"
)

const aud = "https://shopping.api"

// TestIssuer: the tokens verify with protect under every algorithm, with
// the claims asked for, and look like Gatehouse's.
func TestIssuer(t *testing.T) {
	for _, alg := range []string{"ES256", "ES384", "ES512", "RS256", "PS256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			is := protecttest.NewIssuer(t, protecttest.WithAlgorithm(alg))
			if !strings.HasSuffix(is.URL(), "/oidc") || !strings.HasPrefix(is.URL(), "http://127.0.0.1:") {
				t.Fatalf("URL %q", is.URL())
			}
			v := is.Validator(t, aud, protect.WithAlgorithms(alg))
			if v.JWKSURL() != is.JWKSURL() {
				t.Fatalf("discovered %q, want %q", v.JWKSURL(), is.JWKSURL())
			}
			nbf := time.Now().Add(-time.Minute).Truncate(time.Second)
			tok := is.Token(protecttest.Claims{Audience: []string{aud}, Scopes: []string{"read:products", "write:products"},
				Subject: "app-1", OrganizationID: "org-7", NotBefore: nbf, Extra: map[string]any{"tier": "gold"}})
			c, err := v.Verify(context.Background(), tok)
			if err != nil {
				t.Fatal(err)
			}
			if c.Subject != "app-1" || c.ClientID != "app-1" || c.Issuer != is.URL() || c.OrganizationID != "org-7" ||
				!slices.Equal(c.Audience, []string{aud}) || !slices.Equal(c.Scopes, []string{"read:products", "write:products"}) ||
				!c.NotBefore.Equal(nbf) || c.Expiry.Sub(c.IssuedAt) != time.Hour || len(c.JTI) != 24 || c.Raw["tier"] != "gold" {
				t.Fatalf("claims %+v", c)
			}
			h := header(t, tok)
			if h["alg"] != alg || h["typ"] != "at+jwt" || h["kid"] != "test-key-1" {
				t.Fatalf("header %v", h)
			}
			if c.Raw["aud"] != aud {
				t.Errorf("one audience is written as %v, not a string", c.Raw["aud"])
			}
		})
	}
}

func TestClaims(t *testing.T) {
	is := protecttest.NewIssuer(t)
	v := is.Validator(t, aud)
	ctx := context.Background()
	verify := func(c protecttest.Claims) (*protect.Claims, error) { return v.Verify(ctx, is.Token(c)) }

	// Defaults: a client, a fresh jti each time, no scope, no organization.
	c1, err := verify(protecttest.Claims{Audience: []string{aud}})
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := verify(protecttest.Claims{Audience: []string{aud}})
	if c1.Subject != "test-client" || c1.ClientID != "test-client" || c1.Scopes != nil || c1.OrganizationID != "" ||
		c1.JTI == c2.JTI || !c1.NotBefore.IsZero() {
		t.Fatalf("defaults %+v", c1)
	}
	// Several audiences are a list; Extra replaces and removes.
	c, err := verify(protecttest.Claims{Audience: []string{"https://a", aud}, ClientID: "cid",
		Extra: map[string]any{"sub": "someone", "jti": nil}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Audience, []string{"https://a", aud}) || c.Subject != "someone" || c.ClientID != "cid" || c.JTI != "" {
		t.Fatalf("claims %+v", c)
	}
	// Bad tokens, one field away.
	for _, tc := range []struct {
		c     protecttest.Claims
		cause error
	}{
		{protecttest.Claims{}, protect.ErrAudience},
		{protecttest.Claims{Audience: []string{aud}, Expiry: time.Now().Add(-time.Hour)}, protect.ErrExpired},
		{protecttest.Claims{Audience: []string{aud}, NotBefore: time.Now().Add(time.Hour)}, protect.ErrNotYetValid},
		{protecttest.Claims{Audience: []string{aud}, Issuer: "https://evil.example"}, protect.ErrIssuer},
		{protecttest.Claims{Audience: []string{aud}, Extra: map[string]any{"exp": nil}}, protect.ErrExpired},
	} {
		if _, err := verify(tc.c); !errors.Is(err, tc.cause) {
			t.Errorf("%+v: %v, want %v", tc.c, err, tc.cause)
		}
	}
	// Sign signs exactly what it is given: here no iss.
	if _, err := v.Verify(ctx, is.Sign(map[string]any{"aud": aud, "exp": time.Now().Add(time.Hour).Unix()})); !errors.Is(err, protect.ErrIssuer) {
		t.Errorf("Sign without iss: %v", err)
	}
	if _, err := v.Verify(ctx, is.Sign(map[string]any{"iss": is.URL(), "aud": aud, "exp": time.Now().Add(time.Hour).Unix()})); err != nil {
		t.Errorf("Sign: %v", err)
	}
}

// TestRotateKey: a rotation is followed at the first token of the new key,
// with one fetch; the old key's tokens stay valid.
func TestRotateKey(t *testing.T) {
	is := protecttest.NewIssuer(t)
	v := is.Validator(t, aud)
	old := is.Token(protecttest.Claims{Audience: []string{aud}})
	fetches := is.Fetches()
	is.RotateKey()
	tok := is.Token(protecttest.Claims{Audience: []string{aud}})
	if h := header(t, tok); h["kid"] != "test-key-2" {
		t.Fatalf("after rotation: %v", h)
	}
	for _, tk := range []string{tok, old, tok} {
		if _, err := v.Verify(context.Background(), tk); err != nil {
			t.Fatal(err)
		}
	}
	if n := is.Fetches() - fetches; n != 1 {
		t.Fatalf("%d fetches, want 1", n)
	}
}

// fatalTB records a Fatal and ends its goroutine, as testing.T does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = format
	runtime.Goexit()
}

func TestUnsupportedAlgorithm(t *testing.T) {
	for _, alg := range []string{"HS256", "none", ""} {
		f := &fatalTB{TB: t}
		done := make(chan bool)
		go func() {
			defer close(done)
			protecttest.NewIssuer(f, protecttest.WithAlgorithm(alg))
			done <- true
		}()
		if <-done || f.msg == "" {
			t.Errorf("WithAlgorithm(%q) accepted", alg)
		}
	}
}

func header(t *testing.T, tok string) map[string]any {
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
