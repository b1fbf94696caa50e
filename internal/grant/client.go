package grant

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"unique"

	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Secret is what the token endpoint needs to check a presented secret.
type Secret struct {
	Name      string
	Digest    []byte
	ExpiresAt int64 // epoch ms; 0: never
}

// Client is an application as the token endpoint sees it, and nothing more:
// a cached application costs a few hundred bytes. It is shared and must not
// be modified.
type Client struct {
	TenantID    string
	ID          string
	Type        rbac.AppType
	Secrets     []Secret
	CORSOrigins []string
	// DPoPBound is oidcClientMetadata.dpopBoundAccessTokens: a token
	// request without a DPoP proof is refused (RFC 9449 §5.2).
	DPoPBound bool
	// Auth holds the registered keys and federated credentials; nil when
	// the client has secrets only.
	Auth *Auth
	// App is the application's JSON (without secrets), for the JWT
	// customizer's context; nil unless a customizer was configured when the
	// client was loaded (see [Cache.Application]).
	App json.RawMessage

	roles []*roleRef     // shared with every client holding the role (roles.go)
	orgs  []Organization // by ID

	// What the organization grants were derived from, so that a change to
	// one of them finds this client (see [change.Set]).
	resources, orgRoles []string
}

// ResourceScopes are the scopes granted on one resource.
type ResourceScopes struct {
	Indicator string
	Scopes    rbac.ScopeSet
}

// Organization is what a member app may be granted in one organization,
// through its machine-to-machine organization roles.
type Organization struct {
	ID string
	// Scopes are the organization scopes, in the order organization
	// tokens list them (sorted by name).
	Scopes    []string
	resources []ResourceScopes
}

// Scopes returns the scopes the client's M2M roles grant on the resource
// with this indicator (none when it holds none), as the roles stand now.
func (c *Client) Scopes(indicator string) rbac.ScopeSet {
	var one rbac.ScopeSet
	var union []string
	for _, r := range c.roles {
		s := scopesOf(r.data().grants, indicator)
		switch {
		case len(s) == 0:
		case one == nil:
			one = s
		default: // several roles grant on it: rare, and only then a copy
			if union == nil {
				union = append(union, one...)
			}
			union = append(union, s...)
		}
	}
	if union != nil {
		return rbac.NewScopeSet(union)
	}
	return one
}

// Organization returns what the client may be granted in organization id,
// or nil when it is not a member.
func (c *Client) Organization(id string) *Organization {
	i, ok := slices.BinarySearchFunc(c.orgs, id, func(o Organization, id string) int { return strings.Compare(o.ID, id) })
	if !ok {
		return nil
	}
	return &c.orgs[i]
}

// ResourceScopes returns the resource scopes the client's organization
// roles grant in o on the resource with this indicator.
func (o *Organization) ResourceScopes(indicator string) rbac.ScopeSet {
	return scopesOf(o.resources, indicator)
}

func scopesOf(list []ResourceScopes, indicator string) rbac.ScopeSet {
	for i := range list {
		if list[i].Indicator == indicator {
			return list[i].Scopes
		}
	}
	return nil
}

// intern returns the canonical copy of s: the same scope names, indicators,
// role and organization ids recur in thousands of clients, and each is then
// held once.
func intern(s string) string { return unique.Make(s).Value() }

// newClient builds a client from what the store read at event seq, or
// reports false when a role it would create in the registry changed since.
func (cc *Cache) newClient(tenant string, g *store.AppGrants, seq uint64) (*Client, bool) {
	roles, ok := cc.link(tenant, g.Roles, seq)
	if !ok {
		return nil, false
	}
	c := &Client{roles: roles, TenantID: intern(tenant), ID: g.ID, Type: rbac.AppType(intern(g.Type))}
	c.CORSOrigins = corsOrigins(g.CustomClientMetadata)
	c.DPoPBound = dpopBound(g.OIDCClientMetadata)
	c.Auth = newAuth(g.OIDCClientMetadata, g.Federated)
	if len(g.Secrets) > 0 {
		c.Secrets = make([]Secret, len(g.Secrets))
		for i, s := range g.Secrets {
			sec := Secret{Name: intern(s.Name), Digest: s.Digest}
			if s.ExpiresAt != nil {
				sec.ExpiresAt = *s.ExpiresAt
				if sec.ExpiresAt == 0 { // the epoch itself: long expired, not "never"
					sec.ExpiresAt = 1
				}
			}
			c.Secrets[i] = sec
		}
	}
	type orgAcc struct {
		scopes    []string
		resources map[string][]string
	}
	orgs := map[string]*orgAcc{}
	for _, r := range g.Organizations {
		o := orgs[r.OrganizationID]
		if o == nil {
			o = &orgAcc{resources: map[string][]string{}}
			orgs[r.OrganizationID] = o
		}
		if r.RoleID != "" {
			c.orgRoles = appendID(c.orgRoles, r.RoleID)
		}
		switch {
		case r.ResourceID != "":
			c.resources = appendID(c.resources, r.ResourceID)
			o.resources[r.Indicator] = append(o.resources[r.Indicator], r.Scope)
		case r.Scope != "":
			o.scopes = append(o.scopes, r.Scope)
		}
	}
	if len(orgs) > 0 {
		c.orgs = make([]Organization, 0, len(orgs))
		for id, o := range orgs {
			scopes := rbac.NewScopeSet(internAll(o.scopes))
			if scopes == nil {
				scopes = rbac.ScopeSet{}
			}
			c.orgs = append(c.orgs, Organization{ID: intern(id), Scopes: scopes, resources: resourceScopes(o.resources)})
		}
		slices.SortFunc(c.orgs, func(a, b Organization) int { return strings.Compare(a.ID, b.ID) })
	}
	return c, true
}

func resourceScopes(m map[string][]string) []ResourceScopes {
	if len(m) == 0 {
		return nil
	}
	out := make([]ResourceScopes, 0, len(m))
	for ind, names := range m {
		out = append(out, ResourceScopes{Indicator: intern(ind), Scopes: rbac.NewScopeSet(internAll(names))})
	}
	slices.SortFunc(out, func(a, b ResourceScopes) int { return strings.Compare(a.Indicator, b.Indicator) })
	return out
}

func internAll(names []string) []string {
	for i, n := range names {
		names[i] = intern(n)
	}
	return names
}

func appendID(ids []string, id string) []string {
	if id == "" || slices.Contains(ids, id) {
		return ids
	}
	return append(ids, intern(id))
}

func corsOrigins(meta []byte) []string {
	var m struct {
		CORSAllowedOrigins []string `json:"corsAllowedOrigins"`
	}
	if len(meta) == 0 || json.Unmarshal(meta, &m) != nil || len(m.CORSAllowedOrigins) == 0 {
		return nil
	}
	return m.CORSAllowedOrigins
}

// dpopBound reads oidcClientMetadata.dpopBoundAccessTokens; anything but
// true (absent, malformed) is false. Most apps do not name it, and a
// bulk load of many apps then skips the JSON decoding.
func dpopBound(meta []byte) bool {
	if !bytes.Contains(meta, []byte("dpopBoundAccessTokens")) {
		return false
	}
	var m struct {
		DPoPBound bool `json:"dpopBoundAccessTokens"`
	}
	return len(meta) > 0 && json.Unmarshal(meta, &m) == nil && m.DPoPBound
}
