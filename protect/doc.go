// Package protect lets an API check the OAuth 2.0 access tokens that
// Gatehouse, or any issuer following RFC 9068 (JWT access tokens), gives
// machine-to-machine clients.
//
// The five-line happy path:
//
//	v, err := protect.New(ctx, "http://localhost:3001/oidc", "https://shopping.api")
//	if err != nil { ... }
//	defer v.Close()
//	mux.Handle("GET /products", v.Require("read:products")(http.HandlerFunc(list)))
//	// in list: c, _ := protect.ClaimsFrom(r.Context()); c.ClientID, c.Scopes ...
//
// [New] reads the issuer's metadata (OpenID discovery, then RFC 8414) and
// its JWK Set, and keeps the keys in memory: verifying a token makes no
// network request. The keys are fetched again in the background (every
// Cache-Control max-age, bounded by [WithRefresh]) and at once, at most
// every 10 s, when a token names a key id the set does not hold, so a key
// rotation at the issuer is followed without a restart.
//
// [Validator.Verify] checks, in this order: the token is a compact JWS
// whose alg is on the allow-list (ES256, ES384, ES512, RS256, PS256, EdDSA
// unless [WithAlgorithms] pins it; "none" and HMAC can never be allowed);
// its typ is at+jwt ([WithoutTypeCheck] relaxes this); the signature
// verifies with the published key named by kid, of a type and curve that
// matches alg; iss is the issuer; aud (a string or a list) contains the
// audience; exp has not passed and nbf has, with a leeway of 30 s
// ([WithLeeway]). Failures are *[Error] values wrapping one of the Err*
// causes.
//
// One Validator may accept several audiences ([WithAudiences]: aud must
// name one of them) and several issuers ([WithIssuers]: each discovered
// and refreshed on its own, the token's iss picking whose keys must have
// signed it). [OnRefreshError] reports background key fetches that fail.
// Custom claims are in [Claims].Raw, and typed with [ClaimsAs] or
// [Claims.Decode].
//
// [Validator.Middleware] and [Validator.Require] answer refused requests
// as RFC 6750 §3 says: 401 with `WWW-Authenticate: Bearer realm="..."`
// when there is no token, 401 with error="invalid_token" when it does not
// verify, 403 with error="insufficient_scope" and scope="<missing>" when a
// required scope is missing. [Validator.RequireAny] accepts any one of its
// scopes instead of all. The middleware has the standard
// func(http.Handler) http.Handler shape, which chi takes as it is and echo
// through echo.WrapMiddleware; docs/protect-your-api.md shows a gin
// adapter, and [BearerToken], [Validator.Verify] and [WriteError] are the
// pieces of any other.
//
// Package [github.com/gatehouse/gatehouse/protect/protecttest] is an
// issuer for tests: it mints tokens with chosen claims, so handlers can be
// tested without a running Gatehouse.
//
// DPoP-bound tokens (RFC 9449, a cnf.jkt claim) are accepted only with
// their proof: the middleware reads `Authorization: DPoP <token>` and the
// DPoP header and checks them with [Validator.VerifyDPoP] (proof type,
// algorithm, public key and signature, htm, htu, iat, ath, the key's
// thumbprint against cnf.jkt, jti replay), answering with the DPoP
// challenge of RFC 9449 §7.1. [Validator.Verify] refuses bound tokens, so a
// stolen one is useless as a bearer token. [WithPublicURL] gives the URL
// proofs must name behind a proxy; [WithDPoPRequired] refuses bearer tokens.
//
// The package deliberately does not introspect tokens (RFC 7662), accept
// tokens from the query string or form body, or check anything but scopes:
// roles and organizations are the API's own business, read from [Claims].
// It is a module of its own (go get github.com/gatehouse/gatehouse/protect),
// for Go 1.24 and later, and depends only on the standard library and
// go-jose.
package protect
