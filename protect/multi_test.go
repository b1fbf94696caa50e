package protect_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/protect"
	"github.com/gatehouse/gatehouse/protect/protecttest"
)

// TestAudiences: one Validator for an API known under two indicators.
func TestAudiences(t *testing.T) {
	is := protecttest.NewIssuer(t)
	const old = "https://shop.example/api"
	v := is.Validator(t, aud, protect.WithAudiences(old, aud, old))
	if got := v.Audiences(); !slices.Equal(got, []string{aud, old}) || v.Audience() != aud {
		t.Fatalf("Audiences() = %v, Audience() = %q", got, v.Audience())
	}
	ctx := context.Background()
	for _, a := range [][]string{{aud}, {old}, {"https://other", old}, {aud, old}} {
		if _, err := v.Verify(ctx, is.Token(protecttest.Claims{Audience: a})); err != nil {
			t.Errorf("aud %v: %v", a, err)
		}
	}
	for _, a := range [][]string{nil, {"https://other"}, {old + "/"}, {"https://other", "https://third"}} {
		_, err := v.Verify(ctx, is.Token(protecttest.Claims{Audience: a}))
		wantErr(t, err, protect.CodeInvalidToken, protect.ErrAudience)
	}
	// The realm stays the first audience.
	w := httptest.NewRecorder()
	v.Middleware(http.NotFoundHandler()).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if got := w.Header().Get("WWW-Authenticate"); got != `Bearer realm="`+aud+`"` {
		t.Errorf("challenge %q", got)
	}
	if _, err := protect.New(ctx, is.URL(), aud, protect.WithAudiences("")); err == nil {
		t.Error("WithAudiences(\"\") accepted")
	}
}

// TestIssuers: one Validator over two issuers, each with its own keys,
// picked by iss; a token cannot pass for another issuer's.
func TestIssuers(t *testing.T) {
	a := protecttest.NewIssuer(t)
	b := protecttest.NewIssuer(t, protecttest.WithAlgorithm("EdDSA"))
	v := a.Validator(t, aud, protect.WithIssuers(b.URL(), a.URL()))
	if got := v.Issuers(); !slices.Equal(got, []string{a.URL(), b.URL()}) || v.Issuer() != a.URL() {
		t.Fatalf("Issuers() = %v", got)
	}
	ctx := context.Background()
	for _, is := range []*protecttest.Issuer{a, b} {
		c, err := v.Verify(ctx, is.Token(protecttest.Claims{Audience: []string{aud}}))
		if err != nil {
			t.Fatalf("token of %s: %v", is.URL(), err)
		}
		if c.Issuer != is.URL() {
			t.Errorf("iss %q, want %q", c.Issuer, is.URL())
		}
	}
	// Both issuers name their first key test-key-1: b's token claiming to
	// be a's is checked with a's key and fails.
	_, err := v.Verify(ctx, b.Token(protecttest.Claims{Audience: []string{aud}, Issuer: a.URL()}))
	wantErr(t, err, protect.CodeInvalidToken, protect.ErrUnknownKey) // EdDSA is not a's key type
	c := protecttest.NewIssuer(t)
	_, err = v.Verify(ctx, c.Token(protecttest.Claims{Audience: []string{aud}, Issuer: a.URL()}))
	wantErr(t, err, protect.CodeInvalidToken, protect.ErrSignature)
	// An issuer outside the set, or none: refused before any key is
	// fetched.
	fa, fb := a.Fetches(), b.Fetches()
	_, err = v.Verify(ctx, c.Token(protecttest.Claims{Audience: []string{aud}}))
	wantErr(t, err, protect.CodeInvalidToken, protect.ErrIssuer)
	_, err = v.Verify(ctx, a.Token(protecttest.Claims{Audience: []string{aud}, Extra: map[string]any{"iss": nil}}))
	wantErr(t, err, protect.CodeInvalidToken, protect.ErrIssuer)
	_, err = v.Verify(ctx, a.Token(protecttest.Claims{Audience: []string{aud}, Extra: map[string]any{"iss": 7}}))
	wantErr(t, err, protect.CodeInvalidToken, protect.ErrMalformed)
	if a.Fetches() != fa || b.Fetches() != fb {
		t.Errorf("keys fetched for tokens of unknown issuers")
	}
	// A rotation at one issuer is followed for that issuer only.
	b.RotateKey()
	if _, err := v.Verify(ctx, b.Token(protecttest.Claims{Audience: []string{aud}})); err != nil {
		t.Fatal(err)
	}
	if a.Fetches() != fa || b.Fetches() != fb+1 {
		t.Errorf("after b's rotation: %d and %d fetches, want %d and %d", a.Fetches(), b.Fetches(), fa, fb+1)
	}

	t.Run("bad issuers", func(t *testing.T) {
		if _, err := protect.New(ctx, a.URL(), aud, protect.WithIssuers("not a url")); err == nil {
			t.Error("WithIssuers(not a url) accepted")
		}
		down := protecttest.NewIssuer(t)
		down.Server().Close()
		_, err := protect.New(ctx, a.URL(), aud, protect.WithIssuers(down.URL()))
		if err == nil || !strings.Contains(err.Error(), down.URL()) {
			t.Errorf("unreachable second issuer: %v", err)
		}
	})
}

// TestClaimsAs: custom claims, typed.
func TestClaimsAs(t *testing.T) {
	is := protecttest.NewIssuer(t)
	v := is.Validator(t, aud)
	type shop struct {
		ClientID string   `json:"client_id"`
		Tier     string   `json:"tier"`
		Stores   []string `json:"stores"`
		Limits   struct {
			Daily int `json:"daily"`
		} `json:"limits"`
	}
	tok := is.Token(protecttest.Claims{Audience: []string{aud}, ClientID: "app-9", Extra: map[string]any{
		"tier": "gold", "stores": []string{"lyon", "oslo"}, "limits": map[string]any{"daily": 12345678901},
	}})
	c, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	s, err := protect.ClaimsAs[shop](c)
	if err != nil {
		t.Fatal(err)
	}
	if s.ClientID != "app-9" || s.Tier != "gold" || !slices.Equal(s.Stores, []string{"lyon", "oslo"}) || s.Limits.Daily != 12345678901 {
		t.Fatalf("ClaimsAs = %+v", s)
	}
	if c.Raw["tier"] != "gold" {
		t.Errorf("Raw %v", c.Raw)
	}
	// A claim of the wrong type is an error, not a zero value.
	if _, err := protect.ClaimsAs[struct {
		Tier int `json:"tier"`
	}](c); err == nil {
		t.Error("tier decoded as a number")
	}
	// Claims made by hand (handler tests with WithClaims) decode Raw.
	hand := &protect.Claims{Raw: map[string]any{"tier": "silver"}}
	if s, err := protect.ClaimsAs[shop](hand); err != nil || s.Tier != "silver" {
		t.Errorf("by hand: %+v %v", s, err)
	}
	var m map[string]any
	if err := c.Decode(&m); err != nil || m["tier"] != "gold" {
		t.Errorf("Decode: %v %v", m, err)
	}
}

// TestRequireAny: any one of the scopes opens the route.
func TestRequireAny(t *testing.T) {
	is := protecttest.NewIssuer(t)
	v := is.Validator(t, aud)
	h := v.RequireAny("read:products", "admin:products")(okHandler{})
	none := v.RequireAny()(okHandler{})
	tok := func(scopes ...string) string {
		return is.Token(protecttest.Claims{Audience: []string{aud}, Scopes: scopes})
	}
	tests := []struct {
		name      string
		h         http.Handler
		token     string
		status    int
		challenge string
	}{
		{"first", h, tok("read:products"), 200, ""},
		{"second", h, tok("write:products", "admin:products"), 200, ""},
		{"both", h, tok("admin:products", "read:products"), 200, ""},
		{"neither", h, tok("write:products"), 403, `Bearer realm="` + aud + `", error="insufficient_scope", ` +
			`error_description="the token grants none of the accepted scopes", scope="read:products admin:products"`},
		{"no scope", h, tok(), 403, `Bearer realm="` + aud + `", error="insufficient_scope", ` +
			`error_description="the token grants none of the accepted scopes", scope="read:products admin:products"`},
		{"bad token", h, "abc", 401, `Bearer realm="` + aud + `", error="invalid_token", error_description="malformed token"`},
		{"empty list", none, tok("read:products"), 403, `Bearer realm="` + aud + `", error="insufficient_scope", ` +
			`error_description="the token grants none of the accepted scopes"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			tt.h.ServeHTTP(w, protecttest.Request("GET", "/products", tt.token))
			if w.Code != tt.status || w.Header().Get("WWW-Authenticate") != tt.challenge {
				t.Fatalf("%d %q, want %d %q", w.Code, w.Header().Get("WWW-Authenticate"), tt.status, tt.challenge)
			}
		})
	}
	// Inside Middleware, RequireAny only checks scopes.
	w := httptest.NewRecorder()
	v.Middleware(h).ServeHTTP(w, protecttest.Request("GET", "/", tok("admin:products")))
	if w.Code != 200 {
		t.Fatalf("chained: %d", w.Code)
	}
	c := &protect.Claims{Scopes: []string{"a", "b"}}
	if !c.HasAnyScope("x", "b") || c.HasAnyScope("x") || c.HasAnyScope() {
		t.Error("HasAnyScope")
	}
}

// TestOnRefreshError: a failing background refresh is reported with the
// issuer, and verification goes on with the keys in hand.
func TestOnRefreshError(t *testing.T) {
	is := protecttest.NewIssuer(t)
	errs := make(chan error, 100)
	v := is.Validator(t, aud, protect.WithRefresh(10*time.Millisecond, time.Hour),
		protect.OnRefreshError(func(err error) {
			select {
			case errs <- err:
			default:
			}
		}))
	tok := is.Token(protecttest.Claims{Audience: []string{aud}})
	is.Server().Close() // the issuer goes down
	var err error
	select {
	case err = <-errs:
	case <-time.After(10 * time.Second):
		t.Fatal("no refresh error reported")
	}
	var re *protect.RefreshError
	if !errors.As(err, &re) || re.Issuer != is.URL() || re.JWKSURL != is.JWKSURL() || re.Err == nil ||
		!strings.HasPrefix(err.Error(), "protect: refreshing the keys of "+is.URL()+": ") {
		t.Fatalf("refresh error %v (%T)", err, err)
	}
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("with the issuer down: %v", err)
	}
	// No report after Close.
	v.Close()
	for len(errs) > 0 {
		<-errs
	}
	time.Sleep(50 * time.Millisecond)
	if len(errs) != 0 {
		t.Errorf("%d reports after Close", len(errs))
	}

	if _, err := protect.New(context.Background(), is.URL(), aud, protect.OnRefreshError(nil)); err == nil {
		t.Error("OnRefreshError(nil) accepted")
	}
}

// TestRefreshErrorStatus: a JWKS answered with an error status is reported
// too (and is not a transport error).
func TestRefreshErrorStatus(t *testing.T) {
	fail := make(chan struct{})
	jwks := newIssuerJWKS(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-fail:
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		default:
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "max-age=0") // refresh at the floor
		io.WriteString(w, jwks)
	}))
	t.Cleanup(srv.Close)
	errs := make(chan error, 100)
	v, err := protect.New(context.Background(), "https://issuer.example", aud, protect.WithJWKSURL(srv.URL),
		protect.WithRefresh(10*time.Millisecond, time.Hour), protect.OnRefreshError(func(err error) {
			select {
			case errs <- err:
			default:
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	close(fail)
	select {
	case err = <-errs:
	case <-time.After(10 * time.Second):
		t.Fatal("no refresh error reported")
	}
	if !strings.Contains(err.Error(), "status 503") || !strings.Contains(err.Error(), "https://issuer.example") {
		t.Fatalf("refresh error %v", err)
	}
}

// newIssuerJWKS returns a JWK Set of one fresh key.
func newIssuerJWKS(t *testing.T) string {
	is := newIssuer(t)
	is.addKey("ES256")
	resp, err := http.Get(is.Issuer + "/keys")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
