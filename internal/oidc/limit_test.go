package oidc

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/grant"
	"github.com/gatehouse/gatehouse/internal/limit"
	"github.com/gatehouse/gatehouse/internal/rbac"
)

// countingGrants knows one client, "app", and counts lookups.
type countingGrants struct {
	lookups atomic.Int64
	app     *grant.Client
}

func (g *countingGrants) Client(_ context.Context, _, id string) (*grant.Client, error) {
	g.lookups.Add(1)
	if id == g.app.ID {
		return g.app, nil
	}
	return nil, grant.ErrUnknownClient
}

func (g *countingGrants) Resource(context.Context, string, string) (*grant.Resource, bool, error) {
	return nil, false, nil
}

func (g *countingGrants) DefaultResource(context.Context, string) (*grant.Resource, bool, error) {
	return nil, false, nil
}

func (g *countingGrants) Application(context.Context, *grant.Client) (json.RawMessage, error) {
	return json.RawMessage(`{}`), nil
}

// countingDigest is SHA-256, counted.
type countingDigest struct{ n atomic.Int64 }

func (d *countingDigest) AppendDigest(dst []byte, s string) []byte {
	d.n.Add(1)
	sum := sha256.Sum256([]byte(s))
	return append(dst, sum[:]...)
}

// limitAudit keeps the entries it is given.
type limitAudit struct {
	mu      sync.Mutex
	entries []rbac.LogEntry
}

func (a *limitAudit) Log(e rbac.LogEntry) {
	a.mu.Lock()
	a.entries = append(a.entries, e)
	a.mu.Unlock()
}

// limitEnv is the token endpoint with fakes around it and a fixed clock.
type limitEnv struct {
	h      http.Handler
	grants *countingGrants
	digest *countingDigest
	audit  *limitAudit
	now    time.Time
}

func newLimitEnv(t *testing.T, rate string) *limitEnv {
	t.Helper()
	r, err := limit.ParseRate(rate)
	if err != nil {
		t.Fatal(err)
	}
	e := &limitEnv{digest: &countingDigest{}, audit: &limitAudit{}, now: time.Unix(1_700_000_000, 0)}
	sum := sha256.Sum256([]byte("the-right-secret"))
	e.grants = &countingGrants{app: &grant.Client{ID: "app", Secrets: []grant.Secret{{Name: "s", Digest: sum[:]}}}}
	e.h = Handler(Config{
		Issuer: "http://localhost:3001/oidc", Grants: e.grants, Digest: e.digest, Audit: e.audit,
		Now: func() time.Time { return e.now }, FailureLimit: r,
	})
	return e
}

// post sends a token request (or to path) from addr, answered in process.
func (e *limitEnv) post(path, addr, body string) *httptest.ResponseRecorder {
	if path == "" {
		path = "/oidc/token"
	}
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = addr
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return w
}

// TestFloodCostsNothing: once an address is over the limit, its requests,
// whatever they carry, look nothing up and compute no digest; each is
// answered 429 and audited.
func TestFloodCostsNothing(t *testing.T) {
	e := newLimitEnv(t, "3/1m")
	const flooder = "198.51.100.7:40000"
	for _, body := range []string{
		"grant_type=client_credentials&client_id=app&client_secret=wrong",
		"grant_type=client_credentials&client_id=app&client_secret=wrong-again",
		"grant_type=client_credentials&client_id=nobody&client_secret=x",
	} {
		if w := e.post("", flooder, body); w.Code/100 != 4 || w.Code == 429 {
			t.Fatalf("failure before the limit: %d %s", w.Code, w.Body)
		}
	}
	lookups, digests := e.grants.lookups.Load(), e.digest.n.Load()
	if lookups != 3 || digests != 2 {
		t.Fatalf("before the flood: %d lookups, %d digests; want 3, 2", lookups, digests)
	}
	bodies := []string{
		"grant_type=client_credentials&client_id=app&client_secret=the-right-secret",
		"grant_type=client_credentials&client_id=app&client_secret=guess",
		"grant_type=client_credentials&client_id=random-%d&client_secret=x",
		"not a form at all %d",
	}
	const flood = 1000
	for i := range flood {
		path := ""
		if i%10 == 9 {
			path = "/oidc/token/introspection"
		}
		w := e.post(path, flooder, strings.ReplaceAll(bodies[i%len(bodies)], "%d", strconv.Itoa(i)))
		if w.Code != 429 || w.Header().Get("Retry-After") != "20" {
			t.Fatalf("flood request %d: %d (Retry-After %q) %s", i, w.Code, w.Header().Get("Retry-After"), w.Body)
		}
	}
	if l, d := e.grants.lookups.Load(), e.digest.n.Load(); l != lookups || d != digests {
		t.Errorf("the flood cost %d lookups and %d digests", l-lookups, d-digests)
	}
	e.audit.mu.Lock()
	entries := e.audit.entries
	e.audit.mu.Unlock()
	if n := len(entries); n != 3+flood-flood/10 {
		t.Errorf("%d audit entries, want one per token request (%d)", n, 3+flood-flood/10)
	}
	last := entries[len(entries)-1]
	if last.Result != rbac.ResultError || !strings.Contains(string(last.Payload), `"error":{"error":"slow_down","error_description":"too many failed client authentications from this address","status":429}`) ||
		!strings.Contains(string(last.Payload), `"ip":"198.51.100.7"`) {
		t.Errorf("audit entry of a 429: %s", last.Payload)
	}

	// Another address is unaffected, and pays as usual.
	if w := e.post("", "203.0.113.1:1", "grant_type=client_credentials&client_id=app&client_secret=guess"); w.Code != 401 {
		t.Errorf("another address: %d %s", w.Code, w.Body)
	}
}

// TestClientLimitNeedsAFailedAddress: a client id over the limit is refused
// only to addresses that failed recently, before the lookup.
func TestClientLimitNeedsAFailedAddress(t *testing.T) {
	e := newLimitEnv(t, "2/1m")
	for i := range 3 {
		addr := fmt.Sprintf("192.0.2.%d:1", i+1)
		if w := e.post("", addr, "client_id=app&client_secret=guess"); w.Code != 401 {
			t.Fatalf("guess %d: %d %s", i, w.Code, w.Body)
		}
	}
	lookups := e.grants.lookups.Load()
	w := e.post("", "192.0.2.1:1", "client_id=app&client_secret=the-right-secret")
	if w.Code != 429 || !strings.Contains(w.Body.String(), "too many failed client authentications for client app") {
		t.Fatalf("guessing address: %d %s", w.Code, w.Body)
	}
	if e.grants.lookups.Load() != lookups {
		t.Error("a refused client id was looked up")
	}
	// Unknown ids are not counted per client, and the refusal is only for
	// the client over the limit.
	if w := e.post("", "192.0.2.1:1", "client_id=other&client_secret=x"); w.Code != 400 {
		t.Errorf("another client id from the guessing address: %d %s", w.Code, w.Body)
	}
	// A clean address reaches the secret check (a 400 for the missing
	// grant_type comes after authentication).
	if w := e.post("", "192.0.2.99:1", "client_id=app&client_secret=the-right-secret"); w.Code != 400 || !strings.Contains(w.Body.String(), "grant_type") {
		t.Errorf("clean address, right secret: %d %s", w.Code, w.Body)
	}
	if n := e.grants.lookups.Load(); n != lookups+2 {
		t.Errorf("%d lookups, want %d", n, lookups+2)
	}
}

// TestAddrKey: IPv4 by address (mapped or not), IPv6 by /64, anything else
// by its text.
func TestAddrKey(t *testing.T) {
	l := newLimiter(limit.Rate{N: 1, Per: time.Minute})
	same := [][2]string{
		{"192.0.2.1", "::ffff:192.0.2.1"},
		{"2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff"},
		{"fe80::1%eth0", "fe80::2%eth1"},
		{"pipe", "pipe"},
	}
	for _, p := range same {
		if l.addrKey(p[0]) != l.addrKey(p[1]) {
			t.Errorf("%s and %s have different keys", p[0], p[1])
		}
	}
	differ := [][2]string{
		{"192.0.2.1", "192.0.2.2"},
		{"2001:db8:1:2::1", "2001:db8:1:3::1"},
		{"pipe", "@"},
	}
	for _, p := range differ {
		if l.addrKey(p[0]) == l.addrKey(p[1]) {
			t.Errorf("%s and %s share a key", p[0], p[1])
		}
	}
}

// TestLimiterBoundedUnderFlood: a million failures (a tenth of that under
// the race detector), each from a random address (IPv4 and IPv6) with a
// random client id, leave both tables within their capacity and the heap a
// few MiB larger at most.
func TestLimiterBoundedUnderFlood(t *testing.T) {
	h := &handler{limits: newLimiter(limit.Rate{N: 30, Per: time.Minute})}
	rng := rand.New(rand.NewPCG(3, 4))
	req := httptest.NewRequest("POST", "/oidc/token", nil)
	nowMs := time.Unix(1_700_000_000, 0).UnixMilli()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	n := 1_000_000
	if raceEnabled {
		n = 100_000
	}
	for i := range n {
		if i%2 == 0 {
			req.RemoteAddr = fmt.Sprintf("%d.%d.%d.%d:443", rng.IntN(256), rng.IntN(256), rng.IntN(256), rng.IntN(256))
		} else {
			req.RemoteAddr = fmt.Sprintf("[2001:db8:%x:%x::1]:443", rng.IntN(1<<16), rng.IntN(1<<16))
		}
		id := fmt.Sprintf("id-%016x", rng.Uint64())
		g, e := h.gate(req, nowMs+int64(i/1000))
		if e == nil {
			e = g.admit(id)
		}
		if e == nil {
			g.fail(errAuthFailed, id)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	l := h.limits
	if a, c := l.addrs.Len(), l.clients.Len(); a > limitCapacity || c > limitCapacity || a < limitCapacity/2 {
		t.Errorf("after %d failures: %d addresses, %d client ids; capacity %d", n, a, c, limitCapacity)
	}
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 8<<20 {
		t.Errorf("heap grew by %d MiB", grew>>20)
	}
}

// TestGateDoesNotAllocate: the success path's limiter cost is one lookup,
// no allocation, for IPv4 and IPv6 peers alike.
func TestGateDoesNotAllocate(t *testing.T) {
	h := &handler{limits: newLimiter(limit.Rate{N: 30, Per: time.Minute})}
	nowMs := time.Unix(1_700_000_000, 0).UnixMilli()
	for _, addr := range []string{"192.0.2.1:1234", "[2001:db8::1]:1234"} {
		req := httptest.NewRequest("POST", "/oidc/token", nil)
		req.RemoteAddr = addr
		allocs := testing.AllocsPerRun(1000, func() {
			g, e := h.gate(req, nowMs)
			if e != nil || g.admit("app") != nil {
				t.Fatal("refused")
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations", addr, allocs)
		}
	}
}

// BenchmarkGate is the limiter's cost on the success path (an address that
// has not failed), on and off.
func BenchmarkGate(b *testing.B) {
	for _, tt := range []struct {
		name string
		rate limit.Rate
	}{{"off", limit.Rate{}}, {"on", limit.Rate{N: 30, Per: time.Minute}}} {
		b.Run(tt.name, func(b *testing.B) {
			h := &handler{limits: newLimiter(tt.rate)}
			nowMs := time.Unix(1_700_000_000, 0).UnixMilli()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				req := httptest.NewRequest("POST", "/oidc/token", nil)
				req.RemoteAddr = "192.0.2.1:1234"
				for pb.Next() {
					g, _ := h.gate(req, nowMs)
					g.admit("app")
				}
			})
		})
	}
}
