// Package management is Gatehouse's one service layer: every write to
// applications, secrets, resources, scopes, roles and signing keys goes
// through a Service, which applies the rules, writes through the store (in
// one transaction where several rows change) and, for a write that changes
// grants or keys (Service.write), names what it changed (a [change.Set]):
// to the other instances sharing a PostgreSQL database by a
// notification inside that transaction, delivered when it commits, and once
// committed to its OnChange hook, so that the token endpoint's grant cache
// drops exactly those entries and the next token request sees the change,
// on every instance. A write that fails or changes nothing names nothing.
//
// Today it seeds a new database (the Management API resource and role of
// spec §1.3, a signing key), ensures the bootstrap application and keeps the
// signing keys in force. The Management API's HTTP handlers and the console
// call the same Service. The handlers record every authenticated write
// (POST, PUT, PATCH, DELETE) as an admin audit entry (rbac.AdminAction):
// the token's application, the route pattern, the ids, the result, never
// a body.
//
// It does not parse HTTP or speak OAuth; it returns store and validation
// errors and lets each surface render them.
package management
