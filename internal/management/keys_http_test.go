package management_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/storetest"
	"github.com/gatehouse/gatehouse/internal/token"
)

type keyJSON struct {
	ID                  string `json:"id"`
	CreatedAt           int64  `json:"createdAt"`
	SigningKeyAlgorithm string `json:"signingKeyAlgorithm"`
	Status              string `json:"status"`
	EffectiveAt         *int64 `json:"effectiveAt"`
}

const keysPath = "/api/configs/oidc/private-keys"

// jwks fetches the published key set.
func jwks(t *testing.T, e *apptest.Env) jose.JSONWebKeySet {
	t.Helper()
	resp, err := http.Get(e.URL + "/oidc/jwks")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	return set
}

// verify checks tok's signature against the JWKS published now, as a
// resource server would, and returns its kid.
func verify(t *testing.T, e *apptest.Env, tok string) (string, error) {
	t.Helper()
	jws, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.ES512, jose.RS256, jose.EdDSA})
	if err != nil {
		t.Fatal(err)
	}
	kid := jws.Signatures[0].Header.KeyID
	set := jwks(t, e)
	keys := set.Key(kid)
	if len(keys) != 1 {
		return kid, fmt.Errorf("kid %s not in the JWKS", kid)
	}
	_, err = jws.Verify(keys[0])
	return kid, err
}

func kidsOf(set jose.JSONWebKeySet) []string {
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.KeyID)
	}
	return out
}

func discoveryAlgs(t *testing.T, e *apptest.Env) []string {
	t.Helper()
	resp, err := http.Get(e.URL + "/oidc/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d struct {
		Algs []string `json:"id_token_signing_alg_values_supported"`
	}
	json.NewDecoder(resp.Body).Decode(&d)
	return d.Algs
}

func wantKeys(t *testing.T, got []keyJSON, want ...string) {
	t.Helper()
	var s []string
	for _, k := range got {
		s = append(s, k.Status+":"+k.SigningKeyAlgorithm)
	}
	if !slices.Equal(s, want) {
		t.Fatalf("keys %v, want %v", s, want)
	}
}

func TestSigningKeyRoutes(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		var list []keyJSON
		e.Must(200, "GET", keysPath, nil, &list)
		wantKeys(t, list, "Current:EC")
		now := time.Now().Unix()
		if c := list[0].CreatedAt; c < now-600 || c > now+5 {
			t.Fatalf("createdAt %d is not epoch seconds near %d", c, now)
		}
		if list[0].EffectiveAt != nil {
			t.Fatal("effectiveAt on a Current key")
		}

		// A token minted before the rotation.
		oldTok := e.AdminToken()
		oldKid, err := verify(t, e, oldTok)
		if err != nil {
			t.Fatal(err)
		}

		// Immediate EC rotation: discovery and JWKS change at once.
		e.Must(200, "POST", keysPath+"/rotate", map[string]any{}, &list)
		wantKeys(t, list, "Current:EC", "Previous:EC")
		kids := kidsOf(jwks(t, e))
		if len(kids) != 2 || kids[1] != oldKid {
			t.Fatalf("JWKS kids %v, want [new, %s]", kids, oldKid)
		}
		if _, err := verify(t, e, oldTok); err != nil {
			t.Fatalf("token from before the rotation: %v", err)
		}
		newTok := e.Token(apptest.Indicator, "all")
		if kid, err := verify(t, e, newTok); err != nil || kid != kids[0] {
			t.Fatalf("new token kid %s (%v), want %s", kid, err, kids[0])
		}
		// The old token still authenticates Management API calls.
		if r := e.Do("GET", keysPath, nil, oldTok); r.Status != 200 {
			t.Fatalf("old token: %d %s", r.Status, r.Body)
		}

		// RSA rotation: discovery advertises RS256 and PS256 at once.
		e.Must(200, "POST", keysPath+"/rotate", map[string]any{"signingKeyAlgorithm": "RSA", "rotationGracePeriod": 0}, &list)
		wantKeys(t, list, "Current:RSA", "Previous:EC")
		if algs := discoveryAlgs(t, e); !slices.Contains(algs, "RS256") || !slices.Contains(algs, "PS256") {
			t.Fatalf("discovery algs %v", algs)
		}
		if _, err := verify(t, e, oldTok); err == nil {
			t.Fatal("token of a dropped key still verifies")
		}
		rsaTok := e.Token(apptest.Indicator, "all")
		if _, err := verify(t, e, rsaTok); err != nil {
			t.Fatal(err)
		}

		// The admin token's key is gone: use one of the RSA key from now on.
		call := func(method, path string, body any) *apptest.Response { return e.Do(method, path, body, rsaTok) }
		must := func(status int, method, path string, body, out any) {
			t.Helper()
			r := call(method, path, body)
			if r.Status != status {
				t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Body)
			}
			r.JSON(t, out)
		}

		// Staged rotation: the Next key is published at once, not used.
		must(200, "POST", keysPath+"/rotate", map[string]any{"signingKeyAlgorithm": "EC", "rotationGracePeriod": 3600}, &list)
		wantKeys(t, list, "Next:EC", "Current:RSA", "Previous:EC")
		if at := list[0].EffectiveAt; at == nil || *at < time.Now().Add(3590*time.Second).UnixMilli() {
			t.Fatalf("effectiveAt %v", at)
		}
		if n := len(jwks(t, e).Keys); n != 3 {
			t.Fatalf("JWKS has %d keys, want 3", n)
		}
		if _, err := verify(t, e, e.Token(apptest.Indicator, "all")); err != nil {
			t.Fatal(err)
		}
		if r := call("POST", keysPath+"/rotate", map[string]any{}); r.Status != 422 || r.Code() != "oidc.invalid_request" {
			t.Fatalf("immediate rotation with a Next key: %d %s", r.Status, r.Body)
		}

		// Deletion.
		if r := call("DELETE", keysPath+"/"+list[1].ID, nil); r.Status != 422 || r.Code() != "oidc.only_previous_key_can_be_deleted" {
			t.Fatalf("delete current: %d %s", r.Status, r.Body)
		}
		if r := call("DELETE", keysPath+"/"+list[0].ID, nil); r.Status != 422 || r.Code() != "oidc.only_previous_key_can_be_deleted" {
			t.Fatalf("delete next: %d %s", r.Status, r.Body)
		}
		r := call("DELETE", keysPath+"/no-such-key", nil)
		var body struct{ Code, Message string }
		r.JSON(t, &body)
		if r.Status != 404 || body.Code != "oidc.key_not_found" || body.Message != "Key with ID no-such-key is not found." {
			t.Fatalf("delete unknown: %d %s", r.Status, r.Body)
		}
		prevKid := kidsOf(jwks(t, e))[2]
		if r := call("DELETE", keysPath+"/"+list[2].ID, nil); r.Status != 204 || len(r.Body) != 0 {
			t.Fatalf("delete previous: %d %s", r.Status, r.Body)
		}
		if slices.Contains(kidsOf(jwks(t, e)), prevKid) {
			t.Fatal("deleted key still in the JWKS")
		}
		must(200, "GET", keysPath, nil, &list)
		wantKeys(t, list, "Next:EC", "Current:RSA")
	})
}

func TestSigningKeyRoutesRefuse(t *testing.T) {
	e := apptest.New(t, storetest.SQLite(t))
	for _, body := range []any{
		map[string]any{"signingKeyAlgorithm": "OKP"},
		map[string]any{"signingKeyAlgorithm": 1},
		map[string]any{"rotationGracePeriod": -1},
		map[string]any{"rotationGracePeriod": 1.5},
		map[string]any{"rotationGracePeriod": "60"},
		map[string]any{"rotationGracePeriod": 1e300},
		"[]",
		"{",
	} {
		if r := e.API("POST", keysPath+"/rotate", body); r.Status != 400 || r.Code() != "guard.invalid_input" {
			t.Errorf("rotate %v: %d %s", body, r.Status, r.Body)
		}
	}
	// The single key cannot go.
	var list []keyJSON
	e.Must(200, "GET", keysPath, nil, &list)
	if r := e.API("DELETE", keysPath+"/"+list[0].ID, nil); r.Status != 422 || r.Code() != "oidc.key_required" {
		t.Errorf("delete last key: %d %s", r.Status, r.Body)
	}
	// Gatehouse has no cookie keys.
	for _, p := range []string{"GET /api/configs/oidc/cookie-keys", "POST /api/configs/oidc/cookie-keys/rotate", "DELETE /api/configs/oidc/cookie-keys/x"} {
		m, path, _ := strings.Cut(p, " ")
		if r := e.API(m, path, nil); r.Status != 404 {
			t.Errorf("%s: %d %s", p, r.Status, r.Body)
		}
	}
	// Nothing changed.
	e.Must(200, "GET", keysPath, nil, &list)
	wantKeys(t, list, "Current:EC")
}

func TestSigningKeyRoutesAuth(t *testing.T) {
	e := apptest.New(t, storetest.SQLite(t))
	authFailures(t, e, []string{"GET " + keysPath, "POST " + keysPath + "/rotate", "DELETE " + keysPath + "/x"})
	var list []keyJSON
	e.Must(200, "GET", keysPath, nil, &list)
	wantKeys(t, list, "Current:EC")
}

// authFailures checks that each "METHOD path" refuses a missing token, a
// token for another audience and a token without the scope all.
func authFailures(t *testing.T, e *apptest.Env, routes []string) {
	t.Helper()
	wrongAud := mint(t, e, func(c *token.Claims) { c.Audience = "https://shopping.api" })
	noScope := e.Token(apptest.Indicator, "")
	for _, route := range routes {
		m, path, _ := strings.Cut(route, " ")
		for _, c := range []struct {
			name, tok string
			status    int
			code      string
		}{
			{"missing", "", 401, "auth.authorization_header_missing"},
			{"wrong audience", wrongAud, 401, "auth.unauthorized"},
			{"no scope", noScope, 403, "auth.forbidden"},
		} {
			if r := e.Do(m, path, "{}", c.tok); r.Status != c.status || r.Code() != c.code {
				t.Errorf("%s, %s token: %d %s, want %d %s", route, c.name, r.Status, r.Body, c.status, c.code)
			}
		}
	}
}
