package cli_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/cli"
)

// TestShowDelete: show and delete for apps, resources, scopes and roles,
// and role unassign: success, not found (exit 3) and usage errors (exit 2).
func TestShowDelete(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		s := newSh(t, e)
		var res struct{ ID string }
		s.jsonOut(&res, "resources", "create", "--name", "Shop", "--indicator", "https://shop.api")
		s.ok("scopes", "create", "--resource", res.ID, "read", "write", "admin")
		var role struct{ ID string }
		s.jsonOut(&role, "roles", "create", "--name", "reader", "--description", "Reads")
		s.ok("roles", "grant", "reader", "--resource", "https://shop.api", "read", "write")
		var app struct{ ID string }
		s.jsonOut(&app, "apps", "create", "--name", "cron", "--description", "nightly")
		s.ok("roles", "assign", "reader", app.ID)

		// show
		out := s.ok("apps", "show", app.ID)
		if !regexp.MustCompile(`(?m)^ID\s+` + app.ID + `\nNAME\s+cron\nTYPE\s+MachineToMachine\nDESCRIPTION\s+nightly\nCREATED\s+\S+ \S+\nROLES\s+reader\n$`).MatchString(out) {
			t.Errorf("apps show:\n%s", out)
		}
		var appJ struct {
			ID    string
			Roles []struct{ Name string }
		}
		s.jsonOut(&appJ, "apps", "show", app.ID)
		if appJ.ID != app.ID || len(appJ.Roles) != 1 || appJ.Roles[0].Name != "reader" {
			t.Errorf("apps show --json: %+v", appJ)
		}
		out = s.ok("resources", "show", "https://shop.api")
		if !regexp.MustCompile(`^ID\s+` + res.ID + `\nNAME\s+Shop\nINDICATOR\s+https://shop.api\nTTL\s+3600\nDEFAULT\s+no\n\nID\s+NAME\s+DESCRIPTION\n\S+\s+admin\s*\n\S+\s+read\s*\n\S+\s+write\s*\n$`).MatchString(out) {
			t.Errorf("resources show:\n%s", out)
		}
		out = s.ok("roles", "show", "reader")
		if !regexp.MustCompile(`(?m)^ID\s+` + role.ID + `\nNAME\s+reader\nTYPE\s+MachineToMachine\nDESCRIPTION\s+Reads\nSCOPES\s+read write\nAPPS\s+` + app.ID + `\n$`).MatchString(out) {
			t.Errorf("roles show:\n%s", out)
		}
		var roleJ struct {
			ID           string
			Scopes       []struct{ Name string }
			Applications []struct{ ID string }
		}
		s.jsonOut(&roleJ, "roles", "show", role.ID)
		if roleJ.ID != role.ID || len(roleJ.Scopes) != 2 || len(roleJ.Applications) != 1 {
			t.Errorf("roles show --json: %+v", roleJ)
		}

		// unassign
		out = s.ok("roles", "unassign", "reader", app.ID)
		if out != "role reader ("+role.ID+") taken from "+app.ID+"\n" {
			t.Errorf("roles unassign: %q", out)
		}
		if out = s.ok("apps", "show", app.ID); !regexp.MustCompile(`(?m)^ROLES\s+-$`).MatchString(out) {
			t.Errorf("after unassign:\n%s", out)
		}
		s.code(cli.ExitNotFound, "roles", "unassign", "reader", app.ID)
		s.code(cli.ExitNotFound, "roles", "unassign", "no-such-role", app.ID)

		// scopes delete, by name and by id
		var scopes []struct{ ID, Name string }
		s.jsonOut(&scopes, "scopes", "list", "--resource", res.ID)
		var adminID string
		for _, x := range scopes {
			if x.Name == "admin" {
				adminID = x.ID
			}
		}
		out = s.ok("scopes", "delete", "--resource", "https://shop.api", "write", adminID)
		if !strings.Contains(out, "deleted scope write (") || !strings.Contains(out, "deleted scope admin ("+adminID+") of https://shop.api") {
			t.Errorf("scopes delete:\n%s", out)
		}
		errs := s.code(cli.ExitNotFound, "scopes", "delete", "--resource", res.ID, "write")
		if !strings.Contains(errs, `resource https://shop.api has no scope "write"`) {
			t.Errorf("scopes delete twice: %s", errs)
		}
		if out = s.ok("roles", "show", "reader"); !regexp.MustCompile(`(?m)^SCOPES\s+read$`).MatchString(out) {
			t.Errorf("role after scope delete:\n%s", out)
		}

		// delete
		if out = s.ok("roles", "delete", "reader"); out != "deleted role reader ("+role.ID+")\n" {
			t.Errorf("roles delete: %q", out)
		}
		s.code(cli.ExitNotFound, "roles", "delete", "reader")
		s.code(cli.ExitNotFound, "roles", "show", role.ID)
		var del struct{ Deleted []string }
		s.jsonOut(&del, "resources", "delete", "https://shop.api")
		if len(del.Deleted) != 1 || del.Deleted[0] != res.ID {
			t.Errorf("resources delete --json: %+v", del)
		}
		s.code(cli.ExitNotFound, "resources", "show", res.ID)
		s.code(cli.ExitNotFound, "resources", "delete", "https://shop.api")
		s.ok("apps", "delete", app.ID)
		errs = s.code(cli.ExitNotFound, "apps", "show", app.ID)
		if !strings.HasPrefix(errs, "gatehouse: application "+app.ID+": HTTP 404") {
			t.Errorf("apps show after delete: %s", errs)
		}
		noGoNoise(t, "apps show", errs)
	})
}

// TestShowDeleteUsage: the new commands' usage errors and help.
func TestShowDeleteUsage(t *testing.T) {
	s := &sh{t: t, env: map[string]string{}}
	for _, c := range [][]string{
		{"apps", "show"}, {"apps", "show", "a", "b"}, {"resources", "show"}, {"resources", "delete"},
		{"scopes", "delete", "x"}, {"scopes", "delete", "--resource", "r"}, {"roles", "show"},
		{"roles", "delete"}, {"roles", "unassign", "r"}, {"roles", "unassign", "--bogus", "r", "a"},
	} {
		out, errs, code := s.run(c...)
		if code != cli.ExitUsage || out != "" || !strings.Contains(errs, "Usage: gatehouse "+c[0]+" "+c[1]) {
			t.Errorf("%v: exit %d, want 2\n%s%s", c, code, out, errs)
		}
	}
	for _, c := range [][]string{
		{"apps", "show"}, {"resources", "show"}, {"resources", "delete"}, {"scopes", "delete"},
		{"roles", "show"}, {"roles", "delete"}, {"roles", "unassign"},
	} {
		out := s.ok(append(c, "--help")...)
		if !strings.HasPrefix(out, "Usage:\n  gatehouse "+c[0]+" "+c[1]+" ") || !strings.Contains(out, "Exit codes:") {
			t.Errorf("%v --help:\n%s", c, out)
		}
	}
}
