package app

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse/gatehouse/internal/change"
	"github.com/gatehouse/gatehouse/internal/limit"
	"github.com/gatehouse/gatehouse/internal/rbac"
)

// BenchmarkSecretless compares, in one run and on one server (SQLite,
// audit on), a client_secret_basic token request with a private_key_jwt
// one (each with a fresh assertion, signed before the timer) and a
// federated one with the issuer's keys cached. Issue 12 wants the last
// two at most twice the first.
func BenchmarkSecretless(b *testing.B) {
	dir := b.TempDir()
	cfg := testConfig(b, "", dir)
	cfg.FederationAllowInsecure, cfg.TokenFailureLimit = true, limit.Rate{}
	srv, err := New(context.Background(), cfg, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close(context.Background()) })
	f := &fixture{srv: srv, cfg: cfg, t: &testing.T{}}
	f.seedShop()
	ctx, st := context.Background(), srv.store
	h := srv.Handler()

	es := newSigner(b, jose.ES256, "es")
	rs := newSigner(b, jose.RS256, "rs")
	ed := newSigner(b, jose.EdDSA, "ed")
	pk := &rbac.Application{TenantID: "default", ID: "pkjwt", Name: "pk", Type: rbac.AppMachineToMachine,
		OIDCClientMetadata: json.RawMessage(`{"tokenEndpointAuthMethod":"private_key_jwt","jwks":` + jwks(b, es, rs, ed) + `}`)}
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(st.InsertApplication(ctx, pk))
	must(st.InsertApplicationRole(ctx, "default", "ar-pk", "pkjwt", "reader"))

	is := newBenchIssuer(b, newSigner(b, jose.RS256, "sa"))
	must(st.InsertApplication(ctx, &rbac.Application{TenantID: "default", ID: "fed", Name: "fed", Type: rbac.AppMachineToMachine}))
	must(st.InsertApplicationRole(ctx, "default", "ar-fed", "fed", "reader"))
	must(st.InsertFederatedCredential(ctx, &rbac.FederatedCredential{TenantID: "default", ID: "fc", ApplicationID: "fed", Name: "pod",
		Issuer: is.URL, Subject: "system:serviceaccount:shop:*", Audiences: []string{"gatehouse"},
		Claims: map[string]string{"kubernetes.io/namespace": "shop"}}))
	srv.cache.Apply(change.Set{All: true})
	podToken := is.key.sign(b, (&testIssuer{Server: is.Server}).k8sClaims("shop", "orders", "gatehouse"))

	run := func(b *testing.B, body func(i int) string, header ...string) {
		bodies := make([]string, b.N)
		for i := range bodies {
			bodies[i] = body(i)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			req := httptest.NewRequest("POST", "/oidc/token", strings.NewReader(bodies[i]))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for j := 0; j+1 < len(header); j += 2 {
				req.Header.Set(header[j], header[j+1])
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != 200 {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	}
	b.Run("secret", func(b *testing.B) {
		run(b, func(int) string { return benchBody }, "Authorization", basic(shopApp, shopSecret))
	})
	for _, s := range []*signer{es, ed, rs} {
		b.Run("private_key_jwt-"+string(s.alg), func(b *testing.B) {
			run(b, func(int) string { return assertionForm("pkjwt", s.sign(b, f.clientClaims("pkjwt"))) })
		})
	}
	b.Run("federated-RS256", func(b *testing.B) {
		form := assertionForm("fed", podToken)
		run(b, func(int) string { return form })
	})
}

// newBenchIssuer is newTestIssuer for a benchmark.
func newBenchIssuer(b *testing.B, key *signer) *testIssuer {
	is := &testIssuer{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": is.URL, "jwks_uri": is.URL + "/jwks"})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Write([]byte(jwks(b, is.key)))
	})
	is.Server = httptest.NewServer(mux)
	b.Cleanup(is.Close)
	return is
}
