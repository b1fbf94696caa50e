// Package app wires Gatehouse together: configuration, the store, the master
// key, the management service, the grant cache, the audit log and the HTTP
// surfaces, into one http.Handler behind common middleware (request ids,
// panic recovery, security headers). It also runs the subcommands of the
// gatehouse binary (serve, bench).
//
// It holds no business rules: those live in management (writes), oidc
// (tokens) and rbac (grants).
package app
