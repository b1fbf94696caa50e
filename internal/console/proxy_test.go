package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/storetest"
)

// signInPost posts the sign-in form with password pw and header pairs.
func (e *env) signInPost(pw string, header ...string) resp {
	e.t.Helper()
	page := e.get("/console/sign-in")
	return e.postRaw("/console/sign-in", url.Values{"csrf": {csrfOf(e.t, page.body)}, "username": {adminName}, "password": {pw}}, header...)
}

// sessionCookie returns the Set-Cookie line of the console session.
func sessionCookie(r resp) string {
	for _, c := range r.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "gatehouse_console=") {
			return c
		}
	}
	return ""
}

// TestTrustedProxyConsole: behind a trusted proxy, X-Forwarded-Proto https
// makes the console's cookies Secure on an http:// endpoint, and the
// per-address sign-in limit counts the forwarded client, so one client's
// failures do not lock out everyone behind the proxy. Without the setting
// both headers are ignored.
func TestTrustedProxyConsole(t *testing.T) {
	dsn := storetest.SQLite(t)
	e := start(t, dsn, map[string]string{"GATEHOUSE_TRUSTED_PROXIES": "127.0.0.1"})
	// 20 failures from one forwarded client (the per-address limit),
	// each with a different username so that the per-user limit stays out
	// of it.
	for i := range 20 {
		page := e.get("/console/sign-in")
		r := e.postRaw("/console/sign-in", url.Values{"csrf": {csrfOf(t, page.body)}, "username": {"nobody" + string(rune('a'+i))}, "password": {"wrong password"}},
			"X-Forwarded-For", "198.51.100.2")
		if r.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, r.status)
		}
	}
	if r := e.signInPost(adminPassword, "X-Forwarded-For", "198.51.100.2"); r.status != http.StatusTooManyRequests {
		t.Fatalf("the failing client after its failures: %d", r.status)
	}
	r := e.signInPost(adminPassword, "X-Forwarded-For", "198.51.100.3", "X-Forwarded-Proto", "https")
	if r.status != http.StatusSeeOther {
		t.Fatalf("another client behind the same proxy: %d", r.status)
	}
	if c := sessionCookie(r); c == "" || !strings.Contains(c, "; Secure") {
		t.Fatalf("session cookie behind an https proxy: %q", c)
	}

	// Not trusted: the headers change nothing.
	e = start(t, storetest.SQLite(t), nil)
	r = e.signInPost(adminPassword, "X-Forwarded-Proto", "https")
	if c := sessionCookie(r); r.status != http.StatusSeeOther || c == "" || strings.Contains(c, "Secure") {
		t.Fatalf("without trusted proxies: %d, cookie %q", r.status, c)
	}
}

// TestSignInMetrics: each sign-in outcome moves its counter.
func TestSignInMetrics(t *testing.T) {
	e := start(t, storetest.SQLite(t), map[string]string{"GATEHOUSE_METRICS_LISTEN": "127.0.0.1:0"})
	count := func(outcome string) float64 {
		t.Helper()
		mfs, err := e.srv.Metrics().Registry().Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() != "gatehouse_console_sign_ins_total" {
				continue
			}
			for _, m := range mf.GetMetric() {
				if m.GetLabel()[0].GetValue() == outcome {
					return m.GetCounter().GetValue()
				}
			}
		}
		t.Fatalf("no sign-in series for %s", outcome)
		return 0
	}
	e.signInPost("wrong password")
	e.signInPost("")
	e.signInPost(adminPassword)
	for _, o := range []string{"wrong_credentials", "incomplete", "success"} {
		if n := count(o); n != 1 {
			t.Errorf("%s: %v, want 1", o, n)
		}
	}
	if n := count("rate_limited"); n != 0 {
		t.Errorf("rate_limited: %v", n)
	}
}
