package protect_test

// This file is in package protect_test, so its use of internal/apptest (a
// whole Gatehouse server for the test) does not make protect depend on
// internal/ for its users.

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/protect"
)

// toServer is an HTTP client that sends every request to e's listener,
// whatever the host: the server's issuer is its configured endpoint
// (http://localhost:3001/oidc), not the test listener's address, and the
// discovery document points there.
func toServer(e *apptest.Env) *http.Client {
	addr := e.HTTP.Listener.Addr().String()
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}}
}

// TestGatehouse protects an API with tokens of a real Gatehouse server: the
// seeds' shopping API, an app holding read:products only, a key rotation
// followed at the first token of the new key.
func TestGatehouse(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		var res struct{ ID string }
		e.Must(201, "POST", "/api/resources", map[string]any{"name": "Online shopping", "indicator": aud}, &res)
		var read struct{ ID string }
		e.Must(201, "POST", "/api/resources/"+res.ID+"/scopes", map[string]any{"name": "read:products"}, &read)
		e.Must(201, "POST", "/api/resources/"+res.ID+"/scopes", map[string]any{"name": "write:products"}, nil)
		var role struct{ ID string }
		e.Must(200, "POST", "/api/roles", map[string]any{"name": "shop-reader", "description": "Reads products",
			"type": "MachineToMachine", "scopeIds": []string{read.ID}}, &role)
		var app struct{ ID string }
		e.Must(200, "POST", "/api/applications", map[string]any{"name": "Daily orders", "type": "MachineToMachine"}, &app)
		e.Must(201, "POST", "/api/applications/"+app.ID+"/roles", map[string]any{"roleIds": []string{role.ID}}, nil)
		var secrets []struct{ Value string }
		e.Must(200, "GET", "/api/applications/"+app.ID+"/secrets", nil, &secrets)
		token := func() string {
			t.Helper()
			tok, status := e.TokenAs(app.ID, secrets[0].Value, aud, "read:products write:products")
			if status != 200 {
				t.Fatalf("token: %d", status)
			}
			return tok
		}

		issuer := e.Config.Issuer()
		v, err := protect.New(context.Background(), issuer, aud, protect.WithHTTPClient(toServer(e)))
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		if u, _ := url.Parse(v.JWKSURL()); u.Path != "/oidc/jwks" {
			t.Fatalf("jwks_uri %q", v.JWKSURL())
		}
		c, err := v.Verify(context.Background(), token())
		if err != nil {
			t.Fatal(err)
		}
		if c.Subject != app.ID || c.ClientID != app.ID || len(c.Scopes) != 1 || c.Scopes[0] != "read:products" ||
			c.JTI == "" || c.IssuedAt.IsZero() || c.Expiry.Sub(c.IssuedAt).Seconds() != 3600 {
			t.Fatalf("claims %+v", c)
		}

		// The Management API's tokens are for another audience.
		_, err = v.Verify(context.Background(), e.AdminToken())
		wantErr(t, err, protect.CodeInvalidToken, protect.ErrAudience)

		// Through the middleware: 200 for reading, 403 for writing.
		u := api(t, v)
		for path, want := range map[string]int{"GET /products": 200, "POST /products": 403} {
			method, p, _ := strings.Cut(path, " ")
			resp := bearer(t, method, u+p, "Bearer "+token())
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Fatalf("%s: %d %s %q", path, resp.StatusCode, b, resp.Header.Get("WWW-Authenticate"))
			}
		}

		// Rotation to an RSA key, effective at once: the first token of the
		// new key makes the validator fetch the keys again.
		old := token()
		e.Must(200, "POST", "/api/configs/oidc/private-keys/rotate", map[string]any{"signingKeyAlgorithm": "RSA"}, nil)
		tok := token()
		if h := header(t, tok); h["alg"] != "RS256" {
			t.Fatalf("after rotation: header %v", h)
		}
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatalf("after rotation: %v", err)
		}
		if _, err := v.Verify(context.Background(), old); err != nil {
			t.Fatalf("token of the previous key: %v", err)
		}
	})
}
