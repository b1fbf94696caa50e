package cli_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/cli"
)

// sh runs gatehouse commands against an apptest server with the bootstrap
// app's credentials in the environment.
type sh struct {
	t   *testing.T
	env map[string]string
}

func newSh(t *testing.T, e *apptest.Env) *sh {
	return &sh{t: t, env: map[string]string{
		"GATEHOUSE_URL":           e.URL,
		"GATEHOUSE_CLIENT_ID":     apptest.BootstrapID,
		"GATEHOUSE_CLIENT_SECRET": apptest.BootstrapSecret,
	}}
}

// run runs args and returns stdout, stderr and the exit code.
func (s *sh) run(args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	code := cli.Run(context.Background(), args, func(k string) string { return s.env[k] }, &out, &errb)
	return out.String(), errb.String(), code
}

// ok runs args, fails unless the exit code is 0, and returns stdout.
func (s *sh) ok(args ...string) string {
	s.t.Helper()
	out, errs, code := s.run(args...)
	if code != 0 {
		s.t.Fatalf("gatehouse %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// code runs args and checks the exit code; it returns stderr.
func (s *sh) code(want int, args ...string) string {
	s.t.Helper()
	out, errs, code := s.run(args...)
	if code != want {
		s.t.Errorf("gatehouse %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out, errs)
	}
	return errs
}

// jsonOut runs args with --json and decodes stdout into v.
func (s *sh) jsonOut(v any, args ...string) {
	s.t.Helper()
	out := s.ok(append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		s.t.Fatalf("gatehouse %s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestStory is the seeds' story told with the CLI: a resource with two
// scopes, an M2M role with one, an app holding the role, and its token.
func TestStory(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		s := newSh(t, e)

		var res struct{ ID, Indicator string }
		s.jsonOut(&res, "resources", "create", "--name", "Shopping", "--indicator", "https://shopping.api", "--ttl", "900")
		if res.ID == "" || res.Indicator != "https://shopping.api" {
			t.Fatalf("resource %+v", res)
		}
		s.code(cli.ExitConflict, "resources", "create", "--name", "Again", "--indicator", "https://shopping.api")

		out := s.ok("scopes", "create", "--resource", "https://shopping.api", "--description", "products", "read:products", "write:products")
		if !regexp.MustCompile(`(?m)^ID\s+NAME\s+DESCRIPTION\n\S+\s+read:products\s+products\n\S+\s+write:products\s+products\n$`).MatchString(out) {
			t.Errorf("scopes create table:\n%s", out)
		}
		s.code(cli.ExitConflict, "scopes", "create", "--resource", res.ID, "read:products")
		s.code(cli.ExitNotFound, "scopes", "create", "--resource", "https://nope.api", "x")
		var scopes []struct{ Name string }
		s.jsonOut(&scopes, "scopes", "list", "--resource", res.ID)
		if len(scopes) != 2 {
			t.Errorf("scopes list: %+v", scopes)
		}

		out = s.ok("resources", "list")
		if !regexp.MustCompile(`(?m)^ID\s+NAME\s+INDICATOR\s+TTL\s+DEFAULT\s+SCOPES$`).MatchString(out) ||
			!regexp.MustCompile(`(?m)^`+res.ID+`\s+Shopping\s+https://shopping.api\s+900\s+read:products write:products$`).MatchString(out) {
			t.Errorf("resources list:\n%s", out)
		}

		var role struct{ ID, Name, Type string }
		s.jsonOut(&role, "roles", "create", "--name", "orders", "--description", "Daily orders")
		if role.Type != "MachineToMachine" {
			t.Errorf("role %+v", role)
		}
		s.code(cli.ExitConflict, "roles", "create", "orders")
		s.code(cli.ExitUsage, "roles", "create", "--name", "x", "--type", "robot")
		out = s.ok("roles", "grant", "orders", "--resource", "https://shopping.api", "read:products")
		if !strings.Contains(out, "read:products") || strings.Contains(out, "write:products") {
			t.Errorf("roles grant:\n%s", out)
		}
		s.code(cli.ExitConflict, "roles", "grant", role.ID, "--resource", res.ID, "read:products")
		s.code(cli.ExitNotFound, "roles", "grant", "orders", "--resource", res.ID, "delete:products")
		s.code(cli.ExitNotFound, "roles", "grant", "no-such-role", "--resource", res.ID, "read:products")

		var app struct{ ID, Name, Type, Secret string }
		s.jsonOut(&app, "apps", "create", "--name", "daily-orders", "--description", "the cron job")
		if app.ID == "" || app.Secret == "" || app.Type != "MachineToMachine" {
			t.Fatalf("apps create %+v", app)
		}
		out = s.ok("roles", "assign", "orders", app.ID)
		if !strings.Contains(out, "role orders ("+role.ID+") assigned to "+app.ID) {
			t.Errorf("roles assign: %s", out)
		}
		s.code(cli.ExitConflict, "roles", "assign", "orders", app.ID)
		out = s.ok("roles", "list")
		if !regexp.MustCompile(`(?m)^` + role.ID + `\s+orders\s+MachineToMachine\s+1\s+Daily orders$`).MatchString(out) {
			t.Errorf("roles list:\n%s", out)
		}

		// The app's token, with its credentials in flags this time.
		app2 := &sh{t: t, env: map[string]string{}}
		out = app2.ok("token", "--url", e.URL, "--client-id", app.ID, "--client-secret", app.Secret,
			"--resource", "https://shopping.api", "--scope", "read:products,write:products")
		tok := strings.TrimSpace(out)
		if strings.Count(tok, ".") != 2 {
			t.Fatalf("token output %q", out)
		}
		var decoded struct {
			Verified bool
			Header   map[string]any
			Claims   map[string]any
		}
		app2.jsonOut(&decoded, "token", "--decode", tok)
		if decoded.Verified || decoded.Header["typ"] != "at+jwt" || decoded.Claims["scope"] != "read:products" ||
			decoded.Claims["sub"] != app.ID || decoded.Claims["aud"] != "https://shopping.api" {
			t.Errorf("decoded %+v", decoded)
		}
		out = app2.ok("token", "--decode", tok)
		if !strings.HasPrefix(out, "NOT VERIFIED") || !strings.Contains(out, `"client_id": "`+app.ID+`"`) || !strings.Contains(out, "\nexp: ") {
			t.Errorf("decode:\n%s", out)
		}
		var tj struct {
			AccessToken string `json:"access_token"`
			ExpiresIn   int    `json:"expires_in"`
			Scope       string
		}
		app2.jsonOut(&tj, "token", "--url", e.URL, "--client-id", app.ID, "--client-secret", app.Secret, "--resource", "https://shopping.api", "--scope", "read:products")
		if tj.AccessToken == "" || tj.ExpiresIn != 900 || tj.Scope != "read:products" {
			t.Errorf("token --json %+v", tj)
		}
		errs := app2.code(cli.ExitAuth, "token", "--url", e.URL, "--client-id", app.ID, "--client-secret", "wrong", "--resource", "https://shopping.api")
		if !strings.Contains(errs, "invalid_client") {
			t.Errorf("wrong secret: %s", errs)
		}
		app2.code(cli.ExitUsage, "token", "--decode", "not-a-jwt")
		// --dpop-key: the request carries a proof, checked by the server (it
		// names --url, not the server's public endpoint, so htu mismatches).
		keyFile := filepath.Join(t.TempDir(), "dpop.pem")
		ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		der, _ := x509.MarshalPKCS8PrivateKey(ecKey)
		os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
		errs = app2.code(cli.ExitFailure, "token", "--url", e.URL, "--client-id", app.ID, "--client-secret", app.Secret,
			"--resource", "https://shopping.api", "--dpop-key", keyFile)
		if !strings.Contains(errs, "invalid_dpop_proof") || !strings.Contains(errs, "htu mismatch") {
			t.Errorf("--dpop-key: %s", errs)
		}
		app2.code(cli.ExitUsage, "token", "--url", e.URL, "--client-id", app.ID, "--client-secret", app.Secret, "--dpop-key", filepath.Join(t.TempDir(), "none.pem"))
		app2.code(cli.ExitUsage, "token", "--url", e.URL) // no credentials
		// The app has no Management API role: 403 → exit 5.
		app2.env = map[string]string{"GATEHOUSE_URL": e.URL, "GATEHOUSE_CLIENT_ID": app.ID, "GATEHOUSE_CLIENT_SECRET": app.Secret}
		app2.code(cli.ExitAuth, "apps", "list")

		// Secrets.
		out = s.ok("apps", "secrets", app.ID)
		if !regexp.MustCompile(`(?m)^NAME\s+VALUE\s+CREATED\s+EXPIRES\nDefault secret\s+` + regexp.QuoteMeta(app.Secret) + `\s+\S+ \S+\s+never\n$`).MatchString(out) {
			t.Errorf("apps secrets:\n%s", out)
		}
		var sec struct {
			Name, Value string
			ExpiresAt   *int64
		}
		s.jsonOut(&sec, "apps", "secrets", app.ID, "--add", "rotated", "--expires", "720h")
		if sec.Name != "rotated" || sec.Value == "" || sec.ExpiresAt == nil {
			t.Errorf("secrets --add %+v", sec)
		}
		s.code(cli.ExitConflict, "apps", "secrets", app.ID, "--add", "rotated")
		s.ok("apps", "secrets", app.ID, "--delete", "rotated")
		s.code(cli.ExitNotFound, "apps", "secrets", app.ID, "--delete", "rotated")
		s.code(cli.ExitUsage, "apps", "secrets", app.ID, "--expires", "1h")

		// Listing and deleting apps.
		out = s.ok("apps", "list")
		if !regexp.MustCompile(`(?m)^ID\s+NAME\s+TYPE\s+CREATED\s+DESCRIPTION$`).MatchString(out) ||
			!regexp.MustCompile(`(?m)^`+app.ID+`\s+daily-orders\s+MachineToMachine\s+\S+ \S+\s+the cron job$`).MatchString(out) {
			t.Errorf("apps list:\n%s", out)
		}
		var apps []struct{ ID string }
		s.jsonOut(&apps, "apps", "list")
		if len(apps) == 0 {
			t.Errorf("apps list --json: %+v", apps)
		}
		s.ok("apps", "delete", app.ID)
		errs = s.code(cli.ExitNotFound, "apps", "delete", app.ID)
		if !strings.Contains(errs, "entity.not_exists_with_id") {
			t.Errorf("delete twice: %s", errs)
		}
	})
}

func TestSecretFile(t *testing.T) {
	e := apptest.New(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	f := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(f, []byte(apptest.BootstrapSecret+"\n"), 0o600)
	s := &sh{t: t, env: map[string]string{"GATEHOUSE_URL": e.URL, "GATEHOUSE_CLIENT_ID": apptest.BootstrapID, "GATEHOUSE_CLIENT_SECRET_FILE": f}}
	s.ok("roles", "list")
	// Unreachable server: a plain failure.
	s.env["GATEHOUSE_URL"] = "http://127.0.0.1:1"
	s.code(cli.ExitFailure, "roles", "list")
}

// TestHelpAndUsage: --help on every command prints its usage and the exit
// codes on stdout with exit 0; usage errors exit 2 with the usage on stderr.
func TestHelpAndUsage(t *testing.T) {
	s := &sh{t: t, env: map[string]string{}}
	cmds := [][]string{
		{"token"}, {"apps"}, {"apps", "list"}, {"apps", "create"}, {"apps", "delete"}, {"apps", "secrets"},
		{"resources"}, {"resources", "list"}, {"resources", "create"}, {"scopes"}, {"scopes", "list"},
		{"scopes", "create"}, {"roles"}, {"roles", "list"}, {"roles", "create"}, {"roles", "assign"}, {"roles", "grant"},
	}
	for _, c := range cmds {
		for _, h := range []string{"--help", "-h"} {
			out, errs, code := s.run(append(c, h)...)
			if code != 0 || !strings.Contains(out, "Usage:") || !strings.Contains(out, "Exit codes: 0 ok, 1 failure, 2 usage, 3 not found") || errs != "" {
				t.Errorf("%v %s: exit %d\n%s%s", c, h, code, out, errs)
			}
		}
	}
	for _, c := range [][]string{
		{"apps"}, {"apps", "frobnicate"}, {"apps", "delete"}, {"apps", "create", "--bogus"},
		{"apps", "list", "extra"}, {"resources", "create", "--name", "x"}, {"roles", "assign", "r"},
		{"scopes", "create", "x"}, {"resources", "create", "--ttl", "soon"}, {"apps", "list"}, // no credentials
	} {
		out, errs, code := s.run(c...)
		if code != cli.ExitUsage || out != "" || !strings.Contains(errs, "Usage:") {
			t.Errorf("%v: exit %d, want 2\n%s%s", c, code, out, errs)
		}
	}
}
