// Package oidc serves Gatehouse's OAuth 2.0 surface under /oidc: the token
// endpoint for the client_credentials grant, client authentication,
// authorization server metadata and the JWK set. It owns the OAuth vocabulary
// (grant types, error codes, the Error type) and writes every OAuth error
// body, decorated with Logto's code and message (spec §2.12).
//
// Standards implemented, section by section:
//   - RFC 6749 §2.3.1 client_secret_basic (form-URL-encoded credentials) and
//     client_secret_post; §4.4 the client credentials grant; §5.1 and §5.2
//     the token and error responses.
//   - RFC 8707 resource indicators (the resource parameter; a single
//     absolute URI without fragment), with audience accepted as an alias.
//   - RFC 9068 JWT access tokens (typ at+jwt, sub = client id).
//   - RFC 8414 authorization server metadata, also served as OpenID Connect
//     discovery; it advertises only what this server does.
//   - RFC 7517 JWK sets and RFC 7638 thumbprints as key ids.
//   - RFC 6585 429 answers, with Retry-After (RFC 9110 §10.2.3) and the
//     error code slow_down (RFC 8628 §3.5, IANA's OAuth error registry),
//     for client authentication failures over GATEHOUSE_TOKEN_FAILURE_LIMIT,
//     per source address and per client id (limit.go; counts kept by
//     package limit).
//   - RFC 7523 §2.2 and §3 JWT client assertions (assertion.go): private_key_jwt
//     (OpenID Connect Core §9) with the keys an application registered,
//     inline or at a jwksUri, each jti accepted once (JTIs); and workload
//     identity federation, where the assertion is a token of an external
//     issuer that one of the application's federated credentials trusts,
//     with keys fetched by package federation.
//   - RFC 7662 token introspection and RFC 7009 token revocation of this
//     server's own JWT access tokens (introspect.go, revoke.go), with the
//     token endpoint's client authentication; revoked token ids go to a
//     denylist (package revoke) that this package only consults and feeds.
//
// Behaviour follows Logto's (../shared/spec/logto-m2m.md §2, §3) except where
// docs/compatibility.md says otherwise. The package does not store anything:
// grants come from package grant, keys from package token, and every request
// is reported to the audit log through a small interface.
package oidc
