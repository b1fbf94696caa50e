package oidc

import (
	"encoding/json"
	"net/http"
)

// Metadata is the authorization server metadata (RFC 8414), served also as
// OpenID Connect discovery. Unlike Logto's, it lists only what this server
// does for M2M apps (see docs/compatibility.md).
type Metadata struct {
	Issuer                            string   `json:"issuer"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	// TokenEndpointAuthSigningAlgs are the algorithms a private_key_jwt
	// client assertion may be signed with.
	TokenEndpointAuthSigningAlgs []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	ResponseTypesSupported       []string `json:"response_types_supported"`
	SubjectTypesSupported        []string `json:"subject_types_supported"`
	// IDTokenSigningAlgs lists the algorithms of the published keys, as
	// Logto's metadata does. Gatehouse issues no ID tokens; the field tells
	// JWT libraries which algorithms its access tokens use.
	IDTokenSigningAlgs []string `json:"id_token_signing_alg_values_supported"`
	// Introspection (RFC 7662) and revocation (RFC 7009) take the token
	// endpoint's client authentication.
	IntrospectionEndpoint                     string   `json:"introspection_endpoint,omitempty"`
	IntrospectionEndpointAuthMethodsSupported []string `json:"introspection_endpoint_auth_methods_supported,omitempty"`
	RevocationEndpoint                        string   `json:"revocation_endpoint,omitempty"`
	RevocationEndpointAuthMethodsSupported    []string `json:"revocation_endpoint_auth_methods_supported,omitempty"`
	// DPoPSigningAlgs are the DPoP proof algorithms the token endpoint
	// accepts (RFC 9449 §5.1).
	DPoPSigningAlgs []string `json:"dpop_signing_alg_values_supported"`
}

// NewMetadata describes the server at issuer with keys signing in algs,
// its introspection endpoint included; revocation is added by the handler
// when it serves it.
func NewMetadata(issuer string, algs []string) Metadata {
	return Metadata{
		Issuer:                                    issuer,
		TokenEndpoint:                             issuer + "/token",
		JWKSURI:                                   issuer + "/jwks",
		GrantTypesSupported:                       []string{GrantClientCredentials},
		TokenEndpointAuthMethodsSupported:         clientAuthMethods(),
		TokenEndpointAuthSigningAlgs:              AssertionAlgNames(),
		ResponseTypesSupported:                    []string{},
		SubjectTypesSupported:                     []string{"public"},
		IDTokenSigningAlgs:                        algs,
		IntrospectionEndpoint:                     issuer + "/token/introspection",
		IntrospectionEndpointAuthMethodsSupported: clientAuthMethods(),
		DPoPSigningAlgs:                           DPoPAlgs(),
	}
}

// clientAuthMethods are the client authentication methods every endpoint
// that authenticates clients accepts.
func clientAuthMethods() []string {
	return []string{"client_secret_basic", "client_secret_post", "private_key_jwt"}
}

func (h *handler) discovery(w http.ResponseWriter, r *http.Request) {
	md := NewMetadata(h.issuer, h.keys.Keys().Algs())
	if h.denylist != nil {
		md.RevocationEndpoint = h.issuer + "/token/revocation"
		md.RevocationEndpointAuthMethodsSupported = clientAuthMethods()
	}
	body, err := json.Marshal(md)
	if err != nil {
		writeError(w, r, h.internal(r.Context(), "discovery", err))
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json; charset=utf-8")
	hd.Set("Access-Control-Allow-Origin", "*")
	w.Write(body)
}
