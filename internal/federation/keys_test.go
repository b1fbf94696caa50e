package federation

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

func TestAddrAllowed(t *testing.T) {
	for addr, want := range map[string]bool{
		"8.8.8.8": true, "2606:4700::1111": true, "1.1.1.1": true,
		"127.0.0.1": false, "127.8.9.10": false, "::1": false, "10.1.2.3": false, "172.16.0.1": false,
		"192.168.1.1": false, "169.254.169.254": false, "fe80::1": false, "fc00::1": false, "fd12::1": false,
		"100.64.0.1": false, "0.0.0.0": false, "::": false, "224.0.0.1": false, "ff02::1": false,
		"255.255.255.255": false, "::ffff:127.0.0.1": false, "::ffff:169.254.169.254": false, "::ffff:8.8.8.8": true,
	} {
		if got := AddrAllowed(netip.MustParseAddr(addr)); got != want {
			t.Errorf("%s: %v, want %v", addr, got, want)
		}
	}
}

// clock is a settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func newClock() *clock               { return &clock{t: time.Unix(1_800_000_000, 0)} }

func ecKey(t *testing.T, kid string) jose.JSONWebKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return jose.JSONWebKey{Key: k.Public(), KeyID: kid, Algorithm: "ES256", Use: "sig"}
}

// keyServer serves a JWK Set and a discovery document on loopback.
type keyServer struct {
	*httptest.Server
	mu           sync.Mutex
	keys         []jose.JSONWebKey
	cacheControl string
	issuer       string // the discovery document's issuer; the server's URL when ""
	jwksFetches  atomic.Int64
	discFetches  atomic.Int64
}

func newKeyServer(t *testing.T, keys ...jose.JSONWebKey) *keyServer {
	s := &keyServer{keys: keys, cacheControl: "max-age=600"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		s.jwksFetches.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		w.Header().Set("Cache-Control", s.cacheControl)
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: s.keys})
	})
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		s.discFetches.Add(1)
		iss := s.issuer
		if iss == "" {
			iss = s.URL
		}
		json.NewEncoder(w).Encode(map[string]string{"issuer": iss, "jwks_uri": s.URL + "/jwks"})
	})
	mux.HandleFunc("GET /big", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"keys":[],"pad":"` + strings.Repeat("a", DefaultMaxBytes) + `"}`))
	})
	mux.HandleFunc("GET /redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+r.Host+"/jwks", http.StatusFound)
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func (s *keyServer) setKeys(keys ...jose.JSONWebKey) { s.mu.Lock(); s.keys = keys; s.mu.Unlock() }

func TestJWKSCachedAsCacheControlSays(t *testing.T) {
	c := newClock()
	srv := newKeyServer(t, ecKey(t, "a"))
	k := New(Options{AllowInsecure: true, Now: c.now})
	ctx := context.Background()
	for range 3 {
		if keys, err := k.JWKS(ctx, srv.URL+"/jwks", "a"); err != nil || len(keys) != 1 {
			t.Fatalf("JWKS: %v %v", keys, err)
		}
	}
	if n := srv.jwksFetches.Load(); n != 1 {
		t.Fatalf("%d fetches, want 1", n)
	}
	c.add(599 * time.Second)
	k.JWKS(ctx, srv.URL+"/jwks", "a")
	if n := srv.jwksFetches.Load(); n != 1 {
		t.Fatalf("%d fetches before max-age, want 1", n)
	}
	c.add(2 * time.Second)
	k.JWKS(ctx, srv.URL+"/jwks", "a")
	if n := srv.jwksFetches.Load(); n != 2 {
		t.Fatalf("%d fetches after max-age, want 2", n)
	}
	// no-store is held to the minimum, so that an issuer cannot make every
	// request a fetch.
	srv.mu.Lock()
	srv.cacheControl = "no-store"
	srv.mu.Unlock()
	c.add(601 * time.Second)
	k.JWKS(ctx, srv.URL+"/jwks", "a")
	k.JWKS(ctx, srv.URL+"/jwks", "a")
	if n := srv.jwksFetches.Load(); n != 3 {
		t.Fatalf("%d fetches, want 3", n)
	}
	c.add(31 * time.Second)
	k.JWKS(ctx, srv.URL+"/jwks", "a")
	if n := srv.jwksFetches.Load(); n != 4 {
		t.Fatalf("%d fetches after MinTTL, want 4", n)
	}
}

func TestUnknownKidRefetchesOnce(t *testing.T) {
	c := newClock()
	a, b := ecKey(t, "a"), ecKey(t, "b")
	srv := newKeyServer(t, a)
	k := New(Options{AllowInsecure: true, Now: c.now})
	ctx := context.Background()
	uri := srv.URL + "/jwks"
	if _, err := k.JWKS(ctx, uri, "a"); err != nil {
		t.Fatal(err)
	}
	srv.setKeys(a, b) // rotation
	// Within RefetchAfter of the last fetch: refused, no fetch.
	if _, err := k.JWKS(ctx, uri, "b"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("kid b at once: %v", err)
	}
	c.add(11 * time.Second)
	if keys, err := k.JWKS(ctx, uri, "b"); err != nil || keys[0].KeyID != "b" {
		t.Fatalf("kid b after the interval: %v %v", keys, err)
	}
	if n := srv.jwksFetches.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2", n)
	}
	// A kid nobody has: one refetch, then refused without another.
	c.add(11 * time.Second)
	for range 5 {
		if _, err := k.JWKS(ctx, uri, "zzz"); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("kid zzz: %v", err)
		}
	}
	if n := srv.jwksFetches.Load(); n != 3 {
		t.Fatalf("%d fetches for 5 unknown kids, want 3", n)
	}
}

func TestDiscovery(t *testing.T) {
	srv := newKeyServer(t, ecKey(t, "a"))
	k := New(Options{AllowInsecure: true})
	ctx := context.Background()
	for range 2 {
		if keys, err := k.IssuerJWKS(ctx, srv.URL, "a"); err != nil || len(keys) != 1 {
			t.Fatalf("IssuerJWKS: %v %v", keys, err)
		}
	}
	if d, j := srv.discFetches.Load(), srv.jwksFetches.Load(); d != 1 || j != 1 {
		t.Errorf("fetches: discovery %d, jwks %d; want 1, 1", d, j)
	}
	// A document that names another issuer is refused.
	other := newKeyServer(t, ecKey(t, "a"))
	other.issuer = "https://accounts.example"
	if _, err := New(Options{AllowInsecure: true}).IssuerJWKS(ctx, other.URL, "a"); err == nil || !strings.Contains(err.Error(), "names issuer") {
		t.Errorf("issuer mismatch: %v", err)
	}
}

func TestRefused(t *testing.T) {
	srv := newKeyServer(t, ecKey(t, "a"))
	tls := httptest.NewTLSServer(srv.Config.Handler)
	t.Cleanup(tls.Close)
	k := New(Options{}) // the production rules
	ctx := context.Background()
	for _, u := range []string{
		srv.URL + "/jwks",                      // http
		tls.URL + "/jwks",                      // https, but loopback
		"https://localhost:1/jwks",             // a name that resolves to loopback
		"https://user:pw@keys.example/jwks",    // user information
		"ftp://keys.example/jwks",              // another scheme
		"https://169.254.169.254/latest/meta/", // cloud metadata
	} {
		if _, err := k.JWKS(ctx, u, "a"); !errors.Is(err, ErrRefused) {
			t.Errorf("%s: %v, want ErrRefused", u, err)
		}
	}
	if n := srv.jwksFetches.Load(); n != 0 {
		t.Errorf("the loopback server was reached %d times", n)
	}
	// A redirect to http is refused even where http could be reached.
	ins := New(Options{AllowInsecure: true})
	ins.client.CheckRedirect = newClient(false, time.Second).CheckRedirect
	if _, err := ins.JWKS(ctx, srv.URL+"/redirect", "a"); !errors.Is(err, ErrRefused) {
		t.Errorf("redirect to http: %v", err)
	}
}

func TestLimits(t *testing.T) {
	srv := newKeyServer(t)
	ctx := context.Background()
	k := New(Options{AllowInsecure: true})
	if _, err := k.JWKS(ctx, srv.URL+"/big", ""); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("big body: %v", err)
	}
	// A server that never answers: the fetch gives up at the timeout, and
	// the failure is remembered, so the next request does not wait again.
	release := make(chan struct{})
	var hits atomic.Int64
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		<-release
	}))
	t.Cleanup(func() { close(release); slow.Close() })
	k = New(Options{AllowInsecure: true, Timeout: 100 * time.Millisecond})
	if _, err := k.JWKS(ctx, slow.URL, "a"); err == nil {
		t.Fatal("hanging server: no error")
	}
	if _, err := k.JWKS(ctx, slow.URL, "a"); err == nil {
		t.Fatal("hanging server, again: no error")
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("%d requests to the hanging server, want 1", n)
	}
	// A set with no usable key is an error, not an empty answer.
	srv.setKeys()
	if _, err := k.JWKS(ctx, srv.URL+"/jwks", ""); err == nil {
		t.Error("empty set: no error")
	}
}

func TestMaxAge(t *testing.T) {
	for cc, want := range map[string]time.Duration{
		"": -1, "public": -1, "max-age=60": time.Minute, "public, max-age=3600, must-revalidate": time.Hour,
		"no-store": 0, "no-cache, max-age=60": 0, "max-age=abc": -1, `max-age="30"`: 30 * time.Second,
	} {
		if got := maxAge(cc); got != want {
			t.Errorf("%q: %v, want %v", cc, got, want)
		}
	}
}
