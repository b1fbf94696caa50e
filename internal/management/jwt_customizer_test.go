package management_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/storetest"
)

const (
	ccPath   = "/api/configs/jwt-customizer/client-credentials"
	testPath = "/api/configs/jwt-customizer/test"

	// envSample is the script of Logto's own test: the environment
	// variables become claims.
	envSample = `const getCustomJwtClaims = async ({ token, context, environmentVariables }) => {
  return { ...environmentVariables };
};`
	denySample  = `const getCustomJwtClaims = async ({ api }) => { api.denyAccess("not today"); };`
	throwSample = `function getCustomJwtClaims() { throw new Error("boom"); }`
	loopSample  = `async function getCustomJwtClaims() { for (;;) {} }`
)

var sampleEnv = map[string]string{"foo": "bar", "API_KEY": "12345"}

// startWith starts a server with extra settings on dsn, in dir (one
// master key file for every server started on dir).
func startWith(t *testing.T, dsn, dir string, extra map[string]string) *apptest.Env {
	t.Helper()
	env := map[string]string{
		"GATEHOUSE_DATA_DIR":             dir,
		"GATEHOUSE_BOOTSTRAP_APP_ID":     apptest.BootstrapID,
		"GATEHOUSE_BOOTSTRAP_APP_SECRET": apptest.BootstrapSecret,
		"GATEHOUSE_AUDIT_FLUSH_INTERVAL": "50ms",
	}
	if strings.HasPrefix(dsn, "postgres") {
		env["GATEHOUSE_DATABASE_URL"] = dsn
	} else {
		env["GATEHOUSE_DATA_DIR"] = strings.TrimSuffix(dsn, "/gatehouse.db")
	}
	for k, v := range extra {
		env[k] = v
	}
	cfg, err := config.Load(func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := app.New(context.Background(), cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); srv.Close(context.Background()) })
	return &apptest.Env{T: t, Server: srv, HTTP: hs, URL: hs.URL, Config: cfg}
}

// tokenAnswer asks for a Management API token as the bootstrap app and
// returns the status and the decoded body.
func tokenAnswer(t *testing.T, e *apptest.Env) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(e.URL+"/oidc/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"all"},
		"resource": {apptest.Indicator}, "client_id": {apptest.BootstrapID}, "client_secret": {apptest.BootstrapSecret}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// customClaims returns the claims of a fresh token that are not standard.
func customClaims(t *testing.T, e *apptest.Env) map[string]any {
	t.Helper()
	tok, status := e.TokenAs(apptest.BootstrapID, apptest.BootstrapSecret, apptest.Indicator, "all")
	if status != 200 {
		t.Fatalf("token: status %d", status)
	}
	claims := decodeClaims(t, tok)
	if claims["sub"] != apptest.BootstrapID || claims["client_id"] != apptest.BootstrapID || claims["aud"] != apptest.Indicator || claims["scope"] != "all" {
		t.Fatalf("standard claims changed: %v", claims)
	}
	for _, k := range []string{"jti", "sub", "iat", "exp", "scope", "client_id", "iss", "aud"} {
		delete(claims, k)
	}
	return claims
}

func putCustomizer(e *apptest.Env, body map[string]any) {
	e.T.Helper()
	r := e.API("PUT", ccPath, body)
	if r.Status != 200 && r.Status != 201 {
		e.T.Fatalf("PUT: %d %s", r.Status, r.Body)
	}
}

func TestJWTCustomizerConfigRoutes(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		var list []map[string]any
		e.Must(200, "GET", "/api/configs/jwt-customizer", nil, &list)
		if len(list) != 0 {
			t.Fatalf("list: %v", list)
		}
		r := e.API("GET", ccPath, nil)
		if r.Status != 404 || r.Code() != "entity.not_exists_with_id" || !strings.Contains(string(r.Body), "jwt.clientCredentials") {
			t.Fatalf("GET missing: %d %s", r.Status, r.Body)
		}
		if r := e.API("PATCH", ccPath, map[string]any{"script": "x"}); r.Status != 404 || r.Code() != "entity.not_exists_with_id" {
			t.Fatalf("PATCH missing: %d %s", r.Status, r.Body)
		}
		if r := e.API("DELETE", ccPath, nil); r.Status != 404 || r.Code() != "entity.not_found" {
			t.Fatalf("DELETE missing: %d %s", r.Status, r.Body)
		}
		if r := e.Do("GET", ccPath, nil, ""); r.Status != 401 {
			t.Fatalf("anonymous GET: %d", r.Status)
		}

		for name, body := range map[string]any{
			"unknown key":      map[string]any{"script": envSample, "extra": 1},
			"no script":        map[string]any{"environmentVariables": sampleEnv},
			"script not text":  map[string]any{"script": 1},
			"env not strings":  map[string]any{"script": envSample, "environmentVariables": map[string]any{"n": 1}},
			"env null":         map[string]any{"script": envSample, "environmentVariables": nil},
			"block not bool":   map[string]any{"script": envSample, "blockIssuanceOnError": "yes"},
			"bad token kind":   map[string]any{"script": envSample, "tokenSample": map[string]any{"kind": "AccessToken"}},
			"bad token jti":    map[string]any{"script": envSample, "tokenSample": map[string]any{"jti": 5}},
			"context app list": map[string]any{"script": envSample, "contextSample": map[string]any{"application": []int{}}},
			"not an object":    []int{1},
		} {
			if r := e.API("PUT", ccPath, body); r.Status != 400 || r.Code() != "guard.invalid_input" {
				t.Errorf("PUT %s: %d %s", name, r.Status, r.Body)
			}
		}
		if r := e.API("PUT", ccPath, map[string]any{"script": envSample, "extra": 1}); !strings.Contains(string(r.Body), "Unrecognized key(s) in object: 'extra'") {
			t.Errorf("unknown key message: %s", r.Body)
		}

		value := map[string]any{
			"script":               envSample,
			"environmentVariables": sampleEnv,
			"contextSample":        map[string]any{"application": map[string]any{"id": "a1", "customData": map[string]any{"k": "v"}}},
			"tokenSample":          map[string]any{"jti": "j", "aud": "https://api", "clientId": "a1", "kind": "ClientCredentials"},
		}
		var got map[string]any
		e.Must(201, "PUT", ccPath, value, &got)
		if !sameJSON(t, got, value) {
			t.Fatalf("PUT created: %v", got)
		}
		e.Must(200, "PUT", ccPath, value, &got) // replace
		e.Must(200, "GET", ccPath, nil, &got)
		if !sameJSON(t, got, value) {
			t.Fatalf("GET: %v", got)
		}
		e.Must(200, "GET", "/api/configs/jwt-customizer", nil, &list)
		if len(list) != 1 || list[0]["key"] != "jwt.clientCredentials" || !sameJSON(t, list[0]["value"], value) {
			t.Fatalf("list: %v", list)
		}

		// PATCH merges the members it has (script is required, as in Logto).
		e.Must(200, "PATCH", ccPath, map[string]any{"script": throwSample, "blockIssuanceOnError": true}, &got)
		want := map[string]any{}
		for k, v := range value {
			want[k] = v
		}
		want["script"], want["blockIssuanceOnError"] = throwSample, true
		if !sameJSON(t, got, want) {
			t.Fatalf("PATCH: %v", got)
		}
		if r := e.API("PATCH", ccPath, map[string]any{"blockIssuanceOnError": false}); r.Status != 400 {
			t.Fatalf("PATCH without script: %d %s", r.Status, r.Body)
		}

		if r := e.API("DELETE", ccPath, nil); r.Status != 204 || len(r.Body) != 0 {
			t.Fatalf("DELETE: %d %s", r.Status, r.Body)
		}
		if r := e.API("GET", ccPath, nil); r.Status != 404 {
			t.Fatalf("GET deleted: %d", r.Status)
		}
		// Gatehouse issues no user tokens: the access-token paths are not routes.
		if r := e.API("PUT", "/api/configs/jwt-customizer/access-token", map[string]any{"script": envSample}); r.Status != 404 {
			t.Fatalf("access-token PUT: %d", r.Status)
		}
	})
}

func sameJSON(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	var va, vb any
	json.Unmarshal(ja, &va)
	json.Unmarshal(jb, &vb)
	ca, _ := json.Marshal(va)
	cb, _ := json.Marshal(vb)
	return string(ca) == string(cb)
}

func TestJWTCustomizerTestRoute(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		token := map[string]any{"jti": "j1", "aud": "https://api", "scope": "read", "clientId": "app1", "kind": "ClientCredentials"}
		context := map[string]any{"application": map[string]any{"id": "app1", "name": "App", "customData": map[string]any{"tier": "gold"}}}
		body := func(script string) map[string]any {
			return map[string]any{"tokenType": "client-credentials", "script": script, "environmentVariables": sampleEnv,
				"token": token, "context": context}
		}
		var got map[string]any
		e.Must(200, "POST", testPath, body(envSample), &got)
		if !sameJSON(t, got, sampleEnv) {
			t.Fatalf("env sample: %v", got)
		}
		got = nil
		e.Must(200, "POST", testPath, body(`function getCustomJwtClaims({ token, context }) {
  return { c: token.clientId, s: token.scope, tier: context.application.customData.tier };
}`), &got)
		if !sameJSON(t, got, map[string]any{"c": "app1", "s": "read", "tier": "gold"}) {
			t.Fatalf("token and context: %v", got)
		}

		r := e.API("POST", testPath, body(denySample))
		if r.Status != 403 || r.Code() != "jwt_customizer.general" || !strings.Contains(string(r.Body), "not today") {
			t.Fatalf("deny: %d %s", r.Status, r.Body)
		}
		r = e.API("POST", testPath, body(throwSample))
		var failed struct {
			Code string
			Data struct{ Message, Error string }
		}
		r.JSON(t, &failed)
		if r.Status != 422 || failed.Code != "jwt_customizer.general" || failed.Data.Message != "boom" || !strings.Contains(failed.Data.Error, "boom") {
			t.Fatalf("throw: %d %s", r.Status, r.Body)
		}
		if r := e.API("POST", testPath, body("function (")); r.Status != 422 || !strings.Contains(string(r.Body), "SyntaxError") {
			t.Fatalf("syntax error: %d %s", r.Status, r.Body)
		}
		b := body(envSample)
		b["tokenType"] = "access-token"
		if r := e.API("POST", testPath, b); r.Status != 400 || r.Code() != "guard.invalid_input" {
			t.Fatalf("access-token: %d %s", r.Status, r.Body)
		}
		delete(b, "token")
		b["tokenType"] = "client-credentials"
		if r := e.API("POST", testPath, b); r.Status != 400 {
			t.Fatalf("no token: %d %s", r.Status, r.Body)
		}
	})
}

func TestJWTCustomizerTokens(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		e.AdminToken() // before any customizer can refuse it

		if got := customClaims(t, e); len(got) != 0 {
			t.Fatalf("claims without a customizer: %v", got)
		}

		// Logto's sample: the environment variables become claims.
		putCustomizer(e, map[string]any{"script": envSample, "environmentVariables": sampleEnv})
		if got := customClaims(t, e); !sameJSON(t, got, sampleEnv) {
			t.Fatalf("env sample claims: %v", got)
		}

		// The script sees the token and the application (custom data
		// included, never a secret); standard claims win over its output.
		e.Must(200, "PATCH", "/api/applications/"+apptest.BootstrapID+"/custom-data", map[string]any{"tier": "gold"}, nil)
		putCustomizer(e, map[string]any{"script": `async function getCustomJwtClaims({ token, context }) {
  await null;
  return {
    sub: "someone-else", aud: "https://elsewhere", iss: "x", exp: 1, scope: "admin",
    tokenAud: token.aud, tokenScope: token.scope, tokenClient: token.clientId, kind: token.kind, hasExp: "exp" in token,
    appName: context.application.name, tier: context.application.customData.tier,
    secretSeen: JSON.stringify(context).includes(` + "`" + apptest.BootstrapSecret + "`" + `),
  };
}`})
		got := customClaims(t, e)
		want := map[string]any{"tokenAud": apptest.Indicator, "tokenScope": "all", "tokenClient": apptest.BootstrapID,
			"kind": "ClientCredentials", "hasExp": false, "appName": got["appName"], "tier": "gold", "secretSeen": false}
		if !sameJSON(t, got, want) || got["appName"] == "" {
			t.Fatalf("claims: %v", got)
		}

		// api.denyAccess refuses the token.
		putCustomizer(e, map[string]any{"script": denySample})
		status, body := tokenAnswer(t, e)
		if status != 400 || body["error"] != "access_denied" || body["error_description"] != "not today" {
			t.Fatalf("deny: %d %v", status, body)
		}

		// A throwing script: fail-open, then blocking.
		putCustomizer(e, map[string]any{"script": throwSample, "environmentVariables": sampleEnv})
		if got := customClaims(t, e); len(got) != 0 {
			t.Fatalf("fail-open claims: %v", got)
		}
		e.Must(200, "PATCH", ccPath, map[string]any{"script": throwSample, "blockIssuanceOnError": true}, nil)
		status, body = tokenAnswer(t, e)
		if status != 400 || body["error"] != "invalid_request" || body["error_description"] != "Custom claims script error." {
			t.Fatalf("blocking: %d %v", status, body)
		}
		// An error that quotes an environment variable reaches neither the
		// client nor the audit log (the log gets it redacted).
		e.Must(200, "PATCH", ccPath, map[string]any{"script": `function getCustomJwtClaims({ environmentVariables }) {
  throw new Error("upstream refused key " + environmentVariables.API_KEY);
}`, "blockIssuanceOnError": true}, nil)
		status, body = tokenAnswer(t, e)
		if raw, _ := json.Marshal(body); status != 400 || strings.Contains(string(raw), "12345") || strings.Contains(string(raw), "upstream") {
			t.Fatalf("leaking error: %d %s", status, raw)
		}
		e.Must(200, "PATCH", ccPath, map[string]any{"script": throwSample, "blockIssuanceOnError": true}, nil)
		tokenAnswer(t, e)

		// The audit log has every run, without the script or the
		// environment variables.
		if err := e.Server.FlushAudit(context.Background()); err != nil {
			t.Fatal(err)
		}
		var logs []struct {
			Key     string
			Payload map[string]any
		}
		e.Must(200, "GET", "/api/logs?logKey=JwtCustomizer.ClientCredentials&page_size=100", nil, &logs)
		if len(logs) < 5 {
			t.Fatalf("audit entries: %d", len(logs))
		}
		newest, _ := json.Marshal(logs[0].Payload)
		if logs[0].Payload["result"] != "Error" || !strings.Contains(string(newest), "Custom claims script error: boom") ||
			!strings.Contains(string(newest), `"clientId":"`+apptest.BootstrapID+`"`) {
			t.Fatalf("newest entry: %s", newest)
		}
		for _, l := range logs {
			p, _ := json.Marshal(l.Payload)
			if strings.Contains(string(p), "12345") || strings.Contains(string(p), "getCustomJwtClaims") {
				t.Fatalf("entry holds env or script: %s", p)
			}
		}

		// Deleted: tokens are plain again.
		e.Must(204, "DELETE", ccPath, nil, nil)
		if got := customClaims(t, e); len(got) != 0 {
			t.Fatalf("claims after delete: %v", got)
		}
	})
}

// TestJWTCustomizerTimeout: a script that never ends is stopped at the
// limit (200 ms here); the token is issued without custom claims unless
// blockIssuanceOnError is set.
func TestJWTCustomizerTimeout(t *testing.T) {
	for _, eng := range storetest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			e := startWith(t, eng.DSN(t), t.TempDir(), map[string]string{"GATEHOUSE_CUSTOMIZER_TIMEOUT": "200ms"})
			e.AdminToken()
			putCustomizer(e, map[string]any{"script": loopSample, "environmentVariables": sampleEnv})
			if got := customClaims(t, e); len(got) != 0 {
				t.Fatalf("claims: %v", got)
			}
			e.Must(200, "PATCH", ccPath, map[string]any{"script": loopSample, "blockIssuanceOnError": true}, nil)
			status, body := tokenAnswer(t, e)
			if status != 400 || body["error"] != "invalid_request" ||
				body["error_description"] != "Custom claims script error." {
				t.Fatalf("blocking: %d %v", status, body)
			}
			// The server still answers scripts that end.
			putCustomizer(e, map[string]any{"script": envSample, "environmentVariables": sampleEnv})
			if got := customClaims(t, e); !sameJSON(t, got, sampleEnv) {
				t.Fatalf("after timeouts: %v", got)
			}
		})
	}
}

// TestJWTCustomizerInstances: two instances on one PostgreSQL database; a
// customizer written through one holds on the other from its next tokens.
func TestJWTCustomizerInstances(t *testing.T) {
	dsn := storetest.Postgres(t)
	dir := t.TempDir()
	a := startWith(t, dsn, dir, nil)
	b := startWith(t, dsn, dir, nil)
	b.AdminToken()
	if got := customClaims(t, b); len(got) != 0 {
		t.Fatalf("before: %v", got)
	}
	putCustomizer(a, map[string]any{"script": envSample, "environmentVariables": sampleEnv})
	waitFor(t, func() bool { return sameJSON(t, customClaims(t, b), sampleEnv) })
	a.Must(204, "DELETE", ccPath, nil, nil)
	waitFor(t, func() bool { return len(customClaims(t, b)) == 0 })
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("the other instance never saw the change")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestJWTCustomizerEnvSealed: the environment variables are sealed at rest
// like app secrets; the API and the tokens still see them, after a restart
// of the configuration too.
func TestJWTCustomizerEnvSealed(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		env := map[string]string{"API_KEY": "sk_live_do_not_store_me"}
		putCustomizer(e, map[string]any{"script": envSample, "environmentVariables": env})
		raw, err := e.Server.Store().GetConfig(context.Background(), "default", "jwt.clientCredentials")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(raw), "sk_live_do_not_store_me") || !strings.Contains(string(raw), "sealedEnvironmentVariables") {
			t.Fatalf("stored: %s", raw)
		}
		var got struct{ EnvironmentVariables map[string]string }
		e.Must(200, "GET", ccPath, nil, &got)
		if got.EnvironmentVariables["API_KEY"] != "sk_live_do_not_store_me" {
			t.Fatalf("GET: %+v", got)
		}
		if err := e.Server.Service().LoadJWTCustomizer(context.Background()); err != nil {
			t.Fatal(err)
		}
		if claims := customClaims(t, e); claims["API_KEY"] != "sk_live_do_not_store_me" {
			t.Fatalf("claims: %v", claims)
		}
	})
}
