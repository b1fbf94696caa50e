package console_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse/gatehouse/internal/store"
)

// clientKey is a key pair made for a test: the private half signs, the
// public half is pasted into the console.
type clientKey struct {
	priv *ecdsa.PrivateKey
	kid  string
}

func newClientKey(t *testing.T, kid string) clientKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return clientKey{k, kid}
}

// public is the public JWK, as JSON, with alg (none when "").
func (k clientKey) public(t *testing.T, alg string) string {
	t.Helper()
	b, err := json.Marshal(jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid, Algorithm: alg, Use: "sig"})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// private is the private JWK, as JSON.
func (k clientKey) private(t *testing.T) string {
	t.Helper()
	b, err := json.Marshal(jose.JSONWebKey{Key: k.priv, KeyID: k.kid, Algorithm: "ES256"})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// assertion signs a client assertion of appID for audience aud.
func (k clientKey) assertion(t *testing.T, appID, aud string) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: k.priv, KeyID: k.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	s, err := jwt.Signed(sig).Claims(map[string]any{"iss": appID, "sub": appID, "aud": aud,
		"exp": now.Add(2 * time.Minute).Unix(), "iat": now.Unix(), "jti": fmt.Sprint(now.UnixNano())}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// set is a JWK Set of the given JWKs (JSON texts).
func set(keys ...string) string { return `{"keys":[` + strings.Join(keys, ",") + `]}` }

// apiApp reads an application through the Management API, as the
// bootstrap app.
func (e *env) apiApp(id string) map[string]any {
	e.t.Helper()
	status, tok := e.token("bootstrap-admin", "bootstrap-secret", "https://default.logto.app/api", "all")
	if status != 200 {
		e.t.Fatalf("management token: %d %v", status, tok)
	}
	req, _ := http.NewRequest("GET", e.url+"/api/applications/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	json.NewDecoder(res.Body).Decode(&m)
	return m
}

// apiPatch PATCHes an application through the Management API with body
// and returns the status: the API's own validation of what the console
// wrote.
func (e *env) apiPatch(id, body string) int {
	e.t.Helper()
	_, tok := e.token("bootstrap-admin", "bootstrap-secret", "https://default.logto.app/api", "all")
	req, _ := http.NewRequest("PATCH", e.url+"/api/applications/"+id, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// Client authentication through the console, on both engines: keys
// pasted (every kind of bad input refused with a message, a private key
// never echoed), the switch to private_key_jwt (the secret refused, an
// assertion signed with the key accepted, the page's snippets without the
// secret), key removal, the JWKS URL, DPoP required, and the metadata the
// console wrote accepted by the Management API's own validation.
func TestClientAuthentication(t *testing.T) {
	engines(t, nil, func(t *testing.T, e *env) {
		e.signIn()
		e.redirected("resource", e.post("/console/resources/new", url.Values{"name": {"Orders"}, "indicator": {"https://orders.example.com"}}), "/console/resources/")
		r := e.post("/console/applications/new", url.Values{"name": {"Keyed"}})
		appID := find(t, "app id", `/console/applications/([^/?]+)/assign-roles`, r.location())
		base := "/console/applications/" + appID
		page := e.get(base)
		must(t, "app page", page, 200, `id="client-auth"`, "Client authentication", "Client secret", "No keys registered.",
			"No federated credentials", "client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer", `client_assertion=&#34;$TOKEN&#34;`)
		secret := html.UnescapeString(find(t, "secret", `id="app-secret" class="mono" type="password" readonly value="([^"]+)"`, page.body))
		tokenURL := html.UnescapeString(find(t, "token endpoint", `id="u-token" class="mono" type="text" readonly value="([^"]+)"`, page.body))
		if st, body := e.tokenWith(appID, secret, url.Values{"resource": {"https://orders.example.com"}}); st != 200 {
			t.Fatalf("secret before: %d %v", st, body)
		}

		// private_key_jwt needs a key first.
		must(t, "method without key", e.post(base+"/auth/method", url.Values{"method": {"private_key_jwt"}}), 422,
			"Register the app&#39;s public key first")
		must(t, "unknown method", e.post(base+"/auth/method", url.Values{"method": {"client_secret_jwt"}}), 422,
			"Choose client secret or private key JWT.")

		// Bad key input, each with its message.
		k1, k2 := newClientKey(t, "k1"), newClientKey(t, "k2")
		rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
		smallRSA, _ := json.Marshal(jose.JSONWebKey{Key: rsaKey.Public(), KeyID: "small"})
		bad := []struct{ what, text, want string }{
			{"empty", "  ", "Paste the app&#39;s public keys as a JWK Set"},
			{"not JSON", `{"keys": [`, "This is not valid JSON"},
			{"array", `[1]`, "This is JSON, but not a JWK Set"},
			{"no keys", `{"kid":"x"}`, "it has no &#34;keys&#34; list"},
			{"keys not a list", `{"keys":{}}`, "&#34;keys&#34; must be a list of keys"},
			{"empty set", `{"keys":[]}`, "The JWK Set holds no key"},
			{"symmetric", set(`{"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}`), "Key 1 is a symmetric key"},
			{"unknown kty", set(`{"kty":"XY","x":"1"}`), "Key 1 is not a public key Gatehouse can use"},
			{"HS256", set(strings.Replace(k1.public(t, "ES256"), `"ES256"`, `"HS256"`, 1)), "names the algorithm HS256, which the token endpoint does not accept"},
			{"alg mismatch", set(k1.public(t, "RS256")), "is an EC P-256 key but names the algorithm RS256"},
			{"enc", set(strings.Replace(k1.public(t, ""), `"sig"`, `"enc"`, 1)), "is marked for encryption"},
			{"small RSA", set(string(smallRSA)), "RSA key of 1024 bits"},
			{"same kid twice", set(k1.public(t, "ES256"), strings.Replace(k2.public(t, "ES256"), `"k2"`, `"k1"`, 1)), "The kid “k1” is taken"},
		}
		for _, b := range bad {
			must(t, b.what, e.post(base+"/auth/keys", url.Values{"jwks": {b.text}}), 422, b.want)
		}
		// A private key is refused and never shown again.
		priv := k1.private(t)
		var pm map[string]string
		json.Unmarshal([]byte(priv), &pm)
		r = e.post(base+"/auth/keys", url.Values{"jwks": {set(priv)}})
		must(t, "private key", r, 422, "Key 1 is a private key (it has the private member “d”). Never paste a private key here")
		if strings.Contains(r.body, pm["d"]) {
			t.Fatal("the refused private key is echoed back")
		}
		// A JSON escape PostgreSQL cannot store is refused on both engines.
		must(t, "NUL escape", e.post(base+"/auth/keys", url.Values{"jwks": {set(strings.Replace(k1.public(t, ""), `"k1"`, `"k\u0000"`, 1))}}),
			http.StatusBadRequest, "The field “jwks” contains characters that cannot be stored")
		var many []string
		for i := range 11 {
			many = append(many, newClientKey(t, fmt.Sprint("m", i)).public(t, ""))
		}
		must(t, "eleven keys", e.post(base+"/auth/keys", url.Values{"jwks": {set(many...)}}), 422, "An app can register at most 10 keys; this would make 11.")

		// One key, pasted as a single JWK; then a set with a second key.
		page = e.redirected("add k1", e.post(base+"/auth/keys", url.Values{"jwks": {k1.public(t, "ES256")}}), base)
		must(t, "k1 listed", page, 200, "1 public key registered.", ">k1<", "EC P-256", "<code>ES256</code>")
		must(t, "k1 again", e.post(base+"/auth/keys", url.Values{"jwks": {set(k1.public(t, "ES256"))}}), 422, "The kid “k1” is taken")
		must(t, "k1 without kid", e.post(base+"/auth/keys", url.Values{"jwks": {set(strings.Replace(k1.public(t, ""), `"kid":"k1",`, "", 1))}}),
			422, "Key 1 is registered already")
		page = e.redirected("add k2", e.post(base+"/auth/keys", url.Values{"jwks": {set(k2.public(t, ""))}}), base)
		must(t, "k2 listed", page, 200, ">k2<", "any of its type")

		// The switch: the secret is refused, an assertion accepted, and the
		// page offers no secret.
		page = e.redirected("private_key_jwt", e.post(base+"/auth/method", url.Values{"method": {"private_key_jwt"}}), base)
		must(t, "method shown", page, 200, "The app now authenticates with private key JWT", "Private key JWT</span> signed assertions only",
			`client_assertion=&#34;$ASSERTION&#34;`, "its secrets are refused at the token endpoint", "What goes in <code>$ASSERTION</code>")
		try := find(t, "try it", `(?s)<h3>Try it</h3>(.*?)</section>`, page.body)
		if strings.Contains(try, "-u ") || strings.Contains(try, secret) || strings.Contains(page.body, `id="app-secret"`) {
			t.Fatalf("the page suggests the secret: %s", try)
		}
		if st, body := e.tokenWith(appID, secret, url.Values{"resource": {"https://orders.example.com"}}); st != 401 || body["error"] != "invalid_client" {
			t.Fatalf("secret after the switch: %d %v", st, body)
		}
		for _, k := range []clientKey{k1, k2} {
			st, body := e.tokenWith("", "", url.Values{"resource": {"https://orders.example.com"}, "client_id": {appID},
				"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {k.assertion(t, appID, tokenURL)}})
			if st != 200 || body["access_token"] == nil {
				t.Fatalf("assertion of %s: %d %v", k.kid, st, body)
			}
		}
		// Get started, for this app, offers the assertion too.
		start := e.get("/console/get-started?app=" + appID)
		must(t, "get started", start, 200, `client_assertion=&#34;$ASSERTION&#34;`, `id="start-sdk-note"`)
		if n := strings.Count(start.body, "client_assertion=&#34;$ASSERTION&#34;"); n < 2 {
			t.Errorf("get started: %d requests sign an assertion, want the token request and the Management API one", n)
		}
		if strings.Contains(start.body, "clientSecret:") || strings.Contains(start.body, secret) {
			t.Error("get started offers a secret to an app that allows assertions only")
		}
		md := e.apiApp(appID)["oidcClientMetadata"].(map[string]any)
		if md["tokenEndpointAuthMethod"] != "private_key_jwt" || len(md["jwks"].(map[string]any)["keys"].([]any)) != 2 {
			t.Fatalf("metadata: %v", md)
		}
		// What the console wrote passes the Management API's validation.
		mdJSON, _ := json.Marshal(map[string]any{"oidcClientMetadata": md})
		if st := e.apiPatch(appID, string(mdJSON)); st != 200 {
			t.Fatalf("the API refuses the console's metadata: %d", st)
		}

		// A key no assertion algorithm verifies (P-521): the API refuses it,
		// and one stored before it did is flagged on the page.
		p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
		odd, _ := json.Marshal(jose.JSONWebKey{Key: p521.Public(), KeyID: "odd"})
		md["jwks"].(map[string]any)["keys"] = append(md["jwks"].(map[string]any)["keys"].([]any), json.RawMessage(odd))
		mdJSON, _ = json.Marshal(map[string]any{"oidcClientMetadata": md})
		if st := e.apiPatch(appID, string(mdJSON)); st != 400 {
			t.Fatalf("P-521 key through the API: %d, want 400", st)
		}
		oddMD, _ := json.Marshal(md)
		if _, err := e.srv.Store().PatchApplication(context.Background(), "default", appID, store.AppChanges{OIDCClientMetadata: oddMD}, ""); err != nil {
			t.Fatalf("store a P-521 key as an older version did: %v", err)
		}
		page = e.get(base)
		must(t, "odd key flagged", page, 200, ">odd<", "EC P-521", "This key uses a curve Gatehouse does not verify.")
		tpOdd := find(t, "odd thumbprint", `name="keyId" value="([^"]+)"><button[^>]*data-confirm="Remove the key “odd”`, page.body)
		e.redirected("remove odd", e.post(base+"/auth/keys/remove", url.Values{"keyId": {tpOdd}}), base)

		// Removing keys: k1 goes; the last one cannot while private_key_jwt.
		tp1 := find(t, "k1 thumbprint", `name="keyId" value="([^"]+)"><button[^>]*data-confirm="Remove the key “k1”`, page.body)
		tp2 := find(t, "k2 thumbprint", `name="keyId" value="([^"]+)"><button[^>]*data-confirm="Remove the key “k2”`, page.body)
		page = e.redirected("remove k1", e.post(base+"/auth/keys/remove", url.Values{"keyId": {tp1}}), base)
		must(t, "k1 removed", page, 200, "Key removed.")
		if strings.Contains(page.body, ">k1<") {
			t.Fatal("k1 still listed")
		}
		st, body := e.tokenWith("", "", url.Values{"resource": {"https://orders.example.com"}, "client_id": {appID},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {k1.assertion(t, appID, tokenURL)}})
		if st != 401 {
			t.Fatalf("removed key still accepted: %d %v", st, body)
		}
		must(t, "remove again", e.post(base+"/auth/keys/remove", url.Values{"keyId": {tp1}}), 422, "That key is not registered (any more).")
		must(t, "last key", e.post(base+"/auth/keys/remove", url.Values{"keyId": {tp2}}), 422, "This is the app&#39;s only key")

		// The JWKS URL: https only, then it replaces the inline keys.
		for _, c := range []struct{ v, want string }{
			{"", "Enter the JWKS URL"},
			{"http://keys.example.com/jwks.json", "as an absolute https URL"},
			{"keys.example.com/jwks.json", "as an absolute https URL"},
			{"https://user:pw@keys.example.com/jwks.json", "Leave the user name and password out of the URL"},
			{"https://keys.example.com/jwks.json#x", "Leave the #fragment out"},
		} {
			must(t, "jwks uri "+c.v, e.post(base+"/auth/jwks-uri", url.Values{"jwksUri": {c.v}}), 422, c.want)
		}
		page = e.redirected("jwks uri", e.post(base+"/auth/jwks-uri", url.Values{"jwksUri": {"https://keys.example.com/jwks.json"}}), base)
		must(t, "uri shown", page, 200, "fetched from https://keys.example.com/jwks.json. The 1 key registered here were removed.",
			`Keys are fetched from <code class="break">https://keys.example.com/jwks.json</code>`)
		must(t, "remove uri", e.post(base+"/auth/jwks-uri/remove", nil), 422, "this URL is where its keys are")
		md = e.apiApp(appID)["oidcClientMetadata"].(map[string]any)
		if md["jwksUri"] != "https://keys.example.com/jwks.json" || md["jwks"] != nil {
			t.Fatalf("metadata: %v", md)
		}

		// Keys pasted again replace the URL.
		e.redirected("keys over uri", e.post(base+"/auth/keys", url.Values{"jwks": {set(k1.public(t, "ES256"))}}), base)
		md = e.apiApp(appID)["oidcClientMetadata"].(map[string]any)
		if md["jwksUri"] != nil || md["jwks"] == nil {
			t.Fatalf("metadata: %v", md)
		}

		// DPoP required: a request without a proof is refused; the snippet
		// carries the header.
		page = e.redirected("dpop on", e.post(base+"/auth/dpop", url.Values{"dpop": {"on"}}), base)
		must(t, "dpop shown", page, 200, "DPoP is required", "Required</span>", `-H &#34;DPoP: $DPOP_PROOF&#34;`, `checked aria-describedby="auth-dpop-hint"`)
		st, body = e.tokenWith("", "", url.Values{"resource": {"https://orders.example.com"}, "client_id": {appID},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {k1.assertion(t, appID, tokenURL)}})
		if st != 400 || body["error"] != "invalid_dpop_proof" {
			t.Fatalf("without a proof: %d %v", st, body)
		}
		if md = e.apiApp(appID)["oidcClientMetadata"].(map[string]any); md["dpopBoundAccessTokens"] != true {
			t.Fatalf("metadata: %v", md)
		}
		page = e.redirected("dpop off", e.post(base+"/auth/dpop", nil), base)
		must(t, "dpop off", page, 200, "DPoP is no longer required", "Optional</span>")
		// The administration app cannot require DPoP.
		must(t, "admin dpop", e.post("/console/applications/bootstrap-admin/auth/dpop", url.Values{"dpop": {"on"}}), 422,
			"the Management API takes bearer tokens only")

		// Back to the secret: it works again.
		e.redirected("secret again", e.post(base+"/auth/method", url.Values{"method": {"client_secret_basic"}}), base)
		if st, body := e.tokenWith(appID, secret, url.Values{"resource": {"https://orders.example.com"}}); st != 200 {
			t.Fatalf("secret after switching back: %d %v", st, body)
		}
		// Other metadata is kept, and the method key is gone (the default).
		md = e.apiApp(appID)["oidcClientMetadata"].(map[string]any)
		if _, ok := md["tokenEndpointAuthMethod"]; ok || md["redirectUris"] == nil || md["jwks"] == nil {
			t.Fatalf("metadata: %v", md)
		}
		must(t, "unknown app", e.post("/console/applications/nope/auth/method", url.Values{"method": {"client_secret_basic"}}), 404)
	})
}

// Federated credentials through the console, on both engines: every
// invalid input refused with its message, one added (listed, in the API,
// a duplicate name refused), deleted, and a deleted one deleted again.
func TestFederatedCredentials(t *testing.T) {
	engines(t, nil, func(t *testing.T, e *env) {
		e.signIn()
		r := e.post("/console/applications/new", url.Values{"name": {"Pods"}})
		appID := find(t, "app id", `/console/applications/([^/?]+)/assign-roles`, r.location())
		base := "/console/applications/" + appID
		good := url.Values{"name": {"orders-pod"}, "issuer": {"https://k8s.example.com"}, "subject": {"system:serviceaccount:shop:*"},
			"audiences": {"gatehouse\nhttps://api.example.com, gatehouse"}, "claims": {"kubernetes.io/namespace = shop\n\nrepository=acme/shop"}}
		with := func(k, v string) url.Values {
			f := url.Values{}
			for kk, vv := range good {
				f[kk] = vv
			}
			f.Set(k, v)
			return f
		}
		for _, c := range []struct {
			f    url.Values
			want string
		}{
			{with("name", ""), "Enter a name."},
			{with("issuer", ""), "Enter the issuer URL, like https://token.actions.githubusercontent.com."},
			{with("issuer", "http://k8s.example.com"), "Enter the issuer URL as an absolute https URL"},
			{with("issuer", "not a url"), "as an absolute https URL"},
			{with("subject", ""), "Enter the subject: the sub claim"},
			{func() url.Values { f := with("subject", "**"); f.Del("claims"); return f }(), "A subject of only * trusts every token"},
			{with("audiences", " , \n"), "Enter at least one audience"},
			{with("audiences", "a,b,c,d,e,f,g,h,i,j,k"), "Give at most 10 audiences."},
			{with("claims", "repository"), "Line 1 is not name=value."},
			{with("claims", "a=1\n=2"), "Line 2 is not name=value."},
			{with("claims", "a=1\nb="), "Line 2 gives no value for b."},
			{with("claims", "a=1\na=2"), "The claim a is given twice."},
			{with("jwksUri", "ftp://keys.example.com"), "Enter the issuer&#39;s JWKS URL as an absolute https URL"},
		} {
			r := e.post(base+"/federated", c.f)
			must(t, c.want, r, 422, c.want, `<details class="add-box" open>`)
		}
		page := e.get(base)
		must(t, "none yet", page, 200, "No federated credentials: no workload token is accepted", "<span class=\"badge muted-badge\">Off</span>")

		page = e.redirected("add", e.post(base+"/federated", good), base)
		must(t, "listed", page, 200, "Federated credential “orders-pod” added.", "https://k8s.example.com", "system:serviceaccount:shop:*",
			`<code class="chip break">gatehouse</code><code class="chip break">https://api.example.com</code>`,
			"kubernetes.io/namespace=shop", "repository=acme/shop", "1 federated credential</a>, accepted whatever the method")
		must(t, "duplicate", e.post(base+"/federated", good), 422, "This app has a federated credential named “orders-pod” already.")
		// A subject of only * is fine when claims pin the tokens.
		e.redirected("star with claims", e.post(base+"/federated", with("name", "any-sub")), base)
		must(t, "star with claims", e.post(base+"/federated", func() url.Values { f := with("name", "star"); f.Set("subject", "*"); return f }()), 303)

		credID := find(t, "credential id", `name="credentialId" value="([^"]+)"><button[^>]*data-confirm="Delete the federated credential “orders-pod”`, e.get(base).body)
		page = e.redirected("delete", e.post(base+"/federated/delete", url.Values{"credentialId": {credID}}), base)
		must(t, "deleted", page, 200, "Federated credential deleted.")
		if strings.Contains(page.body, "credential “orders-pod”?") {
			t.Fatal("deleted credential still listed")
		}
		must(t, "delete again", e.post(base+"/federated/delete", url.Values{"credentialId": {credID}}), 422,
			"That federated credential does not exist (any more)")
		must(t, "unknown app", e.post("/console/applications/nope/federated/delete", url.Values{"credentialId": {credID}}), 404)
		must(t, "no csrf", e.postRaw(base+"/federated", url.Values{"name": {"forged"}, "issuer": {"https://k8s.example.com"},
			"subject": {"x"}, "audiences": {"gatehouse"}}), http.StatusForbidden)
	})
}

// With GATEHOUSE_FEDERATION_ALLOW_INSECURE (labs with a local issuer) the
// console takes http URLs too, and says so.
func TestClientAuthInsecureURLs(t *testing.T) {
	engines(t, map[string]string{"GATEHOUSE_FEDERATION_ALLOW_INSECURE": "true"}, func(t *testing.T, e *env) {
		e.signIn()
		r := e.post("/console/applications/new", url.Values{"name": {"Lab"}})
		appID := find(t, "app id", `/console/applications/([^/?]+)/assign-roles`, r.location())
		base := "/console/applications/" + appID
		must(t, "hint", e.get(base), 200, "http is allowed: GATEHOUSE_FEDERATION_ALLOW_INSECURE is set")
		e.redirected("http jwks uri", e.post(base+"/auth/jwks-uri", url.Values{"jwksUri": {"http://127.0.0.1:9/jwks"}}), base)
		e.redirected("http issuer", e.post(base+"/federated", url.Values{"name": {"kind"}, "issuer": {"http://127.0.0.1:9"},
			"subject": {"system:serviceaccount:default:app"}, "audiences": {"gatehouse"}}), base)
		must(t, "still not ftp", e.post(base+"/auth/jwks-uri", url.Values{"jwksUri": {"ftp://127.0.0.1/jwks"}}), 422, "absolute https URL")
	})
}
