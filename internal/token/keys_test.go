package token

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"math/big"
	"sync"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// allAlgs lists the algorithms Gatehouse can mint with.
func allAlgs() []string { return []string{AlgES256, AlgES384, AlgES512, AlgEdDSA, AlgRS256} }

// testKeys caches one generated key per algorithm: RSA generation is slow.
type testKeys struct {
	mu   sync.Mutex
	keys map[string]crypto.Signer
}

func (tk *testKeys) get(t testing.TB, alg string) crypto.Signer {
	t.Helper()
	tk.mu.Lock()
	defer tk.mu.Unlock()
	if k, ok := tk.keys[alg]; ok {
		return k
	}
	k, err := Generate(alg, rand.Reader)
	if err != nil {
		t.Fatalf("Generate(%s): %v", alg, err)
	}
	if tk.keys == nil {
		tk.keys = map[string]crypto.Signer{}
	}
	tk.keys[alg] = k
	return k
}

// newTestKeys returns a fresh per-test cache (no package state shared
// between tests beyond what each test makes).
func newTestKeys() *testKeys { return &testKeys{} }

func TestGenerateAndAlgOf(t *testing.T) {
	tk := newTestKeys()
	for _, alg := range allAlgs() {
		got, err := AlgOf(tk.get(t, alg))
		if err != nil || got != alg {
			t.Errorf("AlgOf(Generate(%s)) = %q, %v", alg, got, err)
		}
	}
	k, err := Generate("", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if alg, _ := AlgOf(k); alg != DefaultAlg {
		t.Errorf("Generate(\"\") made %s, want %s", alg, DefaultAlg)
	}
	if rk := tk.get(t, AlgRS256).(*rsa.PrivateKey); rk.N.BitLen() != DefaultRSABits {
		t.Errorf("RSA key has %d bits, want %d", rk.N.BitLen(), DefaultRSABits)
	}
	for _, alg := range []string{"HS256", "PS256", "es256", "none"} {
		if _, err := Generate(alg, rand.Reader); !errors.Is(err, ErrUnsupportedKey) {
			t.Errorf("Generate(%q) error = %v, want ErrUnsupportedKey", alg, err)
		}
	}
	if _, err := GenerateRSA(1024, rand.Reader); !errors.Is(err, ErrUnsupportedKey) {
		t.Errorf("GenerateRSA(1024) error = %v, want ErrUnsupportedKey", err)
	}
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := AlgOf(p224); !errors.Is(err, ErrUnsupportedKey) {
		t.Errorf("AlgOf(P-224) error = %v, want ErrUnsupportedKey", err)
	}
	if _, err := AlgOf(nil); !errors.Is(err, ErrUnsupportedKey) {
		t.Errorf("AlgOf(nil) error = %v, want ErrUnsupportedKey", err)
	}
}

func TestGenerateEd25519UsesRand(t *testing.T) {
	seed := make([]byte, 64)
	a, err := Generate(AlgEdDSA, &fixedReader{seed})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate(AlgEdDSA, &fixedReader{seed})
	if err != nil {
		t.Fatal(err)
	}
	if !a.(ed25519.PrivateKey).Equal(b) {
		t.Error("Ed25519 keys from the same random bytes differ")
	}
}

type fixedReader struct{ b []byte }

func (r *fixedReader) Read(p []byte) (int, error) {
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

func TestMarshalParseRoundTrip(t *testing.T) {
	tk := newTestKeys()
	for _, alg := range allAlgs() {
		k := tk.get(t, alg)
		der, err := MarshalPrivate(k)
		if err != nil {
			t.Fatalf("%s: MarshalPrivate: %v", alg, err)
		}
		back, err := ParsePrivate(der)
		if err != nil {
			t.Fatalf("%s: ParsePrivate: %v", alg, err)
		}
		eq, ok := back.(interface{ Equal(crypto.PrivateKey) bool })
		if !ok || !eq.Equal(k) {
			t.Errorf("%s: round trip changed the key", alg)
		}
		if got, _ := AlgOf(back); got != alg {
			t.Errorf("%s: parsed key has alg %s", alg, got)
		}
	}

	if _, err := ParsePrivate([]byte("not DER")); err == nil {
		t.Error("ParsePrivate(garbage) succeeded")
	}
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	der, err := x509.MarshalPKCS8PrivateKey(p224)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePrivate(der); !errors.Is(err, ErrUnsupportedKey) {
		t.Errorf("ParsePrivate(P-224) error = %v, want ErrUnsupportedKey", err)
	}
	x, _ := ecdh.X25519().GenerateKey(rand.Reader)
	if der, err = x509.MarshalPKCS8PrivateKey(x); err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePrivate(der); !errors.Is(err, ErrUnsupportedKey) {
		t.Errorf("ParsePrivate(X25519) error = %v, want ErrUnsupportedKey", err)
	}
	if _, err := MarshalPrivate(p224); !errors.Is(err, ErrUnsupportedKey) {
		t.Errorf("MarshalPrivate(P-224) error = %v, want ErrUnsupportedKey", err)
	}
}

func TestThumbprintMatchesGoJose(t *testing.T) {
	tk := newTestKeys()
	for _, alg := range allAlgs() {
		pub := tk.get(t, alg).Public()
		got, err := Thumbprint(pub)
		if err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		sum, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
		if err != nil {
			t.Fatalf("%s: go-jose: %v", alg, err)
		}
		if want := base64.RawURLEncoding.EncodeToString(sum); got != want {
			t.Errorf("%s: Thumbprint = %s, go-jose %s", alg, got, want)
		}
	}
	// P-521 coordinates are often shorter than 66 bytes as integers; the
	// thumbprint must use the padded form. Try enough keys to hit one.
	for range 16 {
		k, _ := Generate(AlgES512, rand.Reader)
		got, _ := Thumbprint(k.Public())
		sum, _ := (&jose.JSONWebKey{Key: k.Public()}).Thumbprint(crypto.SHA256)
		if want := base64.RawURLEncoding.EncodeToString(sum); got != want {
			t.Fatalf("P-521: Thumbprint = %s, go-jose %s", got, want)
		}
	}
	if _, err := Thumbprint("nope"); !errors.Is(err, ErrUnsupportedKey) {
		t.Errorf("Thumbprint(string) error = %v", err)
	}
}

// TestThumbprintRFC7638 is the worked example of RFC 7638 §3.1.
func TestThumbprintRFC7638(t *testing.T) {
	n, err := base64.RawURLEncoding.DecodeString("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Thumbprint(&rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537})
	if err != nil {
		t.Fatal(err)
	}
	if want := "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"; got != want {
		t.Errorf("Thumbprint = %s, want %s", got, want)
	}
}

// TestObservedLogtoJWKS rebuilds the JWKS entry Logto 1.42 published
// (observed-responses.md) from its public key: same kid, same bytes.
func TestObservedLogtoJWKS(t *testing.T) {
	const observed = `{"kty":"EC","use":"sig","kid":"X72LVZbtOAuIOvPcQsIBs6iM7HyujtECoFbASfIFQDk","alg":"ES384","crv":"P-384","x":"gPczdKwNMF_byG4CaNGcqORvlnkAfEUbMUU257bjrYJVwXh3BdAypTKppgynHXjD","y":"fSGH1RysZ4zyw3eOUhXP_suOGl_sKUgbVQtM_r2UtJ5gMpn4RqGA86gW86W9ugfM"}`
	x, _ := base64.RawURLEncoding.DecodeString("gPczdKwNMF_byG4CaNGcqORvlnkAfEUbMUU257bjrYJVwXh3BdAypTKppgynHXjD")
	y, _ := base64.RawURLEncoding.DecodeString("fSGH1RysZ4zyw3eOUhXP_suOGl_sKUgbVQtM_r2UtJ5gMpn4RqGA86gW86W9ugfM")
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P384(), append(append([]byte{4}, x...), y...))
	if err != nil {
		t.Fatal(err)
	}
	kid, err := Thumbprint(pub)
	if err != nil {
		t.Fatal(err)
	}
	j, err := publicJWK(pub)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(appendJWK(nil, j, kid, AlgES384)); got != observed {
		t.Errorf("JWKS entry\n got %s\nwant %s", got, observed)
	}
}
