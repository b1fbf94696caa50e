package management

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"slices"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// Bounds of an application's registered keys (oidcClientMetadata.jwks).
const (
	maxJWKSKeys  = 10
	maxJWKSBytes = 16 << 10
	maxURILength = 2048
)

// assertionAlgs are the algorithms a registered key may name; they are
// the token endpoint's (oidc.AssertionAlgs).
var assertionAlgs = []string{"ES256", "ES384", "EdDSA", "RS256", "PS256"}

// checkClientAuth validates the client authentication fields of
// oidcClientMetadata (issue 12): tokenEndpointAuthMethod, and the public
// keys of a private_key_jwt app, inline (jwks) or by URL (jwksUri), one or
// the other.
func checkClientAuth(g *Guard, m *oidcClientMetadata) {
	path := func(p ...any) []any { return append([]any{"oidcClientMetadata"}, p...) }
	bad := func(msg string, p ...any) { g.add(issue{Code: "custom", Path: path(p...), Message: msg}) }
	method := rbac.AuthSecret
	if m.TokenEndpointAuthMethod != nil {
		method = *m.TokenEndpointAuthMethod
		if method != rbac.AuthSecret && method != rbac.AuthPrivateKeyJWT {
			bad("tokenEndpointAuthMethod must be client_secret_basic or private_key_jwt", "tokenEndpointAuthMethod")
		}
	}
	if len(m.JWKS) > 0 && m.JWKSURI != nil {
		bad("Give jwks or jwksUri, not both", "jwks")
	}
	if m.JWKSURI != nil {
		if !httpURL(*m.JWKSURI) || len(*m.JWKSURI) > maxURILength {
			bad("jwksUri must be an absolute https URL of at most 2048 characters", "jwksUri")
		}
	}
	if len(m.JWKS) > 0 {
		checkJWKS(m.JWKS, func(msg string, p ...any) { bad(msg, append([]any{"jwks"}, p...)...) })
	}
	if method == rbac.AuthPrivateKeyJWT && len(m.JWKS) == 0 && m.JWKSURI == nil {
		bad("private_key_jwt needs jwks or jwksUri", "tokenEndpointAuthMethod")
	}
}

// minRSABits is the smallest RSA key the token endpoint verifies with
// (RFC 7518 §3.3).
const minRSABits = 2048

// KeyAlgorithms are the assertion algorithms the token endpoint verifies
// with public key k: ES256 or ES384 for an ECDSA P-256 or P-384 key, EdDSA
// for Ed25519, RS256 and PS256 for RSA of at least 2048 bits; none for any
// other key, which no assertion can be verified with.
func KeyAlgorithms(k any) []string {
	switch k := k.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve.Params().Name {
		case "P-256":
			return []string{"ES256"}
		case "P-384":
			return []string{"ES384"}
		}
	case ed25519.PublicKey:
		return []string{"EdDSA"}
	case *rsa.PublicKey:
		if k.N.BitLen() >= minRSABits {
			return []string{"RS256", "PS256"}
		}
	}
	return nil
}

// checkJWKS requires a JWK Set of at most maxJWKSKeys public signing keys
// that go-jose reads and the token endpoint can verify with (KeyAlgorithms),
// each with an allowed alg that fits it when it names one, and distinct
// kids.
func checkJWKS(raw json.RawMessage, bad func(msg string, p ...any)) {
	if len(raw) > maxJWKSBytes {
		bad("jwks must be at most 16 KiB")
		return
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if json.Unmarshal(raw, &set) != nil || len(set.Keys) == 0 {
		bad("jwks must be a JWK Set with at least one key in \"keys\"")
		return
	}
	if len(set.Keys) > maxJWKSKeys {
		bad("jwks holds at most 10 keys", "keys")
		return
	}
	var kids []string
	for i, k := range set.Keys {
		var key jose.JSONWebKey
		switch {
		case key.UnmarshalJSON(k) != nil || !key.Valid():
			bad("Not a JSON Web Key this server can use (EC P-256/P-384, Ed25519 or RSA)", "keys", i)
		case !key.IsPublic():
			bad("Private keys must never be registered: give the public key only", "keys", i)
		case key.Algorithm != "" && !slices.Contains(assertionAlgs, key.Algorithm):
			bad("alg must be one of ES256, ES384, EdDSA, RS256, PS256", "keys", i, "alg")
		case isSymmetric(key.Key):
			bad("Symmetric keys are not allowed", "keys", i)
		case KeyAlgorithms(key.Key) == nil:
			bad("The token endpoint cannot verify with this key: use EC P-256 or P-384, Ed25519, or RSA of at least 2048 bits", "keys", i)
		case key.Algorithm != "" && !slices.Contains(KeyAlgorithms(key.Key), key.Algorithm):
			bad("alg does not fit the key: "+key.Algorithm+" cannot be verified with it", "keys", i, "alg")
		case key.Use == "enc":
			bad("use must be sig", "keys", i, "use")
		case key.KeyID != "" && slices.Contains(kids, key.KeyID):
			bad("Two keys have the same kid", "keys", i, "kid")
		default:
			kids = append(kids, key.KeyID)
		}
	}
}

// isSymmetric reports whether a JWK's key is a shared secret (kty oct).
func isSymmetric(k any) bool {
	_, ok := k.([]byte)
	return ok
}
