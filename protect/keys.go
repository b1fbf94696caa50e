package protect

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// maxDocument bounds a metadata or JWKS response; real ones are a few KiB.
const maxDocument = 1 << 20

// minRSABits is the smallest RSA modulus a published key may have to be
// used (RFC 7518 §3.3 requires 2048).
const minRSABits = 2048

// key is one usable public key of the set.
type key struct {
	id   string
	pub  any                       // *ecdsa.PublicKey, *rsa.PublicKey or ed25519.PublicKey
	algs []jose.SignatureAlgorithm // what it may verify: its alg, or what its type allows
}

func (k *key) allows(alg jose.SignatureAlgorithm) bool { return slices.Contains(k.algs, alg) }

// keySet is an immutable snapshot of the issuer's keys, swapped whole.
type keySet struct {
	byID  map[string]*key
	all   []*key // in JWKS order, for tokens without kid
	etag  string
	fetch time.Time
}

// find returns the key for a token's kid and alg, or nil.
func (s *keySet) find(kid string, alg jose.SignatureAlgorithm) *key {
	if k := s.byID[kid]; k != nil && k.allows(alg) {
		return k
	}
	return nil
}

// candidates returns the keys that may have signed a token without kid:
// every key that allows its alg (RFC 9068 does not require kid; Gatehouse
// always sets it).
func (s *keySet) candidates(alg jose.SignatureAlgorithm) []*key {
	var out []*key
	for _, k := range s.all {
		if k.allows(alg) {
			out = append(out, k)
		}
	}
	return out
}

// metadata is the part of RFC 8414 / OpenID discovery metadata we use.
type metadata struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri"`
}

// discover reads the issuer's metadata: first OpenID Connect discovery
// (issuer + /.well-known/openid-configuration), then RFC 8414 (the
// well-known segment inserted before the issuer's path, §3.1), then the
// appended form many servers (Gatehouse, Logto) also serve. It returns the
// jwks_uri, after checking that the document names exactly this issuer
// (RFC 8414 §3.3, OpenID Discovery §4.3).
func discover(ctx context.Context, hc *http.Client, issuer string) (string, error) {
	u, _ := url.Parse(issuer)
	base := strings.TrimSuffix(issuer, "/")
	candidates := []string{
		base + "/.well-known/openid-configuration",
		u.Scheme + "://" + u.Host + "/.well-known/oauth-authorization-server" + strings.TrimSuffix(u.Path, "/"),
		base + "/.well-known/oauth-authorization-server",
	}
	var errs []error
	for i, c := range candidates {
		if slices.Contains(candidates[:i], c) {
			continue
		}
		body, _, status, err := get(ctx, hc, c, "")
		if err != nil {
			return "", err // the issuer is unreachable: no point trying other paths
		}
		if status != http.StatusOK {
			errs = append(errs, fmt.Errorf("%s: status %d", c, status))
			continue
		}
		var m metadata
		if err := json.Unmarshal(body, &m); err != nil {
			return "", fmt.Errorf("%s: %w", c, err)
		}
		if m.Issuer != issuer {
			return "", fmt.Errorf("%s names the issuer %q, not %q: pass the issuer exactly as the server spells it", c, m.Issuer, issuer)
		}
		if err := checkURL(m.JWKSURI); err != nil {
			return "", fmt.Errorf("%s: jwks_uri: %w", c, err)
		}
		return m.JWKSURI, nil
	}
	return "", fmt.Errorf("no metadata document: %w", errors.Join(errs...))
}

// get fetches u, with If-None-Match when etag is set. It returns the body
// of a 200, the response's headers and its status; a transport failure or
// an oversized body is an error.
func get(ctx context.Context, hc *http.Client, u, etag string) ([]byte, http.Header, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, 0, err
	}
	req.Header.Set("Accept", "application/json")
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, maxDocument))
		return nil, resp.Header, resp.StatusCode, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
	if err != nil {
		return nil, nil, 0, fmt.Errorf("%s: %w", u, err)
	}
	if len(body) > maxDocument {
		return nil, nil, 0, fmt.Errorf("%s: response larger than %d bytes", u, maxDocument)
	}
	return body, resp.Header, resp.StatusCode, nil
}

// fetchKeys gets the JWKS at u. With prev set it asks conditionally and
// returns prev (with a new fetch time) on 304. It also returns the
// Cache-Control max-age, or -1 when there is none.
func fetchKeys(ctx context.Context, hc *http.Client, u string, prev *keySet, now time.Time) (*keySet, time.Duration, error) {
	etag := ""
	if prev != nil {
		etag = prev.etag
	}
	body, hd, status, err := get(ctx, hc, u, etag)
	if err != nil {
		return nil, 0, err
	}
	age := maxAge(hd.Get("Cache-Control"))
	switch {
	case status == http.StatusNotModified && prev != nil:
		s := *prev
		s.fetch = now
		return &s, age, nil
	case status != http.StatusOK:
		return nil, 0, fmt.Errorf("%s: status %d", u, status)
	}
	s, err := parseKeys(body)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", u, err)
	}
	s.etag = hd.Get("ETag")
	s.fetch = now
	return s, age, nil
}

// parseKeys reads a JWK Set (RFC 7517 §5). Keys that cannot verify access
// tokens are skipped rather than failing the set, so that one key of a type
// this package does not know never hides the others: symmetric keys (a
// JWKS is public, so an "oct" key would be a secret anyone can read),
// encryption keys, RSA keys under 2048 bits, and malformed entries.
func parseKeys(body []byte) (*keySet, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("not a JWK Set: %w", err)
	}
	if doc.Keys == nil {
		return nil, errors.New(`not a JWK Set: no "keys" member`)
	}
	s := &keySet{byID: map[string]*key{}}
	for _, raw := range doc.Keys {
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(raw); err != nil {
			continue
		}
		if jwk.Use != "" && jwk.Use != "sig" {
			continue
		}
		k := usable(&jwk)
		if k == nil {
			continue
		}
		if k.id != "" {
			if _, dup := s.byID[k.id]; dup {
				continue // the first one wins; a set should not repeat a kid
			}
			s.byID[k.id] = k
		}
		s.all = append(s.all, k)
	}
	return s, nil
}

// usable returns the key as this package uses it, or nil: only public
// asymmetric keys, each bound to the algorithms its type and curve allow
// (ES256 only with P-256, and so on), narrowed to its "alg" when it has one.
func usable(jwk *jose.JSONWebKey) *key {
	var pub any
	var algs []jose.SignatureAlgorithm
	switch p := jwk.Key.(type) {
	case *ecdsa.PrivateKey:
		return usable(&jose.JSONWebKey{Key: &p.PublicKey, KeyID: jwk.KeyID, Algorithm: jwk.Algorithm})
	case *rsa.PrivateKey:
		return usable(&jose.JSONWebKey{Key: &p.PublicKey, KeyID: jwk.KeyID, Algorithm: jwk.Algorithm})
	case ed25519.PrivateKey:
		return usable(&jose.JSONWebKey{Key: p.Public(), KeyID: jwk.KeyID, Algorithm: jwk.Algorithm})
	case *ecdsa.PublicKey:
		pub = p
		switch p.Curve {
		case elliptic.P256():
			algs = []jose.SignatureAlgorithm{jose.ES256}
		case elliptic.P384():
			algs = []jose.SignatureAlgorithm{jose.ES384}
		case elliptic.P521():
			algs = []jose.SignatureAlgorithm{jose.ES512}
		}
	case *rsa.PublicKey:
		if p.N.BitLen() < minRSABits {
			return nil
		}
		pub = p
		algs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512}
	case ed25519.PublicKey:
		pub = p
		algs = []jose.SignatureAlgorithm{jose.EdDSA}
	}
	if pub == nil || len(algs) == 0 {
		return nil
	}
	if jwk.Algorithm != "" {
		a := jose.SignatureAlgorithm(jwk.Algorithm)
		if !slices.Contains(algs, a) {
			return nil
		}
		algs = []jose.SignatureAlgorithm{a}
	}
	return &key{id: jwk.KeyID, pub: pub, algs: algs}
}

// maxAge returns the max-age of a Cache-Control value, 0 for no-store or
// no-cache (the keys may change at any time), and -1 when it says nothing.
func maxAge(cc string) time.Duration {
	age := time.Duration(-1)
	for _, d := range strings.Split(cc, ",") {
		name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
		switch strings.ToLower(name) {
		case "no-store", "no-cache":
			return 0
		case "max-age":
			n, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64)
			if err != nil || n < 0 {
				continue
			}
			if n > int64(365*24*time.Hour/time.Second) {
				n = int64(365 * 24 * time.Hour / time.Second)
			}
			age = time.Duration(n) * time.Second
		}
	}
	return age
}

// refreshAfter is how long to wait before the next background fetch, given
// the JWKS's max-age (-1: none).
func refreshAfter(age, min, max time.Duration) time.Duration {
	switch {
	case age < 0:
		return max
	case age < min:
		return min
	case age > max:
		return max
	}
	return age
}

// checkURL requires an absolute http or https URL.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	return nil
}
