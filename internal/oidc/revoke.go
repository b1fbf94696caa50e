package oidc

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/store"
)

// errNotOwner refuses the revocation of another client's token, with the
// answer Logto's provider gives a confidential client in that case.
var errNotOwner = badRequest("client is not authorized to revoke the presented token")

// revoke serves POST /oidc/token/revocation (RFC 7009). Unlike Logto, which
// refuses every JWT, it revokes this server's own access tokens: their jti
// goes on the denylist until their exp. A token that is not one of this
// server's valid tokens (garbage, another issuer's or key's, expired) is
// answered 200 without effect, as RFC 7009 §2.2 asks; a valid token of
// another client is refused (RFC 7009 §2.1).
func (h *handler) revoke(w http.ResponseWriter, r *http.Request) {
	now := h.now()
	client, raw, ok := h.tokenRequest(w, r, "/token/revocation", now.UnixMilli())
	if !ok {
		return
	}
	if t, ok := h.verifyToken(raw); ok && t.exp > now.Unix() {
		if t.clientID != client.ID {
			writeError(w, r, errNotOwner)
			return
		}
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
