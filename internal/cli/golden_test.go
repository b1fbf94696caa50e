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
// users, customizer, apply, diff, export, -o), stdout, stderr and exit
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
