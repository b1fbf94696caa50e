package protect

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

type claimsKey struct{}

// ClaimsFrom returns the claims that [Validator.Middleware] or
// [Validator.Require] put into the request's context.
func ClaimsFrom(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*Claims)
	return c, ok && c != nil
}

// WithClaims returns a copy of ctx carrying c, as the middleware does; it
// is for tests of handlers that read [ClaimsFrom].
func WithClaims(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}

// Middleware lets through only requests with a valid bearer token for this
// API, with its claims in the request's context ([ClaimsFrom]). Others get
// the RFC 6750 answer: 401 with a bare `Bearer realm="..."` challenge when
// there is no bearer token, 401 invalid_token when it does not verify, 400
// invalid_request when the Authorization header is malformed.
func (v *Validator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, ok := v.authenticate(w, r)
		if ok {
			next.ServeHTTP(w, r)
		}
	})
}

// Require returns middleware that lets through only requests whose token
// grants every one of scopes; others get 403 insufficient_scope naming the
// missing ones. It verifies the token itself unless [Validator.Middleware]
// already did, so it can wrap a handler alone:
//
//	mux.Handle("POST /products", v.Require("write:products")(http.HandlerFunc(create)))
func (v *Validator) Require(scopes ...string) func(http.Handler) http.Handler {
	scopes = append([]string(nil), scopes...)
	return v.require("the token lacks a required scope", func(c *Claims) []string { return c.Missing(scopes...) })
}

// RequireAny returns middleware that lets through only requests whose
// token grants at least one of scopes, for routes several permissions
// open (such as "read:products" or "admin:products"); others get 403
// insufficient_scope naming all of scopes, any of which would do (error
// description "the token grants none of the accepted scopes"). With no
// scopes it refuses every request. Like [Validator.Require], it verifies
// the token itself unless [Validator.Middleware] already did:
//
//	mux.Handle("GET /products", v.RequireAny("read:products", "admin:products")(http.HandlerFunc(list)))
func (v *Validator) RequireAny(scopes ...string) func(http.Handler) http.Handler {
	scopes = append([]string(nil), scopes...)
	return v.require("the token grants none of the accepted scopes", func(c *Claims) []string {
		if c.HasAnyScope(scopes...) {
			return nil
		}
		if len(scopes) == 0 {
			return []string{}
		}
		return scopes
	})
}

// require returns middleware refusing requests for which missing returns
// non-nil, with the description desc.
func (v *Validator) require(desc string, missing func(*Claims) []string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, ok := ClaimsFrom(r.Context())
			if !ok {
				if r, ok = v.authenticate(w, r); !ok {
					return
				}
				c, _ = ClaimsFrom(r.Context())
			}
			if m := missing(c); m != nil {
				v.fail(w, r, &Error{Code: CodeInsufficientScope, Description: desc, Scopes: m, Err: ErrInsufficientScope})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// authenticate verifies the request's token and returns the request with
// the claims in its context, or answers it and returns false.
func (v *Validator) authenticate(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	c, e := v.VerifyRequest(r) // Bearer or DPoP (dpop.go)
	if e != nil {
		v.fail(w, r, e)
		return r, false
	}
	return r.WithContext(WithClaims(r.Context(), c)), true
}

// BearerToken returns the token of the request's Authorization: Bearer
// header (RFC 6750 §2.1; the scheme in any case). With no such header it
// returns an *Error with no code (ErrNoToken); with several Authorization
// headers, or a token that is not a b64token, one with invalid_request
// (ErrBadRequest). Tokens in the query or body (RFC 6750 §2.2, §2.3) are
// not looked at.
func BearerToken(r *http.Request) (string, *Error) {
	hs := r.Header.Values("Authorization")
	if len(hs) == 0 {
		return "", &Error{Description: "no bearer token", Err: ErrNoToken}
	}
	if len(hs) > 1 {
		return "", &Error{Code: CodeInvalidRequest, Description: "more than one Authorization header", Err: ErrBadRequest}
	}
	scheme, tok, _ := strings.Cut(strings.TrimSpace(hs[0]), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", &Error{Description: "no bearer token", Err: ErrNoToken}
	}
	tok = strings.TrimLeft(tok, " ")
	if !isB64Token(tok) {
		return "", &Error{Code: CodeInvalidRequest, Description: "malformed bearer token", Err: ErrBadRequest}
	}
	return tok, nil
}

// isB64Token reports whether s matches RFC 6750 §2.1's
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	if s == "" {
		return false
	}
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/') {
			break
		}
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}

func (v *Validator) fail(w http.ResponseWriter, r *http.Request, e *Error) {
	if v.cfg.errorHandler != nil {
		v.cfg.errorHandler(w, r, e)
		return
	}
	WriteError(w, e, v.cfg.realm)
}

// WriteError writes the RFC 6750 answer for e: its status, the
// WWW-Authenticate challenge with realm, and a JSON body with error and
// error_description (none when the request simply had no token). It is
// the middleware's default, for handlers written with [WithErrorHandler].
func WriteError(w http.ResponseWriter, e *Error, realm string) {
	hd := w.Header()
	hd.Set("WWW-Authenticate", e.Challenge(realm))
	hd.Set("Cache-Control", "no-store")
	if e.Code == "" {
		w.WriteHeader(e.Status())
		return
	}
	hd.Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(e.Status())
	json.NewEncoder(w).Encode(struct {
		Error       string `json:"error"`
		Description string `json:"error_description,omitempty"`
		Scope       string `json:"scope,omitempty"`
	}{e.Code, e.Description, strings.Join(e.Scopes, " ")})
}
