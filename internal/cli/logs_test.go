package cli_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/cli"
)

// TestLogs: gatehouse logs lists the audit log newest first, filtered by
// key, key prefix, application and result, one page at a time.
func TestLogs(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		s := newSh(t, e)
		s.ok("resources", "create", "--name", "Shop", "--indicator", "https://shop.api")
		var app struct{ ID, Secret string }
		s.jsonOut(&app, "apps", "create", "--name", "cron")
		a := &sh{t: t, env: map[string]string{"GATEHOUSE_URL": e.URL, "GATEHOUSE_CLIENT_ID": app.ID, "GATEHOUSE_CLIENT_SECRET": app.Secret}}
		a.ok("token", "--resource", "https://shop.api")
		a.ok("token", "--resource", "https://shop.api")
		a.env["GATEHOUSE_CLIENT_SECRET"] = "wrong"
		a.code(cli.ExitAuth, "token", "--resource", "https://shop.api")

		type entry struct {
			ID, Key string
			Payload map[string]any
		}
		var all []entry
		s.jsonOut(&all, "logs", "--app", app.ID)
		if len(all) != 3 {
			t.Fatalf("logs --app: %d entries: %+v", len(all), all)
		}
		for _, x := range all {
			if x.Key != "ExchangeTokenBy.ClientCredentials" || x.Payload["applicationId"] != app.ID {
				t.Errorf("logs --app: %+v", x)
			}
		}
		if all[0].Payload["result"] != "Error" { // newest first
			t.Errorf("newest entry: %+v", all[0])
		}
		out := s.ok("logs", "--app", app.ID, "--result", "error")
		if !regexp.MustCompile(`^TIME\s+KEY\s+RESULT\s+APP\s+ID\n\S+ \S+\s+ExchangeTokenBy.ClientCredentials\s+Error\s+` + app.ID + `\s+` + all[0].ID + `\n$`).MatchString(out) {
			t.Errorf("logs --result error:\n%s", out)
		}
		var page []entry
		s.jsonOut(&page, "logs", "--app", app.ID, "--page-size", "1", "--page", "2")
		if len(page) != 1 || page[0].ID != all[1].ID {
			t.Errorf("page 2 of size 1: %+v", page)
		}
		var admin []entry
		s.jsonOut(&admin, "logs", "--key-prefix", "Admin.")
		if len(admin) == 0 {
			t.Errorf("logs --key-prefix Admin.: none (apps create is logged)")
		}
		for _, x := range admin {
			if !strings.HasPrefix(x.Key, "Admin.") {
				t.Errorf("logs --key-prefix Admin.: %s", x.Key)
			}
		}
		var none []entry
		s.jsonOut(&none, "logs", "--key", "No.Such.Key")
		if none == nil || len(none) != 0 {
			t.Errorf("logs --key No.Such.Key: %+v", none)
		}
	})
}

// TestLogsUsage: the logs command's usage errors and help.
func TestLogsUsage(t *testing.T) {
	s := &sh{t: t, env: map[string]string{}}
	for _, c := range [][]string{
		{"logs", "x"}, {"logs", "--page-size", "0"}, {"logs", "--page-size", "101"}, {"logs", "--page", "0"},
		{"logs", "--result", "maybe"}, {"logs", "--follow", "--interval", "1ms"}, {"logs", "--follow", "--page", "2"}, {"logs", "--page-size", "many"}, {"logs"}, // no credentials
	} {
		out, errs, code := s.run(c...)
		if code != cli.ExitUsage || out != "" || !strings.Contains(errs, "Usage: gatehouse logs [--key KEY]") {
			t.Errorf("%v: exit %d\n%s%s", c, code, out, errs)
		}
	}
	if out := s.ok("logs", "--help"); !strings.Contains(out, "--key-prefix") || !strings.Contains(out, "Exit codes:") {
		t.Errorf("logs --help:\n%s", out)
	}
}

// notifyBuffer is a buffer safe for concurrent use that signals each write.
type notifyBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	wrote chan struct{}
}

func (n *notifyBuffer) Write(p []byte) (int, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	select {
	case n.wrote <- struct{}{}:
	default:
	}
	return n.b.Write(p)
}

func (n *notifyBuffer) String() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.b.String()
}

// waitFor waits until the buffer holds want entry lines (a guard ends a
// stuck test; nothing here depends on timing).
func (n *notifyBuffer) waitFor(t *testing.T, want string) {
	t.Helper()
	for !strings.Contains(n.String(), want) {
		select {
		case <-n.wrote:
		case <-time.After(30 * time.Second):
			t.Fatalf("logs --follow never printed %q:\n%s", want, n.String())
		}
	}
}

// TestLogsFollow: logs --follow prints the existing entries, then a new
// one once, and exits 0 when interrupted.
func TestLogsFollow(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		s := newSh(t, e)
		s.ok("resources", "create", "--name", "Shop", "--indicator", "https://shop.api")
		var app struct{ ID, Secret string }
		s.jsonOut(&app, "apps", "create", "--name", "cron")
		a := &sh{t: t, env: map[string]string{"GATEHOUSE_URL": e.URL, "GATEHOUSE_CLIENT_ID": app.ID, "GATEHOUSE_CLIENT_SECRET": app.Secret}}
		a.ok("token", "--resource", "https://shop.api")

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		out := &notifyBuffer{wrote: make(chan struct{}, 1)}
		var errb bytes.Buffer
		done := make(chan int)
		go func() {
			done <- cli.Run(ctx, []string{"logs", "--follow", "--interval", "100ms", "--app", app.ID},
				func(k string) string { return s.env[k] }, out, &errb)
		}()
		out.waitFor(t, "Success")
		a.env["GATEHOUSE_CLIENT_SECRET"] = "wrong"
		a.code(cli.ExitAuth, "token", "--resource", "https://shop.api")
		out.waitFor(t, "Error")
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("logs --follow: exit %d: %s", code, errb.String())
		}
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		if len(lines) != 3 || !regexp.MustCompile(`^TIME\s+KEY\s+RESULT\s+APP\s+ID$`).MatchString(lines[0]) ||
			!strings.Contains(lines[1], "Success") || !strings.Contains(lines[2], "Error") {
			t.Errorf("logs --follow:\n%s", out.String())
		}
	})
}
