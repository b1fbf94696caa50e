// Package token owns Gatehouse's token signing material and the minting of
// access tokens: generating signing keys (EC P-256/P-384/P-521, Ed25519,
// RSA), their PKCS#8 encoding, the RFC 7638 thumbprint that serves as the
// JWS "kid", the immutable per-tenant key Set with its precomputed JWKS body
// (RFC 7517) and ETag, and Key.Mint, which signs one RFC 9068 JWT access
// token ("typ":"at+jwt") per token request.
//
// Minting is the hot path of the token endpoint, so everything that depends
// only on the key (the base64url JOSE header, signature sizes, hash choice)
// is computed once in NewKey, and the payload JSON is written by hand in
// Logto's claim order (spec §2.9) with an escaper that matches
// encoding/json's semantics: one signature and a few allocations per token.
//
// It deliberately does not store keys or seal them: the app seals the PKCS#8
// DER returned by MarshalPrivate under the master key (package secret) and
// the store persists it. It does not decide when keys rotate (management
// does, spec §3.4), and it does not verify tokens for resource servers; that
// is the public protect package, which reads the JWKS published here.
package token
