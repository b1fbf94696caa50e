package app

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/client"
	"github.com/gatehouse/gatehouse/internal/config"
)

// BenchmarkTokenHandlerDPoP is BenchmarkTokenHandlerSerial with a DPoP
// proof (ES256) in every request: the proof's parsing, signature check,
// thumbprint and replay entry on top. Proofs are single-use, so they are
// made before the timer starts; run both with a fixed count
// (-benchtime 2000x) in the same invocation.
func BenchmarkTokenHandlerDPoP(b *testing.B) { benchTokenSerial(b, true) }

// BenchmarkTokenHandlerSerial is the same request without a proof, driven
// the same way: the baseline of BenchmarkTokenHandlerDPoP.
func BenchmarkTokenHandlerSerial(b *testing.B) { benchTokenSerial(b, false) }

func benchTokenSerial(b *testing.B, dpop bool) {
	srv := benchFixture(b)
	h := srv.Handler()
	var proofs []string
	if dpop {
		key, err := client.GenerateDPoPKey()
		if err != nil {
			b.Fatal(err)
		}
		cfg, _ := config.Load(func(string) string { return "" }, nil)
		htu := cfg.Issuer() + "/token" // benchFixture keeps the default endpoint
		proofs = make([]string, b.N)
		for i := range proofs {
			if proofs[i], err = key.Proof("POST", htu, ""); err != nil {
				b.Fatal(err)
			}
		}
	}
	auth := basic(shopApp, shopSecret)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest("POST", "/oidc/token", strings.NewReader(benchBody))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", auth)
		if dpop {
			req.Header.Set("DPoP", proofs[i])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
