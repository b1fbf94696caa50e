package customizer

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

const input = `{"token":{"jti":"j1","aud":"https://api.example","scope":"read","clientId":"app1","kind":"ClientCredentials"},` +
	`"context":{"application":{"id":"app1","name":"App","customData":{"tier":"gold"}}},` +
	`"environmentVariables":{"foo":"bar","API_KEY":"12345"}}`

func run(t *testing.T, e *Engine, src string) (string, error) {
	t.Helper()
	out, err := e.Compile(src).Run(input)
	return string(out), err
}

func TestRunResults(t *testing.T) {
	e := New(Options{})
	t.Cleanup(e.Close)
	cases := []struct{ name, src, want string }{
		{"Logto sample", `const getCustomJwtClaims = async ({ token, context, environmentVariables }) => {
  return { ...environmentVariables };
};`, `{"foo":"bar","API_KEY":"12345"}`},
		{"function declaration, sync", `function getCustomJwtClaims({ token, context }) {
  return { sub2: token.clientId, tier: context.application.customData.tier, scope: token.scope, kind: token.kind };
}`, `{"sub2":"app1","tier":"gold","scope":"read","kind":"ClientCredentials"}`},
		{"await chain", `async function helper(x) { await null; return x * 2; }
async function getCustomJwtClaims() { const a = await helper(21); return await Promise.resolve({ a }); }`, `{"a":42}`},
		{"trailing comment", "function getCustomJwtClaims() { return { n: 1 }; } // done", `{"n":1}`},
		{"nested values, undefined dropped", `function getCustomJwtClaims() { return { o: { l: [1, "x", null, true] }, u: undefined, d: new Date(0) }; }`,
			`{"o":{"l":[1,"x",null,true]},"d":"1970-01-01T00:00:00.000Z"}`},
		{"console is there", `function getCustomJwtClaims() { console.log("hi", 1); return {}; }`, `{}`},
		{"api is frozen", `"use strict"; function getCustomJwtClaims({ api }) { try { api.denyAccess = null; } catch (e) { return { frozen: true }; } return {}; }`, `{"frozen":true}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := run(t, e, c.src)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if got != c.want {
				t.Fatalf("got %s, want %s", got, c.want)
			}
		})
	}
}

func TestRunFailures(t *testing.T) {
	e := New(Options{})
	t.Cleanup(e.Close)
	cases := []struct {
		name, src string
		kind      Kind
		msg       string
	}{
		{"throws", `function getCustomJwtClaims() { throw new Error("boom"); }`, KindRuntime, "boom"},
		{"rejects", `async function getCustomJwtClaims() { await null; throw new TypeError("bad type"); }`, KindRuntime, "bad type"},
		{"throws a string", `function getCustomJwtClaims() { throw "plain"; }`, KindRuntime, "plain"},
		{"hostile toString", `function getCustomJwtClaims() { throw { toString() { throw 1; } }; }`, KindRuntime, "The script threw a value that could not be described."},
		{"no entry", `const x = 1;`, KindType, "The script does not have a function named `getCustomJwtClaims`"},
		{"top level throws", `throw new Error("at load");`, KindRuntime, "at load"},
		{"syntax", `function getCustomJwtClaims( {`, KindSyntax, "SyntaxError"},
		{"array result", `function getCustomJwtClaims() { return [1]; }`, KindType, "The script return value must be a plain object."},
		{"null result", `function getCustomJwtClaims() { return null; }`, KindType, "The script return value must be a plain object."},
		{"string result", `async function getCustomJwtClaims() { return "x"; }`, KindType, "The script return value must be a plain object."},
		{"cyclic result", `function getCustomJwtClaims() { const o = {}; o.o = o; return o; }`, KindType, "The script return value must be JSON-serializable."},
		{"never settles", `function getCustomJwtClaims() { return new Promise(() => {}); }`, KindRuntime, "never settles"},
		{"no require", `function getCustomJwtClaims() { return { fs: typeof require("fs") }; }`, KindRuntime, "require is not defined"},
		{"no fetch", `async function getCustomJwtClaims() { await fetch("http://example.com"); return {}; }`, KindRuntime, "fetch is not defined"},
		{"no process", `function getCustomJwtClaims() { return { env: process.env }; }`, KindRuntime, "process is not defined"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := run(t, e, c.src)
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if se.Kind != c.kind || !strings.Contains(se.Message, c.msg) {
				t.Fatalf("got %s %q, want %s containing %q", se.Kind, se.Message, c.kind, c.msg)
			}
		})
	}
}

func TestDenyAccess(t *testing.T) {
	e := New(Options{})
	t.Cleanup(e.Close)
	cases := []struct{ name, src, msg string }{
		{"with message", `function getCustomJwtClaims({ api }) { api.denyAccess("no tokens for you"); }`, "no tokens for you"},
		{"default message", `async function getCustomJwtClaims({ api }) { await null; return api.denyAccess(); }`, "Access denied"},
		{"caught and rethrown", `function getCustomJwtClaims({ api }) { try { api.denyAccess("x"); } catch (e) { throw e; } }`, "x"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := run(t, e, c.src)
			var d *Denied
			if !errors.As(err, &d) || d.Message != c.msg {
				t.Fatalf("err = %v, want denial %q", err, c.msg)
			}
		})
	}
	// A denial the script swallows is no denial.
	got, err := run(t, e, `function getCustomJwtClaims({ api }) { try { api.denyAccess("x"); } catch (e) {} return { ok: 1 }; }`)
	if err != nil || got != `{"ok":1}` {
		t.Fatalf("swallowed denial: %s, %v", got, err)
	}
	// A look-alike error is not a denial.
	_, err = run(t, e, `function getCustomJwtClaims() { throw new Error("Access denied"); }`)
	var d *Denied
	if errors.As(err, &d) {
		t.Fatalf("forged denial accepted: %v", err)
	}
}

func TestTimeout(t *testing.T) {
	e := New(Options{Timeout: 50 * time.Millisecond})
	t.Cleanup(e.Close)
	for name, src := range map[string]string{
		"loop":          `function getCustomJwtClaims() { for (;;) {} }`,
		"async loop":    `async function getCustomJwtClaims() { await null; while (true) {} }`,
		"top level":     `while (true) {} function getCustomJwtClaims() { return {}; }`,
		"toString loop": `function getCustomJwtClaims() { throw { toString() { for (;;) {} } }; }`,
		"getter loop":   `function getCustomJwtClaims() { return { get x() { for (;;) {} } }; }`,
	} {
		t.Run(name, func(t *testing.T) {
			s := e.Compile(src)
			for i := 0; i < 2; i++ { // the second run gets a fresh runtime
				_, err := s.Run(input)
				var se *Error
				if !errors.As(err, &se) || se.Kind != KindTimeout || se.Message != "Script execution timed out after 50ms." {
					t.Fatalf("run %d: err = %v, want a timeout", i, err)
				}
			}
		})
	}
}

// TestReuse runs one script many times from many goroutines (go test
// -race checks the pool), and checks that a runtime that threw serves the
// next run.
func TestReuse(t *testing.T) {
	e := New(Options{Workers: 2})
	t.Cleanup(e.Close)
	s := e.Compile(`let n = 0;
function getCustomJwtClaims({ token, environmentVariables }) {
  n++;
  if (token.jti === "fail") throw new Error("asked to");
  return { jti2: token.jti, foo: environmentVariables.foo };
}`)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				jti := "ok"
				if i%5 == 0 {
					jti = "fail"
				}
				out, err := s.Run(`{"token":{"jti":"` + jti + `"},"environmentVariables":{"foo":"bar"}}`)
				if jti == "fail" {
					if err == nil {
						t.Error("no error for a throwing run")
					}
					continue
				}
				if err != nil || string(out) != `{"jti2":"ok","foo":"bar"}` {
					t.Errorf("run: %s, %v", out, err)
				}
			}
		}()
	}
	wg.Wait()
}
