package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/limit"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/storetest"
)

// The failure limit end to end: real HTTP on loopback, each peer a client
// bound to its own 127.0.0.0/8 address, and a clock the test moves.

// limitClock is a settable clock for Options.Now.
type limitClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *limitClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *limitClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newLimitFixture is newFixture with GATEHOUSE_TOKEN_FAILURE_LIMIT set to
// rate and the server's limitClock at now.
func newLimitFixture(t *testing.T, dsn, rate string, now *limitClock) *fixture {
	t.Helper()
	return newLimitFixtureWith(t, dsn, rate, now, nil)
}

// newLimitFixtureWith is newLimitFixture with edit applied to the
// configuration (when not nil).
func newLimitFixtureWith(t *testing.T, dsn, rate string, now *limitClock, edit func(*config.Config)) *fixture {
	t.Helper()
	dataDir := t.TempDir()
	if !strings.HasPrefix(dsn, "postgres") {
		dataDir = strings.TrimSuffix(dsn, "/gatehouse.db")
	}
	cfg := testConfig(t, dsn, dataDir)
	if rate != "" {
		r, err := limit.ParseRate(rate)
		if err != nil {
			t.Fatal(err)
		}
		cfg.TokenFailureLimit = r
	}
	if edit != nil {
		edit(&cfg)
	}
	_, f := startOn(t, cfg, Options{Now: now.Now})
	f.seedShop()
	now.mu.Lock()
	now.t = time.Now() // after the seeds: the expired secret is expired
	now.mu.Unlock()
	return f
}

// peer is an HTTP client whose connections come from one loopback address.
type peer struct {
	f      *fixture
	ip     string
	client *http.Client
}

func (f *fixture) peer(ip string) *peer {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr := &http.Transport{DialContext: d.DialContext}
	f.t.Cleanup(tr.CloseIdleConnections)
	return &peer{f: f, ip: ip, client: &http.Client{Transport: tr}}
}

// peerAnswer is a response with its body read.
type peerAnswer struct {
	status int
	header http.Header
	body   string
}

// send posts a form to path (the token endpoint when "") with header
// name/value pairs; ctype "-" sends no content type.
func (h *peer) send(path, ctype, form string, header ...string) peerAnswer {
	h.f.t.Helper()
	if path == "" {
		path = "/oidc/token"
	}
	req, err := http.NewRequest("POST", h.f.http.URL+path, strings.NewReader(form))
	if err != nil {
		h.f.t.Fatal(err)
	}
	if ctype != "-" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.f.t.Fatalf("from %s: %v", h.ip, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.f.t.Fatal(err)
	}
	return peerAnswer{resp.StatusCode, resp.Header, string(b)}
}

// token asks for a shop token as id with secret, client_secret_post.
func (h *peer) token(id, secret string) peerAnswer {
	h.f.t.Helper()
	return h.send("", "", shopGrant+"&client_id="+url.QueryEscape(id)+"&client_secret="+url.QueryEscape(secret))
}

// expect checks an peerAnswer's status (and, for a 429, the rest of it).
func (h *peer) expect(what string, a peerAnswer, status int) {
	h.f.t.Helper()
	if a.status != status {
		h.f.t.Fatalf("%s from %s: status %d, want %d: %s", what, h.ip, a.status, status, a.body)
	}
}

// expectLimited checks a 429 of the failure limit: Retry-After, and the
// OAuth error body in Logto's decoration.
func expectLimited(t *testing.T, what string, a peerAnswer, retryAfter, desc string) {
	t.Helper()
	if a.status != http.StatusTooManyRequests {
		t.Fatalf("%s: status %d, want 429: %s", what, a.status, a.body)
	}
	if got := a.header.Get("Retry-After"); got != retryAfter {
		t.Errorf("%s: Retry-After %q, want %q", what, got, retryAfter)
	}
	if a.header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
		t.Errorf("%s: headers %v", what, a.header)
	}
	if a.header.Get("WWW-Authenticate") != "" {
		t.Errorf("%s: a 429 with a WWW-Authenticate challenge", what)
	}
	want := `{"code":"oidc.slow_down","message":"An OIDC error occurred: oidc.slow_down.","error":"slow_down","error_description":"` + desc + `"}`
	if a.body != want {
		t.Errorf("%s: body\n%s\nwant\n%s", what, a.body, want)
	}
}

const addrLimited = "too many failed client authentications from this address"

// TestFailureLimitAddress: an address that failed N times gets 429 for
// everything (token, introspection, revocation, even malformed requests)
// until one interval passes; other addresses are not affected; the 429s
// are in the audit log; and a window later the address has its full
// allowance again.
func TestFailureLimitAddress(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			now := &limitClock{t: time.Now()}
			f := newLimitFixture(t, e.DSN(t), "3/1m", now) // one failure pays off in 20s
			bad, good := f.peer("127.0.0.2"), f.peer("127.0.0.3")

			bad.expect("wrong secret 1", bad.token(shopApp, "wrong"), 401)
			bad.expect("unknown client", bad.token("not-an-app", "x"), 400)
			bad.expect("wrong secret basic", bad.send("", "", shopGrant, "Authorization", basic(shopApp, "wrong")), 401)

			expectLimited(t, "right secret", bad.token(shopApp, shopSecret), "20", addrLimited)
			expectLimited(t, "right secret basic", bad.send("", "", shopGrant, "Authorization", basic(shopApp, shopSecret)), "20", addrLimited)
			expectLimited(t, "malformed request", bad.send("", "-", "garbage"), "20", addrLimited)
			expectLimited(t, "introspection", bad.send(oidcIntrospect, "", "token=x", "Authorization", basic(shopApp, shopSecret)), "20", addrLimited)
			expectLimited(t, "revocation", bad.send(oidcRevoke, "", "token=x", "Authorization", basic(shopApp, shopSecret)), "20", addrLimited)

			good.expect("another address", good.token(shopApp, shopSecret), 200)
			good.expect("another address, introspection", good.send(oidcIntrospect, "", "token=x", "Authorization", basic(shopApp, shopSecret)), 200)

			// The audit log has the token endpoint's 429s, from that address.
			if err := f.srv.FlushAudit(context.Background()); err != nil {
				t.Fatal(err)
			}
			logs, _, err := f.srv.store.ListLogs(context.Background(), rbac.LogFilter{TenantID: "default", Key: rbac.LogKeyClientCredentials, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			limited := 0
			for _, l := range logs {
				var p struct {
					Result string `json:"result"`
					IP     string `json:"ip"`
					Error  struct {
						Error       string `json:"error"`
						Description string `json:"error_description"`
						Status      int    `json:"status"`
					} `json:"error"`
				}
				if err := json.Unmarshal(l.Payload, &p); err != nil {
					t.Fatal(err)
				}
				if p.Error.Status != 429 {
					continue
				}
				limited++
				if p.Result != "Error" || l.Result != rbac.ResultError || p.IP != "127.0.0.2" || p.Error.Error != "slow_down" ||
					p.Error.Description != addrLimited {
					t.Errorf("429 audit entry: %s", l.Payload)
				}
			}
			if limited != 3 {
				t.Errorf("%d audit entries of a 429, want 3 (the token requests refused)", limited)
			}

			// One interval later the address may try once more.
			now.Add(19 * time.Second)
			expectLimited(t, "19s later", bad.token(shopApp, shopSecret), "20", addrLimited)
			now.Add(time.Second)
			bad.expect("20s later, right secret", bad.token(shopApp, shopSecret), 200)
			bad.expect("20s later, wrong secret", bad.token(shopApp, "wrong"), 401)
			expectLimited(t, "after that failure", bad.token(shopApp, shopSecret), "20", addrLimited)

			// Once the failures are paid off, the whole allowance is back.
			now.Add(2 * time.Minute)
			for i := range 3 {
				bad.expect("after the window, failure "+string(rune('1'+i)), bad.token(shopApp, "wrong"), 401)
			}
			expectLimited(t, "after the window, over again", bad.token(shopApp, shopSecret), "20", addrLimited)
		})
	}
}

// TestFailureLimitClient: guesses at one app from many addresses put the
// app over its limit. Then the addresses that guessed get 429 for that app
// (and only that app), while the app itself, from an address that has not
// failed, keeps getting tokens.
func TestFailureLimitClient(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			now := &limitClock{t: time.Now()}
			f := newLimitFixture(t, e.DSN(t), "3/1m", now)
			clientLimited := "too many failed client authentications for client " + shopApp
			var guessers []*peer
			for _, ip := range []string{"127.0.0.11", "127.0.0.12", "127.0.0.13", "127.0.0.14"} {
				h := f.peer(ip)
				h.expect("one guess", h.token(shopApp, "guess-"+ip), 401)
				guessers = append(guessers, h)
			}
			g := guessers[0]
			expectLimited(t, "guesser, right secret", g.token(shopApp, shopSecret), "20", clientLimited)
			expectLimited(t, "guesser, right secret basic", g.send("", "", shopGrant, "Authorization", basic(shopApp, shopSecret)), "20", clientLimited)
			expectLimited(t, "guesser, introspection", g.send(oidcIntrospect, "", "token=x", "Authorization", basic(shopApp, shopSecret)), "20", clientLimited)
			g.expect("guesser, another app", g.send("", "", "grant_type=client_credentials&resource="+mapi+"&scope=all", "Authorization", basic(bootID, bootSecret)), 200)

			app := f.peer("127.0.0.20")
			for i := range 5 {
				app.expect("the app's own host, request "+string(rune('1'+i)), app.token(shopApp, shopSecret), 200)
			}
			// A new address gets one guess, then it is a guesser too.
			n := f.peer("127.0.0.21")
			n.expect("new address, guess", n.token(shopApp, "another guess"), 401)
			expectLimited(t, "new address, after its guess", n.token(shopApp, shopSecret), "20", clientLimited)
			app.expect("the app's own host, still", app.token(shopApp, shopSecret), 200)

			// When the guessing stops, the app's failures are paid off and
			// the guessers' addresses forgotten.
			now.Add(2 * time.Minute)
			for _, h := range guessers {
				h.expect("two windows later", h.token(shopApp, shopSecret), 200)
			}
		})
	}
}

// TestFailureLimitWhatCounts: unknown client ids count against the address;
// an expired secret (it matched) and malformed requests do not.
func TestFailureLimitWhatCounts(t *testing.T) {
	now := &limitClock{t: time.Now()}
	f := newLimitFixture(t, sqliteDSN(t), "3/1m", now)

	u := f.peer("127.0.0.30")
	for i := range 3 {
		u.expect("unknown id", u.token("made-up-"+string(rune('a'+i)), "x"), 400)
	}
	expectLimited(t, "after 3 unknown ids", u.token(shopApp, shopSecret), "20", addrLimited)

	x := f.peer("127.0.0.31")
	for range 10 {
		a := x.token(shopApp, oldSecret)
		x.expect("expired secret", a, 400)
		if !strings.Contains(a.body, "client secret has expired") {
			t.Fatalf("expired secret: %s", a.body)
		}
		x.expect("no client", x.send("", "", shopGrant), 400)
		x.expect("no content type", x.send("", "-", "x=1"), 400)
	}
	x.expect("after expired secrets and malformed requests", x.token(shopApp, shopSecret), 200)
}

// TestFailureLimitOff: GATEHOUSE_TOKEN_FAILURE_LIMIT=off limits nothing.
func TestFailureLimitOff(t *testing.T) {
	now := &limitClock{t: time.Now()}
	f := newLimitFixture(t, sqliteDSN(t), "off", now)
	h := f.peer("127.0.0.40")
	for range 50 {
		h.expect("wrong secret", h.token(shopApp, "wrong"), 401)
	}
	h.expect("right secret", h.token(shopApp, shopSecret), 200)
}

// TestFailureLimitDefault: without the setting, 30 failures a minute.
func TestFailureLimitDefault(t *testing.T) {
	now := &limitClock{t: time.Now()}
	f := newLimitFixture(t, sqliteDSN(t), "", now)
	h := f.peer("127.0.0.50")
	for range 30 {
		h.expect("wrong secret", h.token(shopApp, "wrong"), 401)
	}
	expectLimited(t, "31st", h.token(shopApp, shopSecret), "2", addrLimited)
	now.Add(2 * time.Second)
	h.expect("2s later", h.token(shopApp, shopSecret), 200)
}

// TestRunShortBootstrapSecret: a bootstrap secret under 16 characters stops
// the start with a configuration error (exit code 2).
func TestRunShortBootstrapSecret(t *testing.T) {
	var out, errb bytes.Buffer
	env := map[string]string{"GATEHOUSE_DATA_DIR": t.TempDir(), "GATEHOUSE_BOOTSTRAP_APP_ID": "deployer", "GATEHOUSE_BOOTSTRAP_APP_SECRET": "7"}
	code := Run(context.Background(), []string{"serve"}, func(k string) string { return env[k] }, &out, &errb)
	if code != 2 || !strings.Contains(errb.String(), "GATEHOUSE_BOOTSTRAP_APP_SECRET must be 16 to 64 characters, got 1") {
		t.Fatalf("code %d, stderr %q", code, errb.String())
	}
}

const (
	oidcIntrospect = "/oidc/token/introspection"
	oidcRevoke     = "/oidc/token/revocation"
)
