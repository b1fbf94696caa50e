package management

import (
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// federatedRoutes registers the federated credential routes (issue 12).
func (a *api) federatedRoutes() {
	a.handle("GET /api/applications/{id}/federated-credentials", a.listFederated)
	a.handle("POST /api/applications/{id}/federated-credentials", a.createFederated)
	a.handle("DELETE /api/applications/{id}/federated-credentials/{credentialId}", a.deleteFederated)
}

func (a *api) listFederated(w http.ResponseWriter, r *http.Request) error {
	list, err := a.svc.ListFederatedCredentials(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (a *api) createFederated(w http.ResponseWriter, r *http.Request) error {
	g := BodyGuard(w, r)
	var in FederatedCreate
	in.Name, _ = g.String("name", StrRule{Required: true, Min: 1, Max: 128})
	if v, ok := g.String("issuer", StrRule{Required: true, Min: 1, Max: maxURILength}); ok && !httpURL(v) {
		g.Custom("issuer", "issuer must be an absolute https URL")
	} else {
		in.Issuer = v
	}
	in.Subject, _ = g.String("subject", StrRule{Required: true, Min: 1, Max: 1024})
	if v, ok := g.Strings("audiences", true, 1, 1); ok {
		if len(v) > rbac.MaxFederatedAudiences {
			g.Custom("audiences", "At most 10 audiences")
		}
		in.Audiences = v
	}
	if raw, ok := g.Object("claims", false); ok {
		if json.Unmarshal(raw, &in.Claims) != nil {
			g.Custom("claims", "claims must map claim names to string values")
		} else if len(in.Claims) > rbac.MaxFederatedClaims {
			g.Custom("claims", "At most 20 claims")
		}
	}
	if g.Has("jwksUri") && jsonType(g.Keys()["jwksUri"]) != "null" {
		if v, ok := g.String("jwksUri", StrRule{Min: 1, Max: maxURILength}); ok && !httpURL(v) {
			g.Custom("jwksUri", "jwksUri must be an absolute https URL")
		} else {
			in.JWKSURI = v
		}
	}
	if err := g.Err(); err != nil {
		return err
	}
	c, err := a.svc.CreateFederatedCredential(r.Context(), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, c)
}

func (a *api) deleteFederated(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.DeleteFederatedCredential(r.Context(), r.PathValue("id"), r.PathValue("credentialId")); err != nil {
		return err
	}
	return noContent(w)
}

// httpURL reports an absolute http(s) URL with a host, without user
// information or fragment. Whether http is fetched is the fetcher's rule
// (https only unless GATEHOUSE_FEDERATION_ALLOW_INSECURE).
func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil && u.Fragment == ""
}
