package grant

import (
	"bytes"
	"encoding/json"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Auth is how a client authenticates at the token endpoint beyond its
// secrets: its registered method and keys, and its federated credentials.
// It is built once, when the client is loaded, so that a token request
// parses no JWK; an application write drops it with the client.
type Auth struct {
	// Method is rbac.AuthSecret or rbac.AuthPrivateKeyJWT.
	Method string
	// Keys are the public keys of the inline jwks (those go-jose can
	// read; others are skipped).
	Keys []jose.JSONWebKey
	// JWKSURI is where the keys are fetched when there is no inline set.
	JWKSURI   string
	Federated []Federated
}

// Federated is a federated credential as the token endpoint matches it.
type Federated struct {
	Name, Issuer, Subject, JWKSURI string
	Audiences                      []string
	Claims                         map[string]string
}

// PrivateKeyJWT reports whether the client accepts only client assertions.
func (a *Auth) PrivateKeyJWT() bool { return a != nil && a.Method == rbac.AuthPrivateKeyJWT }

// newAuth reads the client authentication parts of an application; nil
// for the common app with secrets only, which then costs one pointer.
func newAuth(oidcMeta []byte, fed []store.GrantFederated) *Auth {
	var a Auth
	if bytes.Contains(oidcMeta, []byte(`"tokenEndpointAuthMethod"`)) || bytes.Contains(oidcMeta, []byte(`"jwks`)) {
		var m struct {
			Method string `json:"tokenEndpointAuthMethod"`
			JWKS   *struct {
				Keys []json.RawMessage `json:"keys"`
			} `json:"jwks"`
			JWKSURI string `json:"jwksUri"`
		}
		if json.Unmarshal(oidcMeta, &m) == nil {
			a.Method, a.JWKSURI = m.Method, m.JWKSURI
			if m.JWKS != nil {
				for _, raw := range m.JWKS.Keys {
					var k jose.JSONWebKey
					if k.UnmarshalJSON(raw) == nil && k.Valid() && k.IsPublic() {
						a.Keys = append(a.Keys, k)
					}
				}
			}
		}
	}
	for _, f := range fed {
		var m struct {
			A []string          `json:"a"`
			C map[string]string `json:"c"`
		}
		if json.Unmarshal(f.Match, &m) != nil {
			continue
		}
		a.Federated = append(a.Federated, Federated{Name: intern(f.Name), Issuer: intern(f.Issuer), Subject: f.Subject,
			JWKSURI: f.JWKSURI, Audiences: internAll(m.A), Claims: m.C})
	}
	if a.Method == "" && a.Keys == nil && a.JWKSURI == "" && a.Federated == nil {
		return nil
	}
	if a.Method == "" {
		a.Method = rbac.AuthSecret
	}
	return &a
}
