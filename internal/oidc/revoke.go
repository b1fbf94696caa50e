package oidc

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/store"
)

// revoke serves POST /oidc/token/revocation (RFC 7009). Unlike Logto, which
// refuses every JWT, it revokes this server's own access tokens: their jti
// goes on the denylist until their exp. A token that is not one of this
// server's valid tokens (garbage, another issuer's or key's, expired) is
// answered 200 without effect, as RFC 7009 §2.2 asks, and so is a valid
// token of another client (RFC 7009 §2.1 forbids revoking it; answering it
// differently would tell the caller that it is valid).
func (h *handler) revoke(w http.ResponseWriter, r *http.Request) {
	now := h.now()
	client, raw, ok := h.tokenRequest(w, r, "/token/revocation", now.UnixMilli())
	if !ok {
		return
	}
	if t, ok := h.verifyToken(raw); ok && t.exp > now.Unix() && t.clientID == client.ID {
		err := h.denylist.Revoke(r.Context(), store.RevokedToken{
			TenantID: h.tenant, JTI: t.jti, ClientID: t.clientID, ExpiresAt: t.exp * 1000,
		})
		if err != nil {
			writeError(w, r, h.internal(r.Context(), "revoke token", err))
			return
		}
		h.log.InfoContext(r.Context(), "access token revoked", "client_id", t.clientID, "jti", t.jti, "exp", t.exp)
	}
	hd := w.Header()
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}
