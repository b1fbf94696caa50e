package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// benchClaims is a typical scoped M2M token.
func benchClaims() *Claims {
	c := observedClaims()
	c.Scope, c.HasScope = "read:orders write:orders", true
	return &c
}

func benchMint(b *testing.B, alg string) {
	key := mustKey(b, newTestKeys(), "k", alg, rbac.KeyCurrent)
	c := benchClaims()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := key.Mint(nil, c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMintES256(b *testing.B) { benchMint(b, AlgES256) }
func BenchmarkMintES384(b *testing.B) { benchMint(b, AlgES384) }
func BenchmarkMintES512(b *testing.B) { benchMint(b, AlgES512) }
func BenchmarkMintEdDSA(b *testing.B) { benchMint(b, AlgEdDSA) }
func BenchmarkMintRS256(b *testing.B) { benchMint(b, AlgRS256) }

// BenchmarkMintES256Parallel shows throughput on all of GOMAXPROCS.
func BenchmarkMintES256Parallel(b *testing.B) {
	key := mustKey(b, newTestKeys(), "k", AlgES256, rbac.KeyCurrent)
	c := benchClaims()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var buf []byte
		for pb.Next() {
			var err error
			if buf, err = key.Mint(buf[:0], c); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkMintES256Reuse mints into a reused buffer.
func BenchmarkMintES256Reuse(b *testing.B) {
	key := mustKey(b, newTestKeys(), "k", AlgES256, rbac.KeyCurrent)
	c := benchClaims()
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = key.Mint(buf[:0], c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMintClaimsJSON is the payload JSON alone.
func BenchmarkMintClaimsJSON(b *testing.B) {
	c := benchClaims()
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = appendClaims(buf[:0], c)
	}
}

// BenchmarkGoJoseSignES256 is the baseline: the same claims through
// json.Marshal of a struct and a go-jose signer made once.
func BenchmarkGoJoseSignES256(b *testing.B) {
	key := mustKey(b, newTestKeys(), "k", AlgES256, rbac.KeyCurrent)
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key.Signer, KeyID: key.KID}},
		(&jose.SignerOptions{}).WithType("at+jwt"))
	if err != nil {
		b.Fatal(err)
	}
	c := benchClaims()
	type claims struct {
		JTI      string `json:"jti"`
		Sub      string `json:"sub"`
		Iat      int64  `json:"iat"`
		Exp      int64  `json:"exp"`
		Scope    string `json:"scope"`
		ClientID string `json:"client_id"`
		Iss      string `json:"iss"`
		Aud      string `json:"aud"`
	}
	b.ReportAllocs()
	for b.Loop() {
		payload, err := json.Marshal(&claims{c.JTI, c.Subject, c.IssuedAt, c.Expiry, c.Scope, c.ClientID, c.Issuer, c.Audience})
		if err != nil {
			b.Fatal(err)
		}
		obj, err := signer.Sign(payload)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := obj.CompactSerialize(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareECDSASignES256 is the floor: one P-256 signature of a
// precomputed SHA-256 digest, DER-encoded, as Mint uses it.
func BenchmarkBareECDSASignES256(b *testing.B) {
	priv := mustKey(b, newTestKeys(), "k", AlgES256, rbac.KeyCurrent).Signer.(*ecdsa.PrivateKey)
	digest := sha256.Sum256([]byte("header.payload"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ecdsa.SignASN1(rand.Reader, priv, digest[:]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareECDSASignBigIntES256 is the alternative Mint does not take:
// ecdsa.Sign, which returns R and S as big.Ints.
func BenchmarkBareECDSASignBigIntES256(b *testing.B) {
	priv := mustKey(b, newTestKeys(), "k", AlgES256, rbac.KeyCurrent).Signer.(*ecdsa.PrivateKey)
	digest := sha256.Sum256([]byte("header.payload"))
	out := make([]byte, 64)
	b.ReportAllocs()
	for b.Loop() {
		r, s, err := ecdsa.Sign(rand.Reader, priv, digest[:])
		if err != nil {
			b.Fatal(err)
		}
		r.FillBytes(out[:32])
		s.FillBytes(out[32:])
	}
}

// BenchmarkBareECDSASignDeterministicES256 is RFC 6979 signing (random
// nil), which skips the system random source; Mint keeps hedged signatures.
func BenchmarkBareECDSASignDeterministicES256(b *testing.B) {
	priv := mustKey(b, newTestKeys(), "k", AlgES256, rbac.KeyCurrent).Signer.(*ecdsa.PrivateKey)
	digest := sha256.Sum256([]byte("header.payload"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := priv.Sign(nil, digest[:], crypto.SHA256); err != nil {
			b.Fatal(err)
		}
	}
}
