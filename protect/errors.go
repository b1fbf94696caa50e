package protect

import (
	"errors"
	"net/http"
	"strings"
)

// The RFC 6750 §3.1 error codes an [Error] carries.
const (
	CodeInvalidRequest    = "invalid_request"
	CodeInvalidToken      = "invalid_token"
	CodeInsufficientScope = "insufficient_scope"
)

// The causes of an [Error], for errors.Is. Each failed check wraps exactly
// one of them.
var (
	ErrNoToken           = errors.New("no bearer token")                // no Authorization: Bearer header
	ErrBadRequest        = errors.New("malformed Authorization header") // 400 invalid_request
	ErrMalformed         = errors.New("malformed token")                // not a compact JWS with a JSON payload
	ErrAlgorithm         = errors.New("signing algorithm not allowed")  // alg outside the allow-list
	ErrType              = errors.New("token is not an access token")   // typ is not at+jwt
	ErrUnknownKey        = errors.New("signing key unknown")            // no published key matches kid and alg
	ErrSignature         = errors.New("signature invalid")              // the key does not verify the signature
	ErrIssuer            = errors.New("issuer mismatch")                // iss is not the configured issuer
	ErrAudience          = errors.New("audience mismatch")              // aud does not name this API
	ErrExpired           = errors.New("token expired")                  // exp (plus leeway) has passed, or no exp
	ErrNotYetValid       = errors.New("token not yet valid")            // nbf (minus leeway) is still ahead
	ErrInsufficientScope = errors.New("insufficient scope")             // a required scope is missing
)

// Error is why a request or token was refused. Code is one of the RFC 6750
// codes, or "" when the request carried no bearer token at all (RFC 6750
// §3.1: the answer then names no error). Err is one of the Err* values,
// possibly wrapping a lower-level cause, so errors.Is(err, ErrExpired) works.
type Error struct {
	Code        string
	Description string   // for people; safe to send to the client (no token contents)
	Scopes      []string // insufficient_scope: the missing scopes
	Err         error
	// DPoP makes the challenge the DPoP scheme's (RFC 9449 §7.1), for a
	// request that used it or must.
	DPoP bool
}

// Error implements error.
func (e *Error) Error() string {
	code := e.Code
	if code == "" {
		code = "unauthorized"
	}
	return "protect: " + code + ": " + e.Description
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Status is the HTTP status RFC 6750 §3.1 gives the error: 400 for
// invalid_request, 403 for insufficient_scope, 401 otherwise.
func (e *Error) Status() int {
	switch e.Code {
	case CodeInvalidRequest:
		return http.StatusBadRequest
	case CodeInsufficientScope:
		return http.StatusForbidden
	}
	return http.StatusUnauthorized
}

// Challenge returns the WWW-Authenticate value for e (RFC 6750 §3): the
// realm, then error, error_description and scope when they apply. With
// DPoP set it is the DPoP scheme's (RFC 9449 §7.1), which also lists the
// proof algorithms accepted (algs).
func (e *Error) Challenge(realm string) string {
	var b strings.Builder
	b.WriteString("Bearer")
	if e.DPoP {
		b.Reset()
		b.WriteString("DPoP")
	}
	sep := " "
	attr := func(name, value string) {
		b.WriteString(sep)
		b.WriteString(name)
		b.WriteString(`="`)
		b.WriteString(quotable(value))
		b.WriteByte('"')
		sep = ", "
	}
	if realm != "" {
		attr("realm", realm)
	}
	if e.Code != "" {
		attr("error", e.Code)
		if e.Description != "" {
			attr("error_description", e.Description)
		}
		if len(e.Scopes) > 0 {
			attr("scope", strings.Join(e.Scopes, " "))
		}
	}
	if e.DPoP {
		attr("algs", dpopAlgsAttr)
	}
	return b.String()
}

// quotable keeps the characters RFC 6750 §3 allows in the attribute values
// (%x20-21 / %x23-5B / %x5D-7E) and replaces the others with '?', so a value
// can never break out of its quoted string.
func quotable(s string) string {
	ok := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			b[i] = '?'
		}
	}
	return string(b)
}

func tokenError(cause error, desc string) *Error {
	return &Error{Code: CodeInvalidToken, Description: desc, Err: cause}
}
