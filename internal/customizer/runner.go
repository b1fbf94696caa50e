package customizer

import (
	"errors"
	"fmt"
	"reflect"
	"time"

	// goja is an ECMAScript interpreter in pure Go (ES5.1 and most of
	// ES2015–ES2020, async functions and Promises included): scripts run
	// without cgo, and a run can be interrupted from another goroutine.
	// Its global scope holds only the language's built-ins, so a script
	// reaches no file, process or network unless the host adds it. Chosen
	// over grafana/sobek (k6's fork): sobek's additions (ES modules, k6
	// hooks) do nothing for one-function scripts, and goja upstream is
	// maintained and gets fixes first. It runs only in worker processes
	// (worker.go); the server parses scripts with goja's parser alone.
	"github.com/dop251/goja"
)

// maxCallStack bounds the script's call depth: deeper recursion throws a
// RangeError instead of growing the worker's stack.
const maxCallStack = 2000

// prelude runs in every runtime before lockdown. It keeps its own
// references to the built-ins it needs and returns the host's helpers.
// Every helper runs under the wall clock: a result or a thrown value with
// hostile getters or toString cannot hang the host.
const prelude = `(function (stringify, isArray, S, E) {
  return {
    // result serialises a plain object; 1: not an object, 2: not serialisable.
    result: function (v) {
      if (v === null || typeof v !== 'object' || isArray(v)) return 1;
      try { return stringify(v); } catch (_) { return 2; }
    },
    // describe flattens a thrown value to [message, detail].
    describe: function (e) {
      try {
        if (e instanceof E) {
          var stack = e.stack;
          return [S(e.message), typeof stack === 'string' && stack !== '' ? stack : S(e)];
        }
        var s = S(e);
        return [s, s];
      } catch (_) {
        var m = 'The script threw a value that could not be described.';
        return [m, m];
      }
    }
  };
})(JSON.stringify, Array.isArray, String, Error)`

// lockdown freezes every object a script can reach without making it:
// the global object, each built-in, its prototype chain and whatever its
// properties and accessors lead to, and the intrinsics that no global
// names (the prototypes of async and generator functions, iterators,
// typed arrays, arguments objects). After it a script can change nothing
// that outlives its call: what it makes is its own and unreachable once
// the call ends. It returns how many objects it froze.
const lockdown = `(function () {
  var getProto = Object.getPrototypeOf, names = Object.getOwnPropertyNames, syms = Object.getOwnPropertySymbols,
      desc = Object.getOwnPropertyDescriptor, freeze = Object.freeze;
  var seen = new Set(), todo = [];
  function add(v) {
    if (((typeof v === 'object' && v !== null) || typeof v === 'function') && !seen.has(v)) { seen.add(v); todo.push(v); }
  }
  add(globalThis);
  add(async function () {});
  add(async () => {});
  add(function* () {});
  add((function* () {})());
  add([][Symbol.iterator]());
  add(new Map()[Symbol.iterator]());
  add(new Set()[Symbol.iterator]());
  add(''[Symbol.iterator]());
  add('a'.matchAll(/a/g));
  add(Promise.resolve());
  add((function () { return arguments; })());
  add((function () { 'use strict'; return arguments; })());
  add(new Uint8Array(0));
  add(/a/);
  add(new Error());
  while (todo.length > 0) {
    var o = todo.pop();
    freeze(o);
    add(getProto(o));
    var keys = names(o).concat(syms(o));
    for (var i = 0; i < keys.length; i++) {
      var d = desc(o, keys[i]);
      if (d) { add(d.value); add(d.get); add(d.set); }
    }
  }
  return seen.size;
})()`

// runner is one runtime in a worker, locked down, with the current script
// loaded. Every call runs the script's top level afresh (it is compiled as
// the body of a function, the factory), so nothing the script declares or
// makes survives its call.
type runner struct {
	rt        *goja.Runtime
	result    goja.Callable
	describe  goja.Callable
	api       goja.Value
	errorCtor goja.Constructor
	inherited map[string]bool // Object.prototype's member names (decodeInput)
	denials   []denial        // what api.denyAccess threw during this call

	id      uint64        // the script loaded
	factory goja.Callable // runs the script's top level and returns its entry
	loadErr error         // the script's load error
	broken  bool          // an uncatchable error (interrupt, stack overflow) stopped the VM
}

// denial is one api.denyAccess call: the error it threw and its message.
type denial struct {
	obj *goja.Object
	msg string
}

var promiseType = reflect.TypeFor[*goja.Promise]()

// errTimedOut is the interrupt value of a run that ran out of time.
var errTimedOut = errors.New("customizer: timed out")

// newRunner makes a locked-down runtime with the helpers and the API.
func newRunner() (*runner, error) {
	rt := goja.New()
	rt.SetMaxCallStackSize(maxCallStack)
	v := &runner{rt: rt}
	h, err := rt.RunString(prelude)
	if err != nil {
		return nil, err
	}
	helpers := h.(*goja.Object)
	v.result, _ = goja.AssertFunction(helpers.Get("result"))
	v.describe, _ = goja.AssertFunction(helpers.Get("describe"))
	v.errorCtor, _ = goja.AssertConstructor(rt.Get("Error"))

	api := rt.NewObject()
	api.Set("denyAccess", func(call goja.FunctionCall) goja.Value {
		msg := "Access denied"
		if a := call.Argument(0); !goja.IsUndefined(a) {
			msg = a.String()
		}
		obj, err := v.errorCtor(nil, rt.ToValue(msg))
		if err != nil {
			panic(err)
		}
		v.denials = append(v.denials, denial{obj, msg})
		panic(obj)
	})
	// console exists (scripts call it) and discards what it is given.
	console := rt.NewObject()
	for _, name := range []string{"log", "info", "warn", "error", "debug", "trace"} {
		console.Set(name, func(goja.FunctionCall) goja.Value { return goja.Undefined() })
	}
	rt.Set("console", console)
	freeze, _ := goja.AssertFunction(rt.Get("Object").(*goja.Object).Get("freeze"))
	if _, err := freeze(goja.Undefined(), api); err != nil {
		return nil, err
	}
	v.api = api
	v.inherited = map[string]bool{"__proto__": true}
	for _, k := range rt.Get("Object").(*goja.Object).Get("prototype").(*goja.Object).GetOwnPropertyNames() {
		v.inherited[k] = true
	}
	if _, err := rt.RunString(lockdown); err != nil {
		return nil, fmt.Errorf("customizer: lockdown: %w", err)
	}
	return v, nil
}

// load compiles src (already checked by Compile) as the runner's script.
func (v *runner) load(id uint64, src string, timeout time.Duration) {
	v.id, v.factory, v.loadErr = id, nil, nil
	prog, cerr := compileWrapped(src)
	if cerr != nil {
		v.loadErr = cerr
		return
	}
	// Evaluating the program only makes the factory: the script's own
	// top level runs in each call.
	f, err := v.rt.RunProgram(prog)
	if err != nil {
		v.loadErr = v.failure(err, timeout)
		return
	}
	v.factory, _ = goja.AssertFunction(f)
}

// call runs the loaded script on input. reusable is false when the runtime
// must not serve another call (it was interrupted).
func (v *runner) call(input string, timeout time.Duration) (out []byte, err error, reusable bool) {
	if v.loadErr != nil {
		return nil, v.loadErr, true
	}
	rt := v.rt
	timer := time.AfterFunc(timeout, func() { rt.Interrupt(errTimedOut) })
	out, err = v.run(input, timeout)
	if !timer.Stop() || v.broken {
		// The interrupt fired (perhaps after the run ended): the flag may
		// be set and the VM may have stopped half-way; the worker makes a
		// new runtime.
		return out, err, false
	}
	return out, err, true
}

func (v *runner) run(input string, timeout time.Duration) ([]byte, error) {
	v.denials = v.denials[:0]
	entry, err := v.factory(goja.Undefined())
	if err != nil {
		return nil, v.failure(err, timeout)
	}
	fn, ok := goja.AssertFunction(entry)
	if !ok {
		return nil, &Error{Kind: KindType, Message: "The script does not have a function named `" + EntryPoint + "`"}
	}
	obj, err := decodeInput(v.rt, v.inherited, input)
	if err != nil {
		return nil, &Error{Kind: KindType, Message: err.Error()}
	}
	if err := obj.Set("api", v.api); err != nil {
		return nil, v.failure(err, timeout)
	}
	ret, err := fn(goja.Undefined(), obj)
	if err != nil {
		return nil, v.failure(err, timeout)
	}
	// Promise jobs have run when the call returned: there is no event loop,
	// so a promise still pending now never settles.
	// (Export is only called on a promise: on other objects it would walk
	// every property, getters included, outside the helpers.)
	if o, ok := ret.(*goja.Object); ok && o.ExportType() == promiseType {
		p, ok := o.Export().(*goja.Promise)
		if !ok {
			return nil, &Error{Kind: KindType, Message: "The script return value must be a plain object."}
		}
		switch p.State() {
		case goja.PromiseStateFulfilled:
			ret = p.Result()
		case goja.PromiseStateRejected:
			return nil, v.thrown(p.Result(), timeout)
		default:
			return nil, &Error{Kind: KindRuntime,
				Message: EntryPoint + " returned a promise that never settles (scripts have no timers or network here)"}
		}
	}
	res, err := v.result(goja.Undefined(), ret)
	if err != nil {
		return nil, v.failure(err, timeout)
	}
	switch r := res.Export().(type) {
	case string:
		return []byte(r), nil
	case int64:
		if r == 2 {
			return nil, &Error{Kind: KindType, Message: "The script return value must be JSON-serializable."}
		}
	}
	return nil, &Error{Kind: KindType, Message: "The script return value must be a plain object."}
}

// timedOut is the error of a run past its wall clock.
func timedOut(timeout time.Duration) *Error {
	return &Error{Kind: KindTimeout, Message: fmt.Sprintf("Script execution timed out after %dms.", timeout.Milliseconds())}
}

// failure turns an error of the engine into a run's error.
func (v *runner) failure(err error, timeout time.Duration) error {
	var ex *goja.Exception
	if errors.As(err, &ex) {
		return v.thrown(ex.Value(), timeout)
	}
	v.broken = true
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		return timedOut(timeout)
	}
	var so *goja.StackOverflowError
	if errors.As(err, &so) {
		return &Error{Kind: KindRuntime, Message: "RangeError: Maximum call stack size exceeded", Detail: "RangeError: Maximum call stack size exceeded"}
	}
	return &Error{Kind: KindRuntime, Message: err.Error(), Detail: err.Error()}
}

// thrown describes a value the script threw or rejected with.
func (v *runner) thrown(val goja.Value, timeout time.Duration) error {
	if obj, ok := val.(*goja.Object); ok {
		for _, d := range v.denials {
			if d.obj == obj {
				return &Denied{Message: d.msg}
			}
		}
	}
	d, err := v.describe(goja.Undefined(), val)
	if err != nil {
		var ex *goja.Exception
		if !errors.As(err, &ex) {
			return v.failure(err, timeout)
		}
		return &Error{Kind: KindRuntime, Message: "The script threw a value that could not be described."}
	}
	parts := d.(*goja.Object)
	return &Error{Kind: KindRuntime, Message: parts.Get("0").String(), Detail: parts.Get("1").String()}
}
