package app

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/gatehouse/gatehouse/internal/change"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

const (
	post       = "client_id=" + shopApp + "&client_secret=" + shopSecret
	shopGrant  = "grant_type=client_credentials&resource=" + shopAPI
	okRead     = shopGrant + "&scope=read:products&" + post
	bigBodyLen = 57*1024 + 1
)

type errCase struct {
	name   string
	body   string
	header []string // name, value pairs
	ctype  string   // default form
	status int
	code   string
	desc   string
}

// errorCases are every error row of spec §2.3 (client authentication) and
// §2.11 (the grant), with the request that produces it. The organization
// rows use unknown organizations; members and their tokens are tested in
// internal/management/organizations_token_test.go.
func errorCases() []errCase {
	shopBasic := []string{"Authorization", basic(shopApp, shopSecret)}
	return []errCase{
		// §2.3 client authentication, in check order.
		{name: "two mechanisms", body: shopGrant + "&client_secret=" + shopSecret, header: shopBasic,
			status: 400, code: "invalid_request", desc: "client authentication must only be provided using one mechanism"},
		{name: "client_id mismatch", body: shopGrant + "&client_id=someone-else", header: shopBasic,
			status: 400, code: "invalid_request", desc: "client_id mismatch"},
		{name: "not basic", body: shopGrant, header: []string{"Authorization", "Bearer abc"},
			status: 400, code: "invalid_request", desc: "invalid authorization header value format"},
		{name: "basic without colon", body: shopGrant, header: []string{"Authorization", "Basic " + b64("no-colon")},
			status: 400, code: "invalid_request", desc: "invalid authorization header value format"},
		{name: "basic three parts", body: shopGrant, header: []string{"Authorization", "Basic a b"},
			status: 400, code: "invalid_request", desc: "invalid authorization header value format"},
		{name: "basic not base64", body: shopGrant, header: []string{"Authorization", "Basic ***"},
			status: 400, code: "invalid_request", desc: "invalid authorization header value format"},
		{name: "basic non-ascii", body: shopGrant, header: []string{"Authorization", "Basic " + b64(shopApp+":s%C3%A9cret")},
			status: 400, code: "invalid_request", desc: "client_id and client_secret in the authorization header are not properly encoded"},
		{name: "basic control char", body: shopGrant, header: []string{"Authorization", "Basic " + b64(shopApp+":a%0Ab")},
			status: 400, code: "invalid_request", desc: "client_id and client_secret in the authorization header are not properly encoded"},
		{name: "basic malformed escape", body: shopGrant, header: []string{"Authorization", "Basic " + b64(shopApp+":100%zz")},
			status: 400, code: "invalid_request", desc: "client_id and client_secret in the authorization header are not properly encoded"},
		{name: "basic empty secret", body: shopGrant, header: []string{"Authorization", "Basic " + b64(shopApp+":")},
			status: 400, code: "invalid_request", desc: "client_secret must be provided in the Authorization header"},
		{name: "no client", body: shopGrant,
			status: 400, code: "invalid_request", desc: "no client authentication mechanism provided"},
		{name: "secret without id", body: shopGrant + "&client_secret=x",
			status: 400, code: "invalid_request", desc: "no client authentication mechanism provided"},
		{name: "unknown client", body: shopGrant + "&client_id=not-found&client_secret=x",
			status: 400, code: "invalid_client", desc: "invalid client not-found"},
		{name: "unknown client basic", body: shopGrant, header: []string{"Authorization", basic("not-found", "x")},
			status: 400, code: "invalid_client", desc: "invalid client not-found"},
		{name: "no secret", body: shopGrant + "&client_id=" + shopApp,
			status: 401, code: "invalid_client", desc: "client authentication failed"},
		{name: "client assertion", body: shopGrant + "&client_id=" + shopApp + "&client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer&client_assertion=a.b.c",
			status: 401, code: "invalid_client", desc: "client authentication failed"},
		{name: "wrong secret basic", body: shopGrant, header: []string{"Authorization", basic(shopApp, "wrong")},
			status: 401, code: "invalid_client", desc: "client authentication failed"},
		{name: "wrong secret post", body: shopGrant + "&client_id=" + shopApp + "&client_secret=wrong",
			status: 401, code: "invalid_client", desc: "client authentication failed"},
		{name: "expired secret", body: shopGrant + "&client_id=" + shopApp + "&client_secret=" + oldSecret,
			status: 400, code: "invalid_request", desc: "client secret has expired"},
		{name: "expired secret basic", body: shopGrant, header: []string{"Authorization", basic(shopApp, oldSecret)},
			status: 400, code: "invalid_request", desc: "client secret has expired"},
		{name: "duplicate client_id", body: shopGrant + "&" + post + "&client_id=" + shopApp,
			status: 400, code: "invalid_request", desc: "'client_id' parameter must not be provided twice"},
		{name: "other origin", body: okRead, header: []string{"Origin", "https://evil.example"},
			status: 400, code: "invalid_request", desc: "origin https://evil.example not allowed for client: " + shopApp},

		// §2.4 order after authentication.
		{name: "missing grant_type", body: "resource=" + shopAPI + "&" + post,
			status: 400, code: "invalid_request", desc: "missing required parameter 'grant_type'"},
		{name: "unsupported grant_type", body: "grant_type=password&" + post,
			status: 400, code: "unsupported_grant_type", desc: "unsupported grant_type requested"},
		{name: "grant not allowed", body: "grant_type=authorization_code&" + post,
			status: 400, code: "invalid_request", desc: "requested grant type is not allowed for this client"},
		{name: "duplicate grant_type", body: shopGrant + "&grant_type=client_credentials&" + post,
			status: 400, code: "invalid_request", desc: "'grant_type' parameter must not be provided twice"},
		{name: "duplicate scope", body: okRead + "&scope=write:products",
			status: 400, code: "invalid_request", desc: "'scope' parameter must not be provided twice"},

		// §2.11 the grant.
		{name: "no resource no default", body: "grant_type=client_credentials&scope=all&" + post,
			status: 400, code: "invalid_target", desc: "both `resource` and `organization_id` are not provided"},
		{name: "empty resource no default", body: "grant_type=client_credentials&resource=&" + post,
			status: 400, code: "invalid_target", desc: "both `resource` and `organization_id` are not provided"},
		{name: "unknown resource", body: "grant_type=client_credentials&resource=https://not-found&" + post,
			status: 400, code: "invalid_target", desc: "resource indicator is missing, or unknown"},
		{name: "trailing slash matters", body: "grant_type=client_credentials&resource=https://shopping.api/&" + post,
			status: 400, code: "invalid_target", desc: "resource indicator is missing, or unknown"},
		{name: "not absolute", body: "grant_type=client_credentials&resource=shopping.api&" + post,
			status: 400, code: "invalid_target", desc: "resource indicator must be an absolute URI"},
		{name: "no host", body: "grant_type=client_credentials&resource=https://&" + post,
			status: 400, code: "invalid_target", desc: "resource indicator must be an absolute URI"},
		{name: "fragment", body: "grant_type=client_credentials&resource=https://shopping.api%23frag&" + post,
			status: 400, code: "invalid_target", desc: "resource indicator must not contain a fragment component"},
		{name: "two resources", body: shopGrant + "&resource=" + otherAPI + "&" + post,
			status: 400, code: "invalid_target", desc: "only a single resource indicator value is supported for this grant type"},
		{name: "unknown organization", body: okRead + "&organization_id=org1",
			status: 403, code: "access_denied", desc: "app has not associated with the organization"},
		{name: "unknown organization before resource", body: "grant_type=client_credentials&resource=https://not-found&organization_id=x&" + post,
			status: 403, code: "access_denied", desc: "app has not associated with the organization"},

		// §2.1 transport.
		{name: "wrong content type", body: okRead, ctype: "text/plain",
			status: 400, code: "invalid_request", desc: "only application/x-www-form-urlencoded content-type bodies are supported on POST /token"},
		{name: "no content type", body: okRead, ctype: "-",
			status: 400, code: "invalid_request", desc: "only application/x-www-form-urlencoded content-type bodies are supported on POST /token"},
		{name: "nul byte", body: okRead + "&x=a\x00b",
			status: 400, code: "invalid_request", desc: "null bytes are not allowed in the request body"},
		{name: "body too large", body: okRead + "&pad=" + strings.Repeat("a", bigBodyLen),
			status: 400, code: "invalid_request", desc: "request body exceeds the 56kb limit"},
		{name: "unsupported charset", body: okRead, ctype: "application/x-www-form-urlencoded; charset=klingon",
			status: 400, code: "invalid_request", desc: `unsupported charset "klingon"`},
		{name: "malformed json is an empty body", body: `{"grant_type":`, ctype: "application/json",
			status: 400, code: "invalid_request", desc: "no client authentication mechanism provided"},
		{name: "query string ignored", body: "",
			status: 400, code: "invalid_request", desc: "no client authentication mechanism provided"},
	}
}

var messages = map[string]string{
	"invalid_request":        "Request is invalid.",
	"invalid_target":         "Invalid resource indicator.",
	"access_denied":          "Access denied.",
	"unsupported_grant_type": "Unsupported `grant_type` requested.",
	"invalid_client":         "An OIDC error occurred: oidc.invalid_client.",
}

func TestTokenErrors(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		for _, c := range errorCases() {
			t.Run(c.name, func(t *testing.T) {
				ctype := c.ctype
				switch ctype {
				case "":
					ctype = "application/x-www-form-urlencoded"
				case "-":
					ctype = ""
				}
				u := f.tokenURL()
				if c.name == "query string ignored" {
					u += "?" + okRead
				}
				resp := f.do("POST", u, ctype, c.body, c.header...)
				m, raw := readJSON(t, resp)
				if resp.StatusCode != c.status || m["error"] != c.code || m["error_description"] != c.desc {
					t.Fatalf("got %d %s, want %d %s %q", resp.StatusCode, raw, c.status, c.code, c.desc)
				}
				if m["code"] != "oidc."+c.code || m["message"] != messages[c.code] || len(m) != 4 {
					t.Errorf("decoration: %s", raw)
				}
				if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
					t.Errorf("Cache-Control %q", cc)
				}
				www := resp.Header.Get("WWW-Authenticate")
				hasAuthz := len(c.header) > 0 && c.header[0] == "Authorization"
				if c.status == 401 && hasAuthz {
					want := `Basic realm="` + f.cfg.Issuer() + `", error="invalid_client", error_description="client authentication failed"`
					if www != want {
						t.Errorf("WWW-Authenticate %q, want %q", www, want)
					}
				} else if www != "" {
					t.Errorf("unexpected WWW-Authenticate %q", www)
				}
			})
		}
	})
}

func TestTokenUnknownRouteAndMethod(t *testing.T) {
	f := newFixture(t, sqliteDSN(t))
	resp := f.do("GET", f.tokenURL(), "", "")
	_, raw := readJSON(t, resp)
	want := `{"code":"oidc.invalid_request","message":"Request is invalid.","error":"invalid_request","error_description":"unrecognized route or not allowed method (GET on /token)"}`
	if resp.StatusCode != 404 || raw != want {
		t.Fatalf("got %d %s", resp.StatusCode, raw)
	}
	resp = f.do("POST", f.http.URL+"/oidc/nope", "", "")
	if _, raw := readJSON(t, resp); resp.StatusCode != 404 || !strings.Contains(raw, "(POST on /nope)") {
		t.Fatalf("got %d %s", resp.StatusCode, raw)
	}
	resp = f.do("POST", f.tokenURL()+"?parse_error=false", "", "")
	if _, raw := readJSON(t, resp); raw != `{"error":"invalid_request","error_description":"no client authentication mechanism provided"}` {
		t.Fatalf("parse_error=false: %s", raw)
	}
}

type okCase struct {
	name   string
	body   string
	header []string
	ctype  string
	raw    []byte // body bytes, when not body
	aud    string
	scope  string // "" = no scope
	ttl    int64
	sub    string
}

func successCases() []okCase {
	utf16body := func(s string) []byte {
		var b []byte
		for _, u := range utf16.Encode([]rune(s)) {
			b = append(b, byte(u), byte(u>>8))
		}
		return b
	}
	return []okCase{
		{name: "basic", body: shopGrant + "&scope=read:products", header: []string{"Authorization", basic(shopApp, shopSecret)},
			aud: shopAPI, scope: "read:products", ttl: 3600},
		{name: "basic scheme case-insensitive", body: shopGrant + "&scope=read:products", header: []string{"Authorization", "bAsIc " + b64(shopApp+":"+shopSecret)},
			aud: shopAPI, scope: "read:products", ttl: 3600},
		{name: "post", body: okRead, aud: shopAPI, scope: "read:products", ttl: 3600},
		{name: "ungranted dropped", body: shopGrant + "&scope=read:products write:products random&" + post, aud: shopAPI, scope: "read:products", ttl: 3600},
		{name: "order kept, duplicates removed", body: "grant_type=client_credentials&resource=" + shopAPI + "&scope=random+read:products++read:products&" + post,
			aud: shopAPI, scope: "read:products", ttl: 3600},
		{name: "no scope", body: shopGrant + "&" + post, aud: shopAPI, ttl: 3600},
		{name: "empty scope", body: shopGrant + "&scope=&" + post, aud: shopAPI, ttl: 3600},
		{name: "only ungranted", body: shopGrant + "&scope=write:products openid&" + post, aud: shopAPI, ttl: 3600},
		{name: "scope of another resource", body: shopGrant + "&scope=read:other&" + post, aud: shopAPI, ttl: 3600},
		{name: "other resource and ttl", body: "grant_type=client_credentials&resource=" + otherAPI + "&scope=read:other read:products&" + post,
			aud: otherAPI, scope: "read:other", ttl: 120},
		{name: "zero ttl gives 600", body: "grant_type=client_credentials&resource=urn:zero:ttl&scope=read&" + post, aud: "urn:zero:ttl", scope: "read", ttl: 600},
		{name: "same resource twice", body: shopGrant + "&resource=" + shopAPI + "&scope=read:products&" + post, aud: shopAPI, scope: "read:products", ttl: 3600},
		{name: "audience alias", body: "grant_type=client_credentials&audience=" + shopAPI + "&scope=read:products&" + post, aud: shopAPI, scope: "read:products", ttl: 3600},
		{name: "unknown params dropped", body: okRead + "&foo=1&foo=2&code=x", aud: shopAPI, scope: "read:products", ttl: 3600},
		{name: "json", ctype: "application/json", body: `{"grant_type":"client_credentials","resource":"` + shopAPI + `","scope":"read:products","client_id":"` + shopApp + `","client_secret":"` + shopSecret + `"}`,
			aud: shopAPI, scope: "read:products", ttl: 3600},
		{name: "json charset", ctype: "application/json; charset=utf-8", body: `{"grant_type":"client_credentials","resource":["` + shopAPI + `"],"client_id":"` + shopApp + `","client_secret":"` + shopSecret + `"}`,
			aud: shopAPI, ttl: 3600},
		{name: "utf16le", ctype: "application/x-www-form-urlencoded; charset=utf16le", raw: utf16body(okRead), aud: shopAPI, scope: "read:products", ttl: 3600},
		{name: "latin1", ctype: "application/x-www-form-urlencoded; charset=latin1", body: okRead, aud: shopAPI, scope: "read:products", ttl: 3600},
		{name: "same origin", body: okRead, header: []string{"Origin", "http://localhost:3001"}, aud: shopAPI, scope: "read:products", ttl: 3600},
		{name: "management api", body: "grant_type=client_credentials&resource=" + mapi + "&scope=all", header: []string{"Authorization", basic(bootID, bootSecret)},
			aud: mapi, scope: "all", ttl: 3600, sub: bootID},
		{name: "user roles never count", body: shopGrant + "&scope=write:products&" + post, aud: shopAPI, ttl: 3600},
	}
}

func TestTokenSuccess(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		for _, c := range successCases() {
			t.Run(c.name, func(t *testing.T) {
				ctype := c.ctype
				if ctype == "" {
					ctype = "application/x-www-form-urlencoded"
				}
				body := c.body
				if c.raw != nil {
					body = string(c.raw)
				}
				start := time.Now().Unix()
				resp := f.do("POST", f.tokenURL(), ctype, body, c.header...)
				m, raw := readJSON(t, resp)
				if resp.StatusCode != 200 {
					t.Fatalf("got %d %s", resp.StatusCode, raw)
				}
				checkTokenResponse(t, f, resp, m, raw, c, start)
			})
		}
	})
}

func checkTokenResponse(t *testing.T, f *fixture, resp *http.Response, m map[string]any, raw string, c okCase, start int64) {
	t.Helper()
	if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("headers %v", resp.Header)
	}
	wantKeys := 3
	if c.scope != "" {
		wantKeys = 4
		if m["scope"] != c.scope {
			t.Errorf("scope %v, want %q", m["scope"], c.scope)
		}
	} else if _, ok := m["scope"]; ok {
		t.Errorf("scope present: %s", raw)
	}
	if len(m) != wantKeys || m["token_type"] != "Bearer" || m["expires_in"] != float64(c.ttl) {
		t.Fatalf("body %s", raw)
	}
	tok, _ := m["access_token"].(string)
	h, claims := f.verify(tok)
	if h.ExtraHeaders["typ"] != "at+jwt" || h.Algorithm != "ES256" {
		t.Errorf("header %+v", h)
	}
	sub := c.sub
	if sub == "" {
		sub = shopApp
	}
	if claims["sub"] != sub || claims["client_id"] != sub || claims["iss"] != f.cfg.Issuer() || claims["aud"] != c.aud {
		t.Errorf("claims %v", claims)
	}
	jti, _ := claims["jti"].(string)
	iat, _ := claims["iat"].(float64)
	exp, _ := claims["exp"].(float64)
	if len(jti) != 43 || int64(iat) < start-1 || int64(iat) > time.Now().Unix()+1 || int64(exp-iat) != c.ttl {
		t.Errorf("jti/iat/exp: %v", claims)
	}
	wantClaims := 7
	if c.scope != "" {
		wantClaims = 8
		if claims["scope"] != c.scope {
			t.Errorf("claim scope %v", claims["scope"])
		}
	}
	if len(claims) != wantClaims {
		t.Errorf("claims %v: want %d members", claims, wantClaims)
	}
}

func sqliteDSN(t *testing.T) string { return t.TempDir() + "/gatehouse.db" }

// TestSecretExpiryMilliseconds: a secret that expired 100 ms ago is
// refused, though the second has not turned (expiry was compared in whole
// seconds, so it worked for up to a second more).
func TestSecretExpiryMilliseconds(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_500)
	dir := t.TempDir()
	_, f := startOn(t, testConfig(t, dir+"/gatehouse.db", dir), Options{Now: func() time.Time { return now }})
	f.seedShop()
	just := now.UnixMilli() - 100
	const justSecret = "justExpiredSecret0123456789abcde"
	f.addSecret(shopApp, "just expired", justSecret, &just)
	f.srv.cache.Apply(change.Set{All: true})
	resp := f.post(shopGrant, "Authorization", basic(shopApp, justSecret))
	m, raw := readJSON(t, resp)
	if resp.StatusCode != 400 || m["error_description"] != "client secret has expired" {
		t.Fatalf("secret expired 100 ms ago: %d %s", resp.StatusCode, raw)
	}
}
