package protect_test

import (
	"context"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse/gatehouse/protect"
	"github.com/gatehouse/gatehouse/protect/protecttest"
)

// The speed claim: BenchmarkVerify (everything protect checks, with the
// key cached) costs at most 1.5 × BenchmarkBareGoJoseVerify (go-jose
// parsing and checking the ES256 signature of the same token, nothing else)
// run in the same go test -bench invocation. Both tokens are Gatehouse-
// shaped: ES256, typ at+jwt, kid, the claims Gatehouse mints.

func benchToken(b *testing.B) (*issuer, string, string) {
	is := newIssuer(b)
	kid := is.addKey(jose.ES256)
	return is, kid, is.token(kid, aud, "read:products write:products")
}

func BenchmarkVerify(b *testing.B) {
	is, _, tok := benchToken(b)
	v := mustNew(b, is)
	ctx := context.Background()
	if _, err := v.Verify(ctx, tok); err != nil {
		b.Fatal(err)
	}
	fetches := is.fetches.Load()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
	if is.fetches.Load() != fetches {
		b.Fatal("the key set was fetched during the benchmark")
	}
}

func BenchmarkVerifyParallel(b *testing.B) {
	is, _, tok := benchToken(b)
	v := mustNew(b, is)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Verify(ctx, tok); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkBareGoJoseVerify(b *testing.B) {
	is, kid, tok := benchToken(b)
	pub := is.publicKey(kid)
	algs := []jose.SignatureAlgorithm{jose.ES256}
	b.ReportAllocs()
	for b.Loop() {
		jws, err := jose.ParseSignedCompact(tok, algs)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := jws.Verify(pub); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMiddleware is Verify plus the header parsing, the scope check
// and the context, without the network.
func BenchmarkMiddleware(b *testing.B) {
	is, _, tok := benchToken(b)
	v := mustNew(b, is)
	h := v.Require("read:products")(okHandler{})
	req := newRequest("Bearer " + tok)
	w := &nullWriter{}
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
		if w.status != 0 {
			b.Fatalf("status %d", w.status)
		}
	}
}

// BenchmarkVerifyMulti is BenchmarkVerify with a Validator over two
// issuers and three audiences, the token's being the last: the claim is
// that it costs at most 1.1 × BenchmarkVerify in the same run (one more
// small JSON decode, of iss, to pick the issuer's keys).
func BenchmarkVerifyMulti(b *testing.B) {
	is, _, tok := benchToken(b)
	other := protecttest.NewIssuer(b)
	v, err := protect.New(context.Background(), other.URL(), "https://billing.api",
		protect.WithIssuers(is.Issuer), protect.WithAudiences("https://orders.api", aud))
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	ctx := context.Background()
	if _, err := v.Verify(ctx, tok); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}
