// Package grant is the token endpoint's in-memory view of who may get which
// token: for each application its secret digests and expiries, its CORS
// origins, per resource indicator the scopes its M2M roles grant, and per
// organization it is a member of the organization scopes and resource
// scopes its M2M organization roles grant there; and per tenant the
// resources by indicator and the default resource.
//
// It is filled lazily from the store and emptied by Invalidate, which every
// write that can change a grant calls (the management service does), so a
// token request that hits the cache does no database work and a change is
// seen by the very next request. A load that races with an invalidation is
// not cached, so stale data can never outlive the write that changed it.
//
// It holds no plaintext secrets and makes no authorization decisions; the
// oidc package does, with the rules of package rbac.
package grant
