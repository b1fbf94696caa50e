package management

import (
	"net/http"
	"strconv"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// logRoutes registers the audit log routes (spec §4.14).
func (a *api) logRoutes() {
	a.handle("GET /api/logs", a.listLogs)
	a.handle("GET /api/logs/{id}", a.getLog)
}

// listLogs is always paginated, newest first. Query: logKey, applicationId,
// userId, start_time and end_time (epoch ms, inclusive), enableCap (a Logto
// Cloud switch, accepted and ignored), and two of Gatehouse's own:
// logKeyPrefix (keys starting with it, e.g. "Admin." for the admin audit
// trail) and result (Success or Error). The audit log holds no user entries
// yet, so a userId selects nothing.
func (a *api) listLogs(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePager(r, true)
	if err != nil {
		return err
	}
	g := QueryGuard(r)
	f := rbac.LogFilter{Limit: p.Limit(), Offset: p.Offset()}
	f.Key, _ = g.String("logKey", StrRule{})
	f.KeyPrefix, _ = g.String("logKeyPrefix", StrRule{})
	f.ApplicationID, _ = g.String("applicationId", StrRule{})
	f.Result, _ = g.String("result", StrRule{})
	if f.Result != "" && f.Result != rbac.ResultSuccess && f.Result != rbac.ResultError {
		g.Custom("result", "Expected Success or Error")
	}
	userID, _ := g.String("userId", StrRule{})
	f.StartTime = epochMsParam(g, "start_time")
	f.EndTime = epochMsParam(g, "end_time")
	if err := g.Err(); err != nil {
		return err
	}
	// Read-your-writes: every token request answered so far is logged.
	if err := a.flushAudit(r.Context()); err != nil {
		return err
	}
	list, total := []rbac.LogEntry{}, int64(0)
	if userID == "" {
		if list, total, err = a.svc.Logs(r.Context(), f); err != nil {
			return err
		}
	}
	a.writePaging(w, r, p, total)
	return writeJSON(w, http.StatusOK, list)
}

// epochMsParam reads a non-negative integer query parameter (0 if absent).
func epochMsParam(g *Guard, name string) int64 {
	s, ok := g.String(name, StrRule{})
	if !ok || s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		g.Custom(name, "Expected a time in milliseconds since the epoch")
		return 0
	}
	return n
}

func (a *api) getLog(w http.ResponseWriter, r *http.Request) error {
	if err := a.flushAudit(r.Context()); err != nil {
		return err
	}
	e, err := a.svc.Log(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, e)
}
