package oidc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"
)

// compactJWS is a compact JWS (RFC 7515 §7.1) split into its parts, its
// header and payload decoded, its signature not yet checked. The token
// endpoint reads client assertions and DPoP proofs this way rather than
// through go-jose: one decoding of each part, and the signature checked
// with the standard library against keys already parsed.
type compactJWS struct {
	header  jwsHeader
	head    string // the header's base64url text
	input   string // header.payload, what the signature covers
	payload []byte
	sig     []byte
}

// jwsHeader is the protected header's members the server reads.
type jwsHeader struct {
	Alg  string          `json:"alg"`
	Kid  string          `json:"kid"`
	Typ  string          `json:"typ"`
	JWK  json.RawMessage `json:"jwk"`
	Crit json.RawMessage `json:"crit"`
}

// errJWS says why a compact JWS was not read.
type errJWS string

func (e errJWS) Error() string { return string(e) }

const (
	errJWSMalformed errJWS = "malformed"
	errJWSAlg       errJWS = "algorithm not allowed"
	errJWSCrit      errJWS = "crit header not supported"
)

// parseCompact splits and decodes raw. Its alg must be one of algs, and
// it may name no critical extension (RFC 7515 §4.1.11: none is
// understood here, b64 included).
func parseCompact(raw string, algs []jose.SignatureAlgorithm) (*compactJWS, error) {
	head, rest, ok1 := strings.Cut(raw, ".")
	payload, sig, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.IndexByte(sig, '.') >= 0 {
		return nil, errJWSMalformed
	}
	j := &compactJWS{head: head, input: raw[:len(head)+1+len(payload)]}
	hb, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil || json.Unmarshal(hb, &j.header) != nil {
		return nil, errJWSMalformed
	}
	if !slices.Contains(algs, jose.SignatureAlgorithm(j.header.Alg)) {
		return nil, errJWSAlg
	}
	if j.header.Crit != nil {
		return nil, errJWSCrit
	}
	if j.payload, err = base64.RawURLEncoding.DecodeString(payload); err != nil {
		return nil, errJWSMalformed
	}
	if j.sig, err = base64.RawURLEncoding.DecodeString(sig); err != nil {
		return nil, errJWSMalformed
	}
	return j, nil
}

// alg is the header's algorithm, one of those parseCompact allowed.
func (j *compactJWS) alg() jose.SignatureAlgorithm { return jose.SignatureAlgorithm(j.header.Alg) }

// verifyWith reports whether the signature is key's, for a key of the kind
// the header's alg signs with (and, if the JWK names an alg, that one).
func (j *compactJWS) verifyWith(k *jose.JSONWebKey) bool {
	if k.Algorithm != "" && k.Algorithm != j.header.Alg {
		return false
	}
	return keyFits(j.alg(), k.Key) && verifySignature(j.alg(), k.Key, j.input, j.sig)
}

// minRSABits is the smallest RSA modulus accepted (RFC 7518 §3.3).
const minRSABits = 2048

// keyFits reports whether key, a public key, is of the kind alg signs with.
func keyFits(alg jose.SignatureAlgorithm, key any) bool {
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		return alg == jose.ES256 && k.Curve == elliptic.P256() || alg == jose.ES384 && k.Curve == elliptic.P384()
	case ed25519.PublicKey:
		return alg == jose.EdDSA && len(k) == ed25519.PublicKeySize
	case *rsa.PublicKey:
		return (alg == jose.RS256 || alg == jose.PS256) && k.N.BitLen() >= minRSABits
	}
	return false
}

// verifySignature checks a JWS signature (RFC 7518 §3) over input with
// key, which keyFits has matched to alg.
func verifySignature(alg jose.SignatureAlgorithm, key any, input string, sig []byte) bool {
	switch alg {
	case jose.EdDSA:
		return ed25519.Verify(key.(ed25519.PublicKey), []byte(input), sig)
	case jose.ES256, jose.ES384:
		pub := key.(*ecdsa.PublicKey)
		size := (pub.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return false
		}
		var digest []byte
		if alg == jose.ES256 {
			d := sha256.Sum256([]byte(input))
			digest = d[:]
		} else {
			d := sha512.Sum384([]byte(input))
			digest = d[:]
		}
		return ecdsa.Verify(pub, digest, new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:]))
	case jose.RS256:
		d := sha256.Sum256([]byte(input))
		return rsa.VerifyPKCS1v15(key.(*rsa.PublicKey), crypto.SHA256, d[:], sig) == nil
	case jose.PS256:
		d := sha256.Sum256([]byte(input))
		return rsa.VerifyPSS(key.(*rsa.PublicKey), crypto.SHA256, d[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}) == nil
	}
	return false
}
