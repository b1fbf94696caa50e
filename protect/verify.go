package protect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// maxToken bounds the length of a token; Gatehouse's are about 500 bytes.
const maxToken = 16 << 10

// Claims are the claims of a verified access token (RFC 9068 §2.2).
type Claims struct {
	Issuer         string    // iss
	Subject        string    // sub: for M2M tokens, the client id
	Audience       []string  // aud, always as a list
	ClientID       string    // client_id
	Scopes         []string  // scope, split on spaces; nil when the token has none
	OrganizationID string    // organization_id (Logto and Gatehouse organization tokens)
	Expiry         time.Time // exp
	IssuedAt       time.Time // iat; zero when absent
	NotBefore      time.Time // nbf; zero when absent
	JTI            string    // jti

	// Raw holds every claim of the payload, the custom ones (a JWT
	// customizer's) included, as encoding/json decodes into any: numbers
	// are float64, objects map[string]any. [ClaimsAs] and [Claims.Decode]
	// give them typed.
	Raw map[string]any

	payload []byte // the verified JSON payload, for Decode
}

// Decode unmarshals the token's payload (every claim, as signed) into v,
// with encoding/json: a struct with json tags picks the claims it names,
// custom ones included. For Claims made by hand (in tests, for
// [WithClaims]) it decodes Raw instead.
func (c *Claims) Decode(v any) error {
	b := c.payload
	if b == nil {
		var err error
		if b, err = json.Marshal(c.Raw); err != nil {
			return fmt.Errorf("protect: claims: %w", err)
		}
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("protect: claims: %w", err)
	}
	return nil
}

// ClaimsAs returns the token's claims decoded into a T (see
// [Claims.Decode]), typically a struct naming the custom claims a JWT
// customizer adds:
//
//	type shopClaims struct {
//		Tier   string   `json:"tier"`
//		Stores []string `json:"stores"`
//	}
//	sc, err := protect.ClaimsAs[shopClaims](c)
func ClaimsAs[T any](c *Claims) (T, error) {
	var t T
	err := c.Decode(&t)
	return t, err
}

// HasScope reports whether the token grants scope.
func (c *Claims) HasScope(scope string) bool { return slices.Contains(c.Scopes, scope) }

// HasAnyScope reports whether the token grants at least one of scopes
// (false when scopes is empty).
func (c *Claims) HasAnyScope(scopes ...string) bool {
	for _, s := range scopes {
		if c.HasScope(s) {
			return true
		}
	}
	return false
}

// Missing returns those of scopes the token does not grant, or nil.
func (c *Claims) Missing(scopes ...string) []string {
	var out []string
	for _, s := range scopes {
		if !c.HasScope(s) {
			out = append(out, s)
		}
	}
	return out
}

// Verify checks token, a compact JWS, and returns its claims: the
// signature with a published key of the issuer under an allowed algorithm,
// typ at+jwt, then iss, aud, exp and nbf. ctx bounds the one JWKS fetch a
// token naming an unknown key may cause. Every failure is an *[Error] with
// the code invalid_token. It is for bearer tokens: a DPoP-bound one (with
// cnf.jkt) is refused (RFC 9449 §7.2), as it is worthless without its
// proof; [Validator.VerifyDPoP] verifies those.
func (v *Validator) Verify(ctx context.Context, token string) (*Claims, error) {
	c, err := v.verify(ctx, token)
	if err == nil && c.bound() {
		return nil, &Error{Code: CodeInvalidToken, Description: "DPoP-bound token presented as a bearer token", Err: ErrDPoPBound, DPoP: true}
	}
	return c, err
}

// verify checks token as Verify does, bound or not.
func (v *Validator) verify(ctx context.Context, token string) (*Claims, error) {
	if len(token) > maxToken {
		return nil, tokenError(ErrMalformed, "token too long")
	}
	jws, err := jose.ParseSignedCompact(token, v.cfg.algs)
	if err != nil {
		var alg *jose.ErrUnexpectedSignatureAlgorithm
		if errors.As(err, &alg) {
			return nil, tokenError(ErrAlgorithm, "signing algorithm not allowed")
		}
		return nil, tokenError(ErrMalformed, "malformed token")
	}
	h := jws.Signatures[0].Protected
	if _, ok := h.ExtraHeaders["crit"]; ok {
		// No access token needs one; refusing them spares us b64:false.
		return nil, tokenError(ErrMalformed, "unsupported crit header")
	}
	if !v.cfg.anyType && !isAccessTokenType(h.ExtraHeaders[jose.HeaderType]) {
		return nil, tokenError(ErrType, "token type is not at+jwt")
	}
	src := v.sources[0]
	if len(v.sources) > 1 {
		// Several issuers: the (not yet verified) iss picks whose keys
		// must have signed the token; check then makes sure it is theirs.
		var p struct {
			Iss string `json:"iss"`
		}
		if json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &p) != nil {
			return nil, tokenError(ErrMalformed, "malformed claims")
		}
		if src = v.source(p.Iss); src == nil {
			return nil, tokenError(ErrIssuer, "issuer mismatch")
		}
	}
	payload, err := v.verifySignature(ctx, src, jws, h.KeyID, jose.SignatureAlgorithm(h.Algorithm))
	if err != nil {
		return nil, err
	}
	c, err := parseClaims(payload)
	if err != nil {
		return nil, tokenError(ErrMalformed, "malformed claims")
	}
	if err := v.check(c, src); err != nil {
		return nil, err
	}
	return c, nil
}

// verifySignature checks the signature with the key named by kid, or
// without kid with each key that allows alg, and returns the payload.
func (v *Validator) verifySignature(ctx context.Context, s *source, jws *jose.JSONWebSignature, kid string, alg jose.SignatureAlgorithm) ([]byte, error) {
	if kid == "" {
		keys := s.keys.Load().candidates(alg)
		if len(keys) == 0 {
			return nil, tokenError(ErrUnknownKey, "signing key unknown")
		}
		for _, k := range keys {
			if payload, err := jws.Verify(k.pub); err == nil {
				return payload, nil
			}
		}
		return nil, tokenError(ErrSignature, "signature invalid")
	}
	k, err := v.keyFor(ctx, s, kid, alg)
	if err != nil {
		return nil, tokenError(err, "signing key unknown")
	}
	payload, err := jws.Verify(k.pub)
	if err != nil {
		return nil, tokenError(ErrSignature, "signature invalid")
	}
	return payload, nil
}

// isAccessTokenType accepts "at+jwt" and "application/at+jwt", in any case
// (RFC 9068 §2.1, RFC 7515 §4.1.9).
func isAccessTokenType(typ any) bool {
	s, ok := typ.(string)
	if !ok {
		return false
	}
	if len(s) > len("application/") && strings.EqualFold(s[:len("application/")], "application/") {
		s = s[len("application/"):]
	}
	return strings.EqualFold(s, "at+jwt")
}

// check applies the claim rules of RFC 9068 §4 to a token verified with
// the keys of s.
func (v *Validator) check(c *Claims, s *source) error {
	if c.Issuer != s.issuer {
		return tokenError(ErrIssuer, "issuer mismatch")
	}
	if !v.audienceOK(c.Audience) {
		return tokenError(ErrAudience, "audience mismatch")
	}
	now := v.cfg.now()
	if c.Expiry.IsZero() || !now.Before(c.Expiry.Add(v.cfg.leeway)) {
		return tokenError(ErrExpired, "token expired")
	}
	if !c.NotBefore.IsZero() && now.Add(v.cfg.leeway).Before(c.NotBefore) {
		return tokenError(ErrNotYetValid, "token not yet valid")
	}
	return nil
}

// audienceOK reports whether aud names one of the accepted audiences.
func (v *Validator) audienceOK(aud []string) bool {
	if len(v.audiences) == 1 {
		return slices.Contains(aud, v.audience)
	}
	for _, a := range aud {
		if slices.Contains(v.audiences, a) {
			return true
		}
	}
	return false
}

// parseClaims decodes a payload once into Raw and takes the registered
// claims from it; a registered claim of the wrong JSON type is an error.
func parseClaims(payload []byte) (*Claims, error) {
	c := &Claims{payload: payload}
	if err := json.Unmarshal(payload, &c.Raw); err != nil {
		return nil, err
	}
	if c.Raw == nil {
		return nil, errors.New("payload is not an object")
	}
	var err error
	str := func(name string) string {
		x, ok := c.Raw[name]
		if !ok {
			return ""
		}
		s, ok := x.(string)
		if !ok {
			err = errors.New(name + " is not a string")
		}
		return s
	}
	date := func(name string) time.Time {
		x, ok := c.Raw[name]
		if !ok {
			return time.Time{}
		}
		f, ok := x.(float64)
		if !ok || math.IsNaN(f) || f < 0 || f > 1<<40 {
			err = errors.New(name + " is not a date")
			return time.Time{}
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9))
	}
	c.Issuer = str("iss")
	c.Subject = str("sub")
	c.ClientID = str("client_id")
	c.OrganizationID = str("organization_id")
	c.JTI = str("jti")
	c.Expiry = date("exp")
	c.IssuedAt = date("iat")
	c.NotBefore = date("nbf")
	switch a := c.Raw["aud"].(type) {
	case nil:
	case string:
		c.Audience = []string{a}
	case []any:
		c.Audience = make([]string, 0, len(a))
		for _, x := range a {
			s, ok := x.(string)
			if !ok {
				return nil, errors.New("aud holds a non-string")
			}
			c.Audience = append(c.Audience, s)
		}
	default:
		return nil, errors.New("aud is neither a string nor a list")
	}
	if s := str("scope"); s != "" {
		c.Scopes = strings.Fields(s)
	}
	return c, err
}
