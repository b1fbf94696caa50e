package cli_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGolden: the help and the usage errors of the newer commands (orgs,
// org-roles, org-scopes, users, customizer, apply, diff, export, -o), stdout, stderr and exit
// code, against testdata/golden (go test -run TestGolden -update rewrites).
func TestGolden(t *testing.T) {
	s := &sh{t: t, env: map[string]string{}}
	for _, c := range []string{
		"orgs --help", "orgs create --help", "orgs apps add --help", "orgs roles assign --help", "users --help",
		"customizer --help", "customizer set --help", "apply --help", "diff --help", "export --help",
		"orgs", "orgs frobnicate", "orgs apps", "orgs show", "orgs apps add org", "orgs roles assign org app",
		"orgs update org", "users show", "customizer set", "customizer set -f", "customizer test --env x -f s.js",
		"apply", "apply -f", "diff -f /nonexistent.yaml", "export extra", "apply -f x.yaml --bogus",
		"orgs list -o xml",
		"orgs apps --help", "orgs roles --help", "orgs roles help",
		"users create --help", "users update --help", "users delete --help", "users update u1",
		"users create --custom-data [1]", "users delete", "users create extra",
		"org-roles --help", "org-roles", "org-roles list --help", "org-roles show --help", "org-roles create --help",
		"org-roles update --help", "org-roles delete --help", "org-roles scopes --help", "org-roles scopes add --help",
		"org-roles scopes remove --help", "org-roles resource-scopes --help", "org-roles resource-scopes add --help",
		"org-roles resource-scopes remove --help", "org-roles show", "org-roles create", "org-roles create --name x --type robot",
		"org-roles update r", "org-roles delete", "org-roles scopes", "org-roles scopes add r",
		"org-roles resource-scopes add r res1", "org-roles resource-scopes frobnicate",
		"org-scopes --help", "org-scopes", "org-scopes list --help", "org-scopes show --help", "org-scopes create --help",
		"org-scopes update --help", "org-scopes delete --help", "org-scopes show", "org-scopes create",
		"org-scopes update s", "org-scopes update s --name", "org-scopes delete",
	} {
		out, errs, code := s.run(strings.Fields(c)...)
		got := fmt.Sprintf("$ gatehouse %s\nexit %d\n--- stdout\n%s--- stderr\n%s", c, code, out, errs)
		file := filepath.Join("testdata", "golden", strings.NewReplacer(" ", "_", "/", "_").Replace(c)+".txt")
		if *update {
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("%s: %v (run with -update)", c, err)
			continue
		}
		if got != string(want) {
			t.Errorf("gatehouse %s:\n%s\nwant:\n%s", c, got, want)
		}
	}
}
