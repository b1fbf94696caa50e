package rbac

import (
	"errors"
	"net/url"
	"strings"
)

// Bounds on what the Management API and the console accept, Logto's where
// it has them (docs/compatibility.md lists them).
const (
	MaxResourceName    = 256      // Logto's column is text; as an application name
	MaxIndicator       = 2048     // a URL anyone could send
	MaxDescription     = 2048     // descriptions Logto keeps as text
	MaxAccessTokenTTL  = 31536000 // one year, in seconds
	MinAccessTokenTTL  = 1
	MaxJSONDepth       = 32   // nesting of custom data and other stored objects
	MaxSearchValues    = 100  // values of one search, all fields together
	MaxSearchValueSize = 1024 // characters of one search value
)

// ErrIndicator explains why a resource indicator is refused.
var (
	ErrIndicatorNotAbsolute = errors.New("The API identifier must be an absolute URI, like https://api.example.com.")
	ErrIndicatorFragment    = errors.New("The API identifier must not have a fragment (#...).")
	ErrIndicatorReserved    = errors.New("The API identifier urn:logto:... is reserved.")
	ErrIndicatorScheme      = errors.New("The API identifier's scheme is not allowed.")
)

// CheckIndicator checks a new resource indicator: an absolute URI without a
// fragment (RFC 8707 §2), not one of Logto's reserved urn:logto:
// identifiers (organization tokens use them as audience), not a scheme a
// browser would run or load (javascript:, data:, ...), and an http(s) URI
// has a host.
func CheckIndicator(s string) error {
	if strings.HasPrefix(strings.ToLower(s), "urn:logto:") {
		return ErrIndicatorReserved
	}
	if strings.ContainsAny(s, " \t\r\n") {
		return ErrIndicatorNotAbsolute
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() {
		return ErrIndicatorNotAbsolute
	}
	if strings.Contains(s, "#") {
		return ErrIndicatorFragment
	}
	switch strings.ToLower(u.Scheme) {
	case "javascript", "vbscript", "data", "file", "blob", "about":
		return ErrIndicatorScheme
	case "http", "https":
		if u.Host == "" {
			return ErrIndicatorNotAbsolute
		}
	}
	return nil
}

// IndicatorKey is what two indicators that mean the same resource share:
// ASCII letters folded to lower case (RFC 3986 §6.2.2.1: scheme and host
// are case-insensitive) and one trailing slash dropped. A new indicator
// whose key equals an existing one's is a conflict, so that tokens cannot
// be minted for look-alike audiences. The store keeps it per resource with
// a unique index per tenant, so two look-alikes created at the same
// instant cannot both succeed; its migration computes it in SQL, which is
// why the folding is ASCII's alone (as SQLite's lower() and a translate()
// on PostgreSQL do, whatever the database's locale).
func IndicatorKey(s string) string {
	s = strings.TrimSuffix(s, "/")
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; 'A' <= c && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// JSONDepth returns the deepest nesting of objects and arrays in the JSON
// text b (0 for a scalar), without decoding it.
func JSONDepth(b []byte) int {
	depth, deepest, inString := 0, 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			deepest = max(deepest, depth)
		case '}', ']':
			depth--
		}
	}
	return deepest
}
