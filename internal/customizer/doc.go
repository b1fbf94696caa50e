// Package customizer runs JWT customizer scripts: JavaScript that adds
// custom claims to client-credentials access tokens, with Logto's contract
// (spec §5). A script defines getCustomJwtClaims({ token, context,
// environmentVariables, api }), sync or async, and returns a plain object;
// api.denyAccess(message) refuses the token.
//
// Scripts run in-process in an embedded ECMAScript engine (goja), compiled
// once per configuration and run on a small pool of prepared runtimes, each
// run bounded by a wall clock after which the runtime is interrupted and
// thrown away. A runtime offers the language's built-ins and a console that
// discards what it is given, nothing else: no require, no modules, no file
// system, no process, no network (fetch), no timers. Top-level state of a
// script may persist between runs on one runtime, as it does in Logto's
// pooled workers; scripts must not rely on it either way.
//
// The package knows nothing about HTTP, OAuth or storage: package oidc
// decides what a denial or an error means for a token, and package
// management stores the configuration and compiles it here.
package customizer
