// Package federation fetches the keys that client assertions are checked
// with, when they live at a URL an administrator gave: an application's
// jwksUri (private_key_jwt, RFC 7523) and a federated credential's issuer,
// through its OpenID Connect discovery document, or its own JWKS URL
// (workload identity federation).
//
// Those URLs are a trust boundary: the fetcher speaks https only, refuses
// every private, loopback, link-local, multicast and unspecified address
// after DNS resolution, at each dial (so on every redirect too), takes no
// proxy from the environment, and bounds each fetch in time and size.
// Keys are cached as Cache-Control says, within bounds, and an unknown kid
// triggers at most one refetch per URL per interval. Options.AllowInsecure
// (GATEHOUSE_FEDERATION_ALLOW_INSECURE) lifts the scheme and address rules,
// for tests and labs only.
//
// It does not verify tokens: the token endpoint (internal/oidc) does, with
// the keys this package returns.
package federation
