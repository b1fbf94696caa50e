package protect

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	// go-jose: a well-kept JOSE implementation (the one the server signs
	// with); hand-written JWS parsing is where verifiers go wrong.
	jose "github.com/go-jose/go-jose/v4"
)

// Defaults of the options.
const (
	DefaultLeeway      = 30 * time.Second
	DefaultMinRefresh  = 5 * time.Minute  // floor of the background refresh interval
	DefaultMaxRefresh  = time.Hour        // ceiling, and the interval when the JWKS says nothing
	DefaultMissRefresh = 10 * time.Second // at most one fetch per this for unknown kids
	DefaultHTTPTimeout = 10 * time.Second // per metadata or JWKS request, with the default client
)

// defaultAlgs is the signature allow-list unless WithAlgorithms says
// otherwise: the asymmetric algorithms an RFC 9068 issuer is likely to use.
// "none" and the HMAC algorithms are never accepted: an API holds no shared
// secret with the issuer, and accepting HS256 would let anyone who has the
// public key forge tokens.
func defaultAlgs() []jose.SignatureAlgorithm {
	return []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.ES512, jose.RS256, jose.PS256, jose.EdDSA}
}

// allowed lists every algorithm WithAlgorithms may name; it is never
// written to.
var allowed = map[string]jose.SignatureAlgorithm{
	"ES256": jose.ES256, "ES384": jose.ES384, "ES512": jose.ES512,
	"RS256": jose.RS256, "RS384": jose.RS384, "RS512": jose.RS512,
	"PS256": jose.PS256, "PS384": jose.PS384, "PS512": jose.PS512,
	"EdDSA": jose.EdDSA,
}

// Option configures a [Validator] in [New].
type Option func(*config)

type config struct {
	algs         []jose.SignatureAlgorithm
	leeway       time.Duration
	anyType      bool
	client       *http.Client
	jwksURL      string
	minRefresh   time.Duration
	maxRefresh   time.Duration
	missRefresh  time.Duration
	realm        string
	errorHandler func(http.ResponseWriter, *http.Request, *Error)
	now          func() time.Time
	audiences    []string
	issuers      []string
	onRefreshErr func(error)
	dpop         dpopOptions // dpop.go
	err          error
}

func (c *config) fail(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("protect: "+format, args...)
	}
}

// WithAlgorithms replaces the signature algorithm allow-list (default:
// ES256, ES384, ES512, RS256, PS256, EdDSA). Pin it to what your issuer
// uses (Gatehouse: the server's GATEHOUSE_SIGNING_ALG, ES256 by default;
// RS256 after a rotation to an RSA key). "none" and HS256/HS384/HS512 make
// New fail.
func WithAlgorithms(algs ...string) Option {
	return func(c *config) {
		if len(algs) == 0 {
			c.fail("WithAlgorithms: no algorithm")
			return
		}
		c.algs = c.algs[:0:0]
		for _, a := range algs {
			ja, ok := allowed[a]
			if !ok {
				if strings.EqualFold(a, "none") || strings.HasPrefix(strings.ToUpper(a), "HS") {
					c.fail("WithAlgorithms: %q is never accepted: access tokens must be signed with the issuer's private key", a)
				} else {
					c.fail("WithAlgorithms: unknown algorithm %q", a)
				}
				return
			}
			c.algs = append(c.algs, ja)
		}
	}
}

// WithLeeway sets the clock skew tolerated on exp and nbf ([DefaultLeeway]).
// Keep it small: it extends the life of every token.
func WithLeeway(d time.Duration) Option {
	return func(c *config) {
		if d < 0 || d > 5*time.Minute {
			c.fail("WithLeeway: %v is outside 0..5m", d)
			return
		}
		c.leeway = d
	}
}

// WithoutTypeCheck accepts tokens whatever their typ header, for issuers
// that do not follow RFC 9068 §2.1 (which requires "at+jwt"). Without it, a
// token whose typ is not at+jwt or application/at+jwt is refused, so that
// an ID token or another JWT signed by the same keys cannot pass for an
// access token.
func WithoutTypeCheck() Option { return func(c *config) { c.anyType = true } }

// WithHTTPClient sets the client for the metadata and JWKS requests. The
// default is a client with a [DefaultHTTPTimeout] timeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) {
		if hc == nil {
			c.fail("WithHTTPClient: nil client")
			return
		}
		c.client = hc
	}
}

// WithJWKSURL skips discovery and reads the keys from u, for issuers that
// publish no metadata document.
func WithJWKSURL(u string) Option {
	return func(c *config) {
		if err := checkURL(u); err != nil {
			c.fail("WithJWKSURL: %v", err)
			return
		}
		c.jwksURL = u
	}
}

// WithRefresh bounds how often the keys are fetched in the background. The
// JWKS response's Cache-Control max-age is used when it lies between min
// and max; a shorter one (Gatehouse sends max-age=0, as keys can change at
// any time) gives min, a missing or longer one gives max. Defaults:
// [DefaultMinRefresh], [DefaultMaxRefresh]. A token naming an unknown key
// triggers a fetch at once anyway (see [WithMissRefresh]).
func WithRefresh(min, max time.Duration) Option {
	return func(c *config) {
		if min <= 0 || max < min {
			c.fail("WithRefresh: need 0 < min <= max, have %v and %v", min, max)
			return
		}
		c.minRefresh, c.maxRefresh = min, max
	}
}

// WithMissRefresh sets the shortest time between two fetches caused by
// tokens naming an unknown key id ([DefaultMissRefresh]). It bounds the
// requests that tokens with made-up kids can cause the issuer.
func WithMissRefresh(d time.Duration) Option {
	return func(c *config) {
		if d < 0 {
			c.fail("WithMissRefresh: negative duration %v", d)
			return
		}
		c.missRefresh = d
	}
}

// WithRealm sets the realm of the WWW-Authenticate challenges (default:
// the audience).
func WithRealm(realm string) Option { return func(c *config) { c.realm = realm } }

// WithErrorHandler replaces how the middleware answers a refused request.
// The default writes e.Status(), the WWW-Authenticate challenge and a JSON
// body {"error", "error_description"}.
func WithErrorHandler(h func(w http.ResponseWriter, r *http.Request, e *Error)) Option {
	return func(c *config) {
		if h == nil {
			c.fail("WithErrorHandler: nil handler")
			return
		}
		c.errorHandler = h
	}
}

// WithClock sets the clock checked against exp and nbf (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now == nil {
			c.fail("WithClock: nil clock")
			return
		}
		c.now = now
	}
}

// WithAudiences adds audiences the Validator accepts beside the one given
// to [New]: a token is accepted when its aud names any of them. Use it for
// an API known under several resource indicators (an old and a new one
// during a rename, or one per deployment). Empty audiences make New fail.
func WithAudiences(audiences ...string) Option {
	return func(c *config) {
		for _, a := range audiences {
			if a == "" {
				c.fail("WithAudiences: empty audience")
				return
			}
		}
		c.audiences = append(c.audiences, audiences...)
	}
}

// WithIssuers adds issuers the Validator accepts beside the one given to
// [New], such as a Gatehouse per region or a tenant per customer. Each is
// discovered and its keys fetched and refreshed on its own; a token's iss
// picks whose keys must have signed it, and a token whose iss is none of
// them is refused (ErrIssuer) before any key is looked up. [WithJWKSURL]
// applies to the issuer given to New only. Each must be exactly the "iss"
// of its tokens, an absolute http(s) URL.
func WithIssuers(issuers ...string) Option {
	return func(c *config) {
		for _, iss := range issuers {
			if err := checkURL(iss); err != nil {
				c.fail("WithIssuers: %v", err)
				return
			}
		}
		c.issuers = append(c.issuers, issuers...)
	}
}

// OnRefreshError sets a function told of every failed background fetch of
// an issuer's keys, as a *[RefreshError] (a down or misconfigured issuer:
// a transport error, a status other than 200 or 304, a document that is no
// JWK Set). The Validator keeps verifying with the keys it holds and tries
// again after the floor of [WithRefresh]; the hook is for logs and
// metrics. It runs on the refresh goroutine: keep it short. Fetches caused
// by a token naming an unknown key id are not reported here: their
// failure is that token's error (ErrUnknownKey).
func OnRefreshError(f func(err error)) Option {
	return func(c *config) {
		if f == nil {
			c.fail("OnRefreshError: nil function")
			return
		}
		c.onRefreshErr = f
	}
}
