// Package examples_test runs the two examples end to end: the shopping API
// (protected with package protect) and the daily-orders job (tokens with
// package client), against a Gatehouse server started in the test.
package examples_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/client"
	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/config"
)

const (
	adminID     = "bootstrap-admin"
	adminSecret = "bootstrap secret"
	shopping    = "https://shopping.api"
)

// build compiles both examples into a temporary directory. (They are main
// packages; a built binary starts in milliseconds where go run would
// compile each time.)
func build(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH; it builds the examples")
	}
	dir := t.TempDir()
	cmd := exec.Command(goBin, "build", "-o", dir+string(filepath.Separator), "./shopping-api", "./daily-orders")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// gatehouse starts a server on a loopback port whose endpoint (and so
// issuer) is that port's URL, so the shopping API finds its discovery
// document there. (apptest's servers keep the default endpoint
// http://localhost:3001, which another process cannot reach.)
// skew is how far the in-process server's clock is behind the real one,
// in nanoseconds: the story sets it to have a token issued in the past.
type skew struct{ ns atomic.Int64 }

func (s *skew) now() time.Time { return time.Now().Add(-time.Duration(s.ns.Load())) }

func gatehouse(t *testing.T, clock *skew) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	env := map[string]string{
		"GATEHOUSE_DATA_DIR":             t.TempDir(),
		"GATEHOUSE_ENDPOINT":             url,
		"GATEHOUSE_BOOTSTRAP_APP_ID":     adminID,
		"GATEHOUSE_BOOTSTRAP_APP_SECRET": adminSecret,
	}
	cfg, err := config.Load(func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := app.New(context.Background(), cfg, app.Options{Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(srv.Handler())
	hs.Listener.Close()
	hs.Listener = ln
	hs.Start()
	t.Cleanup(func() {
		hs.Close()
		srv.Close(context.Background())
	})
	return url
}

// shoppingAPI starts the shopping API process and returns its URL.
func shoppingAPI(t *testing.T, bin, issuer string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "shopping-api"),
		"-issuer", issuer, "-audience", shopping, "-listen", "127.0.0.1:0")
	cmd.Env = []string{}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
	})
	addr := make(chan string, 1)
	var log bytes.Buffer
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			log.WriteString(line + "\n")
			if _, rest, ok := strings.Cut(line, "listening on "); ok {
				addr <- strings.Fields(strings.Trim(rest, `"`))[0]
			}
		}
		close(addr)
	}()
	select {
	case u, ok := <-addr:
		if !ok {
			t.Fatalf("shopping-api stopped before listening:\n%s", log.String())
		}
		return strings.TrimRight(u, `"`)
	case <-time.After(30 * time.Second):
		t.Fatalf("shopping-api did not start")
	}
	return ""
}

// dailyOrders runs the daily-orders job and returns its output and exit code.
func dailyOrders(t *testing.T, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(filepath.Join(bin, "daily-orders"), args...)
	cmd.Env = []string{}
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// call sends method /products with tok and returns the status, the
// WWW-Authenticate header and the body.
func call(t *testing.T, method, api, tok string) (int, string, string) {
	t.Helper()
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(`{"name":"Grinder","price":99}`)
	}
	req, _ := http.NewRequest(method, api+"/products", body)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), string(b)
}

// accessToken gets a token from ts.
func accessToken(t *testing.T, ts *client.TokenSource) string {
	t.Helper()
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

// must checks a call's error and returns its value.
func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// TestShoppingStory is the seeds' story end to end: the shopping API with
// its two scopes, an M2M app whose role holds read:products, the
// daily-orders job listing the products (200), the same token refused for
// POST (403 insufficient_scope), an expired token refused (401
// invalid_token), and the app writing once its role gets write:products.
func TestShoppingStory(t *testing.T) {
	bin := build(t)
	var clock skew
	gh := gatehouse(t, &clock)
	ctx := context.Background()

	// The setup, through the Management API with the SDK.
	m := client.NewManagementAPI("default", client.ManagementOptions{ClientID: adminID, ClientSecret: adminSecret, BaseURL: gh})
	res := must[*client.Resource](t)(m.CreateResource(ctx, client.ResourceCreate{Name: "Online shopping", Indicator: shopping}))
	read := must[*client.Scope](t)(m.CreateResourceScope(ctx, res.ID, client.ScopeCreate{Name: "read:products"}))
	write := must[*client.Scope](t)(m.CreateResourceScope(ctx, res.ID, client.ScopeCreate{Name: "write:products"}))
	role := must[*client.Role](t)(m.CreateRole(ctx, client.RoleCreate{Name: "shop-reader", Description: "Reads products",
		Type: client.RoleTypeM2M, ScopeIDs: []string{read.ID}}))
	orders := must[*client.Application](t)(m.CreateApplication(ctx, client.ApplicationCreate{Name: "daily-orders"}))
	if err := m.AssignRoleApplications(ctx, role.ID, []string{orders.ID}); err != nil {
		t.Fatal(err)
	}
	secret := must[[]client.ApplicationSecret](t)(m.ListApplicationSecrets(ctx, orders.ID))[0].Value

	api := shoppingAPI(t, bin, gh+"/oidc")
	creds := []string{"-gatehouse", gh, "-api", api, "-client-id", orders.ID, "-client-secret", secret}

	// 200: the job lists the products.
	out, errs, code := dailyOrders(t, bin, creds...)
	if code != 0 || !strings.Contains(out, "Espresso beans, 1 kg") || !strings.HasSuffix(out, "2 products\n") {
		t.Fatalf("daily-orders: exit %d\n%s%s", code, out, errs)
	}
	out, _, code = dailyOrders(t, bin, append(creds, "-json")...)
	var products []struct{ ID, Name string }
	if code != 0 || json.Unmarshal([]byte(out), &products) != nil || len(products) != 2 {
		t.Errorf("daily-orders -json: exit %d: %s", code, out)
	}

	// 403: the same kind of token (asking for both scopes, granted
	// read:products only) cannot POST.
	ts := client.NewTokenSource(client.TokenConfig{BaseURL: gh, ClientID: orders.ID, ClientSecret: secret,
		Resource: shopping, Scopes: []string{"read:products", "write:products"}})
	tok := accessToken(t, ts)
	if status, _, _ := call(t, "GET", api, tok); status != 200 {
		t.Errorf("GET with read:products: %d", status)
	}
	status, wa, body := call(t, "POST", api, tok)
	if status != 403 || !strings.Contains(wa, `error="insufficient_scope"`) || !strings.Contains(wa, `scope="write:products"`) {
		t.Errorf("POST with read:products: %d %q %s", status, wa, body)
	}
	// The job asking only for a scope its role lacks gets a token without
	// it, and a 403 naming the scope needed.
	_, errs, code = dailyOrders(t, bin, append(creds, "-scope", "write:products")...)
	if code != 1 || !strings.Contains(errs, "403") || !strings.Contains(errs, `scope="read:products"`) {
		t.Errorf("daily-orders without read:products: exit %d: %s", code, errs)
	}

	// 401: an expired token. Gatehouse refuses a negative TTL (Logto
	// passes one through), so the token is issued by a server whose clock
	// is two hours behind: its hour of validity ended an hour ago, well
	// past any verification leeway.
	clock.ns.Store(int64(2 * time.Hour))
	expired := client.NewTokenSource(client.TokenConfig{BaseURL: gh, ClientID: orders.ID, ClientSecret: secret,
		Resource: shopping, Scopes: []string{"read:products"}})
	old := accessToken(t, expired)
	status, wa, body = call(t, "GET", api, old)
	if status != 401 || !strings.Contains(wa, `error="invalid_token"`) {
		t.Errorf("GET with an expired token: %d %q %s", status, wa, body)
	}
	_, errs, code = dailyOrders(t, bin, creds...)
	if code != 1 || !strings.Contains(errs, "401") || !strings.Contains(errs, "invalid_token") {
		t.Errorf("daily-orders with expired tokens: exit %d: %s", code, errs)
	}
	clock.ns.Store(0)

	// A wrong secret: no token, the OAuth error printed.
	_, errs, code = dailyOrders(t, bin, "-gatehouse", gh, "-api", api, "-client-id", orders.ID, "-client-secret", "wrong")
	if code != 1 || !strings.Contains(errs, "invalid_client") {
		t.Errorf("daily-orders with a wrong secret: exit %d: %s", code, errs)
	}
	if _, _, code = dailyOrders(t, bin, "-api", api); code != 2 {
		t.Errorf("daily-orders without credentials: exit %d", code)
	}

	// Grant write:products to the role: the app's next token can POST.
	must[[]client.Scope](t)(m.AssignRoleScopes(ctx, role.ID, []string{write.ID}))
	ts2 := client.NewTokenSource(client.TokenConfig{BaseURL: gh, ClientID: orders.ID, ClientSecret: secret,
		Resource: shopping, Scopes: []string{"read:products", "write:products"}})
	tok2 := accessToken(t, ts2)
	status, _, body = call(t, "POST", api, tok2)
	if status != 201 || !strings.Contains(body, `"createdBy":"`+orders.ID+`"`) {
		t.Errorf("POST with write:products: %d %s", status, body)
	}
	out, _, _ = dailyOrders(t, bin, creds...)
	if !strings.Contains(out, "Grinder") || !strings.HasSuffix(out, "3 products\n") {
		t.Errorf("daily-orders after the POST:\n%s", out)
	}
}
