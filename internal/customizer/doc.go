// Package customizer runs JWT customizer scripts: JavaScript that adds
// custom claims to client-credentials access tokens, with Logto's contract
// (spec §5). A script defines getCustomJwtClaims({ token, context,
// environmentVariables, api }), sync or async, and returns a plain object;
// api.denyAccess(message) refuses the token.
//
// Scripts are untrusted code (docs/security.md has the threat model), so
// they run in worker processes, never in the server: the server's own
// binary started again with WorkerEnv set (MainIfWorker dispatches it; a
// test binary whose tests run scripts calls it from TestMain). An Engine
// keeps up to GOMAXPROCS workers, each serving one call at a time over
// length-prefixed frames on its stdin and stdout (wire.go, pool.go), one
// write each; both sides wait for a frame in the Go runtime's network
// poller rather than in read(2), which costs fewer context switches. A
// worker caps its own address space (RLIMIT_AS) and stack, and interrupts
// the interpreter (goja) at the wall clock; when it does not answer shortly
// after (a script inside a regular expression or another built-in), or
// when it dies of its memory limit, the server kills it, reaps it and
// starts another, and the call fails with KindTimeout or KindMemory.
//
// In a worker (runner.go) one runtime is locked down at start: the global
// object, every built-in, its prototypes and the unnamed intrinsics are
// frozen. A script is compiled as the body of a function that is called
// afresh for every run, so nothing a call declares or makes survives it:
// every call starts from a clean global state. The runtime offers the
// language's built-ins, a console that discards what it is given and the
// api object, nothing else: no require, no modules, no file system, no
// process, no network (fetch), no timers.
//
// The package knows nothing about HTTP, OAuth or storage: package oidc
// decides what a denial or an error means for a token, and package
// management stores the configuration and compiles it here.
package customizer
