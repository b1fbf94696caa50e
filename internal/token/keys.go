package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
)

// JWS algorithms a signing key can have (RFC 7518 §3.1, RFC 8037).
const (
	AlgES256 = "ES256" // ECDSA P-256 with SHA-256
	AlgES384 = "ES384" // ECDSA P-384 with SHA-384; Logto's default
	AlgES512 = "ES512" // ECDSA P-521 with SHA-512
	AlgEdDSA = "EdDSA" // Ed25519
	AlgRS256 = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256
	AlgPS256 = "PS256" // RSASSA-PSS with SHA-256; only advertised, never used to mint

	// DefaultAlg is the algorithm Generate uses when none is given.
	DefaultAlg = AlgES256

	// DefaultRSABits is the modulus size of RSA keys made by Generate.
	DefaultRSABits = 2048
)

// ErrUnsupportedKey is returned for key types, curves or algorithms that
// Gatehouse cannot sign access tokens with.
var ErrUnsupportedKey = errors.New("token: unsupported key")

// Generate makes a new private key for the JWS algorithm alg (DefaultAlg
// when alg is empty). RSA keys have DefaultRSABits bits.
//
// rand is passed to the standard library. Since Go 1.26 crypto/ecdsa and
// crypto/rsa ignore it in favour of their own secure source (unless
// GODEBUG=cryptocustomrand=1), so only Ed25519 keys are reproducible from it.
func Generate(alg string, rand io.Reader) (crypto.Signer, error) {
	var curve elliptic.Curve
	switch alg {
	case "", AlgES256:
		curve = elliptic.P256()
	case AlgES384:
		curve = elliptic.P384()
	case AlgES512:
		curve = elliptic.P521()
	case AlgEdDSA:
		_, priv, err := ed25519.GenerateKey(rand)
		if err != nil {
			return nil, fmt.Errorf("token: generate Ed25519 key: %w", err)
		}
		return priv, nil
	case AlgRS256:
		return GenerateRSA(DefaultRSABits, rand)
	default:
		return nil, fmt.Errorf("%w: algorithm %q", ErrUnsupportedKey, alg)
	}
	priv, err := ecdsa.GenerateKey(curve, rand)
	if err != nil {
		return nil, fmt.Errorf("token: generate %s key: %w", curve.Params().Name, err)
	}
	return priv, nil
}

// GenerateRSA makes a new RSA private key of the given size, which must be
// at least 2048 bits (RFC 7518 §3.3).
func GenerateRSA(bits int, rand io.Reader) (crypto.Signer, error) {
	if bits < 2048 {
		return nil, fmt.Errorf("%w: RSA key of %d bits, want at least 2048", ErrUnsupportedKey, bits)
	}
	priv, err := rsa.GenerateKey(rand, bits)
	if err != nil {
		return nil, fmt.Errorf("token: generate RSA key: %w", err)
	}
	return priv, nil
}

// MarshalPrivate encodes a private key as PKCS#8 DER, the form the app seals
// under the master key.
func MarshalPrivate(k crypto.Signer) ([]byte, error) {
	if _, err := AlgOf(k); err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("token: marshal private key: %w", err)
	}
	return der, nil
}

// ParsePrivate decodes a PKCS#8 DER private key written by MarshalPrivate
// and checks that it is a key Gatehouse can sign with.
func ParsePrivate(der []byte) (crypto.Signer, error) {
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("token: parse private key: %w", err)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, k)
	}
	if _, err := AlgOf(s); err != nil {
		return nil, err
	}
	return s, nil
}

// AlgOf reports the JWS algorithm Gatehouse signs with for k: the ES
// algorithm matching an EC key's curve, EdDSA for Ed25519 and RS256 for RSA.
func AlgOf(k crypto.Signer) (string, error) {
	switch k := k.(type) {
	case *ecdsa.PrivateKey:
		if k == nil {
			break
		}
		return ecAlg(k.Curve)
	case ed25519.PrivateKey:
		if len(k) != ed25519.PrivateKeySize {
			return "", fmt.Errorf("%w: Ed25519 key of %d bytes", ErrUnsupportedKey, len(k))
		}
		return AlgEdDSA, nil
	case *rsa.PrivateKey:
		if k == nil || k.N == nil {
			break
		}
		return AlgRS256, nil
	}
	return "", fmt.Errorf("%w: %T", ErrUnsupportedKey, k)
}

// ecAlg maps a NIST curve to its JWS algorithm (RFC 7518 §3.4).
func ecAlg(c elliptic.Curve) (string, error) {
	switch c {
	case elliptic.P256():
		return AlgES256, nil
	case elliptic.P384():
		return AlgES384, nil
	case elliptic.P521():
		return AlgES512, nil
	}
	if c == nil {
		return "", fmt.Errorf("%w: EC key without curve", ErrUnsupportedKey)
	}
	return "", fmt.Errorf("%w: curve %s", ErrUnsupportedKey, c.Params().Name)
}
