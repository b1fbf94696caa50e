package netx

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies is the set of trusted reverse proxies: the networks whose
// connections may say, through forwarding headers, who the client is.
type Proxies struct {
	nets []netip.Prefix
}

// ParseProxies reads a list of CIDRs (10.0.0.0/8, fd00::/8) or single
// addresses (127.0.0.1), separated by commas or spaces. An empty list
// trusts no one.
func ParseProxies(s string) (*Proxies, error) {
	p := &Proxies{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		var pre netip.Prefix
		var err error
		if strings.Contains(f, "/") {
			pre, err = netip.ParsePrefix(f)
		} else {
			var a netip.Addr
			if a, err = netip.ParseAddr(f); err == nil && a.Zone() == "" {
				pre = netip.PrefixFrom(a, a.BitLen())
			} else if err == nil {
				err = fmt.Errorf("zone")
			}
		}
		if err != nil || !pre.IsValid() {
			return nil, fmt.Errorf("%q is not a CIDR (like 10.0.0.0/8) or an IP address", f)
		}
		if pre.Addr().Is4In6() {
			pre = netip.PrefixFrom(pre.Addr().Unmap(), max(0, pre.Bits()-96))
		}
		p.nets = append(p.nets, pre.Masked())
	}
	return p, nil
}

// Empty reports whether no proxy is trusted.
func (p *Proxies) Empty() bool { return p == nil || len(p.nets) == 0 }

// String lists the trusted networks, comma-separated.
func (p *Proxies) String() string {
	if p == nil {
		return ""
	}
	s := make([]string, len(p.nets))
	for i, n := range p.nets {
		s[i] = n.String()
	}
	return strings.Join(s, ",")
}

// Trusted reports whether a is in one of the trusted networks.
func (p *Proxies) Trusted(a netip.Addr) bool {
	if p == nil {
		return false
	}
	a = a.Unmap()
	for _, n := range p.nets {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

type httpsKey struct{}

// Handler resolves the client of each request before next sees it. When
// the TCP peer is trusted, RemoteAddr becomes the client's address (the
// port 0: the proxy's headers do not carry the client's port) and a
// forwarded "https" is remembered for [IsHTTPS]. Other requests pass
// unchanged, whatever headers they carry.
//
// The client is found walking the X-Forwarded-For list (or, when the
// request has none, the Forwarded "for" parameters) from the right: the
// nearest address that is not itself a trusted proxy. Entries further left
// were written by the client or by proxies nobody vouches for, so a client
// cannot choose its own address by sending the header: a proxy that
// appends to it (nginx's $proxy_add_x_forwarded_for, Caddy) or overwrites it
// puts the real peer to the right.
func (p *Proxies) Handler(next http.Handler) http.Handler {
	if p.Empty() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer, err := netip.ParseAddrPort(r.RemoteAddr)
		if err != nil || !p.Trusted(peer.Addr()) {
			next.ServeHTTP(w, r)
			return
		}
		if c, ok := p.client(r.Header); ok {
			r.RemoteAddr = netip.AddrPortFrom(c, 0).String()
		}
		if forwardedProto(r.Header) == "https" {
			r = r.WithContext(context.WithValue(r.Context(), httpsKey{}, true))
		}
		next.ServeHTTP(w, r)
	})
}

// client finds the client's address in h; ok is false when the headers
// name none.
func (p *Proxies) client(h http.Header) (c netip.Addr, ok bool) {
	var hops []string
	if v := h.Values("X-Forwarded-For"); len(v) > 0 {
		for _, line := range v {
			hops = append(hops, strings.Split(line, ",")...)
		}
	} else {
		for _, line := range h.Values("Forwarded") {
			for _, elem := range strings.Split(line, ",") {
				hops = append(hops, forwardedParam(elem, "for"))
			}
		}
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, good := parseHop(hops[i])
		if !good {
			// A hop that is not an address (garbage, or RFC 7239's
			// "unknown" or obfuscated names): the nearest good one is
			// the best we know.
			return c, ok
		}
		c, ok = a, true
		if !p.Trusted(a) {
			return c, true
		}
	}
	return c, ok
}

// parseHop reads one entry of X-Forwarded-For or a Forwarded "for" value:
// an address, with or without a port, IPv6 possibly in brackets.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.Trim(strings.TrimSpace(s), `"`)
	if s == "" {
		return netip.Addr{}, false
	}
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return a.Unmap(), true
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		if a, err := netip.ParseAddr(host); err == nil && a.Zone() == "" {
			return a.Unmap(), true
		}
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil && a.Zone() == "" {
			return a.Unmap(), true
		}
	}
	return netip.Addr{}, false
}

// forwardedParam returns the value of parameter name in one element of a
// Forwarded header (RFC 7239 §4: pairs separated by ";").
func forwardedParam(elem, name string) string {
	for _, pair := range strings.Split(elem, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if ok && strings.EqualFold(k, name) {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

// forwardedProto is the scheme the nearest proxy says the request came
// in with: the last X-Forwarded-Proto value, else the last Forwarded
// "proto", lower-cased; "" when neither says.
func forwardedProto(h http.Header) string {
	last := func(vals []string) string {
		if len(vals) == 0 {
			return ""
		}
		l := vals[len(vals)-1]
		if i := strings.LastIndexByte(l, ','); i >= 0 {
			l = l[i+1:]
		}
		return strings.ToLower(strings.TrimSpace(l))
	}
	if p := last(h.Values("X-Forwarded-Proto")); p != "" {
		return p
	}
	if v := h.Values("Forwarded"); len(v) > 0 {
		return strings.ToLower(forwardedParam(last(v), "proto"))
	}
	return ""
}

// ClientIP is the address of the request's client, without a port: the
// TCP peer, or the address a trusted proxy gave (see [Proxies.Handler]).
// It does not allocate.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// IsHTTPS reports whether the client used HTTPS: the connection is TLS,
// or a trusted proxy said its own client connection was.
func IsHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	v, _ := r.Context().Value(httpsKey{}).(bool)
	return v
}
