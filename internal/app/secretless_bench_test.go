package app

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

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
	sb := newSecretlessBench(b)
	b.Run("secret", func(b *testing.B) { sb.run(b, sb.secret) })
	for _, s := range sb.signers {
		b.Run("private_key_jwt-"+string(s.alg), func(b *testing.B) { sb.run(b, sb.pkjwt(s)) })
	}
	b.Run("federated-RS256", func(b *testing.B) { sb.run(b, sb.federated) })
}

// BenchmarkSecretlessRatio takes the same measures round-robin, one request
// of each kind in turn, so that a machine whose load changes during the
// run (a shared CI machine) weighs on every kind alike. It reports each
// kind's mean wall time and its ratio to the secret request, and the same
// for the CPU time of the request's thread (Linux; the goroutine is locked
// to its thread, and the handler runs on it), which the machine's load
// does not inflate.
func BenchmarkSecretlessRatio(b *testing.B) {
	sb := newSecretlessBench(b)
	kinds := []struct {
		name string
		body func(int) (string, []string)
	}{{"secret", sb.secret}}
	for _, s := range sb.signers {
		kinds = append(kinds, struct {
			name string
			body func(int) (string, []string)
		}{"pkjwt-" + string(s.alg), sb.pkjwt(s)})
	}
	kinds = append(kinds, struct {
		name string
		body func(int) (string, []string)
	}{"federated-RS256", sb.federated})
	type prepared struct {
		body   string
		header []string
	}
	reqs := make([][]prepared, len(kinds))
	for k := range kinds {
		reqs[k] = make([]prepared, b.N)
		for i := range b.N {
			reqs[k][i].body, reqs[k][i].header = kinds[k].body(i)
		}
	}
	total := make([]time.Duration, len(kinds))
	cpu := make([]time.Duration, len(kinds))
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ResetTimer()
	for i := range b.N {
		for k := range kinds {
			start, c := time.Now(), threadCPU()
			sb.do(b, reqs[k][i].body, reqs[k][i].header)
			cpu[k] += threadCPU() - c
			total[k] += time.Since(start)
		}
	}
	b.StopTimer()
	for k := range kinds {
		b.ReportMetric(float64(total[k].Nanoseconds())/float64(b.N), kinds[k].name+"-ns")
		b.ReportMetric(float64(cpu[k].Nanoseconds())/float64(b.N), kinds[k].name+"-cpu-ns")
		if k > 0 {
			b.ReportMetric(float64(total[k])/float64(total[0]), kinds[k].name+"/secret")
			if cpu[0] > 0 {
				b.ReportMetric(float64(cpu[k])/float64(cpu[0]), kinds[k].name+"/secret-cpu")
			}
		}
	}
}

type secretlessBench struct {
	h         http.Handler
	f         *fixture
	signers   []*signer
	podToken  string
	basicAuth string
}

func newSecretlessBench(b *testing.B) *secretlessBench {
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
	sb := &secretlessBench{h: h, f: f, signers: []*signer{es, ed, rs}, basicAuth: basic(shopApp, shopSecret),
		podToken: is.key.sign(b, (&testIssuer{Server: is.Server}).k8sClaims("shop", "orders", "gatehouse"))}
	// Warm the issuer's keys: the figures are for cached keys.
	sb.do(b, assertionForm("fed", sb.podToken), nil)
	return sb
}

func (sb *secretlessBench) secret(int) (string, []string) {
	return benchBody, []string{"Authorization", sb.basicAuth}
}

func (sb *secretlessBench) pkjwt(s *signer) func(int) (string, []string) {
	return func(int) (string, []string) {
		return assertionForm("pkjwt", s.sign(sb.f.t, sb.f.clientClaims("pkjwt"))), nil
	}
}

func (sb *secretlessBench) federated(int) (string, []string) {
	return assertionForm("fed", sb.podToken), nil
}

// run measures one kind of request: bodies are made (and assertions
// signed) before the timer.
func (sb *secretlessBench) run(b *testing.B, body func(int) (string, []string)) {
	bodies := make([]string, b.N)
	headers := make([][]string, b.N)
	for i := range bodies {
		bodies[i], headers[i] = body(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		sb.do(b, bodies[i], headers[i])
	}
}

func (sb *secretlessBench) do(b *testing.B, body string, header []string) {
	req := httptest.NewRequest("POST", "/oidc/token", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for j := 0; j+1 < len(header); j += 2 {
		req.Header.Set(header[j], header[j+1])
	}
	w := httptest.NewRecorder()
	sb.h.ServeHTTP(w, req)
	if w.Code != 200 {
		b.Fatalf("status %d: %s", w.Code, w.Body)
	}
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
