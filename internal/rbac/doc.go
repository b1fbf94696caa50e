// Package rbac holds Gatehouse's domain types (applications, their secrets,
// API resources, scopes, roles, signing keys, audit log entries and the
// admin audit trail's AdminAction) and the pure
// rules over them, such as which scopes a client-credentials request is
// granted.
//
// It does no I/O: the store persists these types, the grant cache and the
// token endpoint apply the rules. Field names follow the Logto Management API
// (spec §1.2); JSON tags give its camelCase wire names.
package rbac
