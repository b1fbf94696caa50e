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
