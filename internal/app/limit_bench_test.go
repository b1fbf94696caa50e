package app

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/limit"
)

// BenchmarkTokenHandlerFailureLimit is BenchmarkTokenHandler with the
// failure limit on (the default, 30/1m) and off: the success path's price
// of the limiter, one lookup of the peer address.
func BenchmarkTokenHandlerFailureLimit(b *testing.B) {
	for _, tt := range []struct {
		name string
		rate limit.Rate
	}{{"on", limit.Rate{N: 30, Per: time.Minute}}, {"off", limit.Rate{}}} {
		b.Run(tt.name, func(b *testing.B) {
			cfg := testConfig(b, "", b.TempDir())
			cfg.TokenFailureLimit = tt.rate
			srv, err := New(context.Background(), cfg, Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { srv.Close(context.Background()) })
			f := &fixture{srv: srv, cfg: cfg, t: &testing.T{}}
			f.seedShop()
			benchToken(b, srv.Handler())
		})
	}
}
