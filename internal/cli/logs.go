package cli

import (
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/client"
)

const logsHelp = `Usage:
  gatehouse logs [--key KEY] [--key-prefix PREFIX] [--app ID] [--result Success|Error]
                 [--page-size N] [--page N]
      the audit log, newest first: token requests (key ExchangeTokenBy.ClientCredentials),
      Management API changes (keys starting with Admin.), one page of N entries
      (1 to 100, default 20)

  --key KEY          entries with this key only
  --key-prefix TEXT  entries whose key starts with TEXT (like Admin.)
  --app ID           entries of this application
  --result R         Success or Error
`

func (r *runner) logs(args []string) int {
	c := r.flags("logs", logsHelp)
	var p client.ListLogsParams
	c.fs.StringVar(&p.LogKey, "key", "", "")
	c.fs.StringVar(&p.LogKeyPrefix, "key-prefix", "", "")
	c.fs.StringVar(&p.ApplicationID, "app", "", "")
	c.fs.StringVar(&p.Result, "result", "", "")
	c.fs.IntVar(&p.PageSize, "page-size", 20, "")
	c.fs.IntVar(&p.Page, "page", 1, "")
	if _, code := r.parse(c, args, 0, 0); code >= 0 {
		return code
	}
	if p.PageSize < 1 || p.PageSize > 100 {
		return r.usage(c, "--page-size is 1 to 100, not %d", p.PageSize)
	}
	if p.Page < 1 {
		return r.usage(c, "--page starts at 1, not %d", p.Page)
	}
	switch strings.ToLower(p.Result) {
	case "":
	case "success":
		p.Result = "Success"
	case "error":
		p.Result = "Error"
	default:
		return r.usage(c, "--result is Success or Error, not %q", p.Result)
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	entries, err := m.ListLogs(r.ctx, p)
	if err != nil {
		return r.fail(err)
	}
	if entries == nil {
		entries = []client.LogEntry{}
	}
	return output(r, entries, []string{"TIME", "KEY", "RESULT", "APP", "ID"}, func(e client.LogEntry) []string {
		str := func(k string) string { s, _ := e.Payload[k].(string); return first(s, "-") }
		return []string{time.UnixMilli(e.CreatedAt).UTC().Format("2006-01-02 15:04:05"), e.Key, str("result"), str("applicationId"), e.ID}
	})
}
