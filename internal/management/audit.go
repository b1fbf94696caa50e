package management

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/secret"
)

// Auditor takes admin audit entries (audit.Writer does: buffered, off the
// request path).
type Auditor interface {
	Log(e rbac.LogEntry)
}

// isWrite reports whether method changes something: the requests the
// admin audit trail records.
func isWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// maxAuditCapture bounds how much of a request or response body is kept
// to find the ids it names; a body beyond it contributes no ids.
const maxAuditCapture = 64 << 10

// serveAudited serves an authenticated write and records it in the audit
// log: the token's application, the method and route pattern, the ids in
// the path, the id fields of the request body and the id of a created
// entity, the status and the error code. Bodies are read for those ids
// only; nothing else of them reaches the entry.
func (a *api) serveAudited(w http.ResponseWriter, r *http.Request, pattern string, h handlerFunc) {
	in := &capture{limit: maxAuditCapture}
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.TeeReader(r.Body, in), r.Body}
	rw := &auditRecorder{ResponseWriter: w, status: http.StatusOK, body: capture{limit: maxAuditCapture}}
	a.serve(rw, r, h)

	_, route, _ := strings.Cut(pattern, " ")
	act := rbac.AdminAction{Key: rbac.LogKeyAdminAPI, Method: r.Method, Route: route, Status: rw.status,
		Actor: rbac.AdminActor{Type: rbac.ActorApplication, ID: tokenSubject(r)},
		IP:    a.clientAddr(r), UserAgent: r.UserAgent()}
	for _, name := range rbac.RouteWildcards(pattern) {
		act.AddID(name, r.PathValue(name))
	}
	if !in.over {
		bodyIDs(&act, in.Bytes())
	}
	if !rw.body.over {
		var out struct {
			ID   any    `json:"id"`
			Code string `json:"code"`
		}
		if json.Unmarshal(rw.body.Bytes(), &out) == nil {
			if id, ok := out.ID.(string); ok && rw.status < 300 && r.Method == http.MethodPost {
				act.AddID("created", id)
			}
			act.ErrorCode = out.Code
		}
	}
	now := a.now().UnixMilli()
	id, err := secret.NewTimeID(now, a.rand)
	if err != nil {
		a.log.ErrorContext(r.Context(), "audit: make id", "err", err)
		return
	}
	a.audit.Log(act.Entry(a.svc.cfg.Tenant, id, now))
}

// bodyIDs adds the id fields (see rbac.IsIDField) of a JSON object body: a
// string or an array of strings each.
func bodyIDs(act *rbac.AdminAction, body []byte) {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return
	}
	for name, raw := range fields {
		if !rbac.IsIDField(name) {
			continue
		}
		var one string
		if json.Unmarshal(raw, &one) == nil {
			act.AddID(name, one)
			continue
		}
		var many []string
		if json.Unmarshal(raw, &many) == nil {
			for _, v := range many {
				act.AddID(name, v)
			}
		}
	}
}

// tokenSubject is the sub of the request's bearer token. Call it only
// after authenticate accepted the token: it reads the claims without
// verifying them again.
func tokenSubject(r *http.Request) string {
	raw, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c struct {
		Sub string `json:"sub"`
	}
	json.Unmarshal(b, &c)
	return c.Sub
}

// capture keeps the first limit bytes written to it; over says more came.
type capture struct {
	bytes.Buffer
	limit int
	over  bool
}

func (c *capture) Write(p []byte) (int, error) {
	if room := c.limit - c.Len(); room < len(p) {
		c.over = true
		if room > 0 {
			c.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return c.Buffer.Write(p)
}

// auditRecorder passes a response through and keeps its status and the start
// of its body.
type auditRecorder struct {
	http.ResponseWriter
	status  int
	written bool
	body    capture
}

func (r *auditRecorder) WriteHeader(code int) {
	if !r.written {
		r.status, r.written = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *auditRecorder) Write(p []byte) (int, error) {
	r.written = true
	r.body.Write(p)
	return r.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *auditRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
