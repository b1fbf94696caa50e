package app

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse/gatehouse/internal/limit"
	"github.com/gatehouse/gatehouse/internal/storetest"
)

// testIssuer is an OpenID provider made in the test, on loopback: a
// discovery document and a JWKS, as a Kubernetes API server or GitHub
// Actions' token service publishes them.
type testIssuer struct {
	*httptest.Server
	key     *signer
	fetches atomic.Int64 // JWKS fetches
}

func newTestIssuer(t *testing.T, alg jose.SignatureAlgorithm, kid string) *testIssuer {
	t.Helper()
	is := &testIssuer{key: newSigner(t, alg, kid)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"issuer": is.URL, "jwks_uri": is.URL + "/openid/v1/jwks",
			"id_token_signing_alg_values_supported": []string{string(alg)}})
	})
	mux.HandleFunc("GET /openid/v1/jwks", func(w http.ResponseWriter, r *http.Request) {
		is.fetches.Add(1)
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Write([]byte(jwks(t, is.key)))
	})
	is.Server = httptest.NewServer(mux)
	t.Cleanup(is.Close)
	return is
}

// k8sClaims are the claims of a projected service-account token of
// service account sa in namespace ns, for audience aud.
func (is *testIssuer) k8sClaims(ns, sa, aud string) map[string]any {
	now := time.Now().Unix()
	return map[string]any{"iss": is.URL, "sub": "system:serviceaccount:" + ns + ":" + sa, "aud": []string{aud},
		"iat": now, "nbf": now, "exp": now + 3600, "jti": "8d7f7a0e-5c2b-4f55-9b7e-1c2d3e4f5a6b",
		"kubernetes.io": map[string]any{"namespace": ns, "serviceaccount": map[string]any{"name": sa, "uid": "0b1c"},
			"pod": map[string]any{"name": sa + "-7d9f", "uid": "9a8b"}}}
}

// githubClaims are the claims of a GitHub Actions OIDC token of a job on
// ref in repo.
func (is *testIssuer) githubClaims(repo, ref, aud string) map[string]any {
	now := time.Now().Unix()
	return map[string]any{"iss": is.URL, "sub": "repo:" + repo + ":ref:" + ref, "aud": aud,
		"iat": now, "nbf": now - 5, "exp": now + 300, "jti": "e7a1c6d2-0f4b-4c8e-9d1a-2b3c4d5e6f70",
		"repository": repo, "repository_owner": strings.Split(repo, "/")[0], "ref": ref, "ref_type": "branch",
		"workflow": "deploy", "event_name": "push", "run_id": "1234567890", "actor": "octocat", "runner_environment": "github-hosted"}
}

// addCredential adds a federated credential through the Management API and
// returns its id.
func (f *fixture) addCredential(tok, app, body string) string {
	f.t.Helper()
	code, out := f.api(tok, "POST", "/api/applications/"+app+"/federated-credentials", body)
	var c struct{ ID string }
	if code != 201 || json.Unmarshal([]byte(out), &c) != nil || c.ID == "" {
		f.t.Fatalf("add credential: %d %s", code, out)
	}
	return c.ID
}

// TestFederation: an app with federated credentials for a Kubernetes-like
// and a GitHub-like issuer gets tokens for their workload tokens, with no
// secret; every mismatch is invalid_client; the audit entry names the
// credential and the external subject; removing a credential takes effect
// at once.
func TestFederation(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			f := newSecretlessFixture(t, e.DSN(t), true)
			tok := f.mgmtToken()
			k8s := newTestIssuer(t, jose.RS256, "sa-key-1")
			gh := newTestIssuer(t, jose.RS256, "gh-key-1")
			app := f.makeApp(tok, "workload", "")
			k8sID := f.addCredential(tok, app, `{"name":"orders-pod","issuer":"`+k8s.URL+`","subject":"system:serviceaccount:shop:orders",
				"audiences":["gatehouse"],"claims":{"kubernetes.io/namespace":"shop"}}`)
			f.addCredential(tok, app, `{"name":"deploy-job","issuer":"`+gh.URL+`","subject":"repo:acme/shop:ref:refs/heads/*",
				"audiences":["https://github.com/acme"],"claims":{"repository":"acme/shop","runner_environment":"github-hosted"}}`)

			code, out := f.api(tok, "GET", "/api/applications/"+app+"/federated-credentials", "")
			if code != 200 || !strings.Contains(out, `"name":"orders-pod"`) || !strings.Contains(out, `"audiences":["https://github.com/acme"]`) {
				t.Fatalf("list: %d %s", code, out)
			}

			podToken := k8s.key.sign(t, k8s.k8sClaims("shop", "orders", "gatehouse"))
			for i := range 3 { // a projected token is reused for its whole life
				code, _, access := f.tokenStatus(assertionForm(app, podToken))
				if code != 200 {
					t.Fatalf("k8s token, use %d: %d %s", i, code, access)
				}
				if _, claims := f.verify(access); claims["sub"] != app || claims["scope"] != "read:products" {
					t.Errorf("claims: %v", claims)
				}
			}
			if n := k8s.fetches.Load(); n != 1 {
				t.Errorf("%d JWKS fetches for 3 requests, want 1", n)
			}
			ghToken := gh.key.sign(t, gh.githubClaims("acme/shop", "refs/heads/main", "https://github.com/acme"))
			if code, _, d := f.tokenStatus(assertionForm(app, ghToken)); code != 200 {
				t.Fatalf("github token: %d %s", code, d)
			}

			// The audit entry names the credential and the external subject.
			if err := f.srv.FlushAudit(context.Background()); err != nil {
				t.Fatal(err)
			}
			code, logs := f.api(tok, "GET", "/api/logs?logKey=ExchangeTokenBy.ClientCredentials&applicationId="+app, "")
			if code != 200 || !strings.Contains(logs, `"federatedCredential":"deploy-job"`) ||
				!strings.Contains(logs, `"subject":"repo:acme/shop:ref:refs/heads/main"`) ||
				!strings.Contains(logs, `"federatedCredential":"orders-pod"`) || strings.Contains(logs, podToken[:40]) {
				t.Errorf("audit: %d %s", code, logs)
			}

			stranger := newTestIssuer(t, jose.RS256, "sa-key-1") // same kid, other key, unknown issuer
			forged := newSigner(t, jose.RS256, "sa-key-1")
			pub, _ := json.Marshal(k8s.key.jwk())
			with := func(c map[string]any, k string, v any) map[string]any {
				if v == nil {
					delete(c, k)
				} else {
					c[k] = v
				}
				return c
			}
			now := time.Now().Unix()
			pod := func() map[string]any { return k8s.k8sClaims("shop", "orders", "gatehouse") }
			cases := []struct{ name, assertion, desc string }{
				{"unknown issuer", stranger.key.sign(t, stranger.k8sClaims("shop", "orders", "gatehouse")), "no federated credential of the client trusts issuer " + stranger.URL},
				{"subject mismatch", k8s.key.sign(t, k8s.k8sClaims("shop", "billing", "gatehouse")), "client_assertion sub matches no federated credential"},
				{"claim mismatch", k8s.key.sign(t, with(pod(), "kubernetes.io", map[string]any{"namespace": "other"})), "client_assertion claim kubernetes.io/namespace does not match the federated credential"},
				{"github claim mismatch", gh.key.sign(t, with(gh.githubClaims("acme/shop", "refs/heads/main", "https://github.com/acme"), "runner_environment", "self-hosted")), "client_assertion claim runner_environment does not match the federated credential"},
				{"github other repo", gh.key.sign(t, gh.githubClaims("acme/other", "refs/heads/main", "https://github.com/acme")), "client_assertion sub matches no federated credential"},
				{"github pull request", gh.key.sign(t, with(gh.githubClaims("acme/shop", "refs/heads/main", "https://github.com/acme"), "sub", "repo:acme/shop:pull_request")), "client_assertion sub matches no federated credential"},
				{"wrong aud", k8s.key.sign(t, k8s.k8sClaims("shop", "orders", "https://kubernetes.default.svc")), "client_assertion aud names no audience of the federated credential"},
				{"expired", k8s.key.sign(t, with(pod(), "exp", now-300)), "client_assertion has expired"},
				{"no exp", k8s.key.sign(t, with(pod(), "exp", nil)), "client_assertion has no exp claim"},
				{"nbf ahead", k8s.key.sign(t, with(pod(), "nbf", now+600)), "client_assertion is not valid yet (nbf)"},
				{"wrong key", forged.sign(t, pod()), "no key of the issuer verifies the client_assertion"},
				{"alg none", unsigned(pod()), "client_assertion is not a JWT signed with an allowed algorithm (ES256, ES384, EdDSA, RS256, PS256)"},
				{"HMAC with the public key", hmacWith(pub, "sa-key-1", pod()), "client_assertion is not a JWT signed with an allowed algorithm (ES256, ES384, EdDSA, RS256, PS256)"},
			}
			for _, tc := range cases {
				code, ecode, desc := f.tokenStatus(assertionForm(app, tc.assertion))
				if code != 401 || ecode != "invalid_client" || desc != tc.desc {
					t.Errorf("%s: %d %s %q, want 401 invalid_client %q", tc.name, code, ecode, desc, tc.desc)
				}
			}
			// A workload token for an app that has no federated credential.
			if code, _, desc := f.tokenStatus(assertionForm(shopApp, podToken)); code != 401 || desc != "client authentication failed" {
				t.Errorf("secret app: %d %s", code, desc)
			}

			// Removing the credential refuses its tokens at once.
			if code, out := f.api(tok, "DELETE", "/api/applications/"+app+"/federated-credentials/"+k8sID, ""); code != 204 {
				t.Fatalf("delete: %d %s", code, out)
			}
			if code, _, desc := f.tokenStatus(assertionForm(app, podToken)); code != 401 {
				t.Errorf("after delete: %d %s", code, desc)
			}
			if code, _ := f.api(tok, "DELETE", "/api/applications/"+app+"/federated-credentials/"+k8sID, ""); code != 404 {
				t.Errorf("delete twice: %d", code)
			}
		})
	}
}

// TestFederatedCredentialsValidated: the Management API's answers to bad
// federated credentials.
func TestFederatedCredentialsValidated(t *testing.T) {
	f := newSecretlessFixture(t, storetest.Engines(t)[0].DSN(t), true)
	tok := f.mgmtToken()
	app := f.createApp(tok, "v")
	path := "/api/applications/" + app + "/federated-credentials"
	ok := `{"name":"n","issuer":"https://token.actions.githubusercontent.com","subject":"repo:a/b:*","audiences":["x"]}`
	for _, tc := range []struct {
		name, body string
		code       int
		want       string
	}{
		{"no name", `{"issuer":"https://i.example","subject":"s","audiences":["x"]}`, 400, "guard.invalid_input"},
		{"issuer not a URL", `{"name":"n","issuer":"not a url","subject":"s","audiences":["x"]}`, 400, "guard.invalid_input"},
		{"issuer file", `{"name":"n","issuer":"file:///etc","subject":"s","audiences":["x"]}`, 400, "guard.invalid_input"},
		{"no audiences", `{"name":"n","issuer":"https://i.example","subject":"s","audiences":[]}`, 400, "guard.invalid_input"},
		{"claims not strings", `{"name":"n","issuer":"https://i.example","subject":"s","audiences":["x"],"claims":{"a":{"b":1}}}`, 400, "guard.invalid_input"},
		{"jwksUri not a URL", `{"name":"n","issuer":"https://i.example","subject":"s","audiences":["x"],"jwksUri":"gopher://x"}`, 400, "guard.invalid_input"},
		{"ok", ok, 201, `"subject":"repo:a/b:*"`},
		{"same name", ok, 422, "application.federated_credential_name_exists"},
	} {
		code, body := f.api(tok, "POST", path, tc.body)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s", tc.name, code, body)
		}
	}
	if code, body := f.api(tok, "POST", "/api/applications/nope/federated-credentials", ok); code != 404 {
		t.Errorf("unknown app: %d %s", code, body)
	}
	if code, body := f.api(tok, "GET", "/api/applications/nope/federated-credentials", ""); code != 404 {
		t.Errorf("unknown app list: %d %s", code, body)
	}
}

// Without GATEHOUSE_FEDERATION_ALLOW_INSECURE an issuer on loopback is
// never fetched.
func TestFederationLoopbackRefused(t *testing.T) {
	f := newSecretlessFixture(t, storetest.Engines(t)[0].DSN(t), false)
	tok := f.mgmtToken()
	k8s := newTestIssuer(t, jose.RS256, "sa-key-1")
	app := f.makeApp(tok, "workload", "")
	f.addCredential(tok, app, `{"name":"pod","issuer":"`+k8s.URL+`","subject":"system:serviceaccount:shop:orders","audiences":["gatehouse"]}`)
	code, ecode, desc := f.tokenStatus(assertionForm(app, k8s.key.sign(t, k8s.k8sClaims("shop", "orders", "gatehouse"))))
	if code != 401 || ecode != "invalid_client" || desc != "no key of the issuer verifies the client_assertion" {
		t.Errorf("%d %s %s", code, ecode, desc)
	}
	if n := k8s.fetches.Load(); n != 0 {
		t.Errorf("loopback issuer fetched %d times", n)
	}
}

// TestAssertionReplayAcrossInstances: on PostgreSQL, a private_key_jwt
// assertion accepted by one instance is refused by another.
func TestAssertionReplayAcrossInstances(t *testing.T) {
	dsn := storetest.Postgres(t)
	dir := t.TempDir()
	start := func() *fixture {
		cfg := testConfig(t, dsn, dir)
		cfg.TokenFailureLimit = limit.Rate{}
		_, f := startOn(t, cfg, Options{})
		return f
	}
	a := start()
	a.seedShop()
	b := start()
	tok := a.mgmtToken()
	es := newSigner(t, jose.ES256, "k1")
	app := a.makeApp(tok, "pkjwt", `{"tokenEndpointAuthMethod":"private_key_jwt","jwks":`+jwks(t, es)+`}`)
	// b learns of the app through the change notification.
	deadline := time.Now().Add(5 * time.Second)
	for b.post("grant_type=client_credentials&client_id="+app).StatusCode != 401 {
		if time.Now().After(deadline) {
			t.Fatal("instance b never saw the app")
		}
		time.Sleep(20 * time.Millisecond)
	}
	once := es.sign(t, a.clientClaims(app))
	if code, _, d := a.tokenStatus(assertionForm(app, once)); code != 200 {
		t.Fatalf("instance a: %d %s", code, d)
	}
	if code, _, d := b.tokenStatus(assertionForm(app, once)); code != 401 || d != "client_assertion jti has already been used" {
		t.Errorf("instance b, same assertion: %d %s", code, d)
	}
	if code, _, d := b.tokenStatus(assertionForm(app, es.sign(t, b.clientClaims(app)))); code != 200 {
		t.Errorf("instance b, fresh assertion: %d %s", code, d)
	}
}

// GATEHOUSE_FEDERATION_ALLOW_INSECURE is announced at start, and only when set.
func TestFederationInsecureWarning(t *testing.T) {
	for _, insecure := range []bool{true, false} {
		cfg := testConfig(t, "", t.TempDir())
		cfg.FederationAllowInsecure = insecure
		var buf syncBuffer
		startOn(t, cfg, Options{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
		if got := strings.Contains(buf.String(), "GATEHOUSE_FEDERATION_ALLOW_INSECURE is set"); got != insecure {
			t.Errorf("insecure=%v: warning logged %v:\n%s", insecure, got, buf.String())
		}
	}
}
