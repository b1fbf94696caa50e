package protect_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse/gatehouse/protect"
)

// api is a protected API on loopback: GET /products needs read:products,
// POST /products write:products (Require alone), GET /me only a valid
// token (Middleware), DELETE /products both chained.
func api(t *testing.T, v *protect.Validator) string {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := protect.ClaimsFrom(r.Context())
		if !ok {
			t.Error("no claims in context")
		}
		fmt.Fprintf(w, "%s %s", c.ClientID, strings.Join(c.Scopes, ","))
	})
	mux := http.NewServeMux()
	mux.Handle("GET /products", v.Require("read:products")(echo))
	mux.Handle("POST /products", v.Require("write:products")(echo))
	mux.Handle("GET /me", v.Middleware(echo))
	mux.Handle("DELETE /products", v.Middleware(v.Require("read:products", "write:products")(echo)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestMiddleware(t *testing.T) {
	is := newIssuer(t)
	kid := is.addKey(jose.ES256)
	v := mustNew(t, is)
	u := api(t, v)
	read := "Bearer " + is.token(kid, aud, "read:products")
	expiredClaims := is.claims(aud, "read:products")
	expiredClaims["exp"] = time.Now().Unix() - 3600
	expired := "Bearer " + is.sign(kid, "at+jwt", expiredClaims)
	realm := `Bearer realm="https://shopping.api"`

	tests := []struct {
		name, method, path, auth string
		status                   int
		challenge                string // exact WWW-Authenticate
		body                     string // exact body ("" = empty)
	}{
		{"no header", "GET", "/products", "", 401, realm, ""},
		{"basic scheme", "GET", "/products", "Basic YTpi", 401, realm, ""},
		{"no header, middleware", "GET", "/me", "", 401, realm, ""},
		{"bearer without token", "GET", "/products", "Bearer", 400,
			realm + `, error="invalid_request", error_description="malformed bearer token"`,
			`{"error":"invalid_request","error_description":"malformed bearer token"}`},
		{"token with a space", "GET", "/products", "Bearer a b", 400,
			realm + `, error="invalid_request", error_description="malformed bearer token"`,
			`{"error":"invalid_request","error_description":"malformed bearer token"}`},
		{"garbage token", "GET", "/products", "Bearer abc.def.ghi", 401,
			realm + `, error="invalid_token", error_description="malformed token"`,
			`{"error":"invalid_token","error_description":"malformed token"}`},
		{"expired", "GET", "/products", expired, 401,
			realm + `, error="invalid_token", error_description="token expired"`,
			`{"error":"invalid_token","error_description":"token expired"}`},
		{"other audience", "GET", "/me", "Bearer " + is.token(kid, "https://other", "read:products"), 401,
			realm + `, error="invalid_token", error_description="audience mismatch"`,
			`{"error":"invalid_token","error_description":"audience mismatch"}`},
		{"read ok", "GET", "/products", read, 200, "", "app-1 read:products"},
		{"scheme in lower case", "GET", "/products", "bearer " + read[7:], 200, "", "app-1 read:products"},
		{"missing write", "POST", "/products", read, 403,
			realm + `, error="insufficient_scope", error_description="the token lacks a required scope", scope="write:products"`,
			`{"error":"insufficient_scope","error_description":"the token lacks a required scope","scope":"write:products"}`},
		{"chained, missing write", "DELETE", "/products", read, 403,
			realm + `, error="insufficient_scope", error_description="the token lacks a required scope", scope="write:products"`,
			`{"error":"insufficient_scope","error_description":"the token lacks a required scope","scope":"write:products"}`},
		{"no scope at all", "DELETE", "/products", "Bearer " + is.token(kid, aud, ""), 403,
			realm + `, error="insufficient_scope", error_description="the token lacks a required scope", scope="read:products write:products"`,
			`{"error":"insufficient_scope","error_description":"the token lacks a required scope","scope":"read:products write:products"}`},
		{"middleware only", "GET", "/me", "Bearer " + is.token(kid, aud, ""), 200, "", "app-1"},
		{"both scopes", "DELETE", "/products", "Bearer " + is.token(kid, []string{aud}, "write:products read:products"), 200, "",
			"app-1 write:products,read:products"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := bearer(t, tt.method, u+tt.path, tt.auth)
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || resp.Header.Get("WWW-Authenticate") != tt.challenge ||
				strings.TrimSpace(string(b)) != tt.body {
				t.Fatalf("got %d %q %q\nwant %d %q %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), b,
					tt.status, tt.challenge, tt.body)
			}
			if tt.status >= 400 && resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", resp.Header.Get("Cache-Control"))
			}
		})
	}

	t.Run("two Authorization headers", func(t *testing.T) {
		req, _ := http.NewRequest("GET", u+"/products", nil)
		req.Header.Add("Authorization", read)
		req.Header.Add("Authorization", read)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
}

func TestErrorHandlerAndRealm(t *testing.T) {
	is := newIssuer(t)
	kid := is.addKey(jose.ES256)
	var seen *protect.Error
	v := mustNew(t, is, protect.WithRealm(`shop "api"`), protect.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, e *protect.Error) {
		seen = e
		w.Header().Set("WWW-Authenticate", e.Challenge("custom"))
		w.WriteHeader(e.Status())
		json.NewEncoder(w).Encode(map[string]string{"message": e.Description})
	}))
	u := api(t, v)
	resp := bearer(t, "POST", u+"/products", "Bearer "+is.token(kid, aud, "read:products"))
	resp.Body.Close()
	if resp.StatusCode != 403 || seen == nil || seen.Scopes[0] != "write:products" ||
		resp.Header.Get("WWW-Authenticate") != `Bearer realm="custom", error="insufficient_scope", error_description="the token lacks a required scope", scope="write:products"` {
		t.Fatalf("%d %q %+v", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), seen)
	}

	// The default writer with a realm that needs sanitizing.
	v2 := mustNew(t, is, protect.WithRealm("shop \"api\"\r\n"))
	resp = bearer(t, "GET", api(t, v2)+"/products", "")
	resp.Body.Close()
	if got := resp.Header.Get("WWW-Authenticate"); got != `Bearer realm="shop ?api???"` {
		t.Fatalf("challenge %q", got)
	}
}

func TestBearerToken(t *testing.T) {
	for h, want := range map[string]string{
		"Bearer abc":           "abc",
		"BEARER  a-b_c.d~e+f/": "a-b_c.d~e+f/",
		"Bearer abc==":         "abc==",
		"Bearer =abc":          "",
		"Bearer abc=d":         "",
		"Bearer a,b":           "",
		"Bearer ":              "",
		"Bearerabc":            "",
		"Token abc":            "",
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Authorization", h)
		got, err := protect.BearerToken(req)
		if got != want || (want == "") == (err == nil) {
			t.Errorf("%q: %q %v", h, got, err)
		}
	}
}
