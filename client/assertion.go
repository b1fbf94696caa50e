package client

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// AssertionType is the client_assertion_type of a JWT client assertion
// (RFC 7523 §2.2).
const AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// SignedAssertion returns a [TokenConfig.ClientAssertion] for an
// application registered with tokenEndpointAuthMethod "private_key_jwt":
// each call signs a fresh assertion (iss and sub the client id, aud the
// token endpoint, a random jti, one minute of life) with key, whose public
// half is in the application's jwks or at its jwksUri. key.Algorithm is one
// of ES256, ES384, EdDSA, RS256, PS256; key.Key a crypto.Signer or a
// *jose.JSONWebKey with the key id the server knows it by.
func SignedAssertion(clientID, tokenURL string, key jose.SigningKey) func(ctx context.Context) (string, error) {
	return func(context.Context) (string, error) {
		sig, err := jose.NewSigner(key, (&jose.SignerOptions{}).WithType("JWT"))
		if err != nil {
			return "", err
		}
		now := time.Now()
		return jwt.Signed(sig).Claims(jwt.Claims{
			Issuer: clientID, Subject: clientID, Audience: jwt.Audience{tokenURL}, ID: rand.Text(),
			IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Minute)),
		}).Serialize()
	}
}

// FileAssertion returns a [TokenConfig.ClientAssertion] that reads the
// token at path on each call: a Kubernetes projected service-account token,
// which the kubelet replaces before it expires, or any workload token a
// federated credential of the application trusts.
func FileAssertion(path string) func(ctx context.Context) (string, error) {
	return func(context.Context) (string, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", err
		}
		tok := strings.TrimSpace(string(b))
		if tok == "" {
			return "", fmt.Errorf("%s is empty", path)
		}
		return tok, nil
	}
}
