package customizer

import (
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pids returns the process ids of the engine's live workers.
func pids(e *Engine) map[int]bool {
	e.pool.mu.Lock()
	defer e.pool.mu.Unlock()
	m := map[int]bool{}
	for w := range e.pool.all {
		m[w.cmd.Process.Pid] = true
	}
	return m
}

// gone reports whether no process has pid: the worker was killed and
// reaped, so it holds no CPU and no memory.
func gone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// TestHostileScripts runs the scripts of the security review that kept a
// core busy for minutes or took the process to 1.5 GB when scripts ran
// in-process: each now fails within its limits, its worker is killed and
// gone, and the next run is served by a new worker.
func TestHostileScripts(t *testing.T) {
	const timeout = 300 * time.Millisecond
	e := New(Options{Timeout: timeout, Memory: 128 << 20, Workers: 1})
	t.Cleanup(e.Close)
	ok := e.Compile(`function getCustomJwtClaims({ token }) { return { jti2: token.jti }; }`)
	cases := []struct {
		name, src string
		kinds     []Kind
	}{
		{"catastrophic regex", `function getCustomJwtClaims(){return {m:/^(?=a)(a|aa)+$/.test('a'.repeat(60)+'b')}}`, []Kind{KindTimeout}},
		{"huge join", `function getCustomJwtClaims(){return {s:new Array(3e8).join('ab').length}}`, []Kind{KindTimeout, KindMemory}},
		{"map recursion", `function f(){return [0].map(f)} function getCustomJwtClaims(){return {r:f()}}`, []Kind{KindTimeout, KindMemory, KindRuntime}},
		{"huge repeat", `function getCustomJwtClaims(){return {s:'x'.repeat(1.5e9).length}}`, []Kind{KindTimeout, KindMemory}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if out, err := runStarting(ok); err != nil || string(out) != `{"jti2":"j1"}` {
				t.Fatalf("warm-up: %s, %v", out, err)
			}
			before := pids(e)
			start := time.Now()
			_, err := e.Compile(c.src).Run(input)
			took := time.Since(start)
			var se *Error
			if !errors.As(err, &se) || !contains(c.kinds, se.Kind) {
				t.Fatalf("err = %v, want one of %v", err, c.kinds)
			}
			t.Logf("%s after %v: %s", se.Kind, took, se.Message)
			// A generous bound, not a measurement: in-process these ran
			// for more than 40 s.
			if took > timeout+5*time.Second {
				t.Errorf("answered after %v", took)
			}
			if se.Kind != KindRuntime {
				for pid := range before {
					if !gone(pid) {
						t.Errorf("worker %d still exists after its script was stopped", pid)
					}
				}
			}
			if out, err := runStarting(ok); err != nil || string(out) != `{"jti2":"j1"}` {
				t.Fatalf("after: %s, %v", out, err)
			}
		})
	}
}

// runStarting runs p, whose call may have to start a worker first: on a
// loaded machine or under the race detector that start alone can take
// longer than the test's 300 ms limit, so a timeout is tried again (up to
// five times; a worker that started stays). Any other failure is returned.
func runStarting(p *Script) (out []byte, err error) {
	for range 5 {
		out, err = p.Run(input)
		var se *Error
		if !errors.As(err, &se) || se.Kind != KindTimeout {
			return out, err
		}
	}
	return out, err
}

func contains(ks []Kind, k Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// TestCleanState checks that nothing a call does reaches the next one:
// top-level variables, globals, built-ins and their prototypes.
func TestCleanState(t *testing.T) {
	e := New(Options{Workers: 1})
	t.Cleanup(e.Close)
	s := e.Compile(`let seen = [];
var count = 0;
function getCustomJwtClaims({ token }) {
  count++;
  seen.push(token.jti);
  const leaks = {
    global: typeof globalThis.leak,
    implicit: typeof leaked,
    proto: ({}).leak,
    array: typeof [].leak,
    json: JSON.stringify === JSON.stringify ? typeof JSON.leak : 'changed',
    iterator: typeof [][Symbol.iterator]().leak,
    asyncProto: typeof (async function () {}).leak,
  };
  try { globalThis.leak = token.jti; } catch (e) {}
  try { leaked = token.jti; } catch (e) {}
  try { Object.prototype.leak = token.jti; } catch (e) {}
  try { Array.prototype.leak = function () {}; } catch (e) {}
  try { JSON.leak = 1; JSON.stringify = function () { return '{"stolen":1}'; }; } catch (e) {}
  try { Object.getPrototypeOf([][Symbol.iterator]()).leak = 1; } catch (e) {}
  try { Object.getPrototypeOf(async function () {}).leak = 1; } catch (e) {}
  return { count, seen, leaks };
}`)
	want := `{"count":1,"seen":["%s"],"leaks":{"global":"undefined","implicit":"undefined","array":"undefined","json":"undefined","iterator":"undefined","asyncProto":"undefined"}}`
	for _, jti := range []string{"first", "second", "third"} {
		out, err := s.Run(strings.Replace(input, `"j1"`, `"`+jti+`"`, 1))
		if err != nil {
			t.Fatal(err)
		}
		if w := strings.Replace(want, "%s", jti, 1); string(out) != w {
			t.Fatalf("run %s:\n got %s\nwant %s", jti, out, w)
		}
	}
}

// TestWrapperEscape refuses a script that closes the function it is run
// in, to keep state at the global level.
func TestWrapperEscape(t *testing.T) {
	e := New(Options{Workers: 1})
	t.Cleanup(e.Close)
	for _, src := range []string{
		"}); let keep = []; (function () {\nfunction getCustomJwtClaims() { keep.push(1); return { n: keep.length }; }",
		"}).call(this, 1); (function () { function getCustomJwtClaims() { return {}; }",
	} {
		err := e.Compile(src).Err()
		var se *Error
		if !errors.As(err, &se) || se.Kind != KindSyntax {
			t.Errorf("%q: err = %v, want a syntax error", src, err)
		}
	}
}

// TestClose stops every worker.
func TestClose(t *testing.T) {
	e := New(Options{Workers: 2})
	s := e.Compile(`function getCustomJwtClaims() { return {}; }`)
	if _, err := s.Run(input); err != nil {
		t.Fatal(err)
	}
	live := pids(e)
	if len(live) == 0 {
		t.Fatal("no workers")
	}
	e.Close()
	for pid := range live {
		if !gone(pid) {
			t.Errorf("worker %d outlived Close", pid)
		}
	}
	if _, err := s.Run(input); err == nil {
		t.Fatal("run after Close succeeded")
	}
}

// TestArgumentIsFresh checks that a call that changes its argument,
// or the values its top level made, leaves nothing for the next call with
// the same context and environment variables: a worker that kept decoded
// input or a top level between calls (to save their cost) would fail it.
func TestArgumentIsFresh(t *testing.T) {
	e := New(Options{Workers: 1})
	t.Cleanup(e.Close)
	s := e.Compile(`const made = { calls: [] };
function getCustomJwtClaims({ token, context, environmentVariables }) {
  made.calls.push(token.jti);
  const seen = { env: Object.keys(environmentVariables).join(), app: Object.keys(context.application).join(), made: made.calls.join() };
  environmentVariables.leak = token.jti;
  context.application.leak = token.jti;
  context.application.customData.list.push(token.jti);
  return { seen, list: context.application.customData.list };
}`)
	const in = `{"token":{"jti":"%s"},"context":{"application":{"id":"a","customData":{"list":[]}}},"environmentVariables":{"foo":"bar"}}`
	for _, jti := range []string{"j1", "j2", "j3", "j4"} {
		out, err := s.Run(strings.Replace(in, "%s", jti, 1))
		if err != nil {
			t.Fatal(err)
		}
		want := `{"seen":{"env":"foo","app":"id,customData","made":"` + jti + `"},"list":["` + jti + `"]}`
		if string(out) != want {
			t.Fatalf("call %s:\n got %s\nwant %s", jti, out, want)
		}
	}
}

// TestTopLevel checks a slow top level (run for every call, under the
// call's clock) and one that throws (every call reports it).
func TestTopLevel(t *testing.T) {
	e := New(Options{Workers: 1})
	t.Cleanup(e.Close)
	slow := e.Compile(`const start = Date.now(); while (Date.now() - start < 30) {}
let n = 0;
function getCustomJwtClaims({ token }) { n++; return { jti2: token.jti, n }; }`)
	throws := e.Compile(`throw new Error("top level"); function getCustomJwtClaims() { return {}; }`)
	for i := 0; i < 3; i++ {
		if out, err := slow.Run(input); err != nil || string(out) != `{"jti2":"j1","n":1}` {
			t.Fatalf("slow top level, run %d: %s, %v", i, out, err)
		}
	}
	for i := 0; i < 3; i++ {
		var se *Error
		if _, err := throws.Run(input); !errors.As(err, &se) || se.Kind != KindRuntime || se.Message != "top level" {
			t.Fatalf("throwing top level, run %d: %v", i, err)
		}
	}
}
