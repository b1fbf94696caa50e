package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/client"
)

// clock is a settable clock for the token source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// tokenServer is a token endpoint that counts requests and answers
// access tokens "tok-N" living expiresIn seconds. If gate is not nil,
// each request waits for it to close.
type tokenServer struct {
	*httptest.Server
	n         atomic.Int64
	expiresIn int
	gate      chan struct{}
	last      atomic.Pointer[http.Request]
	form      atomic.Pointer[url.Values]
	status    int    // if not 0, refuse with this status
	body      string // and this body
}

func newTokenServer(t *testing.T, expiresIn int) *tokenServer {
	ts := &tokenServer{expiresIn: expiresIn}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := ts.n.Add(1)
		if ts.gate != nil {
			<-ts.gate
		}
		r.ParseForm()
		f := r.PostForm
		ts.form.Store(&f)
		ts.last.Store(r)
		w.Header().Set("Content-Type", "application/json")
		if ts.status != 0 {
			w.WriteHeader(ts.status)
			io.WriteString(w, ts.body)
			return
		}
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":%d,"scope":"read:products"}`, n, ts.expiresIn)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func TestTokenSourceRequest(t *testing.T) {
	srv := newTokenServer(t, 3600)
	ts := client.NewTokenSource(client.TokenConfig{
		BaseURL: srv.URL + "/", ClientID: "my app", ClientSecret: "s3cr:t/+%",
		Resource: "https://shopping.api", Scopes: []string{"read:products", "write:products"},
		OrganizationID: "org1",
	})
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "tok-1" || tok.TokenType != "Bearer" || tok.ExpiresIn != 3600 {
		t.Errorf("token %+v", tok)
	}
	if got := tok.Extra("scope"); got != "read:products" {
		t.Errorf("scope %v", got)
	}
	r := srv.last.Load()
	if r.URL.Path != "/oidc/token" || r.Method != "POST" {
		t.Errorf("request %s %s", r.Method, r.URL.Path)
	}
	// RFC 6749 §2.3.1: id and secret are form-encoded before Basic.
	id, secret, _ := r.BasicAuth()
	if id != url.QueryEscape("my app") || secret != url.QueryEscape("s3cr:t/+%") {
		t.Errorf("basic %q %q", id, secret)
	}
	f := *srv.form.Load()
	want := url.Values{"grant_type": {"client_credentials"}, "resource": {"https://shopping.api"},
		"scope": {"read:products write:products"}, "organization_id": {"org1"}}
	if f.Encode() != want.Encode() {
		t.Errorf("form %v, want %v", f, want)
	}
}

func TestTokenSourceCachesAndRefreshesEarly(t *testing.T) {
	for _, tc := range []struct {
		name   string
		leeway time.Duration
		want   time.Duration // the token is replaced this long before expiry
	}{
		{"default", 0, 60 * time.Second},
		{"configured", 5 * time.Minute, 5 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newTokenServer(t, 3600)
			clk := &clock{t: time.Unix(1_700_000_000, 0)}
			ts := client.NewTokenSource(client.TokenConfig{BaseURL: srv.URL, ClientID: "a", ClientSecret: "b",
				Leeway: tc.leeway, Now: clk.Now})
			get := func() string {
				t.Helper()
				tok, err := ts.Token()
				if err != nil {
					t.Fatal(err)
				}
				return tok.AccessToken
			}
			first, err := ts.Token()
			if err != nil || first.AccessToken != "tok-1" {
				t.Fatalf("first token %v, %v", first, err)
			}
			if want := clk.Now().Add(time.Hour); !first.Expiry.Equal(want) {
				t.Errorf("expiry %v, want %v", first.Expiry, want)
			}
			clk.Add(time.Hour - tc.want - time.Second)
			if got := get(); got != "tok-1" {
				t.Errorf("%v before the refresh point: %s, want the cached tok-1", time.Second, got)
			}
			clk.Add(time.Second)
			if got := get(); got != "tok-2" {
				t.Errorf("at the refresh point: %s, want a new tok-2", got)
			}
			if got := get(); got != "tok-2" || srv.n.Load() != 2 {
				t.Errorf("after refresh: %s, %d requests", got, srv.n.Load())
			}
		})
	}
}

// A token living less than twice the leeway is still reused for half its
// life; an already-expired one (negative expires_in) is never cached.
func TestTokenSourceShortLivedTokens(t *testing.T) {
	srv := newTokenServer(t, 30)
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	ts := client.NewTokenSource(client.TokenConfig{BaseURL: srv.URL, Now: clk.Now})
	ts.Token()
	clk.Add(14 * time.Second)
	ts.Token()
	if n := srv.n.Load(); n != 1 {
		t.Errorf("30 s token after 14 s: %d requests, want 1", n)
	}
	clk.Add(time.Second)
	ts.Token()
	if n := srv.n.Load(); n != 2 {
		t.Errorf("30 s token after 15 s: %d requests, want 2", n)
	}

	srv.expiresIn = -10
	clk.Add(time.Hour)
	ts.Token()
	tok, _ := ts.Token()
	if n := srv.n.Load(); n != 4 {
		t.Errorf("expired tokens: %d requests, want 4", n)
	}
	if tok.Valid() {
		t.Errorf("a token with expires_in -10 is valid: expiry %v", tok.Expiry)
	}
}

// TestTokenSourceSingleFlight: 100 goroutines asking at once cause one
// request to the token endpoint, and all get its token.
func TestTokenSourceSingleFlight(t *testing.T) {
	srv := newTokenServer(t, 3600)
	srv.gate = make(chan struct{})
	ts := client.NewTokenSource(client.TokenConfig{BaseURL: srv.URL})
	var started, done sync.WaitGroup
	got := make([]string, 100)
	errs := make([]error, 100)
	for i := range 100 {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			tok, err := ts.Token()
			errs[i] = err
			if tok != nil {
				got[i] = tok.AccessToken
			}
		}()
	}
	started.Wait()
	for range 100 {
		runtime.Gosched() // let the goroutines reach Token
	}
	close(srv.gate)
	done.Wait()
	if n := srv.n.Load(); n != 1 {
		t.Errorf("%d requests to the token endpoint, want 1", n)
	}
	for i := range 100 {
		if errs[i] != nil || got[i] != "tok-1" {
			t.Fatalf("goroutine %d: %q, %v", i, got[i], errs[i])
		}
	}
}

func TestTokenSourceOAuthError(t *testing.T) {
	srv := newTokenServer(t, 3600)
	srv.status = 401
	srv.body = `{"code":"oidc.invalid_client","error":"invalid_client","error_description":"client authentication failed","message":"Client authentication failed."}`
	ts := client.NewTokenSource(client.TokenConfig{BaseURL: srv.URL})
	_, err := ts.Token()
	var oe *client.OAuthError
	if !errors.As(err, &oe) {
		t.Fatalf("error %T %v, want *client.OAuthError", err, err)
	}
	if oe.Status != 401 || oe.Code != "invalid_client" || oe.Description != "client authentication failed" {
		t.Errorf("%+v", oe)
	}
	if !errors.Is(err, client.ErrUnauthorized) {
		t.Errorf("invalid_client is not ErrUnauthorized")
	}
	// Errors are not cached: the next call asks again.
	ts.Token()
	if n := srv.n.Load(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}

	srv.status, srv.body = 502, "<html>bad gateway</html>"
	_, err = ts.Token()
	if err == nil || errors.As(err, &oe) {
		t.Errorf("502 HTML: %v", err)
	}
	srv.status, srv.body = 200, `{"token_type":"Bearer"}`
	if _, err = ts.Token(); err == nil {
		t.Errorf("answer without access_token accepted")
	}
}

func TestTokenSourceContext(t *testing.T) {
	srv := newTokenServer(t, 3600)
	srv.gate = make(chan struct{})
	defer close(srv.gate)
	ts := client.NewTokenSource(client.TokenConfig{BaseURL: srv.URL})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ts.TokenContext(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

// oauth2.NewClient and ts.Client send the token as a bearer token.
func TestTokenSourceWithOAuth2Client(t *testing.T) {
	srv := newTokenServer(t, 3600)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Header.Get("Authorization"))
	}))
	defer api.Close()
	ts := client.NewTokenSource(client.TokenConfig{BaseURL: srv.URL})
	var _ oauth2.TokenSource = ts
	for name, hc := range map[string]*http.Client{
		"oauth2.NewClient": oauth2.NewClient(context.Background(), ts),
		"ts.Client":        ts.Client(),
	} {
		resp, err := hc.Get(api.URL)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "Bearer tok-1" {
			t.Errorf("%s: Authorization %q", name, b)
		}
	}
}

// BenchmarkTokenCached is Token() on a cached token (the issue asks for
// under 1 µs).
func BenchmarkTokenCached(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"access_token":"x","token_type":"Bearer","expires_in":3600}`)
	}))
	defer srv.Close()
	ts := client.NewTokenSource(client.TokenConfig{BaseURL: srv.URL})
	if _, err := ts.Token(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := ts.Token(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
