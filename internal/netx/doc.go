// Package netx tells who a request came from: the client's address and
// whether it reached the first hop over HTTPS, from the TCP peer or, when
// the peer is a trusted reverse proxy (GATEHOUSE_TRUSTED_PROXIES), from the
// headers that proxy set (X-Forwarded-For or Forwarded, X-Forwarded-Proto).
//
// [Proxies.Handler] resolves this once per request, at the outer edge of
// the handler chain, by rewriting the request's RemoteAddr; everything
// behind it (the audit log, every rate limit, the console's Secure
// cookies) asks [ClientIP] and [IsHTTPS] and never reads the headers
// itself. From a peer that is not trusted the headers are ignored: anyone
// can send them.
//
// It does not decide what to do with the address (limits and logs do) and
// it does not terminate TLS.
package netx
