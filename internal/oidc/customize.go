package oidc

import (
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/customizer"
)

// LogKeyJwtCustomizer is the audit log key of a customizer run (spec §5).
const LogKeyJwtCustomizer = "JwtCustomizer.ClientCredentials"

// Customizers gives the client-credentials JWT customizer in force
// (management.Service does). It is asked once per token, so it must be
// cheap: an atomic load.
type Customizers interface {
	// ClientCredentialsCustomizer returns nil when none is configured.
	ClientCredentialsCustomizer() *customizer.Config
}

// customize runs the client-credentials JWT customizer, if one is
// configured, on the token t is about to be (spec §5): its claims become
// t.claims.Extra, where the standard claims win over them (token.Mint
// drops any that collide). api.denyAccess refuses the token with 400
// access_denied; any other failure issues the token without custom claims,
// unless blockIssuanceOnError asks for a 400 invalid_request that does not
// say what failed.
func (h *handler) customize(r *http.Request, x *exchange, t *issued, nowMs int64) *Error {
	cc := h.customizers.ClientCredentialsCustomizer()
	if cc == nil {
		return nil
	}
	c := &t.claims
	// token: the defined fields of the unsigned token, no iat/exp.
	in := make([]byte, 0, 1024)
	in = append(in, `{"token":{"jti":`...)
	in = appendJSONString(in, c.JTI)
	in = append(in, `,"aud":`...)
	in = appendJSONString(in, c.Audience)
	if c.HasScope {
		in = append(in, `,"scope":`...)
		in = appendJSONString(in, c.Scope)
	}
	in = append(in, `,"clientId":`...)
	in = appendJSONString(in, c.ClientID)
	in = append(in, `,"kind":"ClientCredentials"}`...)
	tokenEnd := len(in)
	// context: the application without its secrets (rbac.Application has
	// none), custom data included.
	in = append(in, `,"context":{`...)
	if x.client != nil {
		app, err := h.grants.Application(r.Context(), x.client)
		if err != nil {
			return h.unavailable(r.Context(), "jwt customizer: load application", err)
		}
		in = append(in, `"application":`...)
		in = append(in, app...)
	}
	in = append(in, '}')
	contextEnd := len(in)
	in = append(in, `,"environmentVariables":`...)
	in = append(in, cc.EnvironmentVariables...)
	in = append(in, '}')

	out, err := cc.Script.Run(string(in))
	// The audit entry has the script's input without the environment
	// variables (they often hold credentials), and never the script.
	payload := in[len(`{"token":`):tokenEnd]
	context := in[tokenEnd+len(`,"context":`) : contextEnd]
	var denied *customizer.Denied
	var failed *customizer.Error
	switch {
	case err == nil:
		c.Extra = out
		h.auditCustomizer(r, x, payload, context, nil, nowMs)
		return nil
	case errors.As(err, &denied):
		e := &Error{http.StatusBadRequest, ErrAccessDenied, denied.Message}
		h.auditCustomizer(r, x, payload, context, e, nowMs)
		return e
	case errors.As(err, &failed):
		// The client learns that the script failed, never how: the
		// message may hold environment variables (credentials) or custom
		// data of another app. The log and the audit entry get it with the
		// variables' values replaced.
		msg := cc.Redact(failed.Message)
		h.log.WarnContext(r.Context(), "jwt customizer failed", "kind", failed.Kind, "err", msg,
			"client_id", c.ClientID, "blocking", cc.BlockIssuanceOnError)
		h.auditCustomizer(r, x, payload, context, &Error{http.StatusBadRequest, ErrInvalidRequest, "Custom claims script error: " + msg}, nowMs)
		if cc.BlockIssuanceOnError {
			return &Error{http.StatusBadRequest, ErrInvalidRequest, "Custom claims script error."}
		}
		return nil // fail-open: the token is issued without custom claims
	}
	return h.internal(r.Context(), "jwt customizer", err)
}

// auditCustomizer records one customizer run under JwtCustomizer.
// ClientCredentials: the token and context the script saw, and the error
// when it failed (even when the token was issued anyway).
func (h *handler) auditCustomizer(r *http.Request, x *exchange, tok, context []byte, e *Error, nowMs int64) {
	entry, b, ok := h.auditStart(r, LogKeyJwtCustomizer, x, e, nowMs, 256+len(tok)+len(context))
	if !ok {
		return
	}
	b = append(b, `,"payload":{"token":`...)
	b = append(b, tok...)
	b = append(b, `,"context":`...)
	b = append(b, context...)
	b = append(b, '}')
	h.auditEnd(entry, b, e)
}
