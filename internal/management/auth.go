package management

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// tokenAlgs are the algorithms Gatehouse's own keys sign with; nothing else
// is accepted (never "none", never HMAC).
var tokenAlgs = []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.ES512, jose.EdDSA, jose.RS256}

func unauthorized(code, name string, extra map[string]any) *Error {
	data := map[string]any{"code": code, "name": name}
	for k, v := range extra {
		data[k] = v
	}
	return &Error{Status: http.StatusUnauthorized, Code: "auth.unauthorized",
		Message: "Unauthorized. Please check credentials and its scope.", Data: data}
}

// authenticate checks the request's bearer token as spec §4.1 steps 2–6
// describe: verified in process against this server's keys, issued by this
// server, for the Management API, unexpired, not revoked, with a sub and
// the scope "all". There is no bypass.
func (a *api) authenticate(r *http.Request) error {
	h, ok := r.Header["Authorization"]
	if !ok || len(h) == 0 || h[0] == "" {
		return &Error{Status: http.StatusUnauthorized, Code: "auth.authorization_header_missing", Message: "Authorization header is missing."}
	}
	raw, ok := strings.CutPrefix(h[0], "Bearer ")
	if !ok {
		return &Error{Status: http.StatusUnauthorized, Code: "auth.authorization_token_type_not_supported", Message: "Authorization type is not supported."}
	}
	tok, err := jwt.ParseSigned(raw, tokenAlgs)
	if err != nil || len(tok.Headers) != 1 {
		return unauthorized("ERR_JWS_INVALID", "JWSInvalid", nil)
	}
	set := a.keys()
	pub, alg, ok := set.PublicKey(tok.Headers[0].KeyID)
	if !ok || alg != tok.Headers[0].Algorithm {
		return unauthorized("ERR_JWKS_NO_MATCHING_KEY", "JWKSNoMatchingKey", nil)
	}
	var claims jwt.Claims
	var extra struct {
		Scope any             `json:"scope"`
		Cnf   json.RawMessage `json:"cnf"`
	}
	if err := tok.Claims(pub, &claims, &extra); err != nil {
		return unauthorized("ERR_JWS_SIGNATURE_VERIFICATION_FAILED", "JWSSignatureVerificationFailed", nil)
	}
	claimFailed := func(claim, reason string) error {
		return unauthorized("ERR_JWT_CLAIM_VALIDATION_FAILED", "JWTClaimValidationFailed", map[string]any{"claim": claim, "reason": reason})
	}
	now := a.now()
	switch {
	case claims.Issuer != a.issuer:
		return claimFailed("iss", "check_failed")
	case !slices.Contains([]string(claims.Audience), a.indicator):
		return claimFailed("aud", "check_failed")
	case claims.Expiry == nil:
		return claimFailed("exp", "missing")
	case !now.Before(claims.Expiry.Time()):
		return unauthorized("ERR_JWT_EXPIRED", "JWTExpired", map[string]any{"claim": "exp", "reason": "check_failed"})
	case claims.NotBefore != nil && now.Before(claims.NotBefore.Time()):
		return claimFailed("nbf", "check_failed")
	case a.revoked != nil && a.revoked(claims.ID):
		// Revoked at /oidc/token/revocation (docs/compatibility.md).
		return unauthorized("ERR_JWT_REVOKED", "JWTRevoked", map[string]any{"claim": "jti", "reason": "revoked"})
	}
	if extra.Cnf != nil {
		// A DPoP-bound token (RFC 9449) is worthless without its proof, and
		// the Management API takes bearer tokens only (RFC 9449 §7.2):
		// refused, never accepted as a bearer token (docs/dpop.md).
		return claimFailed("cnf", "dpop_bound_token_not_supported")
	}
	if claims.Subject == "" {
		return &Error{Status: http.StatusUnauthorized, Code: "auth.jwt_sub_missing", Message: "Missing `sub` in JWT."}
	}
	scope, isString := extra.Scope.(string)
	if extra.Scope != nil && !isString {
		return unauthorized("ERR_JWT_CLAIM_VALIDATION_FAILED", "JWTClaimValidationFailed", map[string]any{"claim": "scope", "reason": "invalid"})
	}
	if !slices.Contains(strings.Split(scope, " "), "all") {
		return forbidden()
	}
	// The token was good when it was issued; it stays good only while its
	// application exists and still holds the role that granted `all`.
	if a.holds != nil {
		ok, err := a.holds(r.Context(), claims.Subject)
		if err != nil {
			return err
		}
		if !ok {
			return forbidden()
		}
	}
	return nil
}

func forbidden() *Error {
	return &Error{Status: http.StatusForbidden, Code: "auth.forbidden", Message: "Forbidden. Please check your user roles and permissions."}
}
