package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/protect"
)

// TestShoppingAPI runs the API's handler with tokens of a real Gatehouse:
// a reader app and a writer app, as in the README's walk.
func TestShoppingAPI(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		var res struct{ ID string }
		e.Must(201, "POST", "/api/resources", map[string]any{"name": "Online shopping", "indicator": "https://shopping.api"}, &res)
		scope := map[string]string{}
		for _, name := range []string{"read:products", "write:products"} {
			var s struct{ ID string }
			e.Must(201, "POST", "/api/resources/"+res.ID+"/scopes", map[string]any{"name": name}, &s)
			scope[name] = s.ID
		}
		app := func(name string, scopes ...string) (id, secret string) {
			ids := []string{}
			for _, s := range scopes {
				ids = append(ids, scope[s])
			}
			var role, a struct{ ID string }
			e.Must(200, "POST", "/api/roles", map[string]any{"name": name + "-role", "description": name,
				"type": "MachineToMachine", "scopeIds": ids}, &role)
			e.Must(200, "POST", "/api/applications", map[string]any{"name": name, "type": "MachineToMachine"}, &a)
			e.Must(201, "POST", "/api/applications/"+a.ID+"/roles", map[string]any{"roleIds": []string{role.ID}}, nil)
			var secrets []struct{ Value string }
			e.Must(200, "GET", "/api/applications/"+a.ID+"/secrets", nil, &secrets)
			return a.ID, secrets[0].Value
		}
		token := func(id, secret string) string {
			tok, status := e.TokenAs(id, secret, "https://shopping.api", "read:products write:products")
			if status != 200 {
				t.Fatalf("token: %d", status)
			}
			return tok
		}
		reader := token(app("daily-orders", "read:products"))
		writerID, writerSecret := app("catalog-sync", "read:products", "write:products")
		writer := token(writerID, writerSecret)

		// The server's issuer is its configured endpoint, not the test
		// listener: send the metadata and JWKS requests to the listener.
		addr := e.HTTP.Listener.Addr().String()
		hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}}}
		v, err := protect.New(context.Background(), e.Config.Issuer(), "https://shopping.api", protect.WithHTTPClient(hc))
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		srv := httptest.NewServer(newHandler(v, newStore(), slog.New(slog.DiscardHandler)))
		defer srv.Close()

		do := func(method, tok, body string) (int, string, string) {
			req, _ := http.NewRequest(method, srv.URL+"/products", strings.NewReader(body))
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), string(b)
		}
		if st, ch, _ := do("GET", "", ""); st != 401 || ch != `Bearer realm="https://shopping.api"` {
			t.Fatalf("no token: %d %q", st, ch)
		}
		if st, ch, _ := do("GET", reader+"x", ""); st != 401 || !strings.Contains(ch, `error="invalid_token"`) {
			t.Fatalf("bad token: %d %q", st, ch)
		}
		st, _, body := do("GET", reader, "")
		var list []Product
		if st != 200 || json.Unmarshal([]byte(body), &list) != nil || len(list) != 2 {
			t.Fatalf("list: %d %s", st, body)
		}
		if st, ch, _ := do("POST", reader, `{"name":"Grinder","price":99}`); st != 403 ||
			!strings.Contains(ch, `error="insufficient_scope"`) || !strings.Contains(ch, `scope="write:products"`) {
			t.Fatalf("reader posts: %d %q", st, ch)
		}
		st, _, body = do("POST", writer, `{"name":"Grinder","price":99}`)
		var p Product
		if st != 201 || json.Unmarshal([]byte(body), &p) != nil || p.ID != "3" || p.CreatedBy != writerID {
			t.Fatalf("writer posts: %d %s", st, body)
		}
		for _, bad := range []string{`{"name":"","price":1}`, `{"name":"x","price":-1}`, `{"name":"x","colour":"red"}`, `[`} {
			if st, _, body := do("POST", writer, bad); st != 400 {
				t.Fatalf("%s: %d %s", bad, st, body)
			}
		}
		if _, _, body := do("GET", reader, ""); !strings.Contains(body, "Grinder") {
			t.Fatalf("list after add: %s", body)
		}
	})
}

func TestRunArguments(t *testing.T) {
	var out bytes.Buffer
	env := func(string) string { return "" }
	if err := run(context.Background(), []string{"-h"}, env, &out); err == nil || !strings.Contains(out.String(), "-audience") {
		t.Fatalf("-h: %v %s", err, out.String())
	}
	if err := run(context.Background(), []string{"extra"}, env, &out); err == nil {
		t.Fatal("extra argument accepted")
	}
	// An unreachable issuer fails at start, naming it.
	err := run(context.Background(), []string{"-issuer", "http://127.0.0.1:1/oidc"}, env, &out)
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("unreachable issuer: %v", err)
	}
}
