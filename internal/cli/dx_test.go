package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/cli"
)

// noGoNoise fails if a message of the CLI carries Go package prefixes or
// raw dial errors.
func noGoNoise(t *testing.T, what, errs string) {
	t.Helper()
	for _, bad := range []string{"client:", "token request", "Post \"", "dial tcp"} {
		if strings.Contains(errs, bad) {
			t.Errorf("%s: stderr holds %q:\n%s", what, bad, errs)
		}
	}
}

// TestExitCodes: every documented exit code, with the message that goes
// with it.
func TestExitCodes(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		s := newSh(t, e)
		// 0
		s.code(cli.ExitOK, "roles", "list")
		// 2: usage, including a server address that is not a URL.
		errs := s.code(cli.ExitUsage, "apps", "create", "--bogus")
		if !strings.Contains(errs, "unknown flag --bogus") {
			t.Errorf("unknown flag: %s", errs)
		}
		bad := &sh{t: t, env: map[string]string{"GATEHOUSE_URL": "localhost:3001", "GATEHOUSE_CLIENT_ID": "a", "GATEHOUSE_CLIENT_SECRET": "b"}}
		errs = bad.code(cli.ExitUsage, "roles", "list")
		if !strings.Contains(errs, `the server address "localhost:3001" is not usable`) {
			t.Errorf("bad URL: %s", errs)
		}
		noGoNoise(t, "bad URL", errs)
		// 3: an unknown resource, for the token endpoint (invalid_target)
		// as for the Management API (404).
		errs = s.code(cli.ExitNotFound, "token", "--resource", "https://nope")
		if !strings.Contains(errs, "invalid_target") || !strings.Contains(errs, "gatehouse resources list") {
			t.Errorf("unknown resource: %s", errs)
		}
		noGoNoise(t, "unknown resource", errs)
		s.code(cli.ExitNotFound, "scopes", "list", "--resource", "https://nope")
		// 4
		s.ok("resources", "create", "--name", "Shop", "--indicator", "https://shop.example")
		errs = s.code(cli.ExitConflict, "resources", "create", "--name", "Shop", "--indicator", "https://shop.example")
		if !strings.HasPrefix(errs, "gatehouse: HTTP 422 resource.resource_identifier_in_use: ") {
			t.Errorf("conflict: %s", errs)
		}
		// 5
		wrong := &sh{t: t, env: map[string]string{"GATEHOUSE_URL": e.URL, "GATEHOUSE_CLIENT_ID": apptest.BootstrapID, "GATEHOUSE_CLIENT_SECRET": "wrong"}}
		errs = wrong.code(cli.ExitAuth, "roles", "list")
		if !strings.Contains(errs, "credentials refused") || !strings.Contains(errs, "check the application id and secret") {
			t.Errorf("wrong secret: %s", errs)
		}
		noGoNoise(t, "wrong secret", errs)
	})
	// 1: nothing listens there.
	down := &sh{t: t, env: map[string]string{"GATEHOUSE_URL": "http://127.0.0.1:1", "GATEHOUSE_CLIENT_ID": "a", "GATEHOUSE_CLIENT_SECRET": "b"}}
	for _, args := range [][]string{{"roles", "list"}, {"token"}} {
		errs := down.code(cli.ExitFailure, args...)
		if !strings.Contains(errs, "is the server running at http://127.0.0.1:1?") {
			t.Errorf("%v, server down: %s", args, errs)
		}
		noGoNoise(t, "server down", errs)
	}
}

// TestTokenNotes: ungranted scopes get a note on stderr, and --decode -
// reads the token from standard input.
func TestTokenNotes(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		s := newSh(t, e)
		out, errs, code := s.run("token", "--resource", "https://default.logto.app/api", "--scope", "all nope")
		if code != 0 || strings.Count(out, ".") != 2 {
			t.Fatalf("token: exit %d\n%s%s", code, out, errs)
		}
		if errs != "gatehouse token: note: not granted: nope (the application's roles do not give them for this resource)\n" {
			t.Errorf("note: %q", errs)
		}
		if _, errs, _ = s.run("token", "--resource", "https://default.logto.app/api", "--scope", "all"); errs != "" {
			t.Errorf("all granted, yet stderr: %q", errs)
		}
		var stdout, stderr bytes.Buffer
		code = cli.RunStdin(context.Background(), []string{"token", "--decode", "-", "--json"}, func(string) string { return "" },
			strings.NewReader(out), &stdout, &stderr)
		var d struct{ Claims map[string]any }
		if code != 0 || json.Unmarshal(stdout.Bytes(), &d) != nil || d.Claims["sub"] != apptest.BootstrapID {
			t.Errorf("--decode -: exit %d\n%s%s", code, stdout.String(), stderr.String())
		}
	})
}

// TestResourceChecks: resources create refuses what the server would
// refuse, with a clear message, before asking for credentials.
func TestResourceChecks(t *testing.T) {
	s := &sh{t: t, env: map[string]string{}}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--indicator", "not-a-uri"}, `--indicator "not-a-uri" is not an absolute URI`},
		{[]string{"--indicator", "https://x.example/#frag"}, "without a fragment"},
		{[]string{"--indicator", "https://x.example", "--ttl", "0"}, "--ttl 0 is out of range"},
		{[]string{"--indicator", "https://x.example", "--ttl", "31536001"}, "--ttl 31536001 is out of range"},
	} {
		errs := s.code(cli.ExitUsage, append([]string{"resources", "create", "--name", "x"}, tc.args...)...)
		if !strings.Contains(errs, tc.want) {
			t.Errorf("%v: %s", tc.args, errs)
		}
	}
}

// TestUsageErrorsAreShort: a usage error prints the problem, the one usage
// line and a --help hint; --help on a subcommand prints that command only.
func TestUsageErrorsAreShort(t *testing.T) {
	s := &sh{t: t, env: map[string]string{}}
	_, errs, _ := s.run("apps", "create", "--bogus")
	want := "gatehouse apps create: unknown flag --bogus\n" +
		"Usage: gatehouse apps create --name NAME [--description TEXT]\n" +
		"Run 'gatehouse apps create --help' for the flags.\n"
	if errs != want {
		t.Errorf("usage error:\n%s\nwant:\n%s", errs, want)
	}
	_, errs, _ = s.run("apps", "frobnicate")
	if want := "gatehouse apps: unknown subcommand \"frobnicate\"\nUsage: gatehouse apps auth|create|delete|federated|list|secrets|show|update ...\nRun 'gatehouse apps --help' for the commands.\n"; errs != want {
		t.Errorf("unknown subcommand:\n%s\nwant:\n%s", errs, want)
	}
	_, errs, _ = s.run("resources", "create", "--ttl")
	if !strings.Contains(errs, "flag --ttl needs a value") {
		t.Errorf("missing value: %s", errs)
	}
	for _, h := range []string{"--help", "-h"} {
		out := s.ok("apps", "create", h)
		if !strings.Contains(out, "gatehouse apps create --name NAME") || strings.Contains(out, "apps delete") || strings.Contains(out, "apps list") {
			t.Errorf("apps create %s:\n%s", h, out)
		}
		if out2 := s.ok("apps", h); !strings.Contains(out2, "apps delete") {
			t.Errorf("apps %s:\n%s", h, out2)
		}
	}
	if out := s.ok("roles", "grant", "--help"); strings.Count(out, "gatehouse roles grant") != 2 || strings.Contains(out, "roles assign") {
		t.Errorf("roles grant --help:\n%s", out)
	}
}

// TestSecretFlagFile: --client-secret-file reads the secret from a file or
// from standard input ("-"), and wins over the environment.
func TestSecretFlagFile(t *testing.T) {
	e := apptest.New(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	f := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(f, []byte(apptest.BootstrapSecret+"\n"), 0o600)
	env := map[string]string{"GATEHOUSE_URL": e.URL, "GATEHOUSE_CLIENT_ID": apptest.BootstrapID, "GATEHOUSE_CLIENT_SECRET": "wrong"}
	run := func(stdin string, args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := cli.RunStdin(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errb)
		return code, errb.String()
	}
	if code, errs := run("", "roles", "list", "--client-secret-file", f); code != 0 {
		t.Errorf("--client-secret-file FILE: exit %d %s", code, errs)
	}
	if code, errs := run(apptest.BootstrapSecret+"\n", "roles", "list", "--client-secret-file", "-"); code != 0 {
		t.Errorf("--client-secret-file -: exit %d %s", code, errs)
	}
	if code, errs := run("", "roles", "list", "--client-secret-file", "-"); code != cli.ExitUsage || !strings.Contains(errs, "the secret is empty") {
		t.Errorf("empty stdin: exit %d %s", code, errs)
	}
	if code, _ := run("", "roles", "list"); code != cli.ExitAuth {
		t.Errorf("the wrong variable alone: exit %d, want %d", code, cli.ExitAuth)
	}
}
