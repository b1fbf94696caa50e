package oidc

import (
	"crypto/rand"
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/netx"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/secret"
)

func cryptoRead(b []byte) (int, error) { return rand.Read(b) }

// audit reports one token request, successful or not, in Logto's payload
// shape for ExchangeTokenBy.ClientCredentials (spec §2.13). The secret
// itself is never written, only its name.
func (h *handler) audit(r *http.Request, x *exchange, e *Error, nowMs int64) {
	entry, b, ok := h.auditStart(r, rbac.LogKeyClientCredentials, x, e, nowMs, 512)
	if !ok {
		return
	}
	p := &x.params
	b = append(b, `,"params":{`...)
	n := 0
	field := func(name string, v param) {
		if v.n == 0 {
			return
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = appendJSONString(b, name)
		b = append(b, ':')
		b = appendJSONString(b, v.val)
	}
	field("grant_type", p.grantType)
	field("client_id", p.clientID)
	if p.clientSecret.n > 0 {
		field("client_secret", param{val: "******", n: 1})
	}
	if p.clientAssertion.n > 0 {
		field("client_assertion", param{val: "******", n: 1})
	}
	field("client_assertion_type", p.clientAssertionType)
	switch len(p.resources) {
	case 0:
	case 1:
		field("resource", param{val: p.resources[0], n: 1})
	default:
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = append(b, `"resource":[`...)
		for i, v := range p.resources {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, v)
		}
		b = append(b, ']')
	}
	field("audience", p.audience)
	field("scope", p.scope)
	field("organization_id", p.organizationID)
	b = append(b, '}')
	if x.secretName != "" {
		b = append(b, `,"applicationSecret":{"name":`...)
		b = appendJSONString(b, x.secretName)
		b = append(b, '}')
	}
	b = x.assertion.appendAudit(b)
	if e == nil {
		if len(x.scopes) > 0 {
			b = append(b, `,"scope":`...)
			b = appendJSONString(b, strings.Join(x.scopes, " "))
		}
		b = append(b, `,"tokenTypes":["AccessToken"]`...)
	}
	h.auditEnd(entry, b, e)
}

// auditStart begins an audit entry of key for the request: the entry's
// columns, and its payload opened with the fields every entry has
// (Logto's key, result, ip, userAgent, applicationId). ok is false when
// there is no audit log or no id could be made.
func (h *handler) auditStart(r *http.Request, key string, x *exchange, e *Error, nowMs int64, size int) (entry rbac.LogEntry, b []byte, ok bool) {
	if h.auditor == nil {
		return entry, nil, false
	}
	id, err := secret.NewTimeID(nowMs, h.rand)
	if err != nil {
		h.log.ErrorContext(r.Context(), "audit: make id", "err", err)
		return entry, nil, false
	}
	entry = rbac.LogEntry{TenantID: h.tenant, ID: id, Key: key, CreatedAt: nowMs, Result: rbac.ResultSuccess}
	if e != nil {
		entry.Result = rbac.ResultError
	}
	if x.client != nil {
		entry.ApplicationID = x.client.ID
	}
	b = make([]byte, 0, size)
	b = append(b, `{"key":`...)
	b = appendJSONString(b, key)
	b = append(b, `,"result":"`...)
	b = append(b, entry.Result...)
	b = append(b, `","ip":`...)
	b = appendJSONString(b, netx.ClientIP(r))
	b = append(b, `,"userAgent":`...)
	b = appendJSONString(b, r.UserAgent())
	if entry.ApplicationID != "" {
		b = append(b, `,"applicationId":`...)
		b = appendJSONString(b, entry.ApplicationID)
	}
	return entry, b, true
}

// auditEnd closes the payload, with the error when there is one, and hands
// the entry to the audit log.
func (h *handler) auditEnd(entry rbac.LogEntry, b []byte, e *Error) {
	if e != nil {
		b = append(b, `,"error":{"error":`...)
		b = appendJSONString(b, e.Code)
		b = append(b, `,"error_description":`...)
		b = appendJSONString(b, e.Description)
		b = append(b, `,"status":`...)
		b = strconv.AppendInt(b, int64(e.Status), 10)
		b = append(b, '}')
	}
	entry.Payload = append(b, '}')
	h.auditor.Log(entry)
}
