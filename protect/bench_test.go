package protect_test

import (
	"context"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
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
