package cli_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/cli"
)

// TestKeys: keys list, rotate (with and without a grace period) and
// delete; deleting a missing key exits 3, the Current key is refused.
func TestKeys(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		s := newSh(t, e)
		type key struct{ ID, Status, SigningKeyAlgorithm string }
		var before []key
		s.jsonOut(&before, "keys", "list")
		if len(before) == 0 {
			t.Fatalf("keys list: %+v", before)
		}
		var current string
		for _, k := range before {
			if k.Status == "Current" {
				current = k.ID
			}
		}
		out := s.ok("keys", "list")
		if !regexp.MustCompile(`(?m)^ID\s+STATUS\s+ALGORITHM\s+CREATED\s+EFFECTIVE\n`).MatchString(out) ||
			!regexp.MustCompile(`(?m)^`+current+`\s+Current\s+(EC|RSA)\s+\S+ \S+\s+-$`).MatchString(out) {
			t.Errorf("keys list:\n%s", out)
		}
		errs := s.code(cli.ExitFailure, "keys", "delete", current)
		if !strings.Contains(errs, "key "+current+": HTTP ") {
			t.Errorf("delete Current: %s", errs)
		}

		out = s.ok("keys", "rotate", "--algorithm", "rsa")
		if !regexp.MustCompile(`(?m)^\S+\s+Current\s+RSA\s`).MatchString(out) ||
			!regexp.MustCompile(`(?m)^`+current+`\s+Previous\s`).MatchString(out) {
			t.Errorf("keys rotate:\n%s", out)
		}
		var next []key
		s.jsonOut(&next, "keys", "rotate", "--grace", "1h")
		if !slicesHas(next, func(k key) bool { return k.Status == "Next" && k.SigningKeyAlgorithm == "EC" }) {
			t.Errorf("rotate --grace: %+v", next)
		}
		if out = s.ok("keys", "list"); !regexp.MustCompile(`(?m)^\S+\s+Next\s+EC\s+\S+ \S+\s+\S+ \S+$`).MatchString(out) {
			t.Errorf("keys list with a Next key:\n%s", out)
		}

		var gone []key
		s.jsonOut(&gone, "keys", "list")
		for _, k := range gone {
			if k.Status == "Previous" {
				s.ok("keys", "delete", k.ID)
				s.code(cli.ExitNotFound, "keys", "delete", k.ID)
			}
		}
	})
}

func slicesHas[T any](s []T, f func(T) bool) bool {
	for _, x := range s {
		if f(x) {
			return true
		}
	}
	return false
}

// TestKeysUsage: the keys commands' usage errors and help.
func TestKeysUsage(t *testing.T) {
	s := &sh{t: t, env: map[string]string{}}
	for _, c := range [][]string{
		{"keys"}, {"keys", "list", "x"}, {"keys", "delete"}, {"keys", "rotate", "--algorithm", "dsa"},
		{"keys", "rotate", "--grace", "-1s"}, {"keys", "rotate", "--grace", "1500ms"}, {"keys", "rotate", "--grace", "soon"},
	} {
		out, errs, code := s.run(c...)
		if code != cli.ExitUsage || out != "" || !strings.Contains(errs, "Usage: gatehouse keys") {
			t.Errorf("%v: exit %d, want 2\n%s%s", c, code, out, errs)
		}
	}
	for _, c := range []string{"list", "rotate", "delete"} {
		out := s.ok("keys", c, "--help")
		if !strings.HasPrefix(out, "Usage:\n  gatehouse keys "+c) || strings.Count(out, "  gatehouse keys ") != 1 {
			t.Errorf("keys %s --help:\n%s", c, out)
		}
	}
}
