package oidc_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/token"
)

// answer is an HTTP answer of the introspection or revocation endpoint.
type answer struct {
	status int
	header http.Header
	body   string
}

// call posts form to path with client_secret_basic credentials (none when
// id is "").
func call(t *testing.T, e *apptest.Env, path, id, secret string, form url.Values) answer {
	t.Helper()
	req, err := http.NewRequest("POST", e.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

const (
	introspectPath = "/oidc/token/introspection"
	revokePath     = "/oidc/token/revocation"
	shopAPI        = "https://shop.example/api"
	inactive       = `{"active":false}`
)

// client is an M2M app with its secret.
type client struct{ id, secret string }

// shop creates the resource shopAPI with scopes read and write, a role
// granting both, and two apps: "reader" holding the role and "other"
// holding nothing. It returns them and the role id.
func shop(t *testing.T, e *apptest.Env) (reader, other client, roleID string) {
	t.Helper()
	var res, read, write, role struct {
		ID string `json:"id"`
	}
	e.Must(201, "POST", "/api/resources", map[string]any{"name": "Shop", "indicator": shopAPI}, &res)
	e.Must(201, "POST", "/api/resources/"+res.ID+"/scopes", map[string]any{"name": "read"}, &read)
	e.Must(201, "POST", "/api/resources/"+res.ID+"/scopes", map[string]any{"name": "write"}, &write)
	e.Must(200, "POST", "/api/roles", map[string]any{"name": "shop", "description": "Shop",
		"type": "MachineToMachine", "scopeIds": []string{read.ID, write.ID}}, &role)
	mk := func(name string) client {
		var app struct {
			ID string `json:"id"`
		}
		e.Must(200, "POST", "/api/applications", map[string]any{"name": name, "type": "MachineToMachine"}, &app)
		var secrets []struct {
			Value string `json:"value"`
		}
		e.Must(200, "GET", "/api/applications/"+app.ID+"/secrets", nil, &secrets)
		return client{app.ID, secrets[0].Value}
	}
	reader, other = mk("reader"), mk("other")
	e.Must(201, "POST", "/api/applications/"+reader.id+"/roles", map[string]any{"roleIds": []string{role.ID}}, nil)
	return reader, other, role.ID
}

func (c client) token(t *testing.T, e *apptest.Env, resource, scope string) string {
	t.Helper()
	tok, status := e.TokenAs(c.id, c.secret, resource, scope)
	if status != 200 {
		t.Fatalf("token for %s: status %d", c.id, status)
	}
	return tok
}

func introspect(t *testing.T, e *apptest.Env, as client, tok string) answer {
	t.Helper()
	a := call(t, e, introspectPath, as.id, as.secret, url.Values{"token": {tok}})
	if a.status != 200 {
		t.Fatalf("introspection: status %d: %s", a.status, a.body)
	}
	if a.header.Get("Content-Type") != "application/json; charset=utf-8" || a.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("introspection headers: %v", a.header)
	}
	return a
}

// claimsOf decodes a token's payload without verifying it.
func claimsOf(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// mint signs claims with key, as the token endpoint would.
func mint(t *testing.T, key *token.Key, c token.Claims) string {
	t.Helper()
	b, err := key.Mint(nil, &c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestIntrospection(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		reader, other, roleID := shop(t, e)
		admin := client{apptest.BootstrapID, apptest.BootstrapSecret}
		issuer := e.Config.Issuer()
		tok := reader.token(t, e, shopAPI, "read write")
		c := claimsOf(t, tok)

		// A valid token, introspected by its own client: every member.
		a := introspect(t, e, reader, tok)
		var got map[string]any
		json.Unmarshal([]byte(a.body), &got)
		want := map[string]any{"active": true, "client_id": reader.id, "sub": reader.id, "aud": shopAPI,
			"scope": "read write", "exp": c["exp"], "iat": c["iat"], "iss": issuer, "token_type": "Bearer"}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("valid token:\n got %v\nwant %v", got, want)
		}
		// The token_type_hint is accepted, whatever it says.
		a = call(t, e, introspectPath, reader.id, reader.secret, url.Values{"token": {tok}, "token_type_hint": {"refresh_token"}})
		if a.status != 200 || !strings.HasPrefix(a.body, `{"active":true`) {
			t.Fatalf("with a hint: %d %s", a.status, a.body)
		}
		// With client_secret_post too.
		a = call(t, e, introspectPath, "", "", url.Values{"token": {tok}, "client_id": {reader.id}, "client_secret": {reader.secret}})
		if a.status != 200 || !strings.HasPrefix(a.body, `{"active":true`) {
			t.Fatalf("client_secret_post: %d %s", a.status, a.body)
		}
		// A token without scope has no scope member.
		bare := reader.token(t, e, shopAPI, "")
		if a := introspect(t, e, reader, bare); !strings.HasPrefix(a.body, `{"active":true`) || strings.Contains(a.body, `"scope"`) {
			t.Fatalf("token without scope: %s", a.body)
		}

		// A token of another client: inactive for "other", active for the
		// Management API administrator.
		if a := introspect(t, e, other, tok); a.body != inactive {
			t.Fatalf("another client's token introspected by other: %s", a.body)
		}
		if a := introspect(t, e, admin, tok); !strings.HasPrefix(a.body, `{"active":true,"client_id":"`+reader.id+`"`) {
			t.Fatalf("introspected by the administrator: %s", a.body)
		}

		// Expired: signed with the server's own current key, exp in the past.
		keys := e.Server.Service().Keys()
		now := time.Now().Unix()
		claims := token.Claims{JTI: "expired-token-id", Subject: reader.id, ClientID: reader.id, Issuer: issuer,
			Audience: shopAPI, IssuedAt: now - 7200, Expiry: now - 3600, Scope: "read", HasScope: true}
		if a := introspect(t, e, reader, mint(t, keys.Current(), claims)); a.body != inactive {
			t.Fatalf("expired token: %s", a.body)
		}
		claims.IssuedAt, claims.Expiry = now, now+3600
		if a := introspect(t, e, reader, mint(t, keys.Current(), claims)); !strings.HasPrefix(a.body, `{"active":true`) {
			t.Fatalf("the same token unexpired: %s", a.body) // proves the expiry made the difference
		}

		// Foreign: signed by a key this server never published.
		signer, err := token.Generate("ES256", rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		foreignKey, err := token.NewKey("foreign", signer, rbac.KeyCurrent, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		foreign := mint(t, foreignKey, claims)
		if a := introspect(t, e, reader, foreign); a.body != inactive {
			t.Fatalf("token of a foreign key: %s", a.body)
		}
		// ... and the same foreign signature under our key's header (kid).
		ourHeader := tok[:strings.IndexByte(tok, '.')]
		disguised := ourHeader + foreign[strings.IndexByte(foreign, '.'):]
		if a := introspect(t, e, reader, disguised); a.body != inactive {
			t.Fatalf("foreign signature under our kid: %s", a.body)
		}
		// Signed by our key but for another issuer.
		evil := claims
		evil.Issuer = "https://evil.example/oidc"
		if a := introspect(t, e, reader, mint(t, keys.Current(), evil)); a.body != inactive {
			t.Fatalf("another issuer: %s", a.body)
		}
		// A tampered payload (scope widened) keeps the original signature.
		parts := strings.Split(tok, ".")
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		parts[1] = base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"read write"`, `"read write admin"`, 1)))
		if a := introspect(t, e, reader, strings.Join(parts, ".")); a.body != inactive {
			t.Fatalf("tampered token: %s", a.body)
		}
		// Garbage and alg "none".
		none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"at+jwt"}`)) + "." + parts[1] + "."
		for _, g := range []string{"garbage", "a.b.c", none, strings.Repeat("x", 5000)} {
			if a := introspect(t, e, reader, g); a.body != inactive {
				t.Fatalf("garbage %.20q: %s", g, a.body)
			}
		}

		// Revoked: the owner revokes it; introspection says inactive.
		if a := call(t, e, revokePath, reader.id, reader.secret, url.Values{"token": {tok}}); a.status != 200 || a.body != "" {
			t.Fatalf("revoke: %d %q", a.status, a.body)
		}
		for _, as := range []client{reader, admin} {
			if a := introspect(t, e, as, tok); a.body != inactive {
				t.Fatalf("revoked token introspected by %s: %s", as.id, a.body)
			}
		}
		if a := introspect(t, e, reader, bare); !strings.HasPrefix(a.body, `{"active":true`) {
			t.Fatalf("another token of the same client after the revocation: %s", a.body)
		}

		// The grant no longer stands: the role is withdrawn, so the scopes
		// of a fresh token are no longer granted; its scope-less sibling
		// still stands (the resource exists).
		fresh := reader.token(t, e, shopAPI, "read")
		e.Must(204, "DELETE", "/api/applications/"+reader.id+"/roles/"+roleID, nil, nil)
		if a := introspect(t, e, reader, fresh); a.body != inactive {
			t.Fatalf("after the role was withdrawn: %s", a.body)
		}
		if a := introspect(t, e, reader, bare); !strings.HasPrefix(a.body, `{"active":true`) {
			t.Fatalf("scope-less token after the role was withdrawn: %s", a.body)
		}
		// The app is deleted: the administrator sees its tokens inactive.
		e.Must(204, "DELETE", "/api/applications/"+reader.id, nil, nil)
		if a := introspect(t, e, admin, bare); a.body != inactive {
			t.Fatalf("token of a deleted app: %s", a.body)
		}
	})
}

func TestIntrospectionRequestErrors(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		reader, _, _ := shop(t, e)
		tok := reader.token(t, e, shopAPI, "read")
		for _, path := range []string{introspectPath, revokePath} {
			cases := []struct {
				name         string
				id, secret   string
				form         url.Values
				status       int
				code, desc   string
				authenticate bool
			}{
				{"missing token", reader.id, reader.secret, url.Values{}, 400, "invalid_request", "missing required parameter 'token'", false},
				{"empty token", reader.id, reader.secret, url.Values{"token": {""}}, 400, "invalid_request", "missing required parameter 'token'", false},
				{"token twice", reader.id, reader.secret, url.Values{"token": {tok, tok}}, 400, "invalid_request", "'token' parameter must not be provided twice", false},
				{"no client", "", "", url.Values{"token": {tok}}, 400, "invalid_request", "no client authentication mechanism provided", false},
				{"unknown client", "nobody", "x", url.Values{"token": {tok}}, 400, "invalid_client", "invalid client nobody", false},
				{"wrong secret", reader.id, "wrong", url.Values{"token": {tok}}, 401, "invalid_client", "client authentication failed", true},
				// Client authentication comes first, as at the token endpoint.
				{"wrong secret, no token", reader.id, "wrong", url.Values{}, 401, "invalid_client", "client authentication failed", true},
			}
			for _, c := range cases {
				a := call(t, e, path, c.id, c.secret, c.form)
				var body struct{ Error, ErrorDescription string }
				json.Unmarshal([]byte(a.body), &struct {
					E *string `json:"error"`
					D *string `json:"error_description"`
				}{&body.Error, &body.ErrorDescription})
				if a.status != c.status || body.Error != c.code || body.ErrorDescription != c.desc {
					t.Errorf("%s %s: %d %s", path, c.name, a.status, a.body)
				}
				if c.authenticate && !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Basic ") {
					t.Errorf("%s %s: no WWW-Authenticate challenge", path, c.name)
				}
			}
		}
	})
}

func TestRevocation(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		reader, other, _ := shop(t, e)
		admin := client{apptest.BootstrapID, apptest.BootstrapSecret}
		tok := reader.token(t, e, shopAPI, "read")

		// Another client may not revoke it, and cannot tell it from an
		// unknown token (RFC 7009 §2.2; no validity oracle): 200 without
		// effect, and it stays active.
		for _, as := range []client{other, admin} {
			a := call(t, e, revokePath, as.id, as.secret, url.Values{"token": {tok}})
			g := call(t, e, revokePath, as.id, as.secret, url.Values{"token": {"garbage"}})
			if a.status != 200 || a.body != "" || a.status != g.status || a.body != g.body {
				t.Fatalf("revocation by %s: %d %q; of garbage: %d %q", as.id, a.status, a.body, g.status, g.body)
			}
		}
		if a := introspect(t, e, reader, tok); !strings.HasPrefix(a.body, `{"active":true`) {
			t.Fatalf("after refused revocations: %s", a.body)
		}

		// RFC 7009 §2.2: invalid tokens are answered 200 without effect.
		issuer := e.Config.Issuer()
		now := time.Now().Unix()
		expired := mint(t, e.Server.Service().Keys().Current(), token.Claims{JTI: "old", Subject: other.id, ClientID: other.id,
			Issuer: issuer, Audience: shopAPI, IssuedAt: now - 20, Expiry: now - 10})
		for name, g := range map[string]string{"garbage": "garbage", "jwt-shaped": "a.b.c", "expired, another client's": expired} {
			a := call(t, e, revokePath, reader.id, reader.secret, url.Values{"token": {g}, "token_type_hint": {"access_token"}})
			if a.status != 200 || a.body != "" {
				t.Fatalf("revoke %s: %d %q", name, a.status, a.body)
			}
		}

		// The owner revokes it, twice (the second time is a no-op).
		for range 2 {
			a := call(t, e, revokePath, reader.id, reader.secret, url.Values{"token": {tok}})
			if a.status != 200 || a.body != "" || a.header.Get("Cache-Control") != "no-store" {
				t.Fatalf("revoke own token: %d %q %v", a.status, a.body, a.header)
			}
		}
		if a := introspect(t, e, reader, tok); a.body != inactive {
			t.Fatalf("after revocation: %s", a.body)
		}
		// Recorded in the store until the token's exp, so a restart keeps it.
		rows, err := e.Server.Store().ListRevokedTokens(context.Background(), time.Now().UnixMilli())
		if err != nil || len(rows) != 1 || rows[0].ClientID != reader.id || rows[0].JTI != claimsOf(t, tok)["jti"] ||
			rows[0].ExpiresAt != int64(claimsOf(t, tok)["exp"].(float64))*1000 {
			t.Fatalf("stored entries %+v, %v", rows, err)
		}
	})
}

// TestRevokedManagementToken: a revoked Management API token gets 401 on
// /api at once, while a fresh token of the same app works.
func TestRevokedManagementToken(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		tok := e.Token(apptest.Indicator, "all")
		if r := e.Do("GET", "/api/applications", nil, tok); r.Status != 200 {
			t.Fatalf("before: %d %s", r.Status, r.Body)
		}
		a := call(t, e, revokePath, apptest.BootstrapID, apptest.BootstrapSecret, url.Values{"token": {tok}})
		if a.status != 200 {
			t.Fatalf("revoke: %d %s", a.status, a.body)
		}
		r := e.Do("GET", "/api/applications", nil, tok)
		var body struct {
			Code string `json:"code"`
			Data struct {
				Code, Name, Claim, Reason string
			} `json:"data"`
		}
		r.JSON(t, &body)
		if r.Status != 401 || body.Code != "auth.unauthorized" || body.Data.Code != "ERR_JWT_REVOKED" || body.Data.Claim != "jti" {
			t.Fatalf("revoked token on /api: %d %s", r.Status, r.Body)
		}
		if r := e.Do("GET", "/api/applications", nil, e.Token(apptest.Indicator, "all")); r.Status != 200 {
			t.Fatalf("a fresh token: %d %s", r.Status, r.Body)
		}
	})
}

func TestDiscoveryAdvertisesIntrospectionAndRevocation(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		resp, err := http.Get(e.URL + "/oidc/.well-known/oauth-authorization-server")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var md map[string]any
		json.NewDecoder(resp.Body).Decode(&md)
		methods := []any{"client_secret_basic", "client_secret_post", "private_key_jwt"}
		for k, v := range map[string]any{
			"token_endpoint_auth_methods_supported":            methods,
			"token_endpoint_auth_signing_alg_values_supported": []any{"ES256", "ES384", "EdDSA", "RS256", "PS256"},
			"introspection_endpoint":                           e.Config.Issuer() + "/token/introspection",
			"revocation_endpoint":                              e.Config.Issuer() + "/token/revocation",
			"introspection_endpoint_auth_methods_supported":    methods,
			"revocation_endpoint_auth_methods_supported":       methods,
		} {
			if !reflect.DeepEqual(md[k], v) {
				t.Errorf("%s = %v, want %v", k, md[k], v)
			}
		}
	})
}
