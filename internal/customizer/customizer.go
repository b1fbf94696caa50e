package customizer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"runtime"
	"strings"
	"time"

	// goja is an ECMAScript interpreter in pure Go (ES5.1 and most of
	// ES2015–ES2020, async functions and Promises included): scripts run
	// in-process without cgo, and a run can be interrupted from another
	// goroutine, which is what the wall-clock limit needs. Its global scope
	// holds only the language's built-ins, so a script reaches no file,
	// process or network unless the host adds it. Chosen over grafana/sobek
	// (k6's fork): sobek's additions (ES modules, k6 hooks) do nothing for
	// one-function scripts, and goja upstream is maintained and gets fixes
	// first.
	"github.com/dop251/goja"
)

// DefaultTimeout is the wall clock of one run when Options leave it unset:
// Logto's 5000 ms (spec §5).
const DefaultTimeout = 5 * time.Second

// EntryPoint is the function a script must define.
const EntryPoint = "getCustomJwtClaims"

// Options configure an Engine.
type Options struct {
	// Timeout bounds one run, from taking a runtime to the serialised
	// result; DefaultTimeout when 0.
	Timeout time.Duration
	// Pool is how many prepared runtimes a script keeps idle for reuse;
	// GOMAXPROCS when 0.
	Pool int
	// Logger receives the script's console output at debug level;
	// discarded when nil.
	Logger *slog.Logger
}

// Engine compiles scripts and runs them under its limits. It is safe for
// concurrent use.
type Engine struct {
	timeout time.Duration
	pool    int
	log     *slog.Logger
	prelude *goja.Program
}

// New returns an Engine.
func New(o Options) *Engine {
	e := &Engine{timeout: o.Timeout, pool: o.Pool, log: o.Logger}
	if e.timeout <= 0 {
		e.timeout = DefaultTimeout
	}
	if e.pool <= 0 {
		e.pool = runtime.GOMAXPROCS(0)
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	e.prelude = goja.MustCompile("prelude.js", prelude, true)
	return e
}

// Timeout returns the wall clock of one run.
func (e *Engine) Timeout() time.Duration { return e.timeout }

// prelude runs in every runtime before the script. It keeps its own
// references to the built-ins it needs, taken before the script can replace
// them, and returns the host's helpers. Every helper runs under the wall
// clock: a result or a thrown value with hostile getters or toString cannot
// hang the host.
const prelude = `(function (parse, stringify, isArray, S, E) {
  return {
    parse: function (s) { return parse(s); },
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
})(JSON.parse, JSON.stringify, Array.isArray, String, Error)`

// Kind classifies a failed run.
type Kind string

// The kinds of failure.
const (
	KindSyntax  Kind = "syntax"  // the script does not compile
	KindType    Kind = "type"    // no entry function, or a result that is not a JSON object
	KindRuntime Kind = "runtime" // the script threw, or its promise was rejected or never settled
	KindTimeout Kind = "timeout" // the wall clock ran out
)

// Error is a run that failed (a denial is a Denied instead).
type Error struct {
	Kind    Kind
	Message string // what Logto reports as the error's message
	Detail  string // the error as the engine prints it, with its stack when it has one
}

// Error returns "customizer: <kind>: <message>".
func (e *Error) Error() string { return "customizer: " + string(e.Kind) + ": " + e.Message }

// Denied is returned when the script called api.denyAccess(message).
type Denied struct {
	Message string // "Access denied" when the script gave none
}

// Error returns "customizer: access denied: <message>".
func (d *Denied) Error() string { return "customizer: access denied: " + d.Message }

// Script is a compiled script. It is safe for concurrent use: every run
// has a runtime of its own, taken from a small pool of prepared ones.
type Script struct {
	e    *Engine
	prog *goja.Program
	err  *Error // the compile error, reported by every run
	idle chan *vm
}

// Compile compiles src. A script that does not compile still gives a
// Script, whose every run fails with the KindSyntax error that Err returns:
// Logto also accepts such a script when it is saved and fails when it runs.
func (e *Engine) Compile(src string) *Script {
	s := &Script{e: e, idle: make(chan *vm, e.pool)}
	// The entry is looked up with typeof, which cannot throw: anything the
	// program throws is the script's own top level. The newline keeps a
	// trailing // comment from swallowing the lookup.
	p, err := goja.Compile("customizer.js", src+"\n;typeof "+EntryPoint+" === 'function' ? "+EntryPoint+" : undefined;", false)
	if err != nil {
		msg := err.Error()
		var se *goja.CompilerSyntaxError
		if errors.As(err, &se) {
			msg = se.Message
		}
		s.err = &Error{Kind: KindSyntax, Message: "SyntaxError: " + msg, Detail: err.Error()}
		return s
	}
	s.prog = p
	return s
}

// Err returns the compile error, or nil.
func (s *Script) Err() error {
	if s.err != nil {
		return s.err
	}
	return nil
}

// vm is one runtime with the script loaded.
type vm struct {
	rt        *goja.Runtime
	entry     goja.Callable
	parse     goja.Callable
	result    goja.Callable
	describe  goja.Callable
	api       goja.Value
	errorCtor goja.Constructor
	denials   []denial // what api.denyAccess threw during this run
}

// denial is one api.denyAccess call: the error it threw and its message.
type denial struct {
	obj *goja.Object
	msg string
}

var promiseType = reflect.TypeFor[*goja.Promise]()

// errTimedOut is the interrupt value of a run that ran out of time.
var errTimedOut = errors.New("customizer: timed out")

// Run calls getCustomJwtClaims with {token, context, environmentVariables,
// api}, where input is the JSON text of the object without api, and returns
// the JSON text of the plain object it returned (or resolved). It fails
// with *Denied or *Error.
func (s *Script) Run(input string) ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	var v *vm
	select {
	case v = <-s.idle:
	default:
		v = &vm{rt: goja.New()}
	}
	rt := v.rt
	timer := time.AfterFunc(s.e.timeout, func() { rt.Interrupt(errTimedOut) })
	out, reusable, err := s.run(v, input)
	// A runtime whose timer fired, even after the run ended, is dropped:
	// its interrupt flag may be set, and an interrupted script may have left
	// its state half-changed.
	if timer.Stop() && reusable {
		select {
		case s.idle <- v:
		default:
		}
	}
	return out, err
}

// run prepares v when it is new and makes the call. reusable is false when
// v must not serve another run.
func (s *Script) run(v *vm, input string) (out []byte, reusable bool, err error) {
	if v.entry == nil {
		if err := s.prepare(v); err != nil {
			return nil, false, err
		}
	}
	v.denials = v.denials[:0]
	arg, err := v.parse(goja.Undefined(), v.rt.ToValue(input))
	if err != nil {
		return nil, false, s.failure(v, err)
	}
	obj, ok := arg.(*goja.Object)
	if !ok {
		return nil, true, &Error{Kind: KindType, Message: "customizer: the input is not a JSON object"}
	}
	if err := obj.Set("api", v.api); err != nil {
		return nil, false, s.failure(v, err)
	}
	ret, err := v.entry(goja.Undefined(), arg)
	if err != nil {
		return nil, true, s.failure(v, err)
	}
	// Promise jobs have run when the call returned: there is no event loop,
	// so a promise still pending now never settles.
	// (Export is only called on a promise: on other objects it would walk
	// every property, getters included, outside the helpers.)
	if o, ok := ret.(*goja.Object); ok && o.ExportType() == promiseType {
		p, ok := o.Export().(*goja.Promise)
		if !ok {
			return nil, false, &Error{Kind: KindType, Message: "The script return value must be a plain object."}
		}
		switch p.State() {
		case goja.PromiseStateFulfilled:
			ret = p.Result()
		case goja.PromiseStateRejected:
			return nil, true, s.thrown(v, p.Result())
		default:
			return nil, true, &Error{Kind: KindRuntime,
				Message: EntryPoint + " returned a promise that never settles (scripts have no timers or network here)"}
		}
	}
	res, err := v.result(goja.Undefined(), ret)
	if err != nil {
		return nil, false, s.failure(v, err)
	}
	switch r := res.Export().(type) {
	case string:
		return []byte(r), true, nil
	case int64:
		if r == 2 {
			return nil, true, &Error{Kind: KindType, Message: "The script return value must be JSON-serializable."}
		}
	}
	return nil, true, &Error{Kind: KindType, Message: "The script return value must be a plain object."}
}

// prepare loads the helpers, the API and the script into a new runtime.
func (s *Script) prepare(v *vm) error {
	rt := v.rt
	h, err := rt.RunProgram(s.e.prelude)
	if err != nil {
		return s.failure(v, err)
	}
	helpers := h.(*goja.Object)
	v.parse, _ = goja.AssertFunction(helpers.Get("parse"))
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
	console := rt.NewObject()
	for _, name := range []string{"log", "info", "warn", "error", "debug", "trace"} {
		console.Set(name, func(call goja.FunctionCall) goja.Value {
			if s.e.log.Enabled(context.Background(), slog.LevelDebug) {
				parts := make([]string, len(call.Arguments))
				for i, a := range call.Arguments {
					parts[i] = a.String()
				}
				s.e.log.Debug("jwt customizer console", "level", name, "text", strings.Join(parts, " "))
			}
			return goja.Undefined()
		})
	}
	freeze, _ := goja.AssertFunction(rt.Get("Object").(*goja.Object).Get("freeze"))
	if _, err := freeze(goja.Undefined(), api); err != nil {
		return s.failure(v, err)
	}
	if _, err := freeze(goja.Undefined(), console); err != nil {
		return s.failure(v, err)
	}
	v.api = api
	rt.Set("console", console)

	entry, err := rt.RunProgram(s.prog)
	if err != nil {
		return s.failure(v, err)
	}
	fn, ok := goja.AssertFunction(entry)
	if !ok {
		return &Error{Kind: KindType, Message: "The script does not have a function named `" + EntryPoint + "`"}
	}
	v.entry = fn
	return nil
}

// failure turns an error of the engine into a run's error.
func (s *Script) failure(v *vm, err error) error {
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		return &Error{Kind: KindTimeout, Message: fmt.Sprintf("Script execution timed out after %dms.", s.e.timeout.Milliseconds())}
	}
	var ex *goja.Exception
	if errors.As(err, &ex) {
		return s.thrown(v, ex.Value())
	}
	return &Error{Kind: KindRuntime, Message: err.Error(), Detail: err.Error()}
}

// thrown describes a value the script threw or rejected with.
func (s *Script) thrown(v *vm, val goja.Value) error {
	if obj, ok := val.(*goja.Object); ok {
		for _, d := range v.denials {
			if d.obj == obj {
				return &Denied{Message: d.msg}
			}
		}
	}
	if v.describe == nil {
		return &Error{Kind: KindRuntime, Message: "The script threw before it was loaded."}
	}
	d, err := v.describe(goja.Undefined(), val)
	if err != nil {
		var ie *goja.InterruptedError
		if errors.As(err, &ie) {
			return &Error{Kind: KindTimeout, Message: fmt.Sprintf("Script execution timed out after %dms.", s.e.timeout.Milliseconds())}
		}
		return &Error{Kind: KindRuntime, Message: "The script threw a value that could not be described."}
	}
	parts := d.(*goja.Object)
	return &Error{Kind: KindRuntime, Message: parts.Get("0").String(), Detail: parts.Get("1").String()}
}

// Config is a customizer in force: the compiled script and what it runs
// with. It is shared and must not be modified.
type Config struct {
	Script *Script
	// EnvironmentVariables is the JSON object handed to the script as
	// environmentVariables; never empty ("{}" when none are set).
	EnvironmentVariables []byte
	// BlockIssuanceOnError refuses the token when the script fails;
	// otherwise the token is issued without custom claims (fail-open).
	BlockIssuanceOnError bool
}
