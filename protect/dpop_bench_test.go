package protect_test

import (
	"context"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// The DPoP speed claim: BenchmarkVerifyDPoP (a DPoP-bound token and its
// ES256 proof: two signatures, the proof's checks, ath, the thumbprint and
// the replay cache) costs at most 2 × BenchmarkVerify (a bearer token) in
// the same go test -bench invocation. Each iteration needs a proof of its
// own (the replay check would refuse a second use), so they are made before
// the timer starts; run it with a fixed count (-benchtime 2000x).
func BenchmarkVerifyDPoP(b *testing.B) {
	is := newIssuer(b)
	kid := is.addKey(jose.ES256)
	v := mustNew(b, is)
	h := newHolder(b)
	tok := boundToken(is, kid, h, "read:products write:products")
	const u = "https://api.example/products"
	proofs := make([]string, b.N)
	for i := range proofs {
		proofs[i] = h.proof("GET", u, tok)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := v.VerifyDPoP(ctx, tok, proofs[i], "GET", u); err != nil {
			b.Fatal(err)
		}
	}
}
