package cli_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/cli"
	"go.yaml.in/yaml/v3"
)

// write writes a file in a test directory and returns its path.
func write(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestApply: the shopping story from an empty server, a no-op rerun, a
// change, prune, and export → apply round trip, with the token the
// applied configuration gives.
func TestApply(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		s := newSh(t, e)
		story, err := os.ReadFile("testdata/shopping.yaml")
		if err != nil {
			t.Fatal(err)
		}
		file := write(t, "gatehouse.yaml", string(story))

		// diff first: the plan, nothing changed.
		plan := s.ok("diff", "-f", file)
		for _, want := range []string{
			"+ resource https://shopping.api (Online shopping)\n", "+ scope https://shopping.api read:products\n",
			"+ role shop-reader\n", "+ role shop-reader: scope https://shopping.api read:products\n",
			"+ app daily-orders\n", "+ app daily-orders: role shop-reader\n", "+ organization role store-manager\n",
			"+ organization role store-manager: scope https://shopping.api write:products\n",
			"+ organization Acme\n", "+ organization Acme: app daily-orders\n",
			"+ organization Acme: app daily-orders: role store-manager\n", "+ customizer: new\n",
			"+ organization scope manage:store\n", "+ organization role store-manager: organization scope manage:store\n",
			"16 changes to make (gatehouse apply -f " + file + ")\n",
		} {
			if !strings.Contains(plan, want) {
				t.Errorf("diff lacks %q:\n%s", want, plan)
			}
		}
		if out := s.ok("resources", "list"); strings.Contains(out, "shopping") {
			t.Fatalf("diff changed the server:\n%s", out)
		}

		// Create from empty; the new app's secret goes to --secrets-out, 0600.
		secrets := filepath.Join(t.TempDir(), "secrets.yaml")
		out := s.ok("apply", "-f", file, "--secrets-out", secrets)
		if !strings.HasSuffix(out, "applied 16 changes\n") || !strings.Contains(out, "secret of new app daily-orders (") ||
			!strings.Contains(out, "written to "+secrets) {
			t.Errorf("apply:\n%s", out)
		}
		st, err := os.Stat(secrets)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("secrets file: %v %v", err, st)
		}
		var got map[string]struct{ ID, Secret string }
		b, _ := os.ReadFile(secrets)
		if err := yaml.Unmarshal(b, &got); err != nil || got["daily-orders"].Secret == "" {
			t.Fatalf("secrets file %v:\n%s", err, b)
		}
		if strings.Contains(out, got["daily-orders"].Secret) {
			t.Error("the secret was printed although --secrets-out was given")
		}
		app := got["daily-orders"]
		tok, status := e.TokenAs(app.ID, app.Secret, "https://shopping.api", "read:products write:products")
		if status != 200 {
			t.Fatalf("token: %d", status)
		}
		var decoded struct{ Claims map[string]any }
		s.jsonOut(&decoded, "token", "--decode", tok)
		if decoded.Claims["scope"] != "read:products" || decoded.Claims["store"] != "acme" || decoded.Claims["exp"].(float64)-decoded.Claims["iat"].(float64) != 900 {
			t.Errorf("token claims: %v", decoded.Claims)
		}

		// A second run changes nothing and says so.
		if out := s.ok("apply", "-f", file); out != "no changes: the server matches "+file+"\n" {
			t.Errorf("rerun:\n%s", out)
		}
		if out := s.ok("diff", "-f", file, "--prune"); out != "no changes: the server matches "+file+"\n" {
			t.Errorf("diff --prune after apply (the Management API, its role and the bootstrap app are never pruned):\n%s", out)
		}

		// A change: the role also writes, a description, a TTL, a scope goes.
		changed := strings.NewReplacer(
			"https://shopping.api: [read:products]\n", "https://shopping.api: [read:products, write:products]\n",
			"description: Pulls the daily orders", "description: Pulls the orders every night",
			"accessTokenTtl: 900", "accessTokenTtl: 600",
			"      - name: write:products\n        description: Create and change products\n", "      - write:products\n      - delete:products\n",
			"daily-orders: [store-manager]", "daily-orders: []",
			"organizationScopes: [manage:store]", "organizationScopes: []",
		).Replace(string(story))
		file2 := write(t, "changed.yaml", changed)
		out = s.ok("apply", "-f", file2)
		want := "~ resource https://shopping.api: accessTokenTtl 900 → 600\n" +
			"+ scope https://shopping.api delete:products\n" +
			"+ role shop-reader: scope https://shopping.api write:products\n" +
			"~ app daily-orders: description \"Pulls the daily orders\" → \"Pulls the orders every night\"\n" +
			"- organization role store-manager: organization scope manage:store\n" +
			"- organization Acme: app daily-orders: role store-manager\n" +
			"applied 6 changes\n"
		if out != want {
			t.Errorf("apply a change:\n%s\nwant:\n%s", out, want)
		}
		s.ok("apply", "-f", file2) // and again: no change
		if out := s.ok("diff", "-f", file2); !strings.HasPrefix(out, "no changes") {
			t.Errorf("after the change:\n%s", out)
		}

		// Export → apply is a no-op, and the export holds no secret.
		exported := s.ok("export")
		if strings.Contains(exported, app.Secret) || strings.Contains(exported, "acme") || strings.Contains(exported, "Logto Management API") ||
			strings.Contains(exported, "bootstrap") || !strings.Contains(exported, "# environmentVariables (STORE) are not exported") {
			t.Errorf("export:\n%s", exported)
		}
		ex := write(t, "export.yaml", exported)
		if out := s.ok("apply", "-f", ex, "--prune"); !strings.HasPrefix(out, "no changes") {
			t.Errorf("export → apply --prune:\n%s\n%s", out, exported)
		}

		// Prune: an empty file removes everything but the Management API,
		// its role and the app running the command.
		s.ok("roles", "create", "--name", "stray")
		empty := write(t, "empty.yaml", "")
		if out := s.ok("apply", "-f", empty); !strings.HasPrefix(out, "no changes") {
			t.Errorf("without --prune nothing goes:\n%s", out)
		}
		out = s.ok("apply", "-f", empty, "--prune")
		for _, w := range []string{"- organization Acme\n", "- organization role store-manager\n", "- app daily-orders (" + app.ID + ")\n",
			"- role shop-reader\n", "- role stray\n", "- resource https://shopping.api\n", "- customizer\n",
			"- organization scope manage:store\n", "applied 8 changes\n"} {
			if !strings.Contains(out, w) {
				t.Errorf("prune lacks %q:\n%s", w, out)
			}
		}
		if strings.Contains(out, "Management") || strings.Contains(out, apptest.BootstrapID) {
			t.Errorf("prune touched the Management API or the running app:\n%s", out)
		}
		s.ok("apps", "show", apptest.BootstrapID)
		if out := s.ok("diff", "-f", empty, "--prune"); !strings.HasPrefix(out, "no changes") {
			t.Errorf("after prune:\n%s", out)
		}

		// From empty again, with the secret on stdout this time.
		out = s.ok("apply", "-f", file)
		if !regexp.MustCompile(`(?m)^secret of new app daily-orders \(\S+\): \S{20,}$`).MatchString(out) {
			t.Errorf("secret on stdout:\n%s", out)
		}
	})
}

// TestApplyProblems: a file with problems changes nothing, and each
// problem is reported with its line.
func TestApplyProblems(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		s := newSh(t, e)
		file := write(t, "bad.yaml", `resources:
  - indicator: not-a-uri
    name: Bad
  - indicator: https://shopping.api
    name: Shop
    accessTokenTtl: 0
    scopes: [read, read]
  - name: nameless
roles:
  - name: reader
    colour: blue
    scopes:
      https://shopping.api: [read, write]
      https://other.api: [x]
apps:
  - name: job
    roles: [reader, nobody]
organizations:
  - name: Acme
    apps:
      ghost: []
      job: [boss]
`)
		_, errs, code := s.run("apply", "-f", file)
		if code != cli.ExitUsage {
			t.Errorf("exit %d", code)
		}
		// Structure first: every problem of the file's shape.
		for _, w := range []string{
			file + `:2: resource indicator "not-a-uri" is not an absolute URI`,
			file + ":6: accessTokenTtl 0: want seconds, 1 to 31536000",
			file + ":7: scope read is already defined at line 7",
			file + ":8: resource: indicator is required",
			file + `:11: role: unknown field "colour" (known: description, name, scopes)`,
			"5 problems in the file; nothing was changed",
		} {
			if !strings.Contains(errs, w) {
				t.Errorf("missing %q in:\n%s", w, errs)
			}
		}
		// Then the references, checked against the file and the server.
		fixed := strings.NewReplacer("not-a-uri", "https://bad.api", "accessTokenTtl: 0", "accessTokenTtl: 60",
			"[read, read]", "[read]", "  - name: nameless\n", "", "    colour: blue\n", "").Replace(mustRead(t, file))
		file2 := write(t, "refs.yaml", fixed)
		_, errs, code = s.run("apply", "-f", file2)
		if code != cli.ExitUsage {
			t.Errorf("exit %d", code)
		}
		for _, w := range []string{
			file2 + ":11: role reader: resource https://shopping.api has no scope write",
			file2 + ":12: role reader: no resource https://other.api in the file",
			file2 + ":15: app job: no role nobody in the file",
			file2 + ":19: organization Acme: no app ghost in the file",
			file2 + ":20: organization Acme: no organization role boss in the file",
			"5 problems in the file; nothing was changed",
		} {
			if !strings.Contains(errs, w) {
				t.Errorf("missing %q in:\n%s", w, errs)
			}
		}
		if out := s.ok("resources", "list"); strings.Contains(out, "https://bad.api") {
			t.Errorf("a file with problems changed the server:\n%s", out)
		}
		_, errs, _ = s.run("diff", "-f", write(t, "syntax.yaml", "resources: [\n"))
		if !strings.HasPrefix(errs, "gatehouse diff: ") || !strings.Contains(errs, "syntax.yaml: line 1: ") {
			t.Errorf("a YAML syntax error: %s", errs)
		}
		// An organization role names organization scopes of the file only;
		// an M2M role has none.
		_, errs, _ = s.run("apply", "-f", write(t, "orgscopes.yaml", "organizationScopes: [manage]\norganizationRoles:\n  - name: boss\n    organizationScopes: [manage, nope]\nroles:\n  - name: r\n    organizationScopes: [manage]\n"))
		if !strings.Contains(errs, ":7: role: unknown field \"organizationScopes\"") {
			t.Errorf("organization scopes on an M2M role: %s", errs)
		}
		_, errs, _ = s.run("apply", "-f", write(t, "orgscopes2.yaml", "organizationScopes: [manage]\norganizationRoles:\n  - name: boss\n    organizationScopes: [manage, nope]\n"))
		if !strings.Contains(errs, ":4: organization role boss: no organization scope nope in the file") {
			t.Errorf("an unknown organization scope: %s", errs)
		}
		// The Management API's resource and role are not the file's to manage.
		_, errs, _ = s.run("apply", "-f", write(t, "mgmt.yaml", "resources:\n  - indicator: https://default.logto.app/api\n    name: x\nroles:\n  - name: Logto Management API access\n"))
		if !strings.Contains(errs, ":2: resource https://default.logto.app/api is the Management API") || !strings.Contains(errs, ":5: role \"Logto Management API access\" belongs to the Management API") {
			t.Errorf("management objects: %s", errs)
		}
	})
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The complete example in docs/declarative.md is the file TestApply
// applies.
func TestDeclarativeDocExample(t *testing.T) {
	doc := mustRead(t, "../../docs/declarative.md")
	story := mustRead(t, "testdata/shopping.yaml")
	if !strings.Contains(doc, "```yaml\n"+story+"```\n") {
		t.Error("docs/declarative.md's shopping story differs from internal/cli/testdata/shopping.yaml")
	}
}
