package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// The subcommands' usage errors; their work against a real server is
// tested in internal/app (TestBenchScaleTools), which can start one.
func TestManagementSubcommandsUsage(t *testing.T) {
	admin := []string{"-client-id", "a", "-client-secret", "b"}
	tests := []struct {
		name string
		run  func(context.Context, []string, func(string) string, *bytes.Buffer, *bytes.Buffer) int
		args []string
		want []string
	}{
		{"provision without anything", provisionRun, nil, []string{"-client-id and -client-secret are required", "-n must be", "-out is required"}},
		{"provision zero apps", provisionRun, append([]string{"-n", "0", "-out", "x"}, admin...), []string{"-n must be at least 1"}},
		{"provision extra argument", provisionRun, append([]string{"-n", "1", "-out", "x", "y"}, admin...), []string{`unexpected argument "y"`}},
		{"provision no concurrency", provisionRun, append([]string{"-n", "1", "-out", "x", "-c", "0"}, admin...), []string{"-c must be at least 1"}},
		{"writes without credentials", writesRun, nil, []string{"-client-id and -client-secret are required"}},
		{"writes zero rate", writesRun, append([]string{"-rate", "0"}, admin...), []string{"-rate must be"}},
		{"writes bad flag", writesRun, []string{"-n", "3"}, []string{"flag provided but not defined"}},
		{"writes negative role-scope rate", writesRun, append([]string{"-role-scope-rate", "-1"}, admin...), []string{"-role-scope-rate must be"}},
		{"writes no role", writesRun, append([]string{"-role-scope-rate", "1", "-role", ""}, admin...), []string{"-role, -resource and -role-scope must not be empty"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := tc.run(context.Background(), tc.args, func(string) string { return "" }, &stdout, &stderr)
			if code != 2 || stdout.Len() != 0 || !strings.Contains(stderr.String(), "-h' for usage") {
				t.Errorf("exit %d stdout %q stderr %q, want 2", code, stdout.String(), stderr.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q: %s", w, stderr.String())
				}
			}
		})
	}
	// The environment of the management CLI is enough for the credentials.
	env := map[string]string{envClientID: "a", envClientSecret: "b"}
	var stdout, stderr bytes.Buffer
	if code := Provision(context.Background(), nil, func(k string) string { return env[k] }, &stdout, &stderr); code != 2 ||
		strings.Contains(stderr.String(), "-client-id") {
		t.Errorf("exit %d stderr %s", code, stderr.String())
	}
	for _, run := range []func(context.Context, []string, func(string) string, *bytes.Buffer, *bytes.Buffer) int{provisionRun, writesRun} {
		stdout.Reset()
		if code := run(context.Background(), []string{"-h"}, func(string) string { return "" }, &stdout, &stderr); code != 0 ||
			!strings.Contains(stdout.String(), "Usage: gatehouse bench ") || !strings.Contains(stdout.String(), "-client-secret") {
			t.Errorf("help: exit %d\n%s", code, stdout.String())
		}
	}
}

func provisionRun(ctx context.Context, args []string, getenv func(string) string, stdout, stderr *bytes.Buffer) int {
	return Provision(ctx, args, getenv, stdout, stderr)
}

func writesRun(ctx context.Context, args []string, getenv func(string) string, stdout, stderr *bytes.Buffer) int {
	return Writes(ctx, args, getenv, stdout, stderr)
}
