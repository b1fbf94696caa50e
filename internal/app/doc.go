// Package app wires Gatehouse together: configuration, the store, the master
// key, the management service, the grant cache, the audit log and the HTTP
// surfaces, into one http.Handler behind common middleware (request ids,
// panic recovery, security headers). It also runs the subcommands of the
// gatehouse binary (serve, bench, and the maintenance commands backup and
// rekey, which work on the database itself), and keeps one server per
// SQLite data dir (a lock file in it).
//
// It holds no business rules: those live in management (writes), oidc
// (tokens) and rbac (grants).
package app
