package cli_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/cli"
)

// TestIntrospectRevoke: token introspect shows a live token, token revoke
// ends it (introspect then says active: false), "-" reads the token from
// standard input, and the usual exit codes hold.
func TestIntrospectRevoke(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		s := newSh(t, e)
		s.ok("resources", "create", "--name", "Shop", "--indicator", "https://shop.api")
		s.ok("scopes", "create", "--resource", "https://shop.api", "read")
		s.ok("roles", "create", "reader")
		s.ok("roles", "grant", "reader", "--resource", "https://shop.api", "read")
		var app struct{ ID, Secret string }
		s.jsonOut(&app, "apps", "create", "--name", "cron")
		s.ok("roles", "assign", "reader", app.ID)
		a := &sh{t: t, env: map[string]string{"GATEHOUSE_URL": e.URL, "GATEHOUSE_CLIENT_ID": app.ID, "GATEHOUSE_CLIENT_SECRET": app.Secret}}
		tok := strings.TrimSpace(a.ok("token", "--resource", "https://shop.api", "--scope", "read"))

		out := a.ok("token", "introspect", tok)
		if !regexp.MustCompile(`^active:\s+true\nclient_id:\s+` + app.ID + `\nsub:\s+` + app.ID + `\naud:\s+https://shop.api\nscope:\s+read\norganization_id:\s+-\niss:\s+\S+\niat:\s+\S+ \(.+\)\nexp:\s+\S+ \(in .+\)\ntoken_type:\s+Bearer\n$`).MatchString(out) {
			t.Errorf("introspect:\n%s", out)
		}
		// The admin (bootstrap) app may introspect another app's token.
		var in struct {
			Active   bool
			ClientID string `json:"client_id"`
			Scope    string
		}
		s.jsonOut(&in, "token", "introspect", tok)
		if !in.Active || in.ClientID != app.ID || in.Scope != "read" {
			t.Errorf("admin introspect: %+v", in)
		}
		// A token the app does not know is inactive, exit 0.
		if out = a.ok("token", "introspect", "not-a-token"); out != "active: false\n" {
			t.Errorf("introspect garbage: %q", out)
		}

		// revoke, with the token on standard input.
		var stdout, stderr bytes.Buffer
		code := cli.RunStdin(context.Background(), []string{"token", "revoke", "-"}, func(k string) string { return a.env[k] },
			strings.NewReader(tok+"\n"), &stdout, &stderr)
		if code != 0 || !strings.HasPrefix(stdout.String(), "revoked") || stderr.Len() != 0 {
			t.Fatalf("revoke -: exit %d\n%s%s", code, stdout.String(), stderr.String())
		}
		if out = a.ok("token", "introspect", tok); out != "active: false\n" {
			t.Errorf("introspect after revoke: %q", out)
		}
		var after struct{ Active *bool }
		a.jsonOut(&after, "token", "introspect", tok)
		if after.Active == nil || *after.Active {
			t.Errorf("introspect --json after revoke: %+v", after)
		}
		var rv struct{ Revoked bool }
		a.jsonOut(&rv, "token", "revoke", tok) // again: not an error (RFC 7009)
		if !rv.Revoked {
			t.Errorf("revoke --json: %+v", rv)
		}

		// Wrong credentials: 5, with the usual message.
		bad := &sh{t: t, env: map[string]string{"GATEHOUSE_URL": e.URL, "GATEHOUSE_CLIENT_ID": app.ID, "GATEHOUSE_CLIENT_SECRET": "wrong"}}
		for _, sub := range []string{"introspect", "revoke"} {
			errs := bad.code(cli.ExitAuth, "token", sub, tok)
			if !strings.Contains(errs, "credentials refused (invalid_client") {
				t.Errorf("%s, wrong secret: %s", sub, errs)
			}
			noGoNoise(t, sub, errs)
		}
	})
	down := &sh{t: t, env: map[string]string{"GATEHOUSE_URL": "http://127.0.0.1:1", "GATEHOUSE_CLIENT_ID": "a", "GATEHOUSE_CLIENT_SECRET": "b"}}
	for _, sub := range []string{"introspect", "revoke"} {
		errs := down.code(cli.ExitFailure, "token", sub, "x")
		if !strings.Contains(errs, "is the server running at http://127.0.0.1:1?") {
			t.Errorf("%s, server down: %s", sub, errs)
		}
		noGoNoise(t, sub+" server down", errs)
	}
}

// TestIntrospectUsage: usage errors and help of token introspect|revoke.
func TestIntrospectUsage(t *testing.T) {
	s := &sh{t: t, env: map[string]string{"GATEHOUSE_CLIENT_ID": "a", "GATEHOUSE_CLIENT_SECRET": "b"}}
	for _, sub := range []string{"introspect", "revoke"} {
		for _, c := range [][]string{{}, {"a", "b"}, {"--bogus", "a"}} {
			out, errs, code := s.run(append([]string{"token", sub}, c...)...)
			if code != cli.ExitUsage || out != "" || !strings.Contains(errs, "Usage: gatehouse token "+sub+" TOKEN|-") {
				t.Errorf("%s %v: exit %d\n%s%s", sub, c, code, out, errs)
			}
		}
		var stdout, stderr bytes.Buffer
		code := cli.RunStdin(context.Background(), []string{"token", sub, "-"}, func(k string) string { return s.env[k] },
			strings.NewReader("\n"), &stdout, &stderr)
		if code != cli.ExitUsage || !strings.Contains(stderr.String(), "the token is empty") {
			t.Errorf("%s, empty stdin: exit %d %s", sub, code, stderr.String())
		}
		out := s.ok("token", sub, "--help")
		if !strings.HasPrefix(out, "Usage:\n  gatehouse token "+sub+" TOKEN|-") || strings.Contains(out, "--decode") {
			t.Errorf("token %s --help:\n%s", sub, out)
		}
	}
	if out := s.ok("token", "--help"); !strings.Contains(out, "token introspect") || !strings.Contains(out, "--decode") {
		t.Errorf("token --help:\n%s", out)
	}
}
