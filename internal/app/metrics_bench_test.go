package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// metricsFixture is benchFixture with metrics on or off.
func metricsFixture(tb testing.TB, on bool) *Server {
	tb.Helper()
	cfg := testConfig(tb, "", tb.TempDir())
	if on {
		cfg.MetricsListen = "127.0.0.1:0"
	}
	srv, err := New(context.Background(), cfg, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Close(context.Background()) })
	f := &fixture{srv: srv, cfg: cfg, t: &testing.T{}}
	f.seedShop()
	return srv
}

// BenchmarkTokenMetrics is the token endpoint in process with metrics off
// and on, in the same run: the Speed clause of issue 11 wants them within
// 5 % and the same allocations per request.
//
//	go test ./internal/app -run '^$' -bench 'TokenMetrics' -count 6
func BenchmarkTokenMetrics(b *testing.B) {
	off, on := metricsFixture(b, false), metricsFixture(b, true)
	b.Run("off", func(b *testing.B) { benchToken(b, off.Handler()) })
	b.Run("on", func(b *testing.B) { benchToken(b, on.Handler()) })
}

// TestTokenMetricsAllocs: metrics add no allocation to a token request
// (the same request, measured with metrics off and on).
func TestTokenMetricsAllocs(t *testing.T) {
	allocs := func(srv *Server) float64 {
		h := srv.Handler()
		auth := basic(shopApp, shopSecret)
		req := func() {
			r := httptest.NewRequest("POST", "/oidc/token", strings.NewReader(benchBody))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Authorization", auth)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}
		}
		req() // warm the cache and the pools
		return testing.AllocsPerRun(200, req)
	}
	off, on := allocs(metricsFixture(t, false)), allocs(metricsFixture(t, true))
	if on > off {
		t.Fatalf("%v allocations per token request with metrics, %v without", on, off)
	}
}
