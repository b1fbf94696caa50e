package client

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Sentinels for errors.Is. An [*Error] of the Management API, or an
// [*OAuthError] of the token endpoint, matches the one its status and code
// stand for.
var (
	// ErrNotFound: 404, no such entity (or route).
	ErrNotFound = errors.New("client: not found")
	// ErrConflict: 409, or 422 with a code saying the value is taken
	// (codes ending in _exists or _in_use, like role.name_in_use, and
	// entity.unique_integrity_violation, a name in use in the
	// organization template).
	ErrConflict = errors.New("client: conflict")
	// ErrUnauthorized: 401, or an invalid_client refusal of the token
	// endpoint: the credentials or the token are not accepted.
	ErrUnauthorized = errors.New("client: unauthorized")
	// ErrForbidden: 403, the token lacks the scope the route needs.
	ErrForbidden = errors.New("client: forbidden")
)

// Error is a failed Management API call: the HTTP status and Logto's error
// body {code, message, details?}.
type Error struct {
	Status  int    // HTTP status
	Code    string // the body's code, like entity.not_exists_with_id; "" if the body had none
	Message string // the body's message, or the start of a body that was not JSON
	Details string // guard failures: the issues, one per line
}

// Error is "client: HTTP status code: message", followed by the details
// (the fields the server refused and why), when the body had any and the
// message does not already hold them.
func (e *Error) Error() string {
	var s string
	if e.Code == "" {
		s = fmt.Sprintf("client: HTTP %d: %s", e.Status, e.Message)
	} else {
		s = fmt.Sprintf("client: HTTP %d %s: %s", e.Status, e.Code, e.Message)
	}
	if d := strings.TrimSpace(e.Details); d != "" && !strings.Contains(e.Message, d) {
		s += " (" + strings.Join(strings.Fields(strings.ReplaceAll(d, "\n", "; ")), " ") + ")"
	}
	return s
}

// Is reports whether target is the sentinel for e's status and code.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrConflict:
		return e.Status == http.StatusConflict ||
			e.Status == http.StatusUnprocessableEntity &&
				(strings.HasSuffix(e.Code, "_exists") || strings.HasSuffix(e.Code, "_in_use") ||
					e.Code == "entity.unique_integrity_violation")
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrForbidden:
		return e.Status == http.StatusForbidden
	}
	return false
}

// OAuthError is a refusal of the token endpoint (RFC 6749 §5.2).
type OAuthError struct {
	Status      int    // HTTP status
	Code        string // the body's "error", like invalid_client or invalid_target
	Description string // the body's "error_description"
	URI         string // the body's "error_uri", if any
}

func (e *OAuthError) Error() string {
	if e.Description == "" {
		return fmt.Sprintf("client: token endpoint: HTTP %d: %s", e.Status, e.Code)
	}
	return fmt.Sprintf("client: token endpoint: HTTP %d: %s: %s", e.Status, e.Code, e.Description)
}

// Is matches ErrUnauthorized for invalid_client (unknown client or wrong
// secret) and ErrForbidden for unauthorized_client and access_denied.
func (e *OAuthError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Code == "invalid_client"
	case ErrForbidden:
		return e.Code == "unauthorized_client" || e.Code == "access_denied"
	}
	return false
}

// ErrInvalidConfig is wrapped by the error of a [TokenConfig] or
// [ManagementOptions] that cannot work, like a BaseURL without a scheme.
// Their Validate methods return it at once; a client built from such a
// configuration returns it from every call without sending anything.
var ErrInvalidConfig = errors.New("client: invalid configuration")

// checkURL reports what is wrong with u as a server address or endpoint
// named name: it must be an absolute http or https URL with a host.
func checkURL(name, u string) error {
	if u == "" {
		return fmt.Errorf("%w: %s is empty; want the server's address, like https://auth.example.com", ErrInvalidConfig, name)
	}
	p, err := url.Parse(u)
	if err != nil {
		return fmt.Errorf("%w: %s %q is not a URL: %v", ErrInvalidConfig, name, u, err)
	}
	if p.Scheme != "http" && p.Scheme != "https" {
		return fmt.Errorf("%w: %s %q must start with http:// or https://", ErrInvalidConfig, name, u)
	}
	if p.Host == "" {
		return fmt.Errorf("%w: %s %q has no host", ErrInvalidConfig, name, u)
	}
	return nil
}
