package rbac

import (
	"encoding/json"
	"strings"
)

// Admin audit entries: one per write (POST, PUT, PATCH, DELETE) through the
// Management API or the console. Their keys share LogKeyPrefixAdmin, a
// prefix Logto does not use (its /api/logs keys are ExchangeTokenBy.*,
// RevokeToken, Interaction.* and Unknown).
const (
	LogKeyPrefixAdmin  = "Admin."
	LogKeyAdminAPI     = "Admin.ManagementApi" // a write through /api, by an application's token
	LogKeyAdminConsole = "Admin.Console"       // a form post in /console, by an administrator
)

// Kinds of AdminActor.
const (
	ActorApplication   = "application"
	ActorAdministrator = "administrator"
)

// AdminActor is who made an admin write: an application (the sub of its
// Management API token) or a console administrator.
type AdminActor struct {
	Type     string `json:"type"`
	ID       string `json:"id"`
	Username string `json:"username,omitempty"` // administrators only
}

// AdminAction is what an admin audit entry records. It never holds a
// request or response body: only the ids named in the route, and the
// values of id fields (id, ...Id, ...Ids) of the request and of a created
// entity, so that no secret value, password or key can reach the log.
type AdminAction struct {
	Key       string
	Actor     AdminActor
	Method    string
	Route     string // the route pattern without its method, e.g. /api/applications/{id}/roles
	IDs       map[string][]string
	Status    int    // the HTTP status answered
	ErrorCode string // the Management API error code of a refused write, if any
	IP        string
	UserAgent string
}

// adminPayload is AdminAction as stored, in the field names of Logto's log
// payloads where they have one (key, result, ip, userAgent, applicationId).
type adminPayload struct {
	Key           string              `json:"key"`
	Result        string              `json:"result"`
	IP            string              `json:"ip,omitempty"`
	UserAgent     string              `json:"userAgent,omitempty"`
	ApplicationID string              `json:"applicationId,omitempty"`
	Actor         AdminActor          `json:"actor"`
	Method        string              `json:"method"`
	Route         string              `json:"route"`
	IDs           map[string][]string `json:"ids,omitempty"`
	Status        int                 `json:"status"`
	Error         *adminError         `json:"error,omitempty"`
}

type adminError struct {
	Code string `json:"code,omitempty"`
}

// Entry makes the audit entry of a, with id, tenant and time from the
// caller. The result is Success for a status below 400. The actor of an
// application is also the entry's ApplicationID, so that the log's
// applicationId filter finds what an app did.
func (a AdminAction) Entry(tenant, id string, nowMs int64) LogEntry {
	p := adminPayload{Key: a.Key, Result: ResultSuccess, IP: a.IP, UserAgent: a.UserAgent, Actor: a.Actor,
		Method: a.Method, Route: a.Route, Status: a.Status}
	if len(a.IDs) > 0 {
		p.IDs = a.IDs
	}
	if a.Status >= 400 {
		p.Result = ResultError
		p.Error = &adminError{Code: a.ErrorCode}
	}
	if a.Actor.Type == ActorApplication {
		p.ApplicationID = a.Actor.ID
	}
	b, _ := json.Marshal(p) // strings, ints and maps of strings: cannot fail
	return LogEntry{TenantID: tenant, ID: id, Key: a.Key, Payload: b, CreatedAt: nowMs,
		ApplicationID: p.ApplicationID, Result: p.Result}
}

// Limits of AdminAction.IDs: what a write touches is recorded, not what a
// client can stuff into a request.
const (
	maxIDsPerField = 100
	maxIDLen       = 128
)

// IsIDField reports whether a request field holds ids: id, or a name
// ending in Id or Ids (roleIds, applicationId, ...).
func IsIDField(name string) bool {
	return name == "id" || strings.HasSuffix(name, "Id") || strings.HasSuffix(name, "Ids")
}

// AddID records id under field, within the limits; empty and oversized
// values are left out.
func (a *AdminAction) AddID(field, id string) {
	if id == "" || len(id) > maxIDLen || len(a.IDs[field]) >= maxIDsPerField {
		return
	}
	if a.IDs == nil {
		a.IDs = map[string][]string{}
	}
	a.IDs[field] = append(a.IDs[field], id)
}

// RouteWildcards returns the names of the wildcards of a ServeMux pattern
// ("POST /api/roles/{id}/scopes/{scopeId}" gives id and scopeId).
func RouteWildcards(pattern string) []string {
	var names []string
	for {
		i := strings.IndexByte(pattern, '{')
		if i < 0 {
			return names
		}
		j := strings.IndexByte(pattern[i:], '}')
		if j < 0 {
			return names
		}
		name := strings.TrimSuffix(pattern[i+1:i+j], "...")
		if name != "$" {
			names = append(names, name)
		}
		pattern = pattern[i+j+1:]
	}
}
