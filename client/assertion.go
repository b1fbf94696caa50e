package client

import (
	"context"
	"crypto"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

// AssertionType is the client_assertion_type of a JWT client assertion
// (RFC 7523 §2.2).
const AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// SignedAssertion returns a [TokenConfig.ClientAssertion] for an
// application registered with tokenEndpointAuthMethod "private_key_jwt":
// each call signs a fresh assertion (iss and sub the client id, aud the
// token endpoint, a random jti, one minute of life) with key, whose public
// half is in the application's jwks (with kid keyID) or at its jwksUri.
// key is an ECDSA P-256 or P-384 key (ES256, ES384), an Ed25519 key (EdDSA)
// or an RSA key of at least 2048 bits (PS256); it may be a hardware or KMS
// key. keyID may be empty: the server then tries every registered key.
func SignedAssertion(clientID, tokenURL, keyID string, key crypto.Signer) func(ctx context.Context) (string, error) {
	return func(context.Context) (string, error) {
		alg, err := KeyAlgorithm(key.Public())
		if err != nil {
			return "", fmt.Errorf("client: assertion key: %w", err)
		}
		var jti [16]byte
		if _, err := rand.Read(jti[:]); err != nil {
			return "", fmt.Errorf("client: assertion: %w", err)
		}
		b64 := base64.RawURLEncoding
		header, err := json.Marshal(struct {
			Alg string `json:"alg"`
			Typ string `json:"typ"`
			Kid string `json:"kid,omitempty"`
		}{alg, "JWT", keyID})
		if err != nil {
			return "", err
		}
		now := time.Now()
		claims, err := json.Marshal(struct {
			Iss string `json:"iss"`
			Sub string `json:"sub"`
			Aud string `json:"aud"`
			JTI string `json:"jti"`
			IAT int64  `json:"iat"`
			Exp int64  `json:"exp"`
		}{clientID, clientID, tokenURL, b64.EncodeToString(jti[:]), now.Unix(), now.Add(time.Minute).Unix()})
		if err != nil {
			return "", err
		}
		input := b64.EncodeToString(header) + "." + b64.EncodeToString(claims)
		sig, err := jwsSign(key, alg, []byte(input))
		if err != nil {
			return "", fmt.Errorf("client: assertion: %w", err)
		}
		return input + "." + b64.EncodeToString(sig), nil
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
