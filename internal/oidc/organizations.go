package oidc

import (
	"context"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/grant"
)

// Organization tokens (spec §2.7): an M2M app that is a member of an
// organization asks with organization_id for a token whose audience is the
// organization, or for a resource token carrying the organization_id claim.

// OrganizationURNPrefix starts the audience of organization tokens.
const OrganizationURNPrefix = "urn:logto:organization:"

// organizationTokenTTL is the fixed lifetime of organization tokens.
const organizationTokenTTL = 3600

var errNotMember = &Error{http.StatusForbidden, ErrAccessDenied, "app has not associated with the organization"}

// organizationOf returns what the client holds in the requested
// organization: nil when the request names none, 403 access_denied when
// the client is not a member (an unknown organization included). It runs
// before the resource is looked at, as in Logto.
func organizationOf(c *grant.Client, p *tokenParams) (*grant.Organization, *Error) {
	id := p.organizationID.val
	if id == "" {
		return nil, nil
	}
	org := c.Organization(id)
	if org == nil {
		return nil, errNotMember
	}
	return org, nil
}

// hasResource reports whether the request names a resource (resource, or
// its alias audience). With organization_id and no resource, the default
// resource is ignored and an organization token is issued.
func (p *tokenParams) hasResource() bool {
	return len(p.resources) > 0 || p.audience.val != ""
}

// organizationToken issues an organization token: audience
// urn:logto:organization:<id>, TTL 3600, and the scope always present ("" when
// nothing is granted), listing the granted organization scopes in the
// order the grant holds them, not the request's.
func (h *handler) organizationToken(ctx context.Context, x *exchange, org *grant.Organization, nowSec int64) (*issued, *Error) {
	aud := OrganizationURNPrefix + x.params.organizationID.val
	x.resource = aud
	x.scopes = organizationScopes(x.params.scope.val, org.Scopes)
	t := &issued{ttl: organizationTokenTTL, scopes: x.scopes}
	c, err := h.claims(t, x.client.ID, aud, nowSec)
	if err != nil {
		return nil, h.internal(ctx, "make token id", err)
	}
	c.HasScope = true
	c.Scope = strings.Join(x.scopes, " ")
	t.claims = c
	return t, nil
}

// organizationScopes keeps the held scopes that were requested (requested
// is split on single spaces, as Logto does), in held's order.
func organizationScopes(requested string, held []string) []string {
	if requested == "" || len(held) == 0 {
		return nil
	}
	var out []string
	for _, s := range held {
		for r := range strings.SplitSeq(requested, " ") {
			if r == s {
				out = append(out, s)
				break
			}
		}
	}
	return out
}
