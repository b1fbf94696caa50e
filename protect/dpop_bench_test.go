package protect_test

import (
	"context"
	"runtime"
	"testing"
	"time"

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

// BenchmarkDPoPRatio takes both measures in turn, a bearer token then a
// DPoP-bound one with its proof, so that a machine whose load changes
// during the run weighs on both alike. It reports each one's mean wall and
// thread CPU time (Linux: the goroutine is locked to its thread) and the
// ratios; the claim is dpop/plain-cpu ≤ 2.
func BenchmarkDPoPRatio(b *testing.B) {
	is := newIssuer(b)
	kid := is.addKey(jose.ES256)
	v := mustNew(b, is)
	h := newHolder(b)
	bound := boundToken(is, kid, h, "read:products write:products")
	plain := is.token(kid, aud, "read:products write:products")
	const u = "https://api.example/products"
	proofs := make([]string, b.N)
	for i := range proofs {
		proofs[i] = h.proof("GET", u, bound)
	}
	ctx := context.Background()
	if _, err := v.Verify(ctx, plain); err != nil {
		b.Fatal(err)
	}
	var wall, cpu [2]time.Duration
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ResetTimer()
	for i := range b.N {
		start, c := time.Now(), threadCPU()
		if _, err := v.Verify(ctx, plain); err != nil {
			b.Fatal(err)
		}
		mid, c2 := time.Now(), threadCPU()
		if _, err := v.VerifyDPoP(ctx, bound, proofs[i], "GET", u); err != nil {
			b.Fatal(err)
		}
		end, c3 := time.Now(), threadCPU()
		wall[0] += mid.Sub(start)
		wall[1] += end.Sub(mid)
		cpu[0] += c2 - c
		cpu[1] += c3 - c2
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(wall[0].Nanoseconds())/n, "plain-ns")
	b.ReportMetric(float64(wall[1].Nanoseconds())/n, "dpop-ns")
	b.ReportMetric(float64(wall[1])/float64(wall[0]), "dpop/plain")
	if cpu[0] > 0 {
		b.ReportMetric(float64(cpu[0].Nanoseconds())/n, "plain-cpu-ns")
		b.ReportMetric(float64(cpu[1].Nanoseconds())/n, "dpop-cpu-ns")
		b.ReportMetric(float64(cpu[1])/float64(cpu[0]), "dpop/plain-cpu")
	}
}
