package protect_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse/gatehouse/protect"
)

func TestDiscovery(t *testing.T) {
	for _, mode := range []string{"openid", "rfc8414", "appended"} {
		t.Run(mode, func(t *testing.T) {
			is := newIssuer(t)
			is.discovery = mode
			kid := is.addKey(jose.ES256)
			v := mustNew(t, is)
			if v.JWKSURL() != is.Issuer+"/keys" {
				t.Fatalf("jwks %q", v.JWKSURL())
			}
			if _, err := v.Verify(context.Background(), is.token(kid, aud, "")); err != nil {
				t.Fatal(err)
			}
		})
	}

	t.Run("issuer mismatch", func(t *testing.T) {
		is := newIssuer(t)
		is.addKey(jose.ES256)
		is.metaIssuer = "https://evil.example/tenant"
		_, err := protect.New(context.Background(), is.Issuer, aud)
		if err == nil || !strings.Contains(err.Error(), "evil.example") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("trailing slash is another issuer", func(t *testing.T) {
		is := newIssuer(t)
		is.addKey(jose.ES256)
		if _, err := protect.New(context.Background(), is.Issuer+"/", aud); err == nil {
			t.Fatal("accepted")
		}
	})
	t.Run("no metadata", func(t *testing.T) {
		is := newIssuer(t)
		is.addKey(jose.ES256)
		is.discovery = "none"
		if _, err := protect.New(context.Background(), is.Issuer, aud); err == nil || !strings.Contains(err.Error(), "status 404") {
			t.Fatalf("err %v", err)
		}
		if n := is.metas.Load(); n != 3 {
			t.Fatalf("%d metadata requests, want 3", n)
		}
	})
	t.Run("explicit JWKS URL", func(t *testing.T) {
		is := newIssuer(t)
		kid := is.addKey(jose.EdDSA)
		is.discovery = "none"
		v := mustNew(t, is, protect.WithJWKSURL(is.Issuer+"/keys"))
		if _, err := v.Verify(context.Background(), is.token(kid, aud, "")); err != nil {
			t.Fatal(err)
		}
		if n := is.metas.Load(); n != 0 {
			t.Fatalf("%d metadata requests", n)
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		is := newIssuer(t)
		is.srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := protect.New(ctx, is.Issuer, aud); err == nil {
			t.Fatal("accepted")
		}
	})
	t.Run("no usable keys", func(t *testing.T) {
		is := newIssuer(t)
		small, _ := rsa.GenerateKey(rand.Reader, 1024)
		p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		is.extra = []any{
			jose.JSONWebKey{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: "oct", Algorithm: "HS256"},
			jose.JSONWebKey{Key: &small.PublicKey, KeyID: "rsa1024", Algorithm: "RS256"},
			jose.JSONWebKey{Key: &p384.PublicKey, KeyID: "enc", Use: "enc"},
			jose.JSONWebKey{Key: &p384.PublicKey, KeyID: "mislabelled", Algorithm: "ES256"},
			map[string]any{"kty": "EC", "crv": "P-256", "x": "bad", "y": "bad", "kid": "broken"},
			map[string]any{"kty": "XYZ", "kid": "unknown"},
		}
		_, err := protect.New(context.Background(), is.Issuer, aud)
		if err == nil || !strings.Contains(err.Error(), "no key usable") {
			t.Fatalf("err %v", err)
		}
		// One good key among them is enough, and the bad ones stay unused.
		kid := is.addKey(jose.ES256)
		v := mustNew(t, is)
		if _, err := v.Verify(context.Background(), is.token(kid, aud, "")); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("bad arguments", func(t *testing.T) {
		is := newIssuer(t)
		is.addKey(jose.ES256)
		for name, f := range map[string]func() error{
			"relative issuer": func() error { _, err := protect.New(context.Background(), "/oidc", aud); return err },
			"ftp issuer":      func() error { _, err := protect.New(context.Background(), "ftp://x/oidc", aud); return err },
			"empty audience":  func() error { _, err := protect.New(context.Background(), is.Issuer, ""); return err },
			"huge leeway": func() error {
				_, err := protect.New(context.Background(), is.Issuer, aud, protect.WithLeeway(time.Hour))
				return err
			},
			"refresh bounds": func() error {
				_, err := protect.New(context.Background(), is.Issuer, aud, protect.WithRefresh(time.Hour, time.Minute))
				return err
			},
			"nil client": func() error {
				_, err := protect.New(context.Background(), is.Issuer, aud, protect.WithHTTPClient(nil))
				return err
			},
			"bad JWKS URL": func() error {
				_, err := protect.New(context.Background(), is.Issuer, aud, protect.WithJWKSURL("keys"))
				return err
			},
		} {
			if f() == nil {
				t.Errorf("%s: accepted", name)
			}
		}
	})
}

// TestNoKid: RFC 9068 does not require kid; such tokens are checked with
// every published key of their alg.
func TestNoKid(t *testing.T) {
	is := newIssuer(t)
	is.addKey(jose.ES256)
	second := is.addKey(jose.ES256)
	v := mustNew(t, is)
	if h := header(t, is.signNoKid(second, nil)); h["kid"] != nil {
		t.Fatalf("header %v", h)
	}
	if _, err := v.Verify(context.Background(), is.signNoKid(second, is.claims(aud, ""))); err != nil {
		t.Fatal(err)
	}
	unpublished := is.addKey(jose.ES256)
	rsaKid := is.addKey(jose.RS256)
	is.removeKey(unpublished)
	is.removeKey(rsaKid)
	_, err := v.Verify(context.Background(), is.signNoKid(unpublished, is.claims(aud, "")))
	wantErr(t, err, protect.CodeInvalidToken, protect.ErrSignature)
	_, err = v.Verify(context.Background(), is.signNoKid(rsaKid, is.claims(aud, "")))
	wantErr(t, err, protect.CodeInvalidToken, protect.ErrUnknownKey)
}

// TestNoRequestPerVerification: after New, verifications are served from
// memory.
func TestNoRequestPerVerification(t *testing.T) {
	is := newIssuer(t)
	kid := is.addKey(jose.ES256)
	v := mustNew(t, is)
	metas, fetches := is.metas.Load(), is.fetches.Load()
	if fetches != 1 || metas != 1 {
		t.Fatalf("warm-up: %d metadata and %d JWKS requests", metas, fetches)
	}
	tok := is.token(kid, aud, "read:products")
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				if _, err := v.Verify(context.Background(), tok); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if m, f := is.metas.Load(), is.fetches.Load(); m != metas || f != fetches {
		t.Fatalf("1600 verifications made %d metadata and %d JWKS requests", m-metas, f-fetches)
	}
}

// TestUnknownKid: a token signed with a key published after New is
// accepted after one fetch; made-up kids cause at most one fetch per
// WithMissRefresh interval, however many tokens name them.
func TestUnknownKid(t *testing.T) {
	is := newIssuer(t)
	kid := is.addKey(jose.ES256)
	clk := newClock()
	v := mustNew(t, is, protect.WithClock(clk.Now))
	ctx := context.Background()
	base := is.fetches.Load()

	// Rotation: a new key, many goroutines at once with its tokens.
	kid2 := is.addKey(jose.ES256)
	tok2 := is.token(kid2, aud, "")
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := v.Verify(ctx, tok2); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := is.fetches.Load() - base; n != 1 {
		t.Fatalf("rotation: %d fetches, want 1", n)
	}

	// Made-up kids within 10 s of that fetch: none.
	forged := withKid(is.token(kid, aud, ""), "made-up")
	for range 50 {
		_, err := v.Verify(ctx, forged)
		wantErr(t, err, protect.CodeInvalidToken, protect.ErrUnknownKey)
	}
	if n := is.fetches.Load() - base; n != 1 {
		t.Fatalf("made-up kids: %d fetches, want 1", n)
	}
	// 11 s later: one more, then none again.
	clk.Add(11 * time.Second)
	for range 50 {
		v.Verify(ctx, forged)
	}
	if n := is.fetches.Load() - base; n != 2 {
		t.Fatalf("made-up kids later: %d fetches, want 2", n)
	}
	// Known keys keep working throughout, and a key removed from the set
	// stays usable until the next fetch that no longer lists it.
	if _, err := v.Verify(ctx, is.token(kid, aud, "")); err != nil {
		t.Fatal(err)
	}
	is.removeKey(kid)
	clk.Add(11 * time.Second)
	kid3 := is.addKey(jose.ES256)
	if _, err := v.Verify(ctx, is.token(kid3, aud, "")); err != nil {
		t.Fatal(err)
	}
	_, err := v.Verify(ctx, is.token(kid, aud, ""))
	wantErr(t, err, protect.CodeInvalidToken, protect.ErrUnknownKey)

	t.Run("miss refresh interval", func(t *testing.T) {
		v := mustNew(t, is, protect.WithClock(clk.Now), protect.WithMissRefresh(time.Minute))
		base := is.fetches.Load()
		v.Verify(ctx, forged)
		clk.Add(30 * time.Second)
		v.Verify(ctx, forged)
		if n := is.fetches.Load() - base; n != 1 {
			t.Fatalf("%d fetches, want 1", n)
		}
		clk.Add(31 * time.Second)
		v.Verify(ctx, forged)
		if n := is.fetches.Load() - base; n != 2 {
			t.Fatalf("%d fetches, want 2", n)
		}
	})
	t.Run("issuer down", func(t *testing.T) {
		is := newIssuer(t)
		kid := is.addKey(jose.ES256)
		v := mustNew(t, is)
		is.addKey(jose.ES256)
		tok := is.token(kid, aud, "")
		is.srv.CloseClientConnections()
		is.srv.Close()
		// Known keys still verify; an unknown one is a 401, not a hang or 500.
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
		_, err := v.Verify(ctx, forged)
		wantErr(t, err, protect.CodeInvalidToken, protect.ErrUnknownKey)
	})
}

// TestBackgroundRefresh: keys are fetched again on their own, with
// conditional requests, and a key removed at the issuer stops working
// without any token asking.
func TestBackgroundRefresh(t *testing.T) {
	is := newIssuer(t)
	kid := is.addKey(jose.ES256)
	keep := is.addKey(jose.ES256)
	is.cacheControl = "no-cache, max-age=0"
	v := mustNew(t, is, protect.WithRefresh(20*time.Millisecond, time.Hour), protect.WithMissRefresh(time.Hour))
	ctx := context.Background()
	// Use up the one miss fetch, so that only the background can fetch.
	v.Verify(ctx, withKid(is.token(kid, aud, ""), "made-up"))
	tok := is.token(kid, aud, "")
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	is.removeKey(kid)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := v.Verify(ctx, tok)
		if err != nil {
			wantErr(t, err, protect.CodeInvalidToken, protect.ErrUnknownKey)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("key still accepted after %d fetches", is.fetches.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := v.Verify(ctx, is.token(keep, aud, "")); err != nil {
		t.Fatal(err)
	}
	if is.same.Load() == 0 {
		t.Error("no conditional request answered 304")
	}
	// Close stops the loop: no fetch afterwards.
	v.Close()
	n := is.fetches.Load()
	time.Sleep(60 * time.Millisecond)
	if m := is.fetches.Load(); m != n {
		t.Fatalf("%d fetches after Close", m-n)
	}
}
