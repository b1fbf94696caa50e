package sdkcheck_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// consumer is a program outside the repository that uses both modules, as
// an API and a script would.
const consumer = `package main

import (
	"context"
	"fmt"

	"github.com/gatehouse/gatehouse/client"
	"github.com/gatehouse/gatehouse/protect"
	"github.com/gatehouse/gatehouse/protect/protecttest"
)

func main() {
	ts := client.NewTokenSource(client.TokenConfig{BaseURL: "http://127.0.0.1:9", ClientID: "a", ClientSecret: "b"})
	_, err := protect.New(context.Background(), "http://127.0.0.1:9/oidc", "https://shopping.api")
	fmt.Println(ts != nil, err != nil, protecttest.NewIssuer != nil)
}
`

// clientConsumer uses the client module alone.
const clientConsumer = `package main

import (
	"fmt"

	"github.com/gatehouse/gatehouse/client"
)

func main() {
	ts := client.NewTokenSource(client.TokenConfig{BaseURL: "http://127.0.0.1:9", ClientID: "a", ClientSecret: "b"})
	fmt.Println(ts != nil)
}
`

// allowed are the only modules a consumer of client and protect may list:
// itself, the two modules, and what they use.
var allowed = []string{
	"example.com/consumer",
	"github.com/gatehouse/gatehouse/client",
	"github.com/gatehouse/gatehouse/protect",
	"github.com/go-jose/go-jose/v4",
	"golang.org/x/oauth2",
	"cloud.google.com/go/compute/metadata", // required by x/oauth2's go.mod (its google package)
}

// TestModulesStandAlone builds, in a temporary directory outside the
// repository, a program importing client, protect and protecttest (through
// replace directives to this checkout, as a released version would be
// fetched), and checks that its module list holds none of the server's
// dependencies and that its go line stays at the documented minimum. It
// needs the go command and the module proxy (or a module cache holding
// x/oauth2 and go-jose); -short skips it.
//
// The go lines are the minimum Go versions the README promises: 1.24 for a
// program using protect, 1.23 for one using client alone. Neither module
// may raise them.
func TestModulesStandAlone(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program with the go command")
	}
	t.Run("client and protect", func(t *testing.T) { standAlone(t, consumer, "1.24.0", "client", "protect") })
	t.Run("client alone", func(t *testing.T) { standAlone(t, clientConsumer, "1.23.0", "client") })
}

// standAlone builds program, using the modules of the repository named by
// dirs, with go line consumerGo, and checks its module list.
func standAlone(t *testing.T, program, consumerGo string, dirs ...string) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gomod := "module example.com/consumer\n\ngo " + consumerGo + "\n"
	for _, d := range dirs {
		gomod += "\nrequire github.com/gatehouse/gatehouse/" + d + " v0.0.0\n" +
			"replace github.com/gatehouse/gatehouse/" + d + " => " + filepath.Join(root, d) + "\n"
	}
	write(t, filepath.Join(dir, "go.mod"), gomod)
	write(t, filepath.Join(dir, "main.go"), program)

	run := func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command(goCmd, args...)
		cmd.Dir = dir
		// GOFLAGS=-mod=mod lets tidy fetch; GOWORK=off ignores any
		// workspace above the temporary directory; GOTOOLCHAIN=local keeps
		// a go line the modules might raise from fetching a toolchain.
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOTOOLCHAIN=local")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
		}
		return out
	}
	run("mod", "tidy")
	run("build", "-o", filepath.Join(dir, "consumer"), ".")

	var mod struct {
		Go        string
		Toolchain string
	}
	if err := json.Unmarshal(run("mod", "edit", "-json"), &mod); err != nil {
		t.Fatal(err)
	}
	if mod.Go != consumerGo || mod.Toolchain != "" {
		t.Errorf("go mod tidy raised the consumer's go line to %q (toolchain %q), want %s", mod.Go, mod.Toolchain, consumerGo)
	}

	modules := strings.Fields(string(run("list", "-m", "-f", "{{.Path}}", "all")))
	t.Logf("the consumer's modules: %v", modules)
	for _, m := range modules {
		if !slices.Contains(allowed, m) {
			t.Errorf("the consumer lists module %s", m)
		}
	}

	// And explicitly: none of the server module's requirements but the two
	// the SDK modules share with it.
	cmd := exec.Command(goCmd, "mod", "edit", "-json")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var server struct {
		Module  struct{ Path string }
		Require []struct{ Path string }
	}
	if err := json.Unmarshal(out, &server); err != nil {
		t.Fatal(err)
	}
	if len(server.Require) < 10 {
		t.Fatalf("the server module requires only %v", server.Require)
	}
	for _, r := range append(server.Require, struct{ Path string }{server.Module.Path}) {
		if slices.Contains(allowed, r.Path) {
			continue
		}
		if slices.Contains(modules, r.Path) {
			t.Errorf("the consumer depends on the server's dependency %s", r.Path)
		}
	}
	sum, err := os.ReadFile(filepath.Join(dir, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("go.sum: %d lines", bytes.Count(sum, []byte("\n")))
}

func write(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
