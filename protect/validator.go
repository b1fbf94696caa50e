package protect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Validator checks the access tokens of one API issued by one issuer, or
// of several audiences ([WithAudiences]) and issuers ([WithIssuers]). It
// is safe for concurrent use; make one per API at start-up and
// [Validator.Close] it at shutdown.
type Validator struct {
	issuer    string    // the issuer given to New
	audience  string    // the audience given to New
	audiences []string  // every accepted audience, audience first
	sources   []*source // one per issuer, the one given to New first
	jwksURL   string    // sources[0].jwksURL
	cfg       config
	dpop      dpopState // the DPoP replay cache (dpop.go)

	stop      chan struct{}
	loops     sync.WaitGroup // the refresh loops
	closeOnce sync.Once
}

// source is one issuer and the keys it publishes.
type source struct {
	issuer  string
	jwksURL string

	keys atomic.Pointer[keySet] // read lock-free on every verification

	fetchMu  sync.Mutex // one JWKS fetch at a time; guards lastMiss
	lastMiss time.Time
}

// New returns a Validator for tokens that issuer issues for audience (the
// API's resource indicator, such as "https://shopping.api"). It reads the
// issuer's metadata and keys before it returns, within ctx, so that a wrong
// issuer URL fails at start-up; after that it refreshes the keys in the
// background until Close. issuer must be exactly the "iss" of the tokens
// (for Gatehouse: its endpoint followed by /oidc).
//
// [WithAudiences] and [WithIssuers] add audiences and issuers: a token is
// then accepted when its iss is any of the issuers (each with its own
// metadata and keys, picked by the token's iss) and its aud names any of
// the audiences.
func New(ctx context.Context, issuer, audience string, opts ...Option) (*Validator, error) {
	c := config{
		algs:        defaultAlgs(),
		leeway:      DefaultLeeway,
		minRefresh:  DefaultMinRefresh,
		maxRefresh:  DefaultMaxRefresh,
		missRefresh: DefaultMissRefresh,
		now:         time.Now,
	}
	for _, o := range opts {
		o(&c)
	}
	if c.err != nil {
		return nil, c.err
	}
	if err := checkURL(issuer); err != nil {
		return nil, fmt.Errorf("protect: issuer: %w", err)
	}
	if audience == "" {
		return nil, errors.New("protect: empty audience: pass the API's resource indicator")
	}
	if c.client == nil {
		c.client = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	if c.realm == "" {
		c.realm = audience
	}
	v := &Validator{issuer: issuer, audience: audience, cfg: c, stop: make(chan struct{})}
	v.audiences = appendNew([]string{audience}, c.audiences...)
	issuers := appendNew([]string{issuer}, c.issuers...)
	ages := make([]time.Duration, len(issuers))
	for i, iss := range issuers {
		s := &source{issuer: iss}
		if i == 0 {
			s.jwksURL = c.jwksURL
		}
		if s.jwksURL == "" {
			u, err := discover(ctx, c.client, iss)
			if err != nil {
				return nil, fmt.Errorf("protect: discovery of %s: %w", iss, err)
			}
			s.jwksURL = u
		}
		ks, age, err := fetchKeys(ctx, c.client, s.jwksURL, nil, c.now())
		if err != nil {
			return nil, fmt.Errorf("protect: keys of %s: %w", iss, err)
		}
		if len(ks.all) == 0 {
			return nil, fmt.Errorf("protect: %s publishes no key usable for signatures", s.jwksURL)
		}
		s.keys.Store(ks)
		v.sources = append(v.sources, s)
		ages[i] = age
	}
	v.jwksURL = v.sources[0].jwksURL
	for i, s := range v.sources {
		v.loops.Add(1)
		go v.refreshLoop(s, refreshAfter(ages[i], c.minRefresh, c.maxRefresh))
	}
	return v, nil
}

// appendNew appends those of more that are not in list yet.
func appendNew(list []string, more ...string) []string {
	for _, m := range more {
		if !slices.Contains(list, m) {
			list = append(list, m)
		}
	}
	return list
}

// Close stops the background refresh. Verification keeps working with the
// keys last fetched, but unknown key ids are no longer looked up.
func (v *Validator) Close() error {
	v.closeOnce.Do(func() {
		close(v.stop)
		v.loops.Wait()
	})
	return nil
}

// Issuer returns the issuer the Validator accepts (the one given to New).
func (v *Validator) Issuer() string { return v.issuer }

// Issuers returns every issuer the Validator accepts, the one given to New
// first.
func (v *Validator) Issuers() []string {
	out := make([]string, len(v.sources))
	for i, s := range v.sources {
		out[i] = s.issuer
	}
	return out
}

// Audience returns the audience the Validator accepts (the one given to
// New).
func (v *Validator) Audience() string { return v.audience }

// Audiences returns every audience the Validator accepts, the one given to
// New first.
func (v *Validator) Audiences() []string { return slices.Clone(v.audiences) }

// JWKSURL returns where the keys of the issuer given to New are read from.
func (v *Validator) JWKSURL() string { return v.jwksURL }

// source returns the source of issuer iss, or nil.
func (v *Validator) source(iss string) *source {
	for _, s := range v.sources {
		if s.issuer == iss {
			return s
		}
	}
	return nil
}

func (v *Validator) refreshLoop(s *source, wait time.Duration) {
	defer v.loops.Done()
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-v.stop:
			return
		case <-t.C:
		}
		wait = v.refresh(s)
		t.Reset(wait)
	}
}

// refresh fetches the keys of s once in the background and returns when
// to do it next. On failure the keys in hand stay, the OnRefreshError hook
// hears of it, and the next try comes after the floor interval.
func (v *Validator) refresh(s *source) time.Duration {
	ctx, cancel := context.WithTimeout(context.Background(), DefaultHTTPTimeout)
	defer cancel()
	go func() {
		select {
		case <-v.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	s.fetchMu.Lock()
	defer s.fetchMu.Unlock()
	ks, age, err := fetchKeys(ctx, v.cfg.client, s.jwksURL, s.keys.Load(), v.cfg.now())
	if err != nil {
		select {
		case <-v.stop:
			return v.cfg.minRefresh // closing: not a failure worth reporting
		default:
		}
		if v.cfg.onRefreshErr != nil {
			v.cfg.onRefreshErr(&RefreshError{Issuer: s.issuer, JWKSURL: s.jwksURL, Err: err})
		}
		return v.cfg.minRefresh
	}
	s.keys.Store(ks)
	return refreshAfter(age, v.cfg.minRefresh, v.cfg.maxRefresh)
}

// RefreshError is what the [OnRefreshError] hook receives when a
// background fetch of an issuer's keys fails.
type RefreshError struct {
	Issuer  string // the issuer whose keys could not be fetched
	JWKSURL string // where they were fetched from
	Err     error  // why: a transport error, a status, a document that is no JWK Set
}

// Error implements error.
func (e *RefreshError) Error() string {
	return "protect: refreshing the keys of " + e.Issuer + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *RefreshError) Unwrap() error { return e.Err }

// keyFor returns the key of s for kid and alg, fetching the JWKS once when
// the set in hand has none: a rotated-in key is then found at its first
// token. Such fetches happen at most once per missRefresh and issuer,
// whatever the tokens say.
func (v *Validator) keyFor(ctx context.Context, s *source, kid string, alg jose.SignatureAlgorithm) (*key, error) {
	if k := s.keys.Load().find(kid, alg); k != nil {
		return k, nil
	}
	s.fetchMu.Lock()
	defer s.fetchMu.Unlock()
	prev := s.keys.Load()
	if k := prev.find(kid, alg); k != nil {
		return k, nil // fetched while we waited
	}
	select {
	case <-v.stop:
		return nil, ErrUnknownKey
	default:
	}
	now := v.cfg.now()
	if !s.lastMiss.IsZero() && now.Sub(s.lastMiss) < v.cfg.missRefresh && now.Sub(s.lastMiss) >= 0 {
		return nil, ErrUnknownKey
	}
	s.lastMiss = now
	ks, _, err := fetchKeys(ctx, v.cfg.client, s.jwksURL, prev, now)
	if err != nil {
		return nil, fmt.Errorf("%w (fetching the keys: %w)", ErrUnknownKey, err)
	}
	s.keys.Store(ks)
	if k := ks.find(kid, alg); k != nil {
		return k, nil
	}
	return nil, ErrUnknownKey
}
