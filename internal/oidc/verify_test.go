package oidc

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/token"
)

// FuzzVerifyToken feeds untrusted bearer tokens to the verifier used by
// introspection and revocation: it must never panic, and must accept only
// the token it minted itself.
func FuzzVerifyToken(f *testing.F) {
	key, set := oneKey(f)
	h := &handler{issuer: "https://gh.example/oidc", keys: fixedKeys{set}}
	now := time.Now().Unix()
	good, err := key.Mint(nil, &token.Claims{JTI: "j", Subject: "app", ClientID: "app", Issuer: h.issuer,
		Audience: "https://api", IssuedAt: now, Expiry: now + 60, Scope: "a b", HasScope: true})
	if err != nil {
		f.Fatal(err)
	}
	if tk, ok := h.verifyToken(string(good)); !ok || tk.clientID != "app" || tk.aud != "https://api" || *tk.scope != "a b" || tk.exp != now+60 {
		f.Fatalf("own token: %+v %v", tk, ok)
	}
	f.Add(string(good))
	f.Add(strings.Replace(string(good), ".", "x.", 1))
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("")
	f.Fuzz(func(t *testing.T, raw string) {
		tk, ok := h.verifyToken(raw)
		if ok && raw != string(good) {
			// Only a re-encoding of the same signed token could verify.
			if tk.jti != "j" || tk.clientID != "app" {
				t.Fatalf("accepted a token that was not minted here: %q → %+v", raw, tk)
			}
		}
	})
}

// BenchmarkVerifyToken measures the signature and claims check that each
// introspection and revocation request runs (ES256).
func BenchmarkVerifyToken(b *testing.B) {
	key, set := oneKey(b)
	h := &handler{issuer: "https://gh.example/oidc", keys: fixedKeys{set}}
	now := time.Now().Unix()
	raw, _ := key.Mint(nil, &token.Claims{JTI: "j", Subject: "app", ClientID: "app", Issuer: h.issuer,
		Audience: "https://api", IssuedAt: now, Expiry: now + 3600, Scope: "a b", HasScope: true})
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := h.verifyToken(string(raw)); !ok {
			b.Fatal("not verified")
		}
	}
}
