package protect_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/protect"
)

// The five-line happy path: a Validator for the issuer and the API's
// indicator, and handlers wrapped with the scopes they need.
func ExampleNew() {
	v, err := protect.New(context.Background(), "http://localhost:3001/oidc", "https://shopping.api")
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	mux := http.NewServeMux()
	mux.Handle("GET /products", v.Require("read:products")(http.HandlerFunc(listProducts)))
	mux.Handle("POST /products", v.Require("write:products")(http.HandlerFunc(addProduct)))
	log.Fatal(http.ListenAndServe("127.0.0.1:4000", mux))
}

func listProducts(w http.ResponseWriter, r *http.Request) {
	c, _ := protect.ClaimsFrom(r.Context())
	fmt.Fprintf(w, "products for %s (scopes %v)\n", c.ClientID, c.Scopes)
}

func addProduct(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) }

// Middleware checks the token alone, for a whole tree of routes; Require
// inside it then only checks scopes.
func ExampleValidator_Middleware() {
	v, err := protect.New(context.Background(), "http://localhost:3001/oidc", "https://shopping.api")
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /products", listProducts)
	mux.Handle("POST /products", v.Require("write:products")(http.HandlerFunc(addProduct)))
	log.Fatal(http.ListenAndServe("127.0.0.1:4000", v.Middleware(mux)))
}

// Verify checks a token outside HTTP (a queue message, a gRPC call); the
// causes tell failures apart.
func ExampleValidator_Verify() {
	ctx := context.Background()
	v, err := protect.New(ctx, "http://localhost:3001/oidc", "https://shopping.api",
		protect.WithAlgorithms("ES256"), protect.WithLeeway(10*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	c, err := v.Verify(ctx, "eyJhbGciOiJFUzI1NiIs...")
	switch {
	case errors.Is(err, protect.ErrExpired):
		log.Print("ask for a new token")
	case err != nil:
		log.Print(err) // protect: invalid_token: ...
	default:
		log.Print(c.Subject, c.Scopes)
	}
}

// Several audiences and issuers: an API renamed from shop.example/api, and
// a Gatehouse per region. A token's iss picks the issuer whose keys must
// have signed it; its aud must name one of the audiences.
func ExampleWithIssuers() {
	v, err := protect.New(context.Background(), "https://eu.auth.example/oidc", "https://shopping.api",
		protect.WithIssuers("https://us.auth.example/oidc"),
		protect.WithAudiences("https://shop.example/api"))
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	fmt.Println(v.Issuers(), v.Audiences())
}

// shopClaims are the claims a JWT customizer adds to the shopping API's
// tokens.
type shopClaims struct {
	Tier   string   `json:"tier"`
	Stores []string `json:"stores"`
}

// ClaimsAs decodes custom claims into a struct of yours; Raw keeps them as
// a map.
func ExampleClaimsAs() {
	handler := func(w http.ResponseWriter, r *http.Request) {
		c, _ := protect.ClaimsFrom(r.Context())
		sc, err := protect.ClaimsAs[shopClaims](c)
		if err != nil {
			http.Error(w, "bad claims", http.StatusForbidden)
			return
		}
		fmt.Fprintf(w, "%s client of tier %s, stores %v\n", c.ClientID, sc.Tier, sc.Stores)
	}
	_ = handler
}

// RequireAny opens a route to any one of several scopes.
func ExampleValidator_RequireAny() {
	v, err := protect.New(context.Background(), "http://localhost:3001/oidc", "https://shopping.api")
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	mux := http.NewServeMux()
	mux.Handle("GET /products", v.RequireAny("read:products", "admin:products")(http.HandlerFunc(listProducts)))
	mux.Handle("DELETE /products/{id}", v.Require("write:products", "admin:products")(http.HandlerFunc(addProduct)))
}

// OnRefreshError reports the background key fetches that fail, for logs
// and metrics; verification goes on with the keys in hand.
func ExampleOnRefreshError() {
	v, err := protect.New(context.Background(), "http://localhost:3001/oidc", "https://shopping.api",
		protect.OnRefreshError(func(err error) {
			var re *protect.RefreshError
			errors.As(err, &re)
			log.Printf("keys of %s not refreshed: %v", re.Issuer, re.Err)
		}))
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
}

// The pieces a framework adapter is made of (gin, echo, fiber...; see
// docs/protect-your-api.md): BearerToken reads the header, Verify checks
// the token, Missing or HasAnyScope the scopes, WriteError answers as
// RFC 6750 says. authorize returns the claims, or answers the request and
// returns nil.
func ExampleBearerToken() {
	v, err := protect.New(context.Background(), "http://localhost:3001/oidc", "https://shopping.api")
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	authorize := func(w http.ResponseWriter, r *http.Request, scopes ...string) *protect.Claims {
		tok, e := protect.BearerToken(r)
		if e != nil {
			protect.WriteError(w, e, v.Audience())
			return nil
		}
		c, err := v.Verify(r.Context(), tok)
		if err != nil {
			protect.WriteError(w, err.(*protect.Error), v.Audience())
			return nil
		}
		if missing := c.Missing(scopes...); missing != nil {
			protect.WriteError(w, &protect.Error{Code: protect.CodeInsufficientScope,
				Description: "the token lacks a required scope", Scopes: missing, Err: protect.ErrInsufficientScope}, v.Audience())
			return nil
		}
		return c
	}
	http.HandleFunc("GET /products", func(w http.ResponseWriter, r *http.Request) {
		if c := authorize(w, r, "read:products"); c != nil {
			fmt.Fprintln(w, "products for", c.ClientID)
		}
	})
}
