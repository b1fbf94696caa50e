package federation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrRefused means a URL or an address it led to is not allowed: not
// https, or not a public address (see [AddrAllowed]).
var ErrRefused = errors.New("federation: address not allowed")

// Limits of one fetch.
const (
	DefaultTimeout  = 5 * time.Second
	DefaultMaxBytes = 256 << 10
	maxRedirects    = 3
)

// cgnat is the shared address space of RFC 6598, private in practice.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// AddrAllowed reports whether a fetch may connect to ip: a global unicast
// address that is not private (RFC 1918, RFC 4193), shared (RFC 6598),
// loopback, link-local, multicast or unspecified. IPv4-mapped IPv6
// addresses are judged as IPv4.
func AddrAllowed(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsValid() && ip.IsGlobalUnicast() && !ip.IsPrivate() && !ip.IsLoopback() &&
		!ip.IsLinkLocalUnicast() && !cgnat.Contains(ip)
}

// client is the HTTP client of a [Keys]: its dialer checks every address
// it connects to, after resolution, so a redirect or a DNS answer cannot
// lead it inside.
func newClient(insecure bool, timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: timeout}
	if !insecure {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !AddrAllowed(ap.Addr()) {
				return fmt.Errorf("%w: %s", ErrRefused, address)
			}
			return nil
		}
	}
	t := &http.Transport{
		Proxy:                 nil, // a proxy would dial for us, past the check
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConns:          16,
		IdleConnTimeout:       time.Minute,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport: t,
		Timeout:   timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return errors.New("federation: too many redirects")
			}
			return checkURL(req.URL, insecure)
		},
	}
}

// checkURL allows https URLs (and http ones when insecure), without user
// information.
func checkURL(u *url.URL, insecure bool) error {
	switch {
	case u.Scheme == "https", u.Scheme == "http" && insecure:
	default:
		return fmt.Errorf("%w: %s is not an https URL", ErrRefused, u.Redacted())
	}
	if u.User != nil || u.Host == "" {
		return fmt.Errorf("%w: %s", ErrRefused, u.Redacted())
	}
	return nil
}

// get fetches rawURL and returns its body (at most maxBytes) and how long
// it may be cached (from Cache-Control; -1 when it says nothing).
func (k *Keys) get(ctx context.Context, rawURL string) ([]byte, time.Duration, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, 0, fmt.Errorf("federation: %w", err)
	}
	if err := checkURL(u, k.opt.AllowInsecure); err != nil {
		return nil, 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, k.opt.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, 0, fmt.Errorf("federation: %w", err)
	}
	req.Header.Set("Accept", "application/json, application/jwk-set+json")
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("federation: fetch %s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("federation: fetch %s: status %d", u.Redacted(), resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, k.opt.MaxBytes+1))
	if err != nil {
		return nil, 0, fmt.Errorf("federation: fetch %s: %w", u.Redacted(), err)
	}
	if int64(len(body)) > k.opt.MaxBytes {
		return nil, 0, fmt.Errorf("federation: fetch %s: body larger than %d bytes", u.Redacted(), k.opt.MaxBytes)
	}
	return body, maxAge(resp.Header.Get("Cache-Control")), nil
}

// maxAge reads Cache-Control: 0 for no-store or no-cache, max-age when
// given, -1 when it says neither.
func maxAge(cc string) time.Duration {
	age := time.Duration(-1)
	for _, d := range strings.Split(cc, ",") {
		d = strings.ToLower(strings.TrimSpace(d))
		switch {
		case d == "no-store" || d == "no-cache":
			return 0
		case strings.HasPrefix(d, "max-age="):
			if n, err := strconv.Atoi(strings.Trim(d[len("max-age="):], `"`)); err == nil && n >= 0 {
				age = time.Duration(n) * time.Second
			}
		}
	}
	return age
}
