// Package grant is the token endpoint's in-memory view of who may get which
// token: for each application its secret digests and expiries, its CORS
// origins, the M2M roles it holds (each role's scopes held once, shared by
// every application holding it), and per organization it is a member of
// the organization scopes and resource scopes its M2M organization roles
// grant there; and per tenant the resources by indicator and the default
// resource.
//
// The cache is warmed from the store in bulk (Warm, Run), bounded
// (Options.Size, CLOCK eviction per shard), and filled on a miss by one
// query per application, one load at a time however many requests wait.
// Every committed write names what it changed (package change) and Apply
// drops exactly that, or reloads a changed role in place; an event log
// makes sure that no load that raced a change stores its stale result, so
// a change is seen by the very next request. While the change listener is
// disconnected (Unsynced), cached grants serve for Options.StaleMax; what
// only the database could answer fails fast with ErrUnavailable.
//
// It holds no plaintext secrets and makes no authorization decisions; the
// oidc package does, with the rules of package rbac.
package grant
