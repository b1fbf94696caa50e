// Command daily-orders is the seeds' machine-to-machine client: a job that
// gets an access token with the client credentials grant (package client)
// for the API resource https://shopping.api with the scope read:products,
// and calls the shopping API's GET /products with it, printing the
// products.
//
//	go run ./examples/daily-orders -client-id APP_ID -client-secret APP_SECRET
//
// Flags override the environment variables GATEHOUSE_URL,
// DAILY_ORDERS_CLIENT_ID, DAILY_ORDERS_CLIENT_SECRET, SHOPPING_API_URL,
// DAILY_ORDERS_RESOURCE and DAILY_ORDERS_SCOPE. Exit codes: 0 done, 1 the
// token or the API call failed, 2 bad flags. See README.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/gatehouse/gatehouse/client"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Product is what the shopping API lists (the fields this job prints).
type Product struct {
	ID    string  `json:"id"`
	Name  string  `json:"name"`
	Price float64 `json:"price"`
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("daily-orders", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := func(env, fallback string) string {
		if v := getenv(env); v != "" {
			return v
		}
		return fallback
	}
	gatehouse := fs.String("gatehouse", def("GATEHOUSE_URL", "http://localhost:3001"), "Gatehouse's address ($GATEHOUSE_URL)")
	clientID := fs.String("client-id", getenv("DAILY_ORDERS_CLIENT_ID"), "this app's id ($DAILY_ORDERS_CLIENT_ID)")
	secret := fs.String("client-secret", getenv("DAILY_ORDERS_CLIENT_SECRET"), "this app's secret ($DAILY_ORDERS_CLIENT_SECRET)")
	api := fs.String("api", def("SHOPPING_API_URL", "http://127.0.0.1:4000"), "the shopping API's address ($SHOPPING_API_URL)")
	resource := fs.String("resource", def("DAILY_ORDERS_RESOURCE", "https://shopping.api"), "the API's resource indicator ($DAILY_ORDERS_RESOURCE)")
	scope := fs.String("scope", def("DAILY_ORDERS_SCOPE", "read:products"), "scopes to ask for, space-separated ($DAILY_ORDERS_SCOPE)")
	asJSON := fs.Bool("json", false, "print the API's JSON answer as it is")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 || *clientID == "" || *secret == "" {
		fmt.Fprintln(stderr, "daily-orders: -client-id and -client-secret (or DAILY_ORDERS_CLIENT_ID and DAILY_ORDERS_CLIENT_SECRET) are needed, and no arguments")
		return 2
	}

	// The token source caches the token and renews it a minute before it
	// expires; its Client sends it as "Authorization: Bearer ...".
	ts := client.NewTokenSource(client.TokenConfig{
		BaseURL:  *gatehouse,
		ClientID: *clientID, ClientSecret: *secret,
		Resource: *resource, Scopes: strings.Fields(*scope),
	})
	hc := ts.Client()
	hc.Timeout = 30 * time.Second

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(*api, "/")+"/products", nil)
	if err != nil {
		fmt.Fprintln(stderr, "daily-orders:", err)
		return 2
	}
	resp, err := hc.Do(req)
	if err != nil {
		// A refusal of the token endpoint is a *client.OAuthError with
		// the OAuth error and its description.
		var oe *client.OAuthError
		if errors.As(err, &oe) {
			fmt.Fprintf(stderr, "daily-orders: no token: %s: %s\n", oe.Code, oe.Description)
		} else {
			fmt.Fprintln(stderr, "daily-orders:", err)
		}
		return 1
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		fmt.Fprintln(stderr, "daily-orders:", err)
		return 1
	}
	if resp.StatusCode != http.StatusOK {
		// RFC 6750: the reason is in WWW-Authenticate (invalid_token,
		// insufficient_scope and the scope needed).
		fmt.Fprintf(stderr, "daily-orders: GET /products: %s", resp.Status)
		if wa := resp.Header.Get("WWW-Authenticate"); wa != "" {
			fmt.Fprintf(stderr, ": %s", wa)
		}
		fmt.Fprintln(stderr)
		return 1
	}
	if *asJSON {
		stdout.Write(body)
		return 0
	}
	var products []Product
	if err := json.Unmarshal(body, &products); err != nil {
		fmt.Fprintln(stderr, "daily-orders: the API's answer is not a product list:", err)
		return 1
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tPRICE")
	for _, p := range products {
		fmt.Fprintf(tw, "%s\t%s\t%.2f\n", p.ID, p.Name, p.Price)
	}
	tw.Flush()
	fmt.Fprintf(stdout, "%d products\n", len(products))
	return 0
}
