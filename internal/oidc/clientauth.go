package oidc

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/gatehouse/gatehouse/internal/grant"
)

// credentials are the client credentials a token request presents.
type credentials struct {
	id, secret string
	basic      bool // from an Authorization: Basic header
	assertion  bool // a client_assertion (JWT methods, never valid for M2M apps)
}

// clientCredentials extracts the client credentials from the Authorization
// header and the body, with the checks and error texts of spec §2.3 in
// their order. It does not look the client up.
func clientCredentials(authz string, p *tokenParams) (credentials, *Error) {
	if d := p.authDuplicate(); d != "" {
		return credentials{}, duplicateError(d)
	}
	if authz != "" {
		if p.clientSecret.val != "" || p.clientAssertion.val != "" {
			return credentials{}, badRequest("client authentication must only be provided using one mechanism")
		}
		id, secret, err := parseBasic(authz)
		if err != nil {
			return credentials{}, err
		}
		if p.clientID.val != "" && p.clientID.val != id {
			return credentials{}, badRequest("client_id mismatch")
		}
		if secret == "" {
			return credentials{}, badRequest("client_secret must be provided in the Authorization header")
		}
		if id == "" {
			return credentials{}, badRequest("no client authentication mechanism provided")
		}
		return credentials{id: id, secret: secret, basic: true}, nil
	}
	if p.clientSecret.val != "" && p.clientAssertion.val != "" {
		return credentials{}, badRequest("client authentication must only be provided using one mechanism")
	}
	c := credentials{id: p.clientID.val, secret: p.clientSecret.val, assertion: p.clientAssertion.val != ""}
	if c.id == "" && c.assertion {
		sub, ok := assertionSubject(p.clientAssertion.val)
		if !ok {
			return credentials{}, badRequest("invalid client_assertion format")
		}
		c.id = sub
	}
	if c.id == "" {
		return credentials{}, badRequest("no client authentication mechanism provided")
	}
	return c, nil
}

// parseBasic decodes an RFC 6749 §2.3.1 Basic header: base64 of the
// form-URL-encoded client id, ':', the form-URL-encoded secret. Both must be
// VSCHAR (%x20-7E) once decoded. A malformed escape is a 400 here, not the
// 500 Logto answers (spec §7.26).
func parseBasic(h string) (id, secret string, e *Error) {
	scheme, cred, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "basic") || cred == "" || strings.IndexByte(cred, ' ') >= 0 {
		return "", "", badRequest("invalid authorization header value format")
	}
	raw, ok := decodeBase64(cred)
	if !ok {
		return "", "", badRequest("invalid authorization header value format")
	}
	encID, encSecret, ok := strings.Cut(raw, ":")
	if !ok {
		return "", "", badRequest("invalid authorization header value format")
	}
	var okID, okSecret bool
	id, okID = strictUnescape(encID)
	secret, okSecret = strictUnescape(encSecret)
	if !okID || !okSecret || !isVSCHAR(id) || !isVSCHAR(secret) {
		return "", "", badRequest("client_id and client_secret in the authorization header are not properly encoded")
	}
	return id, secret, nil
}

// decodeBase64 accepts the standard and URL alphabets, padded or not, as
// Node's Buffer does for the headers clients send in practice.
func decodeBase64(s string) (string, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return string(b), true
		}
	}
	return "", false
}

func isVSCHAR(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// assertionSubject reads the sub claim of an unverified client assertion,
// only to name the client in the answer; the assertion itself is never
// accepted.
func assertionSubject(jwt string) (string, bool) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return "", false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", false
	}
	var c struct {
		Sub string `json:"sub"`
	}
	if json.Unmarshal(payload, &c) != nil || c.Sub == "" {
		return "", false
	}
	return c.Sub, true
}

// checkClient authenticates client c with the credentials presented: a
// client assertion (assertion.go), or a secret, which an app registered
// for private_key_jwt never accepts.
func (h *handler) checkClient(ctx context.Context, c *grant.Client, cred *credentials, path string, x *exchange, nowMs int64) *Error {
	if cred.assertion {
		return h.checkAssertion(ctx, c, &x.params, path, x, nowMs)
	}
	if cred.secret == "" || c.Auth.PrivateKeyJWT() {
		return errAuthFailed
	}
	return h.checkSecret(c, cred.secret, x, nowMs)
}
