package oidc

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFormUnescape(t *testing.T) {
	for in, want := range map[string]string{
		"plain":         "plain",
		"a+b":           "a b",
		"a%20b":         "a b",
		"100%":          "100%",
		"%zz":           "%zz",
		"%4":            "%4",
		"%C3%A9":        "é",
		"%FF":           "\uFFFD",
		"read%3Aorders": "read:orders",
	} {
		if got := formUnescape(in); got != want {
			t.Errorf("formUnescape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStrictUnescape(t *testing.T) {
	for in, want := range map[string]string{"a+b": "a b", "a%2Bb": "a+b", "x": "x", "%3A": ":"} {
		if got, ok := strictUnescape(in); !ok || got != want {
			t.Errorf("strictUnescape(%q) = %q, %v", in, got, ok)
		}
	}
	for _, in := range []string{"%", "%z1", "%1", "%FF"} {
		if _, ok := strictUnescape(in); ok {
			t.Errorf("strictUnescape(%q) accepted", in)
		}
	}
}

func TestParseFormRepeats(t *testing.T) {
	var p tokenParams
	parseForm("scope=a&scope=&resource=x&resource=&resource=y&grant_type=client_credentials&&=&ignored=1", &p)
	if p.scope.n != 2 || p.scope.val != "a" || p.grantDuplicate() != "scope" {
		t.Errorf("scope %+v", p.scope)
	}
	if p.resourceN != 3 || len(p.resources) != 2 || p.resources[1] != "y" {
		t.Errorf("resources %v (%d)", p.resources, p.resourceN)
	}
	if p.grantType.val != "client_credentials" || p.grantType.n != 1 {
		t.Errorf("grant_type %+v", p.grantType)
	}
}

func TestParseBasic(t *testing.T) {
	cases := []struct {
		header, id, secret, err string
	}{
		{"Basic " + b64("app:secret"), "app", "secret", ""},
		{"basic " + b64("app:a%20b%2Bc"), "app", "a b+c", ""},
		{"BASIC " + b64("app:a+b:c"), "app", "a b:c", ""},
		{"Basic " + strings.TrimRight(b64("app:sec"), "="), "app", "sec", ""},
		{"Bearer x", "", "", "invalid authorization header value format"},
		{"Basic", "", "", "invalid authorization header value format"},
		{"Basic  " + b64("a:b"), "", "", "invalid authorization header value format"},
		{"Basic " + b64("nocolon"), "", "", "invalid authorization header value format"},
		{"Basic " + b64("app:%"), "", "", "client_id and client_secret in the authorization header are not properly encoded"},
		{"Basic " + b64("app:\x7f"), "", "", "client_id and client_secret in the authorization header are not properly encoded"},
	}
	for _, c := range cases {
		id, secret, err := parseBasic(c.header)
		got := ""
		if err != nil {
			got = err.Description
		}
		if got != c.err || id != c.id || secret != c.secret {
			t.Errorf("parseBasic(%q) = %q, %q, %q; want %q, %q, %q", c.header, id, secret, got, c.id, c.secret, c.err)
		}
	}
}

func TestCheckIndicator(t *testing.T) {
	for v, want := range map[string]string{
		"https://shopping.api":      "",
		"https://shopping.api/v1?x": "",
		"urn:logto:resource:x":      "",
		"api://orders":              "",
		"shopping.api":              "resource indicator must be an absolute URI",
		"/relative":                 "resource indicator must be an absolute URI",
		"https://":                  "resource indicator must be an absolute URI",
		"http://a b":                "resource indicator must be an absolute URI",
		"https://a#":                "resource indicator must not contain a fragment component",
		"https://a/#frag":           "resource indicator must not contain a fragment component",
	} {
		got := ""
		if e := checkIndicator(v); e != nil {
			got = e.Description
		}
		if got != want {
			t.Errorf("checkIndicator(%q) = %q, want %q", v, got, want)
		}
	}
}

// FuzzTokenRequest feeds arbitrary bodies, content types and Authorization
// headers through the parsing and client-authentication steps: they must
// answer with an OAuth error or credentials, never panic, and never hand on
// credentials that are not VSCHAR from a Basic header.
func FuzzTokenRequest(f *testing.F) {
	f.Add("grant_type=client_credentials&resource=https%3A%2F%2Fa&scope=a+b", "application/x-www-form-urlencoded", "Basic "+b64("id:secret"))
	f.Add(`{"grant_type":"client_credentials","resource":["a","b"],"client_id":1}`, "application/json; charset=utf-8", "")
	f.Add("client_id=a&client_id=b", "application/x-www-form-urlencoded; charset=latin1", "")
	f.Add("\x00", "application/x-www-form-urlencoded", "")
	f.Add("a=%zz&b=%", "application/x-www-form-urlencoded; charset=utf16le", "Basic Og==")
	f.Add("x", "text/plain", "Bearer x")
	f.Fuzz(func(t *testing.T, body, ctype, authz string) {
		req := httptest.NewRequest(http.MethodPost, "/oidc/token", strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		var p tokenParams
		if e := readParams(req, "/token", &p); e != nil {
			if e.Status != 400 || e.Code != ErrInvalidRequest || e.Description == "" {
				t.Fatalf("unexpected error %+v", e)
			}
			return
		}
		for _, v := range []string{p.grantType.val, p.scope.val, p.clientID.val} {
			if !utf8.ValidString(v) {
				t.Fatalf("invalid UTF-8 parameter %q", v)
			}
		}
		c, e := clientCredentials(authz, &p)
		if e != nil {
			if e.Status != 400 || e.Description == "" {
				t.Fatalf("unexpected error %+v", e)
			}
			return
		}
		if c.id == "" {
			t.Fatal("credentials without a client id")
		}
		if c.basic && (!isVSCHAR(c.id) || !isVSCHAR(c.secret) || c.secret == "") {
			t.Fatalf("basic credentials not VSCHAR: %q %q", c.id, c.secret)
		}
	})
}

// FuzzBasicHeader checks that any header decodes to VSCHAR credentials or
// to one of the spec's errors, and that what a client encodes per RFC 6749
// §2.3.1 decodes back to the same credentials.
func FuzzBasicHeader(f *testing.F) {
	f.Add("Basic "+b64("a:b"), "id", "s e:c%r+e/t")
	f.Add("basic ", "", "")
	f.Add("Basic "+b64(":"), "x", "\x7e")
	f.Fuzz(func(t *testing.T, header, id, sec string) {
		if _, _, e := parseBasic(header); e != nil && e.Status != 400 {
			t.Fatalf("status %d", e.Status)
		}
		if !isVSCHAR(id) || !isVSCHAR(sec) || id == "" {
			return
		}
		h := "Basic " + b64(formEscape(id)+":"+formEscape(sec))
		gotID, gotSec, e := parseBasic(h)
		if e != nil || gotID != id || gotSec != sec {
			t.Fatalf("round trip of %q/%q: %q/%q %v", id, sec, gotID, gotSec, e)
		}
	})
}
