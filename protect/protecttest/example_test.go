package protecttest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/protect"
	"github.com/gatehouse/gatehouse/protect/protecttest"
)

// listProducts is the handler under test.
func listProducts(w http.ResponseWriter, r *http.Request) {
	c, _ := protect.ClaimsFrom(r.Context())
	fmt.Fprintln(w, "products for", c.ClientID)
}

// A handler test with tokens of a test issuer: the route's scope, a token
// without it, an expired one. (It is the body of a func TestListProducts(t
// *testing.T) in your API's tests.)
func Example() {
	testListProducts := func(t *testing.T) {
		is := protecttest.NewIssuer(t)
		h := is.Validator(t, "https://shopping.api").Require("read:products")(http.HandlerFunc(listProducts))
		for _, tc := range []struct {
			claims protecttest.Claims
			status int
		}{
			{protecttest.Claims{Audience: []string{"https://shopping.api"}, Scopes: []string{"read:products"}}, 200},
			{protecttest.Claims{Audience: []string{"https://shopping.api"}, Scopes: []string{"write:products"}}, 403},
			{protecttest.Claims{Audience: []string{"https://shopping.api"}, Scopes: []string{"read:products"},
				Expiry: time.Now().Add(-time.Hour)}, 401},
		} {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, protecttest.Request("GET", "/products", is.Token(tc.claims)))
			if w.Code != tc.status {
				t.Errorf("%+v: %d, want %d", tc.claims, w.Code, tc.status)
			}
		}
	}
	_ = testListProducts
}

// TestExample runs Example's test.
func TestExample(t *testing.T) {
	is := protecttest.NewIssuer(t)
	h := is.Validator(t, "https://shopping.api").Require("read:products")(http.HandlerFunc(listProducts))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, protecttest.Request("GET", "/products", is.Token(protecttest.Claims{
		Audience: []string{"https://shopping.api"}, Scopes: []string{"read:products"}, ClientID: "app-1"})))
	if w.Code != 200 || w.Body.String() != "products for app-1\n" {
		t.Fatalf("%d %q", w.Code, w.Body)
	}
}
