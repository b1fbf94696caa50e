package cli_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/cli"
)

// TestOrgsUsersCustomizer: orgs, users and customizer commands against a
// server set up by apply.
func TestOrgsUsersCustomizer(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		s := newSh(t, e)
		s.ok("apply", "-f", "testdata/shopping.yaml")
		var app struct{ ID string }
		var apps []struct{ ID, Name string }
		s.jsonOut(&apps, "apps", "list")
		for _, a := range apps {
			if a.Name == "daily-orders" {
				app.ID = a.ID
			}
		}
		var org struct{ ID, Name string }
		s.jsonOut(&org, "orgs", "create", "--name", "Globex", "--description", "another store")
		s.code(cli.ExitNotFound, "orgs", "show", "Nope")
		s.ok("orgs", "apps", "add", "Globex", app.ID)
		out := s.ok("orgs", "roles", "assign", "Globex", app.ID, "store-manager")
		if !regexp.MustCompile(`(?m)^\S+\s+store-manager\s+MachineToMachine$`).MatchString(out) {
			t.Errorf("orgs roles assign:\n%s", out)
		}
		out = s.ok("orgs", "show", org.ID)
		if !regexp.MustCompile(`(?m)^NAME\s+Globex$`).MatchString(out) || !regexp.MustCompile(`(?m)^`+app.ID+`\s+daily-orders\s+store-manager$`).MatchString(out) {
			t.Errorf("orgs show:\n%s", out)
		}
		s.ok("orgs", "roles", "unassign", "Globex", app.ID, "store-manager")
		s.code(cli.ExitNotFound, "orgs", "roles", "assign", "Globex", app.ID, "no-such-role")
		s.ok("orgs", "apps", "remove", "Globex", app.ID)
		out = s.ok("orgs", "update", "Globex", "--name", "Globex Corp")
		if !strings.Contains(out, "Globex Corp") {
			t.Errorf("orgs update:\n%s", out)
		}
		if out = s.ok("orgs", "list"); !strings.Contains(out, "Acme") || !strings.Contains(out, "Globex Corp") {
			t.Errorf("orgs list:\n%s", out)
		}
		s.ok("orgs", "delete", "Globex Corp")
		s.code(cli.ExitNotFound, "orgs", "delete", "Globex Corp")

		if out = s.ok("users", "list"); !strings.HasPrefix(out, "ID ") {
			t.Errorf("users list:\n%s", out)
		}
		s.code(cli.ExitNotFound, "users", "show", "nobody")

		out = s.ok("customizer", "show")
		if !strings.Contains(out, "ENVIRONMENT     STORE") || !strings.Contains(out, "getCustomJwtClaims") {
			t.Errorf("customizer show:\n%s", out)
		}
		script := write(t, "c.js", "const getCustomJwtClaims = async ({ environmentVariables }) => ({ tier: environmentVariables.TIER });\n")
		out = s.ok("customizer", "test", "-f", script, "--env", "TIER=gold")
		if !strings.Contains(out, `"tier": "gold"`) {
			t.Errorf("customizer test:\n%s", out)
		}
		s.ok("customizer", "set", "-f", script)
		var cz struct {
			Script               string
			EnvironmentVariables map[string]string
		}
		s.jsonOut(&cz, "customizer", "show")
		if !strings.Contains(cz.Script, "tier") || cz.EnvironmentVariables["STORE"] != "acme" {
			t.Errorf("customizer set keeps the variables: %+v", cz)
		}
		s.ok("customizer", "delete")
		s.code(cli.ExitNotFound, "customizer", "show")
	})
}
