package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
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
func BenchmarkTokenHandler(b *testing.B) {
	srv := benchFixture(b)
	h := srv.Handler()
	auth := basic(shopApp, shopSecret)
	b.ReportAllocs()
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

// BenchmarkBareHandler is the baseline of the issue: a handler that only
// parses the request, checks a digest and signs an ES256 JWT.
func BenchmarkBareHandler(b *testing.B) {
	h := bareHandler(b)
	auth := basic(shopApp, shopSecret)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("POST", "/oidc/token", strings.NewReader(benchBody))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", auth)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != 200 {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
}

// bareHandler is the "bare Go handler": parse the form, decode
// Basic, compare a SHA-256 digest, sign ES256 with the standard library.
func bareHandler(tb testing.TB) http.Handler {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	want := sha256.Sum256([]byte(shopSecret))
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256","typ":"at+jwt"}`))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad", 400)
			return
		}
		id, sec, ok := r.BasicAuth()
		got := sha256.Sum256([]byte(sec))
		if !ok || id != shopApp || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			http.Error(w, "unauthorized", 401)
			return
		}
		now := time.Now().Unix()
		payload := `{"sub":"` + id + `","aud":"` + r.PostForm.Get("resource") + `","scope":"` + r.PostForm.Get("scope") +
			`","iat":` + strconv.FormatInt(now, 10) + `,"exp":` + strconv.FormatInt(now+3600, 10) + `}`
		signing := header + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
		digest := sha256.Sum256([]byte(signing))
		rr, ss, err := ecdsa.Sign(rand.Reader, key, digest[:])
		if err != nil {
			http.Error(w, "sign", 500)
			return
		}
		sig := make([]byte, 64)
		rr.FillBytes(sig[:32])
		ss.FillBytes(sig[32:])
		tok := signing + "." + base64.RawURLEncoding.EncodeToString(sig)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Write([]byte(`{"access_token":"` + tok + `","expires_in":3600,"token_type":"Bearer","scope":"` + r.PostForm.Get("scope") + `"}`))
	})
}
