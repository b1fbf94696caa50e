package console

import (
	"encoding/json"
	"net/http"
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
	} `json:"error"`
}

// logListPage is the audit log.
type logListPage struct {
	Rows   []logRow
	Apps   []rbac.Application
	App    string
	Result string
	Paging paging
}

func (c *console) listLogs(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	if err := c.cfg.FlushAudit(ctx); err != nil {
		c.log.WarnContext(ctx, "console: flush audit log", "err", err)
	}
	q := r.URL.Query()
	p := logListPage{App: q.Get("app"), Result: q.Get("result")}
	if p.Result != rbac.ResultSuccess && p.Result != rbac.ResultError {
		p.Result = ""
	}
	n := pageOf(r)
	list, total, err := c.svc.Logs(ctx, rbac.LogFilter{ApplicationID: p.App, Result: p.Result, Limit: pageSize, Offset: (n - 1) * pageSize})
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
		}
		p.Rows = append(p.Rows, row)
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
