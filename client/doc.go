// Package client is the Go SDK for Gatehouse (and for Logto's
// machine-to-machine surface, which Gatehouse speaks): it gets access tokens
// with the OAuth 2.0 client credentials grant, and it calls the Management
// API.
//
// # Tokens
//
// [NewTokenSource] returns a [TokenSource] for one client, resource, set of
// scopes and optional organization. It implements golang.org/x/oauth2's
// TokenSource, so [golang.org/x/oauth2.NewClient] and [oauth2.Transport] work
// with it. It caches the token, asks for a new one a leeway (60 s by default)
// before the old one expires, sends a single request to the token endpoint
// however many goroutines ask at once, and reports a refusal of the token
// endpoint as an [*OAuthError] carrying the RFC 6749 error and
// error_description.
//
// # DPoP
//
// With a [DPoPKey] in [TokenConfig].DPoP ([GenerateDPoPKey], [ParseDPoPKey]
// or [NewDPoPKey] around any crypto.Signer), every token request carries a
// DPoP proof (RFC 9449) and the server binds the tokens to the key;
// [TokenSource.Client] then sends API requests through a [DPoPTransport],
// with `Authorization: DPoP` and a fresh proof (with ath) per request.
// Proofs are signed with the standard library alone.
//
// # Management API
//
// [NewManagementAPI] takes the options of @logto/api's createManagementApi
// (tenant id, client id and secret, base URL, API indicator, with the same
// defaults) and returns a [ManagementAPI] with one context-first method per
// route of the Management API (the method names are the operation ids of
// api/openapi.yaml; a test holds the two together). Failures are [*Error]
// values with the HTTP status and the body's code and message; test them with
// errors.Is against [ErrNotFound], [ErrConflict], [ErrUnauthorized] and
// [ErrForbidden]. The All* methods iterate over every page of a list.
// Error() includes the details of a refused request (which fields, and why).
// Request types say in their doc which fields the server requires.
//
// # Configuration errors
//
// [TokenConfig.Validate] and [ManagementOptions.Validate] report a missing
// or malformed BaseURL (no http:// or https://, no host) as an error wrapping
// [ErrInvalidConfig] that names the field; call them at startup to fail
// early. A client built from such a configuration sends nothing and returns
// that error from every call.
//
// What it does not do: verify tokens (that is the protect package, for API
// owners), the authorization code or any user-facing flow, or retry failed
// requests (the caller decides).
//
// The package is a module of its own (go get
// github.com/gatehouse/gatehouse/client), for Go 1.23 and later; its only
// dependency beyond the standard library is golang.org/x/oauth2.
package client
