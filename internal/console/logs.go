package console

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// logRow is an audit log entry as the console shows it.
type logRow struct {
	ID         string
	Time       int64
	Key        string
	AppID      string
	AppName    string
	Success    bool
	Resource   string
	Scope      string
	Error      string
	IP         string
	SecretName string
	Payload    string
	// Admin entries (key prefix rbac.LogKeyPrefixAdmin).
	Admin  bool
	Actor  string // an administrator's username; an application actor is AppID
	Action string // method and route pattern
	IDs    string
	Status int
}

// logPayload is the part of a token request's payload (Logto's shape) the
// list shows.
type logPayload struct {
	IP     string `json:"ip"`
	Params struct {
		Resource json.RawMessage `json:"resource"`
		Scope    string          `json:"scope"`
	} `json:"params"`
	Scope  string `json:"scope"`
	Secret struct {
		Name string `json:"name"`
	} `json:"applicationSecret"`
	Error struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		Code        string `json:"code"` // admin entries
	} `json:"error"`
	// Admin entries.
	Actor  rbac.AdminActor     `json:"actor"`
	Method string              `json:"method"`
	Route  string              `json:"route"`
	IDs    map[string][]string `json:"ids"`
	Status int                 `json:"status"`
}

// logKinds are the audit page's kind filter: its values and the key
// prefixes they select.
var logKinds = map[string]string{"tokens": "ExchangeTokenBy.", "admin": rbac.LogKeyPrefixAdmin}

// logListPage is the audit log.
type logListPage struct {
	Rows   []logRow
	Apps   []rbac.Application
	App    string
	Result string
	Kind   string // "", "tokens" or "admin"
	Paging paging
}

func (c *console) listLogs(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	if err := c.cfg.FlushAudit(ctx); err != nil {
		c.log.WarnContext(ctx, "console: flush audit log", "err", err)
	}
	q := r.URL.Query()
	p := logListPage{App: q.Get("app"), Result: q.Get("result"), Kind: q.Get("kind")}
	if p.Result != rbac.ResultSuccess && p.Result != rbac.ResultError {
		p.Result = ""
	}
	prefix, ok := logKinds[p.Kind]
	if !ok {
		p.Kind = ""
	}
	n := pageOf(r)
	list, total, err := c.svc.Logs(ctx, rbac.LogFilter{ApplicationID: p.App, Result: p.Result, KeyPrefix: prefix, Limit: pageSize, Offset: (n - 1) * pageSize})
	if err != nil {
		return err
	}
	if p.Apps, _, err = c.svc.ListApplications(ctx, store.AppFilter{}, false); err != nil {
		return err
	}
	names := map[string]string{}
	for _, a := range p.Apps {
		names[a.ID] = a.Name
	}
	for _, e := range list {
		row := logRow{ID: e.ID, Time: e.CreatedAt, Key: e.Key, AppID: e.ApplicationID, AppName: names[e.ApplicationID],
			Success: e.Result == rbac.ResultSuccess, Payload: prettyJSON(e.Payload)}
		var pl logPayload
		if json.Unmarshal(e.Payload, &pl) == nil {
			row.IP, row.Scope, row.SecretName = pl.IP, pl.Scope, pl.Secret.Name
			row.Resource = resourceParam(pl.Params.Resource)
			if row.Scope == "" && !row.Success {
				row.Scope = pl.Params.Scope
			}
			if pl.Error.Error != "" {
				row.Error = pl.Error.Error + ": " + pl.Error.Description
			}
			if strings.HasPrefix(e.Key, rbac.LogKeyPrefixAdmin) {
				row.Admin, row.Status, row.Action = true, pl.Status, pl.Method+" "+pl.Route
				if pl.Actor.Type == rbac.ActorAdministrator {
					row.Actor = pl.Actor.Username
				}
				row.IDs = formatIDs(pl.IDs)
				if !row.Success {
					row.Error = pl.Error.Code
				}
			}
		}
		p.Rows = append(p.Rows, row)
	}
	if c.pastEnd(w, r, n, total) {
		return nil
	}
	p.Paging = newPaging(r, n, total)
	c.render(w, r, s, http.StatusOK, "logs", view{Title: "Audit log", Nav: "logs", D: p})
	return nil
}

// resourceParam reads the resource parameter: one string or several.
func resourceParam(raw json.RawMessage) string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		return strings.Join(many, ", ")
	}
	return ""
}

// formatIDs shows an admin entry's ids as "name=a,b name=c", names sorted.
func formatIDs(ids map[string][]string) string {
	names := make([]string, 0, len(ids))
	for k := range ids {
		names = append(names, k)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = k + "=" + strings.Join(ids[k], ",")
	}
	return strings.Join(parts, " ")
}
