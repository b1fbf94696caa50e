package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	// go-jose is already the module's JOSE library (the Management API's
	// token check uses it); verifying here with the same code keeps one
	// notion of a valid token.
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse/gatehouse/internal/grant"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Denylist is the revocation denylist as introspection and revocation use
// it (revoke.List is one).
type Denylist interface {
	Revoked(jti string) bool
	Revoke(ctx context.Context, t store.RevokedToken) error
}

// verifyAlgs are the algorithms Gatehouse's keys sign with; nothing else is
// accepted (never "none", never HMAC).
var verifyAlgs = []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.ES512, jose.EdDSA, jose.RS256}

// accessToken is a verified access token of this server.
type accessToken struct {
	jti, sub, clientID, aud, iss string
	scope                        *string // nil: no scope claim
	orgID                        string
	jkt                          string // cnf.jkt: a DPoP-bound token
	iat, exp                     int64  // epoch seconds
}

// verifyToken parses raw as an access token of this server: a compact JWS
// with typ at+jwt, signed by one of the published keys (current, next or
// previous) with that key's algorithm, issued here (iss), naming one
// audience, a jti, sub, client_id and exp. It does not check expiry or the
// denylist: callers do, as their answers differ. ok is false for anything
// else (garbage, another server's or another key's token, tampering).
func (h *handler) verifyToken(raw string) (t accessToken, ok bool) {
	if raw == "" || len(raw) > MaxBodyBytes {
		return t, false
	}
	tok, err := jwt.ParseSigned(raw, verifyAlgs)
	if err != nil || len(tok.Headers) != 1 {
		return t, false
	}
	hd := tok.Headers[0]
	if typ, _ := hd.ExtraHeaders["typ"].(string); !strings.EqualFold(typ, "at+jwt") && !strings.EqualFold(typ, "application/at+jwt") {
		return t, false
	}
	pub, alg, ok := h.keys.Keys().PublicKey(hd.KeyID)
	if !ok || alg != hd.Algorithm {
		return t, false
	}
	var (
		std   jwt.Claims
		extra struct {
			ClientID       string          `json:"client_id"`
			Scope          json.RawMessage `json:"scope"`
			OrganizationID string          `json:"organization_id"`
			Cnf            struct {
				JKT string `json:"jkt"`
			} `json:"cnf"`
		}
	)
	if tok.Claims(pub, &std, &extra) != nil {
		return t, false
	}
	if std.Issuer != h.issuer || len(std.Audience) != 1 || std.ID == "" || std.Subject == "" ||
		extra.ClientID == "" || std.Expiry == nil || std.IssuedAt == nil {
		return t, false
	}
	t = accessToken{
		jti: std.ID, sub: std.Subject, clientID: extra.ClientID, aud: std.Audience[0], iss: std.Issuer,
		orgID: extra.OrganizationID, jkt: extra.Cnf.JKT, iat: int64(*std.IssuedAt), exp: int64(*std.Expiry),
	}
	if extra.Scope != nil && string(extra.Scope) != "null" {
		var s string
		if json.Unmarshal(extra.Scope, &s) != nil {
			return accessToken{}, false
		}
		t.scope = &s
	}
	return t, true
}

// tokenRequest reads an introspection or revocation request: it
// authenticates the client as the token endpoint does and reads the token
// parameter. When either fails it answers the request itself and ok is
// false.
func (h *handler) tokenRequest(w http.ResponseWriter, r *http.Request, path string, nowMs int64) (client *grant.Client, token string, ok bool) {
	var x exchange
	client, e := h.authClient(r, path, &x, nowMs)
	if e != nil {
		h.writeClientError(w, r, e)
		return nil, "", false
	}
	token, e = tokenParam(&x.params)
	if e != nil {
		writeError(w, r, e)
		return nil, "", false
	}
	return client, token, true
}

// tokenParam returns the token parameter (RFC 7662 §2.1, RFC 7009 §2.1).
// token_type_hint is accepted and ignored: every token this server issues
// is an access token, and RFC 7662 §2.1 requires looking beyond the hint.
func tokenParam(p *tokenParams) (string, *Error) {
	switch {
	case p.token.n > 1:
		return "", duplicateError("token")
	case p.tokenTypeHint.n > 1:
		return "", duplicateError("token_type_hint")
	case p.token.val == "":
		return "", badRequest("missing required parameter 'token'")
	}
	return p.token.val, nil
}

// writeClientError writes e, with the WWW-Authenticate challenge the token
// endpoint sends when Basic credentials were refused, or the Retry-After of
// the failure limit.
func (h *handler) writeClientError(w http.ResponseWriter, r *http.Request, e *Error) {
	if e.Status == http.StatusUnauthorized && r.Header.Get("Authorization") != "" {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+h.issuer+`", error="`+e.Code+`", error_description="`+e.Description+`"`)
	}
	h.setRetryAfter(w, e)
	writeError(w, r, e)
}

// introspection is an RFC 7662 §2.2 answer. An inactive token gets only
// {"active":false}.
type introspection struct {
	Active         bool    `json:"active"`
	ClientID       string  `json:"client_id,omitempty"`
	Subject        string  `json:"sub,omitempty"`
	Audience       string  `json:"aud,omitempty"`
	Scope          *string `json:"scope,omitempty"`
	Expiry         int64   `json:"exp,omitempty"`
	IssuedAt       int64   `json:"iat,omitempty"`
	Issuer         string  `json:"iss,omitempty"`
	TokenType      string  `json:"token_type,omitempty"`
	OrganizationID string  `json:"organization_id,omitempty"`
	// Cnf is the key a DPoP-bound token is bound to (RFC 9449 §6.2).
	Cnf *confirmation `json:"cnf,omitempty"`
}

// confirmation is RFC 7800's cnf claim, with RFC 9449's jkt member.
type confirmation struct {
	JKT string `json:"jkt"`
}

// introspect serves POST /oidc/token/introspection (RFC 7662). Unlike
// Logto, which refuses every JWT, it introspects this server's own access
// tokens; docs/compatibility.md describes what "active" means.
func (h *handler) introspect(w http.ResponseWriter, r *http.Request) {
	now := h.now()
	client, raw, ok := h.tokenRequest(w, r, "/token/introspection", now.UnixMilli())
	if !ok {
		return
	}
	ans := introspection{}
	if t, ok := h.verifyToken(raw); ok && (t.clientID == client.ID || h.isAdmin(client)) {
		active, e := h.active(r.Context(), &t, now)
		if e != nil {
			writeError(w, r, e)
			return
		}
		if active {
			ans = introspection{
				Active: true, ClientID: t.clientID, Subject: t.sub, Audience: t.aud, Scope: t.scope,
				Expiry: t.exp, IssuedAt: t.iat, Issuer: t.iss, TokenType: "Bearer", OrganizationID: t.orgID,
			}
			if t.jkt != "" {
				ans.TokenType, ans.Cnf = "DPoP", &confirmation{t.jkt}
			}
		}
	}
	body, err := json.Marshal(ans)
	if err != nil {
		writeError(w, r, h.internal(r.Context(), "introspection", err))
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

// isAdmin reports whether the client's roles grant it the Management API's
// "all" scope: such a client may introspect any token of this server.
func (h *handler) isAdmin(c *grant.Client) bool {
	if h.adminResource == "" {
		return false
	}
	return c.Scopes(h.adminResource).Has("all")
}

// active decides whether a verified token still stands, at now:
//   - it has not expired (exp > now) and was not revoked (the denylist);
//   - its application still exists, and it is the token's subject;
//   - for a resource token (no organization), the resource still exists and
//     the application's roles still grant every scope of the token for it.
//
// Organization tokens (aud urn:logto:organization:…, or an organization_id
// claim) are checked for expiry, revocation, the application and, for an
// organization-scoped resource token, the resource; their scopes come from
// organization roles, which this check does not re-evaluate.
func (h *handler) active(ctx context.Context, t *accessToken, now time.Time) (bool, *Error) {
	if t.exp <= now.Unix() || t.sub != t.clientID {
		return false, nil
	}
	if h.denylist != nil && h.denylist.Revoked(t.jti) {
		return false, nil
	}
	app, err := h.grants.Client(ctx, h.tenant, t.clientID)
	if errors.Is(err, grant.ErrUnknownClient) {
		return false, nil
	}
	if err != nil {
		return false, h.unavailable(ctx, "load client", err)
	}
	// The grant behind the token must still stand: for an organization
	// token, membership and the organization scopes; for a resource token,
	// the resource and the scopes granted for it (through the app's roles,
	// or its organization roles when the token names an organization).
	var granted rbac.ScopeSet
	has := func(s string) bool { return granted.Has(s) }
	if orgID, ok := strings.CutPrefix(t.aud, OrganizationURNPrefix); ok {
		org := app.Organization(orgID)
		if org == nil {
			return false, nil
		}
		has = func(s string) bool { return slices.Contains(org.Scopes, s) }
	} else {
		if _, ok, err := h.grants.Resource(ctx, h.tenant, t.aud); err != nil {
			return false, h.unavailable(ctx, "load resource", err)
		} else if !ok {
			return false, nil
		}
		granted = app.Scopes(t.aud)
		if t.orgID != "" {
			org := app.Organization(t.orgID)
			if org == nil {
				return false, nil
			}
			granted = org.ResourceScopes(t.aud)
		}
	}
	if t.scope == nil {
		return true, nil
	}
	for _, s := range strings.Fields(*t.scope) {
		if !has(s) {
			return false, nil
		}
	}
	return true, nil
}
