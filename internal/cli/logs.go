package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/client"
)

const logsHelp = `Usage:
  gatehouse logs [--key KEY] [--key-prefix PREFIX] [--app ID] [--result Success|Error]
                 [--page-size N] [--page N] [--follow [--interval DURATION]]
      the audit log, newest first: token requests (key ExchangeTokenBy.ClientCredentials),
      Management API changes (keys starting with Admin.), one page of N entries
      (1 to 100, default 20)

  --key KEY          entries with this key only
  --key-prefix TEXT  entries whose key starts with TEXT (like Admin.)
  --app ID           entries of this application
  --result R         Success or Error
  --follow           print the last N entries oldest first, then new entries as they
                     come (asking every --interval, default 2s) until interrupted; with
                     --json one JSON object a line
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
	follow := c.fs.Bool("follow", false, "")
	interval := c.fs.Duration("interval", 2*time.Second, "")
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
	if *interval < 100*time.Millisecond {
		return r.usage(c, "--interval is 100ms or more, not %s", *interval)
	}
	if *follow && p.Page != 1 {
		return r.usage(c, "--follow starts from the newest entries: no --page")
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	if *follow {
		return r.follow(m, p, *interval)
	}
	entries, err := m.ListLogs(r.ctx, p)
	if err != nil {
		return r.fail(err)
	}
	if entries == nil {
		entries = []client.LogEntry{}
	}
	return output(r, entries, []string{"TIME", "KEY", "RESULT", "APP", "ID"}, logRow)
}

// logRow is an entry's table row.
func logRow(e client.LogEntry) []string {
	str := func(k string) string {
		s, _ := e.Payload[k].(string)
		return first(s, "-")
	}
	return []string{time.UnixMilli(e.CreatedAt).UTC().Format("2006-01-02 15:04:05"), e.Key, str("result"), str("applicationId"), e.ID}
}

// follow prints the newest page of p oldest first, then, every interval,
// the entries that came since, until the context ends (exit 0).
func (r *runner) follow(m *client.ManagementAPI, p client.ListLogsParams, interval time.Duration) int {
	const format = "%-19s  %-34s  %-7s  %-21s  %s\n"
	if !r.structured() {
		fmt.Fprintf(r.stdout, format, "TIME", "KEY", "RESULT", "APP", "ID")
	}
	entries, err := m.ListLogs(r.ctx, p)
	seen := map[string]bool{} // the ids of the entries at the newest time printed
	var last int64
	for {
		if err != nil {
			if r.ctx.Err() != nil {
				return ExitOK
			}
			return r.fail(err)
		}
		for i := len(entries) - 1; i >= 0; i-- {
			e := entries[i]
			if seen[e.ID] || e.CreatedAt < last {
				continue
			}
			if e.CreatedAt > last {
				last, seen = e.CreatedAt, map[string]bool{}
			}
			seen[e.ID] = true
			switch r.format {
			case formatJSON:
				b, _ := json.Marshal(e)
				fmt.Fprintf(r.stdout, "%s\n", b)
			case formatYAML:
				fmt.Fprintln(r.stdout, "---") // one YAML document an entry
				if err := writeData(r.stdout, formatYAML, e); err != nil {
					return r.fail(err)
				}
			default:
				row := logRow(e)
				fmt.Fprintf(r.stdout, format, row[0], row[1], row[2], row[3], row[4])
			}
		}
		select {
		case <-r.ctx.Done():
			return ExitOK
		case <-time.After(interval):
		}
		q := p
		q.StartTime, q.PageSize = last, 100
		entries, err = collect(m.AllLogs(r.ctx, q))
	}
}
