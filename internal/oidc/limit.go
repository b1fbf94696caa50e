package oidc

import (
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/internal/limit"
	"github.com/gatehouse/gatehouse/internal/netx"
)

// The failure limit (GATEHOUSE_TOKEN_FAILURE_LIMIT) of client
// authentication, shared by the token, introspection and revocation
// endpoints:
//
//   - A failure is an invalid_client answer: an unknown client id, a wrong
//     secret, or no usable secret. It counts against the source address,
//     and, when the client exists, against the client id. An expired secret
//     does not count: it matched, so it is no guess, and it costs what a
//     success costs; malformed requests do not either, as they cost nothing.
//   - An address over the limit gets 429 for every request, before its body
//     is read: no lookup, no digest, no database.
//   - A client id over the limit gets 429 only for requests from addresses
//     that have failed recently themselves (within about a window). An
//     address that has not failed is not even looked up in the client
//     table, so the app keeps working from its own hosts while someone
//     guesses its secret from elsewhere, and each guessing address gets at
//     most one guess per window at it.
//
// A request whose address has never failed (or not recently) costs one
// lookup in the address table, which takes no lock and allocates nothing.
//
// State is per instance and in memory: N instances behind a load balancer
// allow up to N times the limit, and a restart forgets it.

// limitCapacity is how many addresses, and how many client ids, the
// limiter keeps: 64 Ki each, about 1.1 MiB each, allocated at start. A
// flood of more distinct keys replaces the entries that will be clean
// soonest (see package limit).
const limitCapacity = 1 << 16

// limiter holds the failure tables and the answers over the limit.
type limiter struct {
	addrs, clients *limit.Table
	retryAfter     string // seconds; a refused request is never refused longer (one Interval)
	errAddr        *Error
}

// newLimiter returns nil when r is off.
func newLimiter(r limit.Rate) *limiter {
	if r.Off() {
		return nil
	}
	wait := (r.Interval() + time.Second - 1) / time.Second
	return &limiter{
		addrs:      limit.New(r, limitCapacity),
		clients:    limit.New(r, limitCapacity),
		retryAfter: strconv.FormatInt(int64(max(1, wait)), 10),
		errAddr:    &Error{http.StatusTooManyRequests, ErrSlowDown, "too many failed client authentications from this address"},
	}
}

// addrKey is the address table's key of a peer address: the address
// itself for IPv4, its /64 prefix for IPv6 (one host's usual allocation,
// so that its 2⁶⁴ addresses count as one).
func (l *limiter) addrKey(host string) uint64 {
	a, err := netip.ParseAddr(host)
	switch {
	case err != nil:
		return l.addrs.Key(host)
	case a.Is4() || a.Is4In6():
		b := a.Unmap().As4()
		return l.addrs.KeyBytes(b[:])
	default:
		b := a.As16()
		return l.addrs.KeyBytes(b[:8])
	}
}

// gate is one request's passage through the limiter. Its zero value (no
// limiter) lets everything through.
type gate struct {
	l      *limiter
	addr   uint64
	recent bool // the address failed recently
	now    time.Time
}

// gate is the first step of client authentication: a request from an
// address over the limit is refused here, before anything else is done.
// nowMs is the request's time as the endpoint took it (whole seconds at
// the token endpoint), precise enough for windows of a second and more.
func (h *handler) gate(r *http.Request, nowMs int64) (gate, *Error) {
	l := h.limits
	if l == nil {
		return gate{}, nil
	}
	g := gate{l: l, addr: l.addrKey(netx.ClientIP(r)), now: time.UnixMilli(nowMs)}
	wait, recent := l.addrs.Check(g.addr, g.now)
	if wait > 0 {
		return g, l.errAddr
	}
	g.recent = recent
	return g, nil
}

// admit refuses clientID when it is over the limit and the request comes
// from an address that failed recently; it runs before the client is
// looked up.
func (g gate) admit(clientID string) *Error {
	if !g.recent {
		return nil
	}
	if wait, _ := g.l.clients.Check(g.l.clients.Key(clientID), g.now); wait > 0 {
		return &Error{http.StatusTooManyRequests, ErrSlowDown, "too many failed client authentications for client " + clientID}
	}
	return nil
}

// fail records e against the address, and against clientID unless it is
// "" (an unknown client: counting it would only let a flood of made-up
// ids push real ones out of the table), when e is a failed
// authentication. It returns e.
func (g gate) fail(e *Error, clientID string) *Error {
	if g.l == nil || e.Code != ErrInvalidClient {
		return e
	}
	g.l.addrs.Fail(g.addr, g.now)
	if clientID != "" {
		g.l.clients.Fail(g.l.clients.Key(clientID), g.now)
	}
	return e
}

// setRetryAfter adds Retry-After to a 429 answer of the limiter.
func (h *handler) setRetryAfter(w http.ResponseWriter, e *Error) {
	if e.Status == http.StatusTooManyRequests && e.Code == ErrSlowDown && h.limits != nil {
		w.Header().Set("Retry-After", h.limits.retryAfter)
	}
}
