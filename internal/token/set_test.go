package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

func mustKey(t testing.TB, tk *testKeys, id, alg string, status rbac.KeyStatus) *Key {
	t.Helper()
	k, err := NewKey(id, tk.get(t, alg), status, 1700000000000, nil)
	if err != nil {
		t.Fatalf("NewKey(%s): %v", alg, err)
	}
	return k
}

func TestNewKey(t *testing.T) {
	tk := newTestKeys()
	eff := int64(1700000500000)
	k, err := NewKey("key1", tk.get(t, AlgES384), rbac.KeyNext, 1700000000000, &eff)
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := Thumbprint(tk.get(t, AlgES384).Public())
	if k.ID != "key1" || k.KID != kid || k.Alg != AlgES384 || k.Status != rbac.KeyNext ||
		k.CreatedAt != 1700000000000 || k.EffectiveAt != &eff || k.Signer != tk.get(t, AlgES384) {
		t.Errorf("NewKey fields = %+v", k)
	}
	if _, err := NewKey("x", tk.get(t, AlgES256), "Active", 0, nil); !errors.Is(err, ErrKeyStatus) {
		t.Errorf("bad status: error = %v, want ErrKeyStatus", err)
	}
	if _, err := NewKey("x", nil, rbac.KeyCurrent, 0, nil); !errors.Is(err, ErrUnsupportedKey) {
		t.Errorf("nil signer: error = %v, want ErrUnsupportedKey", err)
	}
}

func TestNewSetErrors(t *testing.T) {
	tk := newTestKeys()
	cur := mustKey(t, tk, "c", AlgES256, rbac.KeyCurrent)
	cur2 := mustKey(t, tk, "c2", AlgES384, rbac.KeyCurrent)
	next := mustKey(t, tk, "n", AlgES384, rbac.KeyNext)
	next2 := mustKey(t, tk, "n2", AlgEdDSA, rbac.KeyNext)
	prev := mustKey(t, tk, "p", AlgEdDSA, rbac.KeyPrevious)
	prev2 := mustKey(t, tk, "p2", AlgES512, rbac.KeyPrevious)
	sameKid := mustKey(t, tk, "p3", AlgES256, rbac.KeyPrevious) // same key material as cur
	bad := *prev
	bad.Status = "Old"
	for name, keys := range map[string][]*Key{
		"empty":           nil,
		"no current":      {next, prev},
		"two current":     {cur, cur2},
		"two next":        {cur, next, next2},
		"two previous":    {cur, prev, prev2},
		"nil key":         {cur, nil},
		"not from NewKey": {cur, {ID: "z", Status: rbac.KeyNext}},
		"bad status":      {cur, &bad},
		"duplicate kid":   {cur, sameKid},
	} {
		if _, err := NewSet(keys); !errors.Is(err, ErrKeySet) {
			t.Errorf("%s: error = %v, want ErrKeySet", name, err)
		}
	}
	if _, err := NewSet([]*Key{cur}); err != nil {
		t.Errorf("single Current: %v", err)
	}
}

func TestSetOrderAndJWKS(t *testing.T) {
	tk := newTestKeys()
	cur := mustKey(t, tk, "c", AlgES384, rbac.KeyCurrent)
	next := mustKey(t, tk, "n", AlgRS256, rbac.KeyNext)
	prev := mustKey(t, tk, "p", AlgEdDSA, rbac.KeyPrevious)
	s, err := NewSet([]*Key{prev, cur, next})
	if err != nil {
		t.Fatal(err)
	}
	if s.Current() != cur {
		t.Errorf("Current = %s", s.Current().ID)
	}
	if got := s.Keys(); !slices.Equal(got, []*Key{cur, next, prev}) {
		t.Errorf("Keys order = %v", ids(got))
	}
	s.Keys()[0] = nil // the caller's copy
	if s.Current() != cur {
		t.Error("Keys returned the internal slice")
	}

	var body struct{ Keys []json.RawMessage }
	if err := json.Unmarshal(s.JWKS(), &body); err != nil {
		t.Fatalf("JWKS is not JSON: %v\n%s", err, s.JWKS())
	}
	if !strings.HasPrefix(string(s.JWKS()), `{"keys":[{`) {
		t.Errorf("JWKS = %s", s.JWKS())
	}
	want := []string{ecEntry(t, cur), rsaEntry(next), okpEntry(prev)}
	if len(body.Keys) != len(want) {
		t.Fatalf("JWKS has %d keys", len(body.Keys))
	}
	for i := range want {
		if string(body.Keys[i]) != want[i] {
			t.Errorf("JWKS key %d\n got %s\nwant %s", i, body.Keys[i], want[i])
		}
	}

	// go-jose reads the same set back, public keys only.
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(s.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	for _, k := range s.Keys() {
		found := set.Key(k.KID)
		if len(found) != 1 || !found[0].IsPublic() || !found[0].Valid() {
			t.Fatalf("go-jose: kid %s: %+v", k.KID, found)
		}
		if !publicEqual(found[0].Key, k.Public()) {
			t.Errorf("go-jose: kid %s has a different public key", k.KID)
		}
		if found[0].Use != "sig" {
			t.Errorf("kid %s: use %q", k.KID, found[0].Use)
		}
	}
}

func ids(ks []*Key) []string {
	var out []string
	for _, k := range ks {
		out = append(out, k.ID)
	}
	return out
}

func publicEqual(a, b any) bool {
	e, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && e.Equal(b)
}

func ecEntry(t *testing.T, k *Key) string {
	pt, err := k.Public().(*ecdsa.PublicKey).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	size := (len(pt) - 1) / 2
	b64 := base64.RawURLEncoding.EncodeToString
	return fmt.Sprintf(`{"kty":"EC","use":"sig","kid":"%s","alg":"%s","crv":"%s","x":"%s","y":"%s"}`,
		k.KID, k.Alg, k.Public().(*ecdsa.PublicKey).Curve.Params().Name, b64(pt[1:1+size]), b64(pt[1+size:]))
}

func rsaEntry(k *Key) string {
	pub := k.Public().(*rsa.PublicKey)
	b64 := base64.RawURLEncoding.EncodeToString
	return fmt.Sprintf(`{"kty":"RSA","use":"sig","kid":"%s","e":"%s","n":"%s"}`,
		k.KID, b64(big.NewInt(int64(pub.E)).Bytes()), b64(pub.N.Bytes()))
}

func okpEntry(k *Key) string {
	return fmt.Sprintf(`{"kty":"OKP","use":"sig","kid":"%s","alg":"EdDSA","crv":"Ed25519","x":"%s"}`,
		k.KID, base64.RawURLEncoding.EncodeToString(k.Public().(ed25519.PublicKey)))
}

func TestJWKSCoordinatesPadded(t *testing.T) {
	sizes := map[string]int{AlgES256: 32, AlgES384: 48, AlgES512: 66}
	for alg, size := range sizes {
		// Several keys, so that P-521 (whose top byte is 0 or 1) surely has
		// coordinates that are shorter as integers.
		for range 8 {
			sig, err := Generate(alg, nil)
			if err != nil {
				t.Fatal(err)
			}
			k, err := NewKey("k", sig, rbac.KeyCurrent, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			s, err := NewSet([]*Key{k})
			if err != nil {
				t.Fatal(err)
			}
			var body struct{ Keys []struct{ X, Y string } }
			if err := json.Unmarshal(s.JWKS(), &body); err != nil {
				t.Fatal(err)
			}
			x, _ := base64.RawURLEncoding.DecodeString(body.Keys[0].X)
			y, _ := base64.RawURLEncoding.DecodeString(body.Keys[0].Y)
			if len(x) != size || len(y) != size {
				t.Fatalf("%s: coordinates of %d and %d bytes, want %d", alg, len(x), len(y), size)
			}
		}
	}
}

func TestSetAlgs(t *testing.T) {
	tk := newTestKeys()
	for _, c := range []struct {
		algs []string // Current, then Next, then Previous
		want []string
	}{
		{[]string{AlgES384}, []string{"ES384"}},
		{[]string{AlgES384, AlgRS256}, []string{"ES384", "PS256", "RS256"}},
		{[]string{AlgRS256, AlgES384}, []string{"ES384", "PS256", "RS256"}},
		{[]string{AlgEdDSA, AlgES256}, []string{"ES256", "EdDSA"}},
		{[]string{AlgES256, AlgES512, AlgEdDSA}, []string{"ES256", "ES512", "EdDSA"}},
	} {
		statuses := []rbac.KeyStatus{rbac.KeyCurrent, rbac.KeyNext, rbac.KeyPrevious}
		var keys []*Key
		for i, alg := range c.algs {
			keys = append(keys, mustKey(t, tk, alg, alg, statuses[i]))
		}
		s, err := NewSet(keys)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Algs(); !slices.Equal(got, c.want) {
			t.Errorf("%v: Algs = %v, want %v", c.algs, got, c.want)
		}
	}
	// Same algorithm twice is listed once.
	k1 := mustKey(t, tk, "a", AlgES256, rbac.KeyCurrent)
	k2s, _ := Generate(AlgES256, nil)
	k2, _ := NewKey("b", k2s, rbac.KeyPrevious, 0, nil)
	s, err := NewSet([]*Key{k1, k2})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Algs(); !slices.Equal(got, []string{"ES256"}) {
		t.Errorf("Algs = %v", got)
	}
}

func TestSetETag(t *testing.T) {
	tk := newTestKeys()
	cur := mustKey(t, tk, "c", AlgES384, rbac.KeyCurrent)
	next := mustKey(t, tk, "n", AlgES256, rbac.KeyNext)
	a, _ := NewSet([]*Key{cur})
	a2, _ := NewSet([]*Key{cur})
	b, _ := NewSet([]*Key{cur, next})
	// Promotion: the same two keys, other roles, other JWKS order.
	promoted, err := NewSet([]*Key{
		mustKey(t, tk, "n", AlgES256, rbac.KeyCurrent),
		mustKey(t, tk, "c", AlgES384, rbac.KeyPrevious),
	})
	if err != nil {
		t.Fatal(err)
	}
	et := a.ETag()
	if len(et) < 3 || et[0] != '"' || et[len(et)-1] != '"' || strings.HasPrefix(et, "W/") {
		t.Errorf("ETag %s is not a quoted strong tag", et)
	}
	if a2.ETag() != et {
		t.Error("ETag differs for the same keys")
	}
	if b.ETag() == et || promoted.ETag() == b.ETag() || promoted.ETag() == et {
		t.Errorf("ETag does not change with the keys: %s %s %s", et, b.ETag(), promoted.ETag())
	}
}

func TestSetPublicKey(t *testing.T) {
	tk := newTestKeys()
	cur := mustKey(t, tk, "c", AlgES384, rbac.KeyCurrent)
	prev := mustKey(t, tk, "p", AlgRS256, rbac.KeyPrevious)
	s, err := NewSet([]*Key{cur, prev})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []*Key{cur, prev} {
		pub, alg, ok := s.PublicKey(k.KID)
		if !ok || alg != k.Alg || !publicEqual(pub, k.Signer.Public()) {
			t.Errorf("PublicKey(%s) = %v, %q, %v", k.KID, pub, alg, ok)
		}
	}
	if _, _, ok := s.PublicKey("unknown"); ok {
		t.Error("PublicKey(unknown) found a key")
	}
	if _, _, ok := s.PublicKey(cur.ID); ok {
		t.Error("PublicKey found a key by its store id")
	}
}
