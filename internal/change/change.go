package change

import (
	"encoding/json"
	"slices"
)

// Set is what one write (or several merged) changed. The zero Set changes
// nothing.
type Set struct {
	// All drops every cached grant and resource: the fallback after a lost
	// notification connection or an unreadable payload.
	All bool `json:"all,omitempty"`
	// Apps are applications whose own grants changed: the row itself, its
	// secrets, its roles, its organization memberships and organization
	// roles, its custom data; also created and deleted applications.
	Apps []string `json:"apps,omitempty"`
	// Roles are M2M roles whose scopes changed or that were deleted: every
	// application holding one of them.
	Roles []string `json:"roles,omitempty"`
	// Resources are API resources that were created, changed (indicator,
	// token lifetime, default flag), deleted, or whose scopes were renamed
	// or deleted: the resource list, and every application granted
	// anything on one of them, through roles or organization roles.
	Resources []string `json:"resources,omitempty"`
	// Organizations were deleted or changed as a whole: every application
	// that is a member of one of them.
	Organizations []string `json:"orgs,omitempty"`
	// OrganizationRoles are organization roles whose scopes changed or that
	// were deleted: every application holding one of them in any
	// organization.
	OrganizationRoles []string `json:"orgRoles,omitempty"`
	// OrganizationTemplate means organization scopes were renamed or
	// deleted: every application that is a member of any organization.
	OrganizationTemplate bool `json:"orgTemplate,omitempty"`
	// Keys means the signing keys changed: reload them.
	Keys bool `json:"keys,omitempty"`
	// Customizer means the JWT customizer changed: reload it.
	Customizer bool `json:"customizer,omitempty"`
	// Revoked means a token was revoked: reload the denylist.
	Revoked bool `json:"revoked,omitempty"`
	// Origin names the instance that made the change, so that it can skip
	// its own notification (it applied the change before sending it).
	Origin string `json:"origin,omitempty"`
}

// App is the Set for writes to applications ids.
func App(ids ...string) Set { return Set{Apps: ids} }

// Empty reports whether s changes nothing.
func (s Set) Empty() bool {
	return !s.All && len(s.Apps) == 0 && len(s.Roles) == 0 && len(s.Resources) == 0 &&
		len(s.Organizations) == 0 && len(s.OrganizationRoles) == 0 && !s.OrganizationTemplate &&
		!s.Keys && !s.Customizer && !s.Revoked
}

// Grants reports whether s can change what a token request is granted
// (anything the grant cache holds).
func (s Set) Grants() bool {
	return s.All || len(s.Apps) > 0 || len(s.Roles) > 0 || len(s.Resources) > 0 ||
		len(s.Organizations) > 0 || len(s.OrganizationRoles) > 0 || s.OrganizationTemplate
}

// Merge returns s with everything of o added.
func (s Set) Merge(o Set) Set {
	s.All = s.All || o.All
	s.Apps = appendNew(s.Apps, o.Apps)
	s.Roles = appendNew(s.Roles, o.Roles)
	s.Resources = appendNew(s.Resources, o.Resources)
	s.Organizations = appendNew(s.Organizations, o.Organizations)
	s.OrganizationRoles = appendNew(s.OrganizationRoles, o.OrganizationRoles)
	s.OrganizationTemplate = s.OrganizationTemplate || o.OrganizationTemplate
	s.Keys = s.Keys || o.Keys
	s.Customizer = s.Customizer || o.Customizer
	s.Revoked = s.Revoked || o.Revoked
	return s
}

func appendNew(dst, src []string) []string {
	for _, v := range src {
		if !slices.Contains(dst, v) {
			dst = append(dst, v)
		}
	}
	return dst
}

// MaxPayload is the longest payload Encode returns. PostgreSQL refuses
// notification payloads of 8,000 bytes or more.
const MaxPayload = 7900

// Encode returns s as a notification payload. A Set whose encoding would
// pass MaxPayload becomes All (keeping Keys, Customizer and Revoked):
// correct, only slower for the receivers.
func (s Set) Encode() string {
	b, err := json.Marshal(s)
	if err != nil || len(b) > MaxPayload {
		b, _ = json.Marshal(Set{All: true, Keys: s.Keys, Customizer: s.Customizer, Revoked: s.Revoked, Origin: s.Origin})
	}
	return string(b)
}

// Decode reads a payload made by Encode. Anything else (an older
// instance's "changed", garbage) is All with every reload, since it cannot
// say what changed; "revoked", an older instance's revocation notice, is
// Revoked.
func Decode(payload string) Set {
	if payload == "revoked" {
		return Set{Revoked: true}
	}
	var s Set
	if len(payload) == 0 || payload[0] != '{' || json.Unmarshal([]byte(payload), &s) != nil {
		return Everything()
	}
	return s
}

// Everything is the Set that drops and reloads everything.
func Everything() Set {
	return Set{All: true, Keys: true, Customizer: true, Revoked: true}
}
