// Package cli is the operator's command line, run by the gatehouse binary:
// "gatehouse token" (get, decode, introspect or revoke an access token) and
// the Management API commands "apps", "resources", "scopes", "roles",
// "keys" (signing keys), "logs" (the audit log), "orgs", "org-roles" and
// "org-scopes" (the organization template, orgtemplate.go), "users" and
// "customizer", and the declarative "apply", "diff" and "export"
// (declare.go reads the file, plan.go compares it to the server). It is built on the
// public client package only, so it does to a server exactly what any SDK
// user can; it never opens the database.
//
// Output is aligned tables for people and JSON or YAML (-o) for scripts.
// The exit codes (0 ok, 1 failure, 2 usage, 3 not found, 4 conflict, 5
// refused credentials) are part of the interface and are listed by every
// --help. The commands are documented in docs/cli.md.
package cli
