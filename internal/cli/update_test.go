package cli_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/cli"
)

// TestUpdate: apps, resources, scopes and roles update: the change shows,
// a missing target exits 3, a name in use exits 4.
func TestUpdate(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		s := newSh(t, e)
		var app struct{ ID string }
		s.jsonOut(&app, "apps", "create", "--name", "cron", "--description", "old")
		out := s.ok("apps", "update", app.ID, "--description", "nightly orders")
		if !regexp.MustCompile(`(?m)^` + app.ID + `\s+cron\s+nightly orders$`).MatchString(out) {
			t.Errorf("apps update:\n%s", out)
		}
		var a struct{ Name, Description string }
		s.jsonOut(&a, "apps", "update", app.ID, "--name", "cron2")
		if a.Name != "cron2" || a.Description != "nightly orders" {
			t.Errorf("apps update --name: %+v", a)
		}
		s.code(cli.ExitNotFound, "apps", "update", "nope", "--name", "x")

		s.ok("resources", "create", "--name", "Shop", "--indicator", "https://shop.api")
		out = s.ok("resources", "update", "https://shop.api", "--ttl", "600", "--name", "Shop v2")
		if !regexp.MustCompile(`(?m)^\S+\s+Shop v2\s+https://shop.api\s+600$`).MatchString(out) {
			t.Errorf("resources update:\n%s", out)
		}
		s.code(cli.ExitNotFound, "resources", "update", "https://nope.api", "--ttl", "60")

		s.ok("scopes", "create", "--resource", "https://shop.api", "read", "write")
		out = s.ok("scopes", "update", "--resource", "https://shop.api", "read", "--name", "read:products", "--description", "reads")
		if !regexp.MustCompile(`(?m)^\S+\s+read:products\s+reads$`).MatchString(out) {
			t.Errorf("scopes update:\n%s", out)
		}
		s.code(cli.ExitNotFound, "scopes", "update", "--resource", "https://shop.api", "read", "--name", "x")
		s.code(cli.ExitConflict, "scopes", "update", "--resource", "https://shop.api", "write", "--name", "read:products")

		s.ok("roles", "create", "reader")
		s.ok("roles", "create", "writer")
		out = s.ok("roles", "update", "reader", "--name", "shop-reader", "--description", "Reads the shop")
		if !regexp.MustCompile(`(?m)^\S+\s+shop-reader\s+MachineToMachine\s+Reads the shop$`).MatchString(out) {
			t.Errorf("roles update:\n%s", out)
		}
		s.code(cli.ExitNotFound, "roles", "update", "reader", "--description", "x")
		s.code(cli.ExitConflict, "roles", "update", "writer", "--name", "shop-reader")
	})
}

// TestUpdateUsage: an update without a change, or with an empty name, is a
// usage error.
func TestUpdateUsage(t *testing.T) {
	s := &sh{t: t, env: map[string]string{}}
	for _, c := range [][]string{
		{"apps", "update", "id"}, {"apps", "update", "--name", "x"}, {"apps", "update", "id", "--name", ""},
		{"resources", "update", "r"}, {"resources", "update", "r", "--ttl", "0"}, {"resources", "update", "r", "--ttl", "x"},
		{"scopes", "update", "s", "--name", "x"}, {"scopes", "update", "--resource", "r", "s"},
		{"roles", "update", "r"}, {"roles", "update", "r", "--description", ""},
	} {
		out, errs, code := s.run(c...)
		if code != cli.ExitUsage || out != "" || !strings.Contains(errs, "Usage: gatehouse "+c[0]+" update") {
			t.Errorf("%v: exit %d\n%s%s", c, code, out, errs)
		}
	}
	for _, g := range []string{"apps", "resources", "scopes", "roles"} {
		if out := s.ok(g, "update", "--help"); !strings.HasPrefix(out, "Usage:\n  gatehouse "+g+" update ") {
			t.Errorf("%s update --help:\n%s", g, out)
		}
	}
}
