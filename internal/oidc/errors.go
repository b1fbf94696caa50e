package oidc

import (
	"net/http"
	"strconv"
)

// OAuth 2.0 error codes used by this package (RFC 6749 §5.2, RFC 8707 §2).
const (
	ErrInvalidRequest       = "invalid_request"
	ErrInvalidClient        = "invalid_client"
	ErrInvalidGrant         = "invalid_grant"
	ErrUnauthorizedClient   = "unauthorized_client"
	ErrUnsupportedGrantType = "unsupported_grant_type"
	ErrInvalidScope         = "invalid_scope"
	ErrInvalidTarget        = "invalid_target"
	ErrAccessDenied         = "access_denied"
	ErrServerError          = "server_error"
	// ErrTemporarilyUnavailable (RFC 6749 §4.1.2.1) answers, with 503 and
	// Retry-After, what only the unreachable database could answer.
	ErrTemporarilyUnavailable = "temporarily_unavailable"
	// ErrSlowDown answers a client over the failure limit (limit.go):
	// IANA's OAuth error registry lists it for the token endpoint (RFC
	// 8628 §3.5) with the meaning "slow down your requests".
	ErrSlowDown = "slow_down"
)

// errUnavailable is the 503 for a request the grant cache cannot answer
// while the database is unreachable.
var errUnavailable = &Error{http.StatusServiceUnavailable, ErrTemporarilyUnavailable, "the authorization server cannot reach its database; retry shortly"}

// retryAfterUnavailable is the Retry-After of a 503, in seconds: misses
// fail fast for a second after a failed load, then one tries again.
const retryAfterUnavailable = "2"

// Error is an OAuth error answer.
type Error struct {
	Status      int
	Code        string // the OAuth "error" value
	Description string
}

// Error returns "<error>: <error_description>".
func (e *Error) Error() string { return e.Code + ": " + e.Description }

func badRequest(desc string) *Error { return &Error{http.StatusBadRequest, ErrInvalidRequest, desc} }

func invalidTarget(desc string) *Error {
	return &Error{http.StatusBadRequest, ErrInvalidTarget, desc}
}

// errAuthFailed is the 401 for a wrong secret or an unusable method.
var errAuthFailed = &Error{http.StatusUnauthorized, ErrInvalidClient, "client authentication failed"}

// messages are Logto's English texts for the "message" decoration; codes
// without one get the generic fallback (spec §2.12).
var messages = map[string]string{
	ErrInvalidRequest:       "Request is invalid.",
	ErrInvalidTarget:        "Invalid resource indicator.",
	ErrAccessDenied:         "Access denied.",
	ErrInvalidGrant:         "Grant request is invalid.",
	ErrUnsupportedGrantType: "Unsupported `grant_type` requested.",
}

func message(e *Error) string {
	if m, ok := messages[e.Code]; ok {
		return m
	}
	if e.Code == ErrInvalidScope {
		return "Invalid scope: " + e.Description + "."
	}
	return "An OIDC error occurred: oidc." + e.Code + "."
}

// writeError writes e in Logto's decorated shape:
// {"code","message","error_uri"?,"error","error_description"}, or the plain
// RFC 6749 body when the request asks for ?parse_error=false.
func writeError(w http.ResponseWriter, r *http.Request, e *Error) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	if e.Status == http.StatusServiceUnavailable {
		h.Set("Retry-After", retryAfterUnavailable)
	}
	b := make([]byte, 0, 256)
	b = append(b, '{')
	if r.URL.RawQuery == "" || r.URL.Query().Get("parse_error") != "false" {
		b = append(b, `"code":`...)
		b = appendJSONString(b, "oidc."+e.Code)
		b = append(b, `,"message":`...)
		b = appendJSONString(b, message(e))
		if e.Code == ErrInvalidGrant {
			b = append(b, `,"error_uri":"https://openid.sh/debug/invalid_grant"`...)
		}
		b = append(b, ',')
	}
	b = append(b, `"error":`...)
	b = appendJSONString(b, e.Code)
	b = append(b, `,"error_description":`...)
	b = appendJSONString(b, e.Description)
	b = append(b, '}')
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(e.Status)
	w.Write(b)
}

// appendJSONString appends s as a JSON string. Descriptions can echo client
// input (a client id), so everything outside printable ASCII is escaped.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r >= 0x20 && r < 0x7f:
			b = append(b, byte(r))
		case r < 0x10000:
			b = append(b, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
		default:
			r -= 0x10000
			hi, lo := 0xd800+(r>>10), 0xdc00+(r&0x3ff)
			b = append(b, '\\', 'u', hex[hi>>12&0xf], hex[hi>>8&0xf], hex[hi>>4&0xf], hex[hi&0xf])
			b = append(b, '\\', 'u', hex[lo>>12&0xf], hex[lo>>8&0xf], hex[lo>>4&0xf], hex[lo&0xf])
		}
	}
	return append(b, '"')
}
