package cli_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/cli"
)

// TestUsersCRUD: users create, update and delete, with custom data inline
// and from a file; conflicts exit 4, a missing user 3, usage errors 2.
func TestUsersCRUD(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		s := newSh(t, e)
		var u struct {
			ID, Username, PrimaryEmail, PrimaryPhone, Name string
			CustomData                                     map[string]any
		}
		s.jsonOut(&u, "users", "create", "--username", "ada", "--name", "Ada", "--email", "ada@example.com",
			"--phone", "15550100", "--custom-data", `{"team":"ops","level":3}`)
		if u.ID == "" || u.Username != "ada" || u.PrimaryEmail != "ada@example.com" || u.PrimaryPhone != "15550100" ||
			u.Name != "Ada" || u.CustomData["team"] != "ops" || u.CustomData["level"] != float64(3) {
			t.Fatalf("users create: %+v", u)
		}
		s.code(cli.ExitConflict, "users", "create", "--username", "ada")
		s.code(cli.ExitConflict, "users", "create", "--email", "ada@example.com")
		s.code(cli.ExitUsage, "users", "create", "--custom-data", "[1]")
		s.code(cli.ExitUsage, "users", "create", "--custom-data", "/nonexistent.json")
		s.code(cli.ExitUsage, "users", "update", u.ID)
		s.code(cli.ExitUsage, "users", "create", "extra")

		out := s.ok("users", "create", "--username", "bob")
		if !regexp.MustCompile(`(?m)^ID\s+USERNAME\s+EMAIL\s+PHONE\s+NAME\n\S+\s+bob\s*$`).MatchString(out) {
			t.Errorf("users create:\n%s", out)
		}

		file := write(t, "data.json", `{"team": "dev"}`)
		id := u.ID
		u = struct {
			ID, Username, PrimaryEmail, PrimaryPhone, Name string
			CustomData                                     map[string]any
		}{}
		s.jsonOut(&u, "users", "update", id, "--email", "", "--name", "Ada L.", "--custom-data", file)
		if u.PrimaryEmail != "" || u.Name != "Ada L." || u.Username != "ada" || u.CustomData["team"] != "dev" || u.CustomData["level"] != nil {
			t.Errorf("users update: %+v", u)
		}
		out = s.ok("users", "show", u.ID)
		if !regexp.MustCompile(`(?m)^EMAIL\s+-\nPHONE\s+15550100\nNAME\s+Ada L\.$`).MatchString(out) {
			t.Errorf("users show after update:\n%s", out)
		}
		s.code(cli.ExitConflict, "users", "update", u.ID, "--username", "bob")
		s.code(cli.ExitNotFound, "users", "update", "nobody", "--name", "x")

		out = s.ok("users", "delete", u.ID)
		if out != "deleted user "+u.ID+"\n" {
			t.Errorf("users delete: %q", out)
		}
		s.code(cli.ExitNotFound, "users", "show", u.ID)
		s.code(cli.ExitNotFound, "users", "delete", u.ID)
	})
}

// TestOrgTemplate: org-scopes and org-roles, with organization and
// resource scopes added and removed by name and id, and a role made
// through the CLI that an organization member can hold.
func TestOrgTemplate(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		s := newSh(t, e)
		var read, write struct{ ID, Name, Description string }
		s.jsonOut(&read, "org-scopes", "create", "--name", "read:orders", "--description", "Read orders")
		s.jsonOut(&write, "org-scopes", "create", "write:orders")
		if read.ID == "" || read.Description != "Read orders" || write.Name != "write:orders" {
			t.Fatalf("org-scopes create: %+v %+v", read, write)
		}
		s.code(cli.ExitConflict, "org-scopes", "create", "--name", "read:orders")
		s.code(cli.ExitUsage, "org-scopes", "create")
		s.code(cli.ExitUsage, "org-scopes", "update", "read:orders")

		var role struct{ ID, Name, Type, Description string }
		s.jsonOut(&role, "org-roles", "create", "--name", "clerk", "--description", "Handles orders")
		if role.Type != "MachineToMachine" || role.Description != "Handles orders" {
			t.Errorf("org-roles create defaults to m2m: %+v", role)
		}
		var human struct{ Type string }
		s.jsonOut(&human, "org-roles", "create", "--name", "person", "--type", "user")
		if human.Type != "User" {
			t.Errorf("org-roles create --type user: %+v", human)
		}
		s.code(cli.ExitUsage, "org-roles", "create", "--name", "x", "--type", "robot")
		s.code(cli.ExitConflict, "org-roles", "create", "--name", "clerk")

		out := s.ok("org-roles", "scopes", "add", "clerk", "read:orders", write.ID)
		if !regexp.MustCompile(`(?m)^SCOPES\s+read:orders write:orders$`).MatchString(out) {
			t.Errorf("org-roles scopes add:\n%s", out)
		}
		s.code(cli.ExitNotFound, "org-roles", "scopes", "add", "clerk", "no-such-scope")
		s.code(cli.ExitNotFound, "org-roles", "scopes", "add", "no-such-role", "read:orders")

		var res struct{ ID string }
		s.jsonOut(&res, "resources", "create", "--name", "Shop", "--indicator", "https://shop.api")
		s.ok("scopes", "create", "--resource", res.ID, "ship", "refund")
		out = s.ok("org-roles", "resource-scopes", "add", role.ID, "https://shop.api", "ship", "refund")
		if !regexp.MustCompile(`(?m)^RESOURCE SCOPES\s+https://shop.api refund, https://shop.api ship$`).MatchString(out) {
			t.Errorf("org-roles resource-scopes add:\n%s", out)
		}
		s.code(cli.ExitNotFound, "org-roles", "resource-scopes", "add", "clerk", "https://shop.api", "nope")
		s.code(cli.ExitNotFound, "org-roles", "resource-scopes", "add", "clerk", "https://nope.api", "ship")
		s.code(cli.ExitUsage, "org-roles", "resource-scopes", "add", "clerk", "https://shop.api")

		out = s.ok("org-roles", "show", "clerk")
		if !regexp.MustCompile(`^ID\s+` + role.ID + `\nNAME\s+clerk\nTYPE\s+MachineToMachine\nDESCRIPTION\s+Handles orders\nSCOPES\s+read:orders write:orders\nRESOURCE SCOPES\s+https://shop.api refund, https://shop.api ship\n$`).MatchString(out) {
			t.Errorf("org-roles show:\n%s", out)
		}
		var shown struct {
			ID             string
			Scopes         []struct{ Name string }
			ResourceScopes []struct {
				Name     string
				Resource struct{ Indicator string }
			}
		}
		s.jsonOut(&shown, "org-roles", "show", role.ID)
		if shown.ID != role.ID || len(shown.Scopes) != 2 || len(shown.ResourceScopes) != 2 || shown.ResourceScopes[0].Resource.Indicator != "https://shop.api" {
			t.Errorf("org-roles show --json: %+v", shown)
		}
		out = s.ok("org-roles", "list")
		if !regexp.MustCompile(`(?m)^` + role.ID + `\s+clerk\s+MachineToMachine\s+read:orders write:orders\s+Handles orders$`).MatchString(out) {
			t.Errorf("org-roles list:\n%s", out)
		}
		out = s.ok("org-scopes", "show", "read:orders")
		if !regexp.MustCompile(`(?m)^ROLES\s+clerk$`).MatchString(out) {
			t.Errorf("org-scopes show:\n%s", out)
		}

		// The role works: a member application holds it.
		var app struct{ ID string }
		s.jsonOut(&app, "apps", "create", "--name", "cron")
		s.ok("orgs", "create", "--name", "Acme")
		s.ok("orgs", "apps", "add", "Acme", app.ID)
		s.ok("orgs", "roles", "assign", "Acme", app.ID, "clerk")

		out = s.ok("org-roles", "scopes", "remove", "clerk", "write:orders")
		if !regexp.MustCompile(`(?m)^SCOPES\s+read:orders$`).MatchString(out) {
			t.Errorf("org-roles scopes remove:\n%s", out)
		}
		s.code(cli.ExitNotFound, "org-roles", "scopes", "remove", "clerk", "write:orders")
		out = s.ok("org-roles", "resource-scopes", "remove", "clerk", res.ID, "refund")
		if !regexp.MustCompile(`(?m)^RESOURCE SCOPES\s+https://shop.api ship$`).MatchString(out) {
			t.Errorf("org-roles resource-scopes remove:\n%s", out)
		}

		out = s.ok("org-roles", "update", "clerk", "--name", "senior-clerk", "--type", "user", "--description", "")
		if !regexp.MustCompile(`(?m)^` + role.ID + `\s+senior-clerk\s+User\s*$`).MatchString(out) {
			t.Errorf("org-roles update:\n%s", out)
		}
		s.code(cli.ExitConflict, "org-roles", "update", "senior-clerk", "--name", "person")
		s.code(cli.ExitUsage, "org-roles", "update", "senior-clerk")

		out = s.ok("org-scopes", "update", "read:orders", "--name", "orders:read")
		if !regexp.MustCompile(`(?m)^` + read.ID + `\s+orders:read\s+Read orders$`).MatchString(out) {
			t.Errorf("org-scopes update:\n%s", out)
		}
		if out = s.ok("org-scopes", "list"); !strings.Contains(out, "orders:read") || !strings.Contains(out, "write:orders") {
			t.Errorf("org-scopes list:\n%s", out)
		}
		out = s.ok("org-scopes", "delete", "orders:read", "write:orders")
		if out != "deleted organization scope orders:read ("+read.ID+")\ndeleted organization scope write:orders ("+write.ID+")\n" {
			t.Errorf("org-scopes delete: %q", out)
		}
		s.code(cli.ExitNotFound, "org-scopes", "show", "orders:read")
		s.ok("org-roles", "delete", "senior-clerk", "person")
		s.code(cli.ExitNotFound, "org-roles", "show", "senior-clerk")
		if out = s.ok("org-roles", "list", "-o", "json"); strings.TrimSpace(out) != "[]" {
			t.Errorf("org-roles list after delete: %s", out)
		}
	})
}
