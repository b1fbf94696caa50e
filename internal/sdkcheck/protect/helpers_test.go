package protect_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/protect"
)

// These helpers are copies of those of protect's own tests, which live in
// the protect module and cannot be imported from here.

const aud = "https://shopping.api"

// api is a protected API on loopback: GET /products needs read:products,
// POST /products write:products.
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
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// bearer sends a request to u with the Authorization header h.
func bearer(t testing.TB, method, u, h string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", h)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// header decodes the JOSE header of a compact JWS.
func header(t testing.TB, tok string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(tok[:strings.IndexByte(tok, '.')])
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

// wantErr checks that err is an *protect.Error with code and cause.
func wantErr(t testing.TB, err error, code string, cause error) {
	t.Helper()
	var e *protect.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want *protect.Error", err, err)
	}
	if e.Code != code || !errors.Is(err, cause) {
		t.Fatalf("error %v (code %q), want code %q and cause %v", err, e.Code, code, cause)
	}
}
