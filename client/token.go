package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	// golang.org/x/oauth2 gives the TokenSource interface and Token type
	// every Go OAuth client already speaks (oauth2.NewClient,
	// oauth2.Transport, gRPC credentials); implementing it is the point.
	"golang.org/x/oauth2"
)

// DefaultLeeway is how long before its expiry a cached token is replaced.
const DefaultLeeway = 60 * time.Second

// TokenConfig says which token a [TokenSource] gets and from where.
type TokenConfig struct {
	// BaseURL is the server's address, like https://auth.example.com; the
	// token endpoint is BaseURL + "/oidc/token" unless TokenURL is set.
	BaseURL string
	// TokenURL overrides the token endpoint (for issuers with another layout).
	TokenURL string

	// ClientID and ClientSecret authenticate the application, sent with HTTP
	// Basic (client_secret_basic, each part form-encoded as RFC 6749 §2.3.1
	// says).
	ClientID     string
	ClientSecret string
	// ClientAssertion, when set, authenticates the application instead of
	// ClientSecret: it returns a JWT sent as client_assertion (RFC 7523)
	// with each token request. Either a private_key_jwt assertion the
	// application signs with its own key (see [SignedAssertion]), or, for a
	// federated credential, the token the workload's platform gives it
	// (see [FileAssertion]).
	ClientAssertion func(ctx context.Context) (string, error)

	// Resource is the API indicator (RFC 8707), like https://shopping.api;
	// empty asks for the server's default resource.
	Resource string
	// Scopes asked for. Empty asks for none: the token then carries no
	// scope (Logto grants nothing implicitly).
	Scopes []string
	// OrganizationID asks for an organization token, if set.
	OrganizationID string

	// Leeway: a token is replaced this long before it expires; 0 means
	// DefaultLeeway. It is capped at half the token's lifetime, so a short
	// token is still reused for a while.
	Leeway time.Duration
	// DPoP, if set, binds the tokens to this key (RFC 9449): each token
	// request carries a proof, and [TokenSource.Client] sends API requests
	// with DPoP proofs ([DPoPTransport]).
	DPoP *DPoPKey

	// HTTPClient sends the token requests; nil means a client with a
	// 30-second timeout.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now. Tests inject one.
	Now func() time.Time
}

// TokenSource gets client-credentials access tokens and caches them. It is
// safe for concurrent use; make one per (client, resource, scopes) and keep
// it.
type TokenSource struct {
	cfg     TokenConfig
	url     string
	form    string
	leeway  time.Duration
	now     func() time.Time
	http    *http.Client
	current atomic.Pointer[cached]

	mu     sync.Mutex
	flight *flight // the token request under way, if any

	err error // cfg.Validate's verdict: every call returns it
}

// cached is a token and the time it should be replaced.
type cached struct {
	tok       *oauth2.Token
	refreshAt time.Time
}

// flight is one token request shared by every caller that asked meanwhile.
type flight struct {
	done chan struct{}
	tok  *oauth2.Token
	err  error
}

// Validate reports what makes cfg unusable, wrapping [ErrInvalidConfig]:
// BaseURL (or TokenURL) must be an absolute http or https URL. Call it at
// startup to fail early; a TokenSource made from an invalid cfg returns the
// same error from every Token call without sending anything.
func (cfg TokenConfig) Validate() error {
	if cfg.TokenURL != "" {
		return checkURL("TokenConfig.TokenURL", cfg.TokenURL)
	}
	return checkURL("TokenConfig.BaseURL", cfg.BaseURL)
}

// NewTokenSource returns a TokenSource for cfg. It sends nothing until a
// token is asked for. If cfg.Validate fails, every call of the
// TokenSource returns that error.
func NewTokenSource(cfg TokenConfig) *TokenSource {
	ts := &TokenSource{cfg: cfg, leeway: cfg.Leeway, now: cfg.Now, http: cfg.HTTPClient, err: cfg.Validate()}
	ts.url = cfg.TokenURL
	if ts.url == "" {
		ts.url = strings.TrimRight(cfg.BaseURL, "/") + "/oidc/token"
	}
	if ts.leeway <= 0 {
		ts.leeway = DefaultLeeway
	}
	if ts.now == nil {
		ts.now = time.Now
	}
	if ts.http == nil {
		ts.http = &http.Client{Timeout: 30 * time.Second}
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	if cfg.Resource != "" {
		form.Set("resource", cfg.Resource)
	}
	if len(cfg.Scopes) > 0 {
		form.Set("scope", strings.Join(cfg.Scopes, " "))
	}
	if cfg.OrganizationID != "" {
		form.Set("organization_id", cfg.OrganizationID)
	}
	ts.form = form.Encode()
	return ts
}

// Token returns a valid token, from the cache when it has one that is not
// due for replacement. It implements oauth2.TokenSource. The token's Extra
// holds the response's fields ("scope" among them).
func (ts *TokenSource) Token() (*oauth2.Token, error) {
	return ts.TokenContext(context.Background())
}

// TokenContext is Token with a context: it stops waiting when ctx ends. The
// request itself, shared with other callers, is not cancelled by one
// caller's ctx; it is bounded by the HTTP client's timeout.
func (ts *TokenSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	if ts.err != nil {
		return nil, ts.err
	}
	if c := ts.current.Load(); c != nil && ts.now().Before(c.refreshAt) {
		t := *c.tok
		return &t, nil
	}
	ts.mu.Lock()
	// Another caller may have stored a fresh token while we waited.
	if c := ts.current.Load(); c != nil && ts.now().Before(c.refreshAt) {
		ts.mu.Unlock()
		t := *c.tok
		return &t, nil
	}
	f := ts.flight
	if f == nil {
		f = &flight{done: make(chan struct{})}
		ts.flight = f
		go ts.fetch(context.WithoutCancel(ctx), f)
	}
	ts.mu.Unlock()
	select {
	case <-f.done:
		if f.err != nil {
			return nil, f.err
		}
		t := *f.tok
		return &t, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Invalidate drops the cached token, so the next call asks for a new one
// (for example after an API answered 401 to it).
func (ts *TokenSource) Invalidate() { ts.current.Store(nil) }

// Client returns an HTTP client that sends ts's token with every request
// (oauth2.Transport over the HTTPClient's transport). Unlike
// oauth2.NewClient, which keeps a token until 10 s before its expiry, it
// asks ts every time, so the leeway applies. With a DPoP key in the
// TokenConfig it sends the requests through a [DPoPTransport] instead.
func (ts *TokenSource) Client() *http.Client {
	if ts.cfg.DPoP != nil {
		return &http.Client{Transport: &DPoPTransport{Source: ts, Key: ts.cfg.DPoP, Base: ts.http.Transport}}
	}
	return &http.Client{Transport: &oauth2.Transport{Source: ts, Base: ts.http.Transport}}
}

func (ts *TokenSource) fetch(ctx context.Context, f *flight) {
	tok, refreshAt, err := ts.request(ctx)
	ts.mu.Lock()
	if err == nil {
		ts.current.Store(&cached{tok: tok, refreshAt: refreshAt})
	}
	f.tok, f.err = tok, err
	ts.flight = nil
	ts.mu.Unlock()
	close(f.done)
}

// maxBody bounds what is read of a token response.
const maxBody = 1 << 20

func (ts *TokenSource) request(ctx context.Context) (*oauth2.Token, time.Time, error) {
	form := ts.form
	if ts.cfg.ClientAssertion != nil {
		a, err := ts.cfg.ClientAssertion(ctx)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("client: client assertion: %w", err)
		}
		form += "&" + url.Values{"client_id": {ts.cfg.ClientID}, "client_assertion_type": {AssertionType},
			"client_assertion": {a}}.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ts.url, strings.NewReader(form))
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("client: token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if ts.cfg.ClientAssertion == nil {
		req.SetBasicAuth(url.QueryEscape(ts.cfg.ClientID), url.QueryEscape(ts.cfg.ClientSecret))
	}
	if ts.cfg.DPoP != nil {
		p, err := ts.cfg.DPoP.Proof(http.MethodPost, ts.url, "")
		if err != nil {
			return nil, time.Time{}, err
		}
		req.Header.Set("DPoP", p)
	}
	start := ts.now()
	resp, err := ts.http.Do(req)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("client: token request: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("client: token response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var oe struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
			URI         string `json:"error_uri"`
		}
		if json.Unmarshal(body, &oe) == nil && oe.Error != "" {
			return nil, time.Time{}, &OAuthError{Status: resp.StatusCode, Code: oe.Error, Description: oe.Description, URI: oe.URI}
		}
		return nil, time.Time{}, fmt.Errorf("client: token endpoint: HTTP %d: %s", resp.StatusCode, snippet(body))
	}
	var raw map[string]any
	var tr struct {
		AccessToken string       `json:"access_token"`
		TokenType   string       `json:"token_type"`
		ExpiresIn   *json.Number `json:"expires_in"`
		Scope       string       `json:"scope"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		return nil, time.Time{}, errors.New("client: token endpoint: the answer has no access_token")
	}
	json.Unmarshal(body, &raw)
	tok := &oauth2.Token{AccessToken: tr.AccessToken, TokenType: tr.TokenType}
	tok = tok.WithExtra(raw)
	refreshAt := start // without expires_in a token is used once
	if tr.ExpiresIn != nil {
		secs, err := tr.ExpiresIn.Float64()
		if err != nil {
			return nil, time.Time{}, errors.New("client: token endpoint: expires_in is not a number")
		}
		life := time.Duration(secs * float64(time.Second))
		tok.ExpiresIn = int64(secs)
		tok.Expiry = start.Add(life)
		leeway := min(ts.leeway, life/2)
		refreshAt = tok.Expiry.Add(-leeway)
	}
	return tok, refreshAt, nil
}

// snippet is the start of a body, for an error message.
func snippet(b []byte) string {
	const n = 200
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
