package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/big"
)

// jwk holds the public members of a JWK (RFC 7517, 7518 §6, 8037 §2),
// already base64url-encoded.
type jwk struct {
	kty  string // "EC", "RSA" or "OKP"
	crv  string // EC and OKP
	x, y string // EC (x, y) and OKP (x)
	e, n string // RSA
}

// publicJWK extracts the JWK members of a public key. EC coordinates are
// left-padded to the curve size, as RFC 7518 §6.2.1.2 requires.
func publicJWK(pub crypto.PublicKey) (jwk, error) {
	b64 := base64.RawURLEncoding
	switch pub := pub.(type) {
	case *ecdsa.PublicKey:
		if pub == nil || pub.Curve == nil {
			break
		}
		if _, err := ecAlg(pub.Curve); err != nil {
			return jwk{}, err
		}
		pt, err := pub.Bytes() // 0x04 || X || Y, each padded to the curve size
		if err != nil {
			return jwk{}, fmt.Errorf("token: EC public key: %w", err)
		}
		size := (len(pt) - 1) / 2
		return jwk{
			kty: "EC",
			crv: pub.Curve.Params().Name,
			x:   b64.EncodeToString(pt[1 : 1+size]),
			y:   b64.EncodeToString(pt[1+size:]),
		}, nil
	case ed25519.PublicKey:
		if len(pub) != ed25519.PublicKeySize {
			break
		}
		return jwk{kty: "OKP", crv: "Ed25519", x: b64.EncodeToString(pub)}, nil
	case *rsa.PublicKey:
		if pub == nil || pub.N == nil || pub.E <= 0 {
			break
		}
		return jwk{
			kty: "RSA",
			e:   b64.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
			n:   b64.EncodeToString(pub.N.Bytes()),
		}, nil
	}
	return jwk{}, fmt.Errorf("%w: public key %T", ErrUnsupportedKey, pub)
}

// Thumbprint returns the RFC 7638 JWK thumbprint of pub: the unpadded
// base64url SHA-256 of the required members in lexicographic order (EC
// {crv,kty,x,y}, RSA {e,kty,n}, OKP {crv,kty,x}). Gatehouse, like Logto,
// uses it as the "kid".
func Thumbprint(pub crypto.PublicKey) (string, error) {
	j, err := publicJWK(pub)
	if err != nil {
		return "", err
	}
	// Every member value is a curve name or base64url text, so none needs
	// JSON escaping.
	var b []byte
	switch j.kty {
	case "EC":
		b = append(b, `{"crv":"`+j.crv+`","kty":"EC","x":"`+j.x+`","y":"`+j.y+`"}`...)
	case "OKP":
		b = append(b, `{"crv":"`+j.crv+`","kty":"OKP","x":"`+j.x+`"}`...)
	default:
		b = append(b, `{"e":"`+j.e+`","kty":"RSA","n":"`+j.n+`"}`...)
	}
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// appendJWK appends the public JWKS entry for a key, with the member order
// Logto publishes (spec §3.2). RSA entries carry no "alg" because several
// RS/PS algorithms fit an RSA key.
func appendJWK(dst []byte, j jwk, kid, alg string) []byte {
	dst = append(dst, `{"kty":"`...)
	dst = append(dst, j.kty...)
	dst = append(dst, `","use":"sig","kid":`...)
	dst = appendJSONString(dst, kid)
	switch j.kty {
	case "RSA":
		dst = append(dst, `,"e":"`...)
		dst = append(dst, j.e...)
		dst = append(dst, `","n":"`...)
		dst = append(dst, j.n...)
	default:
		dst = append(dst, `,"alg":"`...)
		dst = append(dst, alg...)
		dst = append(dst, `","crv":"`...)
		dst = append(dst, j.crv...)
		dst = append(dst, `","x":"`...)
		dst = append(dst, j.x...)
		if j.kty == "EC" {
			dst = append(dst, `","y":"`...)
			dst = append(dst, j.y...)
		}
	}
	return append(dst, `"}`...)
}
