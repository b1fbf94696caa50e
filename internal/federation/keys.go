package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// ErrUnknownKey means the key set holds no key with the token's kid, even
// after a refetch.
var ErrUnknownKey = errors.New("federation: no key with this kid")

// Options tune a [Keys]. The zero value gives the defaults.
type Options struct {
	// AllowInsecure allows http URLs and every address (loopback, private
	// networks): for tests and labs only.
	AllowInsecure bool
	// Timeout bounds one fetch, redirects included. DefaultTimeout when 0.
	Timeout time.Duration
	// MaxBytes bounds one document. DefaultMaxBytes when 0.
	MaxBytes int64
	// MinTTL, DefaultTTL and MaxTTL bound how long a document is cached:
	// Cache-Control's max-age within [MinTTL, MaxTTL] (no-store and
	// no-cache give MinTTL, so that a hostile or careless issuer cannot
	// make every token request a fetch), DefaultTTL when it says nothing.
	// 30 s, 15 min and 24 h when 0.
	MinTTL, DefaultTTL, MaxTTL time.Duration
	// RefetchAfter is how old a key set must be before a token with an
	// unknown kid refetches it (once). 10 s when 0.
	RefetchAfter time.Duration
	Now          func() time.Time // time.Now when nil
}

// Keys fetches and caches JWK sets and discovery documents. It is safe for
// concurrent use; each URL is fetched by one request at a time, the others
// waiting for its answer.
type Keys struct {
	opt    Options
	client *http.Client

	mu      sync.Mutex
	entries map[string]*entry // by URL: JWK sets, and discovery documents under "d:"+issuer
}

type entry struct {
	mu  sync.Mutex // held while fetching
	cur atomic.Pointer[doc]
}

// doc is one fetched document: a key set, or an issuer's jwks_uri.
type doc struct {
	keys    []jose.JSONWebKey
	jwksURI string
	err     error // a failed fetch, remembered for RefetchAfter
	fetched time.Time
	expires time.Time
}

// New returns a key fetcher.
func New(opt Options) *Keys {
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.MaxBytes <= 0 {
		opt.MaxBytes = DefaultMaxBytes
	}
	if opt.MinTTL <= 0 {
		opt.MinTTL = 30 * time.Second
	}
	if opt.DefaultTTL <= 0 {
		opt.DefaultTTL = 15 * time.Minute
	}
	if opt.MaxTTL <= 0 {
		opt.MaxTTL = 24 * time.Hour
	}
	if opt.RefetchAfter <= 0 {
		opt.RefetchAfter = 10 * time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Keys{opt: opt, client: newClient(opt.AllowInsecure, opt.Timeout), entries: map[string]*entry{}}
}

func (k *Keys) entry(key string) *entry {
	k.mu.Lock()
	defer k.mu.Unlock()
	e := k.entries[key]
	if e == nil {
		e = &entry{}
		k.entries[key] = e
	}
	return e
}

func (k *Keys) ttl(age time.Duration) time.Duration {
	switch {
	case age < 0:
		return k.opt.DefaultTTL
	case age < k.opt.MinTTL:
		return k.opt.MinTTL
	case age > k.opt.MaxTTL:
		return k.opt.MaxTTL
	}
	return age
}

// JWKS returns the keys of the JWK set at uri that a token with this kid
// may be signed with: the one with that kid, or every signing key when kid
// is empty. A cached set is used until it expires; a kid it lacks makes
// one refetch, unless the set is younger than Options.RefetchAfter.
func (k *Keys) JWKS(ctx context.Context, uri, kid string) ([]jose.JSONWebKey, error) {
	e := k.entry(uri)
	d := e.cur.Load()
	now := k.opt.Now()
	if d != nil && now.Before(d.expires) {
		if d.err != nil {
			return nil, d.err
		}
		if ks := pick(d.keys, kid); len(ks) > 0 {
			return ks, nil
		}
		if now.Sub(d.fetched) < k.opt.RefetchAfter {
			return nil, ErrUnknownKey
		}
	}
	d, err := k.refresh(ctx, e, d, func() (*doc, error) {
		body, age, err := k.get(ctx, uri)
		if err != nil {
			return nil, err
		}
		keys, err := parseJWKS(body)
		if err != nil {
			return nil, fmt.Errorf("federation: %s: %w", uri, err)
		}
		return &doc{keys: keys, expires: k.opt.Now().Add(k.ttl(age))}, nil
	})
	if err != nil {
		return nil, err
	}
	if ks := pick(d.keys, kid); len(ks) > 0 {
		return ks, nil
	}
	return nil, ErrUnknownKey
}

// IssuerJWKS is [Keys.JWKS] for the key set an issuer's OpenID Connect
// discovery document names (issuer + "/.well-known/openid-configuration",
// whose issuer must be the same string).
func (k *Keys) IssuerJWKS(ctx context.Context, issuer, kid string) ([]jose.JSONWebKey, error) {
	e := k.entry("d:" + issuer)
	d := e.cur.Load()
	if d != nil && d.err != nil && k.opt.Now().Before(d.expires) {
		return nil, d.err
	}
	if d == nil || !k.opt.Now().Before(d.expires) {
		var err error
		d, err = k.refresh(ctx, e, d, func() (*doc, error) {
			u := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
			body, age, err := k.get(ctx, u)
			if err != nil {
				return nil, err
			}
			var m struct {
				Issuer  string `json:"issuer"`
				JWKSURI string `json:"jwks_uri"`
			}
			if err := json.Unmarshal(body, &m); err != nil {
				return nil, fmt.Errorf("federation: %s: %w", u, err)
			}
			if m.Issuer != issuer {
				return nil, fmt.Errorf("federation: %s names issuer %q", u, m.Issuer)
			}
			if m.JWKSURI == "" {
				return nil, fmt.Errorf("federation: %s has no jwks_uri", u)
			}
			return &doc{jwksURI: m.JWKSURI, expires: k.opt.Now().Add(k.ttl(age))}, nil
		})
		if err != nil {
			return nil, err
		}
	}
	return k.JWKS(ctx, d.jwksURI, kid)
}

// refresh fetches e's document once for every caller that found old: a
// caller that waited while another fetched takes that answer. A failed
// fetch keeps serving the previous document, if any, for MinTTL.
func (k *Keys) refresh(ctx context.Context, e *entry, old *doc, fetch func() (*doc, error)) (*doc, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if cur := e.cur.Load(); cur != old && cur != nil {
		return cur, cur.err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := k.opt.Now()
	d, err := fetch()
	if err != nil {
		if old != nil && old.err == nil {
			kept := *old
			kept.fetched, kept.expires = now, now.Add(k.opt.MinTTL)
			e.cur.Store(&kept)
		} else {
			// Waiting requests and those soon after fail at once rather
			// than each waiting out a fetch of their own.
			e.cur.Store(&doc{err: err, fetched: now, expires: now.Add(k.opt.RefetchAfter)})
		}
		return nil, err
	}
	d.fetched = now
	e.cur.Store(d)
	return d, nil
}

// parseJWKS reads a JWK set, keeping the public signing keys go-jose
// understands and skipping the rest (an issuer may publish kinds of keys
// this server has no use for).
func parseJWKS(body []byte) ([]jose.JSONWebKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, err
	}
	var out []jose.JSONWebKey
	for _, raw := range set.Keys {
		var key jose.JSONWebKey
		if key.UnmarshalJSON(raw) != nil || !key.Valid() || !key.IsPublic() || key.Use == "enc" {
			continue
		}
		out = append(out, key)
	}
	if len(out) == 0 {
		return nil, errors.New("no usable signing key")
	}
	return out, nil
}

// pick returns the keys a token with this kid may be signed with.
func pick(keys []jose.JSONWebKey, kid string) []jose.JSONWebKey {
	if kid == "" {
		return keys
	}
	for i := range keys {
		if keys[i].KeyID == kid {
			return keys[i : i+1]
		}
	}
	return nil
}
