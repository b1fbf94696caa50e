package oidc

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/go-jose/go-jose/v4/jwt"
)

func TestClaimString(t *testing.T) {
	var cl claimSet
	if err := json.Unmarshal([]byte(`{"iss":"https://i","sub":"s","aud":["a","b"],"exp":100,"repository":"acme/shop",
		"run":12,"ok":true,"kubernetes.io":{"namespace":"shop","serviceaccount":{"name":"orders"}},"list":["x"]}`), &cl); err != nil {
		t.Fatal(err)
	}
	if cl.Issuer != "https://i" || cl.Subject != "s" || !cl.Audience.Contains("b") || cl.Expiry == nil || *cl.Expiry != 100 {
		t.Fatalf("registered claims: %+v", cl.assertionClaims)
	}
	for name, want := range map[string]string{"repository": "acme/shop", "run": "12", "ok": "true",
		"kubernetes.io/namespace": "shop", "kubernetes.io/serviceaccount/name": "orders"} {
		if got, ok := claimString(cl.raw, name); !ok || got != want {
			t.Errorf("%s = %q %v, want %q", name, got, ok, want)
		}
	}
	for _, name := range []string{"missing", "list", "kubernetes.io", "kubernetes.io/missing", "repository/x", "kubernetes.io/namespace/x"} {
		if got, ok := claimString(cl.raw, name); ok {
			t.Errorf("%s = %q, want none", name, got)
		}
	}
	if err := json.Unmarshal([]byte(`{"exp":"soon"}`), &cl); err == nil {
		t.Error("a string exp was accepted")
	}
}

func TestVerifiedCache(t *testing.T) {
	c := newVerifiedCache()
	exp := jwt.NumericDate(1000)
	cl := &claimSet{assertionClaims: assertionClaims{Expiry: &exp}}
	k := verifiedKey("d:https://i", "token")
	c.put(k, cl, 900)
	if c.get(k, 959) != cl || c.get(k, 960) != nil {
		t.Error("an entry must live 60 s")
	}
	if c.get(verifiedKey("https://other/jwks", "token"), 900) != nil {
		t.Error("an entry of another key source")
	}
	c.put(k, cl, 980) // 20 s before exp
	if c.get(k, 999) != cl || c.get(k, 1000) != nil {
		t.Error("an entry must not outlive the token's exp")
	}
	c.put(k, &claimSet{}, 990) // no exp: not cached, the entry before stands
	if c.get(k, 990) != cl {
		t.Error("a token without exp replaced a cached entry")
	}
}

// FuzzClientAssertionClaims: any payload decodes or fails, never panics,
// and claim lookups by any path are safe.
func FuzzClientAssertionClaims(f *testing.F) {
	f.Add(`{"iss":"x","sub":"y","aud":"z","exp":1,"kubernetes.io":{"namespace":"n"}}`, "kubernetes.io/namespace")
	f.Add(`{"aud":[1,2]}`, "aud")
	f.Add(`[]`, "/")
	f.Fuzz(func(t *testing.T, payload, path string) {
		var cl claimSet
		if json.Unmarshal([]byte(payload), &cl) == nil {
			claimString(cl.raw, path)
		}
		b64 := base64.RawURLEncoding
		parseCompact(b64.EncodeToString([]byte(`{"alg":"ES256"}`))+"."+b64.EncodeToString([]byte(payload))+"."+path, AssertionAlgs)
	})
}
