package oidc

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse/gatehouse/internal/grant"
	"github.com/gatehouse/gatehouse/internal/rbac"
)

// AssertionType is the one client_assertion_type (RFC 7523 §2.2).
const AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// AssertionAlgs are the signature algorithms client assertions may use:
// asymmetric only, so that a public key can never serve as an HMAC secret,
// and never "none".
var AssertionAlgs = []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.EdDSA, jose.RS256, jose.PS256}

// Bounds of a client assertion.
const (
	// maxAssertionLife is how far ahead a private_key_jwt assertion's exp
	// may be: a short life bounds the replay store.
	maxAssertionLife = 5 * 60
	// clockSkew is the leeway on exp and nbf, in seconds.
	clockSkew = 30
	maxJTI    = 256
)

// RemoteKeys fetches the keys at admin-supplied URLs (federation.Keys
// does): an application's jwksUri and a federated issuer's keys.
type RemoteKeys interface {
	JWKS(ctx context.Context, uri, kid string) ([]jose.JSONWebKey, error)
	IssuerJWKS(ctx context.Context, issuer, kid string) ([]jose.JSONWebKey, error)
}

// JTIs remembers the jti of every accepted private_key_jwt assertion until
// it expires. Use reports false for a jti already used by this client.
type JTIs interface {
	Use(ctx context.Context, tenant, clientID, jti string, expMs, nowMs int64) (bool, error)
}

// assertionUse is how a request authenticated with a client assertion, for
// the audit entry.
type assertionUse struct {
	method     string // rbac.AuthPrivateKeyJWT or "federated"
	credential string // the federated credential's name
	issuer     string // the external token's iss and sub
	subject    string
	kid        string
}

// appendAudit adds the assertion to an audit payload: the credential and
// the external subject, never the assertion itself.
func (a *assertionUse) appendAudit(b []byte) []byte {
	if a.method == "" {
		return b
	}
	b = append(b, `,"clientAssertion":{"method":`...)
	b = appendJSONString(b, a.method)
	if a.kid != "" {
		b = append(b, `,"kid":`...)
		b = appendJSONString(b, a.kid)
	}
	if a.credential != "" {
		b = append(b, `,"federatedCredential":`...)
		b = appendJSONString(b, a.credential)
	}
	if a.issuer != "" {
		b = append(b, `,"issuer":`...)
		b = appendJSONString(b, a.issuer)
		b = append(b, `,"subject":`...)
		b = appendJSONString(b, a.subject)
	}
	return append(b, '}')
}

// assertionFailed is invalid_client (RFC 6749 §5.2) with what was wrong.
func assertionFailed(desc string) *Error {
	return &Error{http.StatusUnauthorized, ErrInvalidClient, desc}
}

// assertionClaims are the claims checked, of both kinds of assertion.
type assertionClaims struct {
	Issuer    string           `json:"iss"`
	Subject   string           `json:"sub"`
	Audience  jwt.Audience     `json:"aud"`
	Expiry    *jwt.NumericDate `json:"exp"`
	NotBefore *jwt.NumericDate `json:"nbf"`
	ID        string           `json:"jti"`
}

// checkAssertion authenticates client c by the client_assertion of p: a
// private_key_jwt assertion (iss = the client id) signed with a key the
// client registered, or a token of an issuer one of its federated
// credentials names.
func (h *handler) checkAssertion(ctx context.Context, c *grant.Client, p *tokenParams, path string, x *exchange, nowMs int64) *Error {
	if c.Auth == nil {
		return errAuthFailed // secrets only: Logto's answer to any assertion
	}
	if p.clientAssertionType.val != AssertionType {
		return badRequest("client_assertion_type must have value " + AssertionType)
	}
	j, err := parseCompact(p.clientAssertion.val, AssertionAlgs)
	if err != nil {
		return assertionFailed("client_assertion is not a JWT signed with an allowed algorithm (" + algNames() + ")")
	}
	// The claims are read before the signature is checked only to choose
	// the keys that will check it.
	var cl assertionClaims
	if json.Unmarshal(j.payload, &cl) != nil || cl.Issuer == "" {
		return assertionFailed("client_assertion has no iss claim")
	}
	kid := j.header.Kid
	if cl.Issuer == c.ID {
		x.assertion = assertionUse{method: rbac.AuthPrivateKeyJWT, kid: kid}
		return h.privateKeyJWT(ctx, c, j, &cl, path, nowMs)
	}
	x.assertion = assertionUse{method: "federated", issuer: cl.Issuer}
	return h.federated(ctx, c, j, p.clientAssertion.val, cl.Issuer, kid, &x.assertion, nowMs)
}

// privateKeyJWT checks a private_key_jwt assertion (RFC 7523 §3, OpenID
// Connect Core §9).
func (h *handler) privateKeyJWT(ctx context.Context, c *grant.Client, j *compactJWS, cl *assertionClaims, path string, nowMs int64) *Error {
	kid := j.header.Kid
	if !c.Auth.PrivateKeyJWT() {
		return errAuthFailed // the app authenticates with secrets
	}
	keys := pickKeys(c.Auth.Keys, kid)
	if c.Auth.Keys == nil && c.Auth.JWKSURI != "" {
		if h.remoteKeys == nil {
			return assertionFailed("the client's jwksUri cannot be fetched by this server")
		}
		var err error
		if keys, err = h.remoteKeys.JWKS(ctx, c.Auth.JWKSURI, kid); err != nil {
			h.log.WarnContext(ctx, "token endpoint: client jwksUri", "client", c.ID, "err", err)
			return assertionFailed("no key of the client's jwksUri verifies the client_assertion")
		}
	}
	if !verify(j, keys) {
		return assertionFailed("no registered key of the client verifies the client_assertion")
	}
	nowSec := nowMs / 1000
	switch {
	case cl.Subject != c.ID:
		return assertionFailed("client_assertion sub must be the client id")
	case !cl.Audience.Contains(h.issuer) && !cl.Audience.Contains(h.issuer+"/token") && !cl.Audience.Contains(h.issuer+path):
		return assertionFailed("client_assertion aud must name the issuer or the token endpoint")
	case cl.Expiry == nil:
		return assertionFailed("client_assertion has no exp claim")
	case int64(*cl.Expiry)+clockSkew <= nowSec:
		return assertionFailed("client_assertion has expired")
	case int64(*cl.Expiry) > nowSec+maxAssertionLife+clockSkew:
		return assertionFailed("client_assertion exp is more than 5 minutes ahead")
	case cl.NotBefore != nil && int64(*cl.NotBefore) > nowSec+clockSkew:
		return assertionFailed("client_assertion is not valid yet (nbf)")
	case cl.ID == "" || len(cl.ID) > maxJTI:
		return assertionFailed("client_assertion must have a jti of at most 256 characters")
	}
	if h.jtis == nil {
		return assertionFailed("this server keeps no record of assertion ids")
	}
	fresh, err := h.jtis.Use(ctx, c.TenantID, c.ID, cl.ID, (int64(*cl.Expiry)+clockSkew)*1000, nowMs)
	if err != nil {
		return h.unavailable(ctx, "record assertion jti", fmt.Errorf("%w: %w", grant.ErrUnavailable, err))
	}
	if !fresh {
		return assertionFailed("client_assertion jti has already been used")
	}
	return nil
}

// federated checks an external workload token against the client's
// federated credentials of its issuer. Such tokens are reused for their
// whole life by design (a projected service-account token, a CI job's
// token), so their jti is not recorded.
func (h *handler) federated(ctx context.Context, c *grant.Client, j *compactJWS, raw, iss, kid string, use *assertionUse, nowMs int64) *Error {
	var (
		reason         string
		cl             = &claimSet{}
		source         string // the key source verified, and its outcome
		tried, checked bool
		nowSec         = nowMs / 1000
	)
	for i := range c.Auth.Federated {
		f := &c.Auth.Federated[i]
		if f.Issuer != iss {
			continue
		}
		s := "d:" + f.Issuer
		if f.JWKSURI != "" {
			s = f.JWKSURI
		}
		if !tried || s != source {
			source, tried = s, true
			cl, checked = h.verifyFederated(ctx, c.ID, j, raw, f, s, kid, nowSec)
		}
		if !checked {
			reason = "no key of the issuer verifies the client_assertion"
			continue
		}
		if reason = matchFederated(f, cl, nowSec); reason == "" {
			use.credential, use.subject = f.Name, cl.Subject
			return nil
		}
	}
	if reason == "" {
		return assertionFailed("no federated credential of the client trusts issuer " + iss)
	}
	if cl.Subject != "" {
		use.subject = cl.Subject
	}
	return assertionFailed(reason)
}

// verifyFederated checks the signature of the workload token raw with the
// keys of source (f's jwksUri, or its issuer's discovery), or finds it
// verified recently (fedcache.go), and returns its claims.
func (h *handler) verifyFederated(ctx context.Context, clientID string, j *compactJWS, raw string, f *grant.Federated, source, kid string, nowSec int64) (*claimSet, bool) {
	key := verifiedKey(source, raw)
	if cl := h.verified.get(key, nowSec); cl != nil {
		return cl, true
	}
	if h.remoteKeys == nil {
		return &claimSet{}, false
	}
	var keys []jose.JSONWebKey
	var err error
	if f.JWKSURI != "" {
		keys, err = h.remoteKeys.JWKS(ctx, f.JWKSURI, kid)
	} else {
		keys, err = h.remoteKeys.IssuerJWKS(ctx, f.Issuer, kid)
	}
	if err != nil {
		h.log.WarnContext(ctx, "token endpoint: federated issuer keys", "client", clientID, "issuer", f.Issuer, "err", err)
		return &claimSet{}, false
	}
	cl := &claimSet{}
	if !verify(j, keys) || json.Unmarshal(j.payload, cl) != nil {
		return cl, false
	}
	h.verified.put(key, cl, nowSec)
	return cl, true
}

// claimSet is a verified token's claims: the registered ones decoded, the
// others kept raw until a credential asks for one, so a token is decoded
// once.
type claimSet struct {
	assertionClaims
	raw map[string]json.RawMessage
}

// UnmarshalJSON implements json.Unmarshaler.
func (c *claimSet) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &c.raw); err != nil {
		return err
	}
	for _, f := range [...]struct {
		name string
		dst  any
	}{{"iss", &c.Issuer}, {"sub", &c.Subject}, {"aud", &c.Audience}, {"exp", &c.Expiry}, {"nbf", &c.NotBefore}} {
		if v, ok := c.raw[f.name]; ok {
			if err := json.Unmarshal(v, f.dst); err != nil {
				return fmt.Errorf("claim %s: %w", f.name, err)
			}
		}
	}
	return nil
}

// matchFederated returns why the verified claims do not satisfy f, or "".
func matchFederated(f *grant.Federated, cl *claimSet, nowSec int64) string {
	switch {
	case cl.Expiry == nil:
		return "client_assertion has no exp claim"
	case int64(*cl.Expiry)+clockSkew <= nowSec:
		return "client_assertion has expired"
	case cl.NotBefore != nil && int64(*cl.NotBefore) > nowSec+clockSkew:
		return "client_assertion is not valid yet (nbf)"
	case !rbac.SubjectMatches(f.Subject, cl.Subject):
		return "client_assertion sub matches no federated credential"
	}
	audOK := false
	for _, a := range f.Audiences {
		if cl.Audience.Contains(a) {
			audOK = true
			break
		}
	}
	if !audOK {
		return "client_assertion aud names no audience of the federated credential"
	}
	for name, want := range f.Claims {
		if got, ok := claimString(cl.raw, name); !ok || got != want {
			return "client_assertion claim " + name + " does not match the federated credential"
		}
	}
	return ""
}

// claimString reads a claim as a string: a top-level claim, or a nested
// one by a path with '/' ("kubernetes.io/namespace"). Numbers and booleans
// read as their JSON text.
func claimString(raw map[string]json.RawMessage, name string) (string, bool) {
	v, ok := raw[name]
	if !ok && strings.Contains(name, "/") {
		cur := raw
		parts := strings.Split(name, "/")
		for i, part := range parts {
			if v, ok = cur[part]; !ok {
				return "", false
			}
			if i < len(parts)-1 {
				cur = nil
				if json.Unmarshal(v, &cur) != nil || cur == nil {
					return "", false
				}
			}
		}
	}
	if !ok {
		return "", false
	}
	var x any
	if json.Unmarshal(v, &x) != nil {
		return "", false
	}
	switch t := x.(type) {
	case string:
		return t, true
	case float64, bool:
		return strings.TrimSpace(string(v)), true
	}
	return "", false
}

// verify reports whether one of keys signed j.
func verify(j *compactJWS, keys []jose.JSONWebKey) bool {
	for i := range keys {
		if j.verifyWith(&keys[i]) {
			return true
		}
	}
	return false
}

// pickKeys returns the keys a token with this kid may be signed with.
func pickKeys(keys []jose.JSONWebKey, kid string) []jose.JSONWebKey {
	if kid == "" {
		return keys
	}
	for i := range keys {
		if keys[i].KeyID == kid {
			return keys[i : i+1]
		}
	}
	return nil
}

func algNames() string {
	names := make([]string, len(AssertionAlgs))
	for i, a := range AssertionAlgs {
		names[i] = string(a)
	}
	return strings.Join(names, ", ")
}

// AssertionAlgNames are AssertionAlgs as discovery lists them
// (token_endpoint_auth_signing_alg_values_supported).
func AssertionAlgNames() []string { return strings.Split(algNames(), ", ") }
