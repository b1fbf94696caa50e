package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/bench"
)

// benchBody is a typical token request: client_secret_basic, one resource,
// one scope.
const benchBody = "grant_type=client_credentials&resource=" + shopAPI + "&scope=read:products"

func benchFixture(b *testing.B) *Server {
	b.Helper()
	dir := b.TempDir()
	cfg := testConfig(b, "", dir)
	srv, err := New(context.Background(), cfg, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close(context.Background()) })
	f := &fixture{srv: srv, cfg: cfg}
	f.t = &testing.T{}
	f.seedShop()
	return srv
}

// BenchmarkTokenHandler measures the whole token endpoint in process
// (middleware, parsing, authentication, grant cache, signing, audit
// entry), without the network.
func BenchmarkTokenHandler(b *testing.B) { benchToken(b, benchFixture(b).Handler()) }

// BenchmarkBareHandler is the baseline of the same run: a handler that only
// parses the request, checks a digest and signs an ES256 JWT.
func BenchmarkBareHandler(b *testing.B) { benchToken(b, bareHandler(b)) }

// benchToken drives h with the same client_secret_basic request from every
// parallel goroutine.
func benchToken(b *testing.B, h http.Handler) {
	auth := basic(shopApp, shopSecret)
	b.ReportAllocs()
	if p, err := strconv.Atoi(os.Getenv("BENCH_PARALLELISM")); err == nil {
		b.SetParallelism(p)
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("POST", "/oidc/token", strings.NewReader(benchBody))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", auth)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != 200 {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	})
}

func bareHandler(tb testing.TB) http.Handler {
	h, err := bench.Baseline(shopApp, shopSecret)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}
