package console

import (
	"errors"
	"github.com/gatehouse/gatehouse/internal/netx"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse/gatehouse/internal/management"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/secret"
)

// serveAudited runs a form post of an administrator and records it in the
// audit log: the administrator, the method and route pattern, the ids in
// the path, the id fields of the form (id, ...Id, ...Ids) and the id of a
// created entity (from the redirect to its page), the status and the
// error code. No other form value (names, passwords, secrets, custom data)
// reaches the entry.
func (c *console) serveAudited(w http.ResponseWriter, r *http.Request, pattern string, s *session, h handlerFunc) {
	rw := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	var code string
	if err := h(rw, r, s); err != nil {
		var me *management.Error
		if errors.As(err, &me) {
			code = me.Code
		}
		c.fail(rw, r, s, err)
	}
	_, route, _ := strings.Cut(pattern, " ")
	act := rbac.AdminAction{Key: rbac.LogKeyAdminConsole, Method: r.Method, Route: route, Status: rw.status, ErrorCode: code,
		Actor: rbac.AdminActor{Type: rbac.ActorAdministrator, ID: s.AdminID, Username: s.Username},
		IP:    c.auditAddr(r), UserAgent: r.UserAgent()}
	for _, name := range rbac.RouteWildcards(pattern) {
		act.AddID(name, r.PathValue(name))
	}
	for name, vals := range r.PostForm {
		if rbac.IsIDField(name) {
			for _, v := range vals {
				act.AddID(name, v)
			}
		}
	}
	if strings.HasSuffix(route, "/new") && rw.status == http.StatusSeeOther {
		// A creation redirects to the new entity's page: base/kind/id...
		if u, err := url.Parse(rw.Header().Get("Location")); err == nil {
			rest := strings.Split(strings.TrimPrefix(u.Path, c.base+"/"), "/")
			if len(rest) >= 2 {
				act.AddID("created", rest[1])
			}
		}
	}
	now := c.now().UnixMilli()
	id, err := secret.NewTimeID(now, c.rand)
	if err != nil {
		c.log.ErrorContext(r.Context(), "audit: make id", "err", err)
		return
	}
	c.cfg.Audit.Log(act.Entry(rbac.DefaultTenant, id, now))
}

// auditAddr is the client address an audit entry records.
func (c *console) auditAddr(r *http.Request) string {
	if c.cfg.ClientAddr != nil {
		return c.cfg.ClientAddr(r)
	}
	return netx.ClientIP(r)
}

// statusRecorder passes a response through and keeps its status.
type statusRecorder struct {
	http.ResponseWriter
	status  int
	written bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.written {
		r.status, r.written = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	r.written = true
	return r.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
