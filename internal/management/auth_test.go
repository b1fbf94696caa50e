package management_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/storetest"
	"github.com/gatehouse/gatehouse/internal/token"
)

// mint signs claims with the server's current key, to make tokens the
// token endpoint would never issue (wrong issuer, expired, ...).
func mint(t *testing.T, e *apptest.Env, mutate func(c *token.Claims)) string {
	t.Helper()
	now := time.Now().Unix()
	c := token.Claims{JTI: "jti", Subject: "someone", ClientID: "someone", Issuer: e.Config.Issuer(),
		Audience: apptest.Indicator, IssuedAt: now, Expiry: now + 60, Scope: "all", HasScope: true}
	mutate(&c)
	tok, err := e.Server.Service().Keys().Current().Mint(nil, &c)
	if err != nil {
		t.Fatal(err)
	}
	return string(tok)
}

func TestAuthentication(t *testing.T) {
	e := apptest.New(t, storetest.SQLite(t))
	foreign, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	fk, _ := token.NewKey("x", foreign, rbac.KeyCurrent, 0, nil)
	now := time.Now().Unix()
	foreignTok, _ := fk.Mint(nil, &token.Claims{JTI: "j", Subject: "s", ClientID: "s", Issuer: e.Config.Issuer(),
		Audience: apptest.Indicator, IssuedAt: now, Expiry: now + 60, Scope: "all", HasScope: true})

	cases := []struct {
		name, header string
		status       int
		code         string
		dataCode     string
	}{
		{"no header", "", 401, "auth.authorization_header_missing", ""},
		{"basic", "Basic abc", 401, "auth.authorization_token_type_not_supported", ""},
		{"lowercase bearer", "bearer " + e.AdminToken(), 401, "auth.authorization_token_type_not_supported", ""},
		{"garbage", "Bearer not-a-jwt", 401, "auth.unauthorized", "ERR_JWS_INVALID"},
		{"foreign key", "Bearer " + string(foreignTok), 401, "auth.unauthorized", "ERR_JWKS_NO_MATCHING_KEY"},
		{"wrong issuer", "Bearer " + mint(t, e, func(c *token.Claims) { c.Issuer = "https://evil/oidc" }), 401, "auth.unauthorized", "ERR_JWT_CLAIM_VALIDATION_FAILED"},
		{"wrong audience", "Bearer " + mint(t, e, func(c *token.Claims) { c.Audience = "https://shopping.api" }), 401, "auth.unauthorized", "ERR_JWT_CLAIM_VALIDATION_FAILED"},
		{"expired", "Bearer " + mint(t, e, func(c *token.Claims) { c.IssuedAt, c.Expiry = now-120, now-60 }), 401, "auth.unauthorized", "ERR_JWT_EXPIRED"},
		{"no sub", "Bearer " + mint(t, e, func(c *token.Claims) { c.Subject = "" }), 401, "auth.jwt_sub_missing", ""},
		{"no scope", "Bearer " + mint(t, e, func(c *token.Claims) { c.HasScope = false }), 403, "auth.forbidden", ""},
		{"other scope", "Bearer " + mint(t, e, func(c *token.Claims) { c.Scope = "read:all allx" }), 403, "auth.forbidden", ""},
		{"token endpoint, no scope", "Bearer " + e.Token(apptest.Indicator, ""), 403, "auth.forbidden", ""},
		{"valid", "Bearer " + e.AdminToken(), 404, "", ""},
		{"valid, all among others", "Bearer " + mint(t, e, func(c *token.Claims) {
			c.Scope, c.Subject, c.ClientID = "x all y", apptest.BootstrapID, apptest.BootstrapID
		}), 404, "", ""},
		{"signed and scoped, but no such app", "Bearer " + mint(t, e, func(c *token.Claims) { c.Subject = "no-such-app" }), 403, "auth.forbidden", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", e.URL+"/api/no-such-route", nil)
			if c.header != "" {
				req.Header.Set("Authorization", c.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Code    string         `json:"code"`
				Message string         `json:"message"`
				Data    map[string]any `json:"data"`
			}
			json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != c.status || body.Code != c.code {
				t.Fatalf("got %d %q, want %d %q", resp.StatusCode, body.Code, c.status, c.code)
			}
			if c.code != "" && body.Message == "" {
				t.Error("no message")
			}
			if c.dataCode != "" && body.Data["code"] != c.dataCode {
				t.Errorf("data %v, want code %s", body.Data, c.dataCode)
			}
		})
	}
}

func TestAnonymousRoutes(t *testing.T) {
	e := apptest.New(t, storetest.SQLite(t))
	r := e.Do("GET", "/api/status", nil, "")
	if r.Status != 204 || len(r.Body) != 0 {
		t.Fatalf("status: %d %q", r.Status, r.Body)
	}
}
