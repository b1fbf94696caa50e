package protect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Validator checks the access tokens of one API (one audience) issued by
// one issuer. It is safe for concurrent use; make one per API at start-up
// and [Validator.Close] it at shutdown.
type Validator struct {
	issuer   string
	audience string
	jwksURL  string
	cfg      config

	keys atomic.Pointer[keySet] // read lock-free on every verification
	dpop dpopState              // the DPoP replay cache (dpop.go)

	fetchMu  sync.Mutex // one JWKS fetch at a time; guards lastMiss
	lastMiss time.Time

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// New returns a Validator for tokens that issuer issues for audience (the
// API's resource indicator, such as "https://shopping.api"). It reads the
// issuer's metadata and keys before it returns, within ctx, so that a wrong
// issuer URL fails at start-up; after that it refreshes the keys in the
// background until Close. issuer must be exactly the "iss" of the tokens
// (for Gatehouse: its endpoint followed by /oidc).
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
	v := &Validator{issuer: issuer, audience: audience, jwksURL: c.jwksURL, cfg: c,
		stop: make(chan struct{}), done: make(chan struct{})}
	if v.jwksURL == "" {
		u, err := discover(ctx, c.client, issuer)
		if err != nil {
			return nil, fmt.Errorf("protect: discovery of %s: %w", issuer, err)
		}
		v.jwksURL = u
	}
	s, age, err := fetchKeys(ctx, c.client, v.jwksURL, nil, c.now())
	if err != nil {
		return nil, fmt.Errorf("protect: keys of %s: %w", issuer, err)
	}
	if len(s.all) == 0 {
		return nil, fmt.Errorf("protect: %s publishes no key usable for signatures", v.jwksURL)
	}
	v.keys.Store(s)
	go v.refreshLoop(refreshAfter(age, c.minRefresh, c.maxRefresh))
	return v, nil
}

// Close stops the background refresh. Verification keeps working with the
// keys last fetched, but unknown key ids are no longer looked up.
func (v *Validator) Close() error {
	v.closeOnce.Do(func() {
		close(v.stop)
		<-v.done
	})
	return nil
}

// Issuer returns the issuer the Validator accepts.
func (v *Validator) Issuer() string { return v.issuer }

// Audience returns the audience the Validator accepts.
func (v *Validator) Audience() string { return v.audience }

// JWKSURL returns where the keys are read from.
func (v *Validator) JWKSURL() string { return v.jwksURL }

func (v *Validator) refreshLoop(wait time.Duration) {
	defer close(v.done)
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-v.stop:
			return
		case <-t.C:
		}
		wait = v.refresh()
		t.Reset(wait)
	}
}

// refresh fetches the keys once in the background and returns when to do
// it next. On failure the keys in hand stay and the next try comes after
// the floor interval.
func (v *Validator) refresh() time.Duration {
	ctx, cancel := context.WithTimeout(context.Background(), DefaultHTTPTimeout)
	defer cancel()
	go func() {
		select {
		case <-v.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	v.fetchMu.Lock()
	defer v.fetchMu.Unlock()
	s, age, err := fetchKeys(ctx, v.cfg.client, v.jwksURL, v.keys.Load(), v.cfg.now())
	if err != nil {
		return v.cfg.minRefresh
	}
	v.keys.Store(s)
	return refreshAfter(age, v.cfg.minRefresh, v.cfg.maxRefresh)
}

// keyFor returns the key for kid and alg, fetching the JWKS once when the
// set in hand has none: a rotated-in key is then found at its first token.
// Such fetches happen at most once per missRefresh, whatever the tokens say.
func (v *Validator) keyFor(ctx context.Context, kid string, alg jose.SignatureAlgorithm) (*key, error) {
	if k := v.keys.Load().find(kid, alg); k != nil {
		return k, nil
	}
	v.fetchMu.Lock()
	defer v.fetchMu.Unlock()
	prev := v.keys.Load()
	if k := prev.find(kid, alg); k != nil {
		return k, nil // fetched while we waited
	}
	select {
	case <-v.stop:
		return nil, ErrUnknownKey
	default:
	}
	now := v.cfg.now()
	if !v.lastMiss.IsZero() && now.Sub(v.lastMiss) < v.cfg.missRefresh && now.Sub(v.lastMiss) >= 0 {
		return nil, ErrUnknownKey
	}
	v.lastMiss = now
	s, _, err := fetchKeys(ctx, v.cfg.client, v.jwksURL, prev, now)
	if err != nil {
		return nil, fmt.Errorf("%w (fetching the keys: %w)", ErrUnknownKey, err)
	}
	v.keys.Store(s)
	if k := s.find(kid, alg); k != nil {
		return k, nil
	}
	return nil, ErrUnknownKey
}
