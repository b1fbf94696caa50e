package oidc_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	gatehouse "github.com/gatehouse/gatehouse/client"
	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/protect"
)

// TestDPoPClientToProtect is the whole path: the Go client holds a DPoP
// key, gets a bound token from the server and calls an API guarded by
// protect, which checks the proof. The client calls the server by its
// public URL (the configured endpoint, http://localhost:3001), routed to
// the test server as a reverse proxy would: the proofs name the public URL.
func TestDPoPClientToProtect(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		reader, _, _ := shop(t, e)
		public, _ := url.Parse(e.Config.Endpoint)
		listen := e.HTTP.Listener.Addr().String()
		dialer := &net.Dialer{}
		hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr == public.Host {
				addr = listen
			}
			return dialer.DialContext(ctx, network, addr)
		}}}

		v, err := protect.New(context.Background(), e.Config.Issuer(), shopAPI, protect.WithJWKSURL(e.URL+"/oidc/jwks"))
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		api := httptest.NewServer(v.Require("read")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, _ := protect.ClaimsFrom(r.Context())
			fmt.Fprint(w, c.ClientID, " ", c.JKT())
		})))
		defer api.Close()

		key, err := gatehouse.GenerateDPoPKey()
		if err != nil {
			t.Fatal(err)
		}
		ts := gatehouse.NewTokenSource(gatehouse.TokenConfig{BaseURL: e.Config.Endpoint, ClientID: reader.id, ClientSecret: reader.secret,
			Resource: shopAPI, Scopes: []string{"read"}, DPoP: key, HTTPClient: hc})
		tok, err := ts.Token()
		if err != nil || tok.TokenType != "DPoP" {
			t.Fatalf("token: %v %+v", err, tok)
		}
		resp, err := ts.Client().Get(api.URL + "/orders?open=1")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != reader.id+" "+key.Thumbprint() {
			t.Fatalf("API call with DPoP: %d %s", resp.StatusCode, b)
		}

		// The stolen token alone is refused, as a bearer token and with a
		// proof from another key.
		req, _ := http.NewRequest("GET", api.URL+"/orders", nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
			t.Fatalf("stolen token as Bearer: %v %v", err, resp.Status)
		}
		thief, _ := gatehouse.GenerateDPoPKey()
		p, _ := thief.Proof("GET", api.URL+"/orders", tok.AccessToken)
		req.Header.Set("Authorization", "DPoP "+tok.AccessToken)
		req.Header.Set("DPoP", p)
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
			t.Fatalf("stolen token with the thief's proof: %v %v", err, resp.Status)
		}
		// And the Management API never takes a bound token as a bearer one.
		admin := gatehouse.NewTokenSource(gatehouse.TokenConfig{BaseURL: e.Config.Endpoint, ClientID: apptest.BootstrapID,
			ClientSecret: apptest.BootstrapSecret, Resource: apptest.Indicator, Scopes: []string{"all"}, DPoP: key, HTTPClient: hc})
		at, err := admin.Token()
		if err != nil || at.TokenType != "DPoP" {
			t.Fatalf("admin token: %v %+v", err, at)
		}
		if r := e.Do("GET", "/api/applications", nil, at.AccessToken); r.Status != 401 {
			t.Fatalf("Management API with a bound token as Bearer: %d %s", r.Status, r.Body)
		}
	})
}
