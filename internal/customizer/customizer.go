package customizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"
)

// DefaultTimeout is the wall clock of one run when Options leave it unset:
// Logto's 5000 ms (spec §5).
const DefaultTimeout = 5 * time.Second

// DefaultMemory is the memory a worker may take for scripts beyond what it
// maps at start, when Options leave it unset.
const DefaultMemory = 256 << 20

// EntryPoint is the function a script must define.
const EntryPoint = "getCustomJwtClaims"

// Options configure an Engine.
type Options struct {
	// Timeout bounds one run, from the call to its answer, waiting for a
	// free worker included; DefaultTimeout when 0.
	Timeout time.Duration
	// Memory bounds a worker's address space beyond what it maps at start
	// (RLIMIT_AS); DefaultMemory when 0.
	Memory int64
	// Workers is how many worker processes run scripts at once;
	// GOMAXPROCS when 0.
	Workers int
	// Executable is the binary to start as a worker (it must call
	// MainIfWorker first); the running one (os.Executable) when empty.
	Executable string
	// Logger receives worker failures; discarded when nil.
	Logger *slog.Logger
}

// Engine compiles scripts and runs them in worker processes under its
// limits. It is safe for concurrent use. Workers start when the first
// script is compiled, so a server without a customizer runs none.
type Engine struct {
	timeout time.Duration
	memory  int64
	exe     string
	log     *slog.Logger
	pool    *pool
	ids     atomic.Uint64
	warmed  atomic.Bool
}

// New returns an Engine.
func New(o Options) *Engine {
	e := &Engine{timeout: o.Timeout, memory: o.Memory, exe: o.Executable, log: o.Logger}
	if e.timeout <= 0 {
		e.timeout = DefaultTimeout
	}
	if e.memory <= 0 {
		e.memory = DefaultMemory
	}
	n := o.Workers
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	if e.exe == "" {
		if exe, err := os.Executable(); err == nil {
			e.exe = exe
		}
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	e.pool = newPool(e, n)
	return e
}

// Timeout returns the wall clock of one run.
func (e *Engine) Timeout() time.Duration { return e.timeout }

// Close stops every worker. Runs in flight fail; later runs fail.
func (e *Engine) Close() { e.pool.close() }

// warm starts the workers in the background, once: the first token after
// a customizer is configured should not wait for processes to start.
func (e *Engine) warm() {
	if e.warmed.Swap(true) {
		return
	}
	go func() {
		var started []*worker
		for {
			select {
			case e.pool.slots <- struct{}{}:
			default:
				for _, w := range started {
					e.pool.release(w, true)
				}
				return
			}
			w, err := e.pool.start()
			if err != nil {
				<-e.pool.slots
				e.log.Warn("jwt customizer: start worker", "err", err)
				for _, w := range started {
					e.pool.release(w, true)
				}
				return
			}
			started = append(started, w)
		}
	}()
}

// Kind classifies a failed run.
type Kind string

// The kinds of failure.
const (
	KindSyntax  Kind = "syntax"  // the script does not compile
	KindType    Kind = "type"    // no entry function, or a result that is not a JSON object
	KindRuntime Kind = "runtime" // the script threw, or its promise was rejected or never settled
	KindTimeout Kind = "timeout" // the wall clock ran out
	KindMemory  Kind = "memory"  // the worker ran out of its memory
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

// Script is a compiled script. It is safe for concurrent use.
type Script struct {
	e   *Engine
	id  uint64
	src string
	err *Error // the compile error, reported by every run
}

// Compile checks src and returns its Script. A script that does not
// compile still gives a Script, whose every run fails with the KindSyntax
// error that Err returns: Logto also accepts such a script when it is saved
// and fails when it runs. Compiling starts the engine's workers.
func (e *Engine) Compile(src string) *Script {
	s := &Script{e: e, id: e.ids.Add(1), src: src}
	if _, err := goja.Compile("customizer.js", src, false); err != nil {
		s.err = syntaxError(err)
		return s
	}
	if _, err := compileWrapped(src); err != nil {
		s.err = err
		return s
	}
	e.warm()
	return s
}

// Err returns the compile error, or nil.
func (s *Script) Err() error {
	if s.err != nil {
		return s.err
	}
	return nil
}

// Run calls getCustomJwtClaims with {token, context, environmentVariables,
// api}, where input is the JSON text of the object without api, and returns
// the JSON text of the plain object it returned (or resolved). It fails
// with *Denied or *Error; any other error means no worker could run it.
//
// The call runs in a worker process, in a runtime whose built-ins are
// frozen, with the script's top level run afresh: it starts from a clean
// global state. Past the wall clock (plus a short grace for the worker to
// answer) or the worker's memory, the worker is killed and replaced, and
// Run fails with KindTimeout or KindMemory.
func (s *Script) Run(input string) ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	start := time.Now()
	deadline := time.NewTimer(s.e.timeout)
	defer deadline.Stop()
	w, err := s.e.pool.acquire(deadline)
	if err != nil {
		return nil, err
	}
	if w == nil {
		return nil, timedOut(s.e.timeout)
	}
	out, err, healthy := s.call(w, input, s.e.timeout-time.Since(start))
	s.e.pool.release(w, healthy)
	return out, err
}

// call sends one request to w and reads its answer, killing w when it
// takes more than left plus grace.
func (s *Script) call(w *worker, input string, left time.Duration) (out []byte, err error, healthy bool) {
	if left < time.Millisecond {
		left = time.Millisecond
	}
	src := ""
	if w.script != s.id {
		src = s.src
	}
	w.head = appendRequestHead(w.head[:0], s.id, uint32(left.Milliseconds()), len(src))
	kill := time.AfterFunc(left+grace, w.timedKill)
	w.wbuf, err = writeFrame(w.in, w.wbuf, w.head, []byte(src), []byte(input))
	if errors.Is(err, errFrameTooLarge) {
		kill.Stop()
		return nil, fmt.Errorf("customizer: input too large"), true
	}
	if err == nil {
		w.rbuf, err = readFrame(w.out, w.rbuf)
	}
	if !kill.Stop() || err != nil {
		return nil, s.died(w, err), false
	}
	w.script = s.id
	out, err = decodeResponse(w.rbuf)
	var fe *Error
	switch {
	case errors.As(err, &fe) && fe.Kind == KindTimeout:
		// The worker had what was left of the wall clock; the message
		// names the whole.
		return nil, timedOut(s.e.timeout), true
	case err != nil && fe == nil && !errors.As(err, new(*Denied)):
		return nil, err, false
	}
	if cap(w.rbuf) > 1<<20 {
		w.rbuf = nil // do not keep a large claims buffer per worker
	}
	return out, err, true
}

// died explains why w answered nothing: its wall clock, its memory, or a
// crash (err is the pipe's error).
func (s *Script) died(w *worker, err error) error {
	if w.wasKilled() {
		return timedOut(s.e.timeout)
	}
	w.kill()
	w.cmd.Wait()
	why := w.stderr.String()
	switch {
	case strings.Contains(why, "out of memory"), strings.Contains(why, "address space"): // the latter under -race
		return &Error{Kind: KindMemory, Message: fmt.Sprintf("Script exceeded the memory limit of %d MB.", s.e.memory>>20)}
	case strings.Contains(why, "stack exceeds") || strings.Contains(why, "stack overflow"):
		return &Error{Kind: KindRuntime, Message: "RangeError: Maximum call stack size exceeded"}
	}
	s.e.log.Warn("jwt customizer: worker stopped", "err", err, "stderr", firstLine(why))
	return &Error{Kind: KindRuntime, Message: "The script's worker stopped unexpectedly."}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
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

// Redact returns s with the value of every environment variable replaced
// by [redacted]: a script's error text may quote them, and they often hold
// credentials. Longer values are replaced first, so that one value inside
// another leaves nothing behind.
func (c *Config) Redact(s string) string {
	var env map[string]string
	if json.Unmarshal(c.EnvironmentVariables, &env) != nil {
		return s
	}
	vals := make([]string, 0, len(env))
	for _, v := range env {
		if v != "" {
			vals = append(vals, v)
		}
	}
	sort.Slice(vals, func(i, j int) bool { return len(vals[i]) > len(vals[j]) })
	for _, v := range vals {
		s = strings.ReplaceAll(s, v, "[redacted]")
	}
	return s
}
