package token

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// observedClaims are the claims of the token Logto 1.42 issued in
// observed-responses.md; observedPayload is its payload, byte for byte.
func observedClaims() Claims {
	return Claims{
		JTI:      "AV4SzRGJY5oNoWiBQOV9bYh8hbtlccsISLCEFhU4YEU",
		Subject:  "nmv1wrd2w1nbfl6xmsl3d",
		IssuedAt: 1795305723,
		Expiry:   1795309323,
		ClientID: "nmv1wrd2w1nbfl6xmsl3d",
		Issuer:   "http://localhost:3001/oidc",
		Audience: "https://shopping.api/14264",
	}
}

const observedPayload = `{"jti":"AV4SzRGJY5oNoWiBQOV9bYh8hbtlccsISLCEFhU4YEU","sub":"nmv1wrd2w1nbfl6xmsl3d","iat":1795305723,"exp":1795309323,"client_id":"nmv1wrd2w1nbfl6xmsl3d","iss":"http://localhost:3001/oidc","aud":"https://shopping.api/14264"}`

// withStd splices members into observedPayload: before (extra members,
// each followed by a comma) and tail (inserted before the closing brace).
func withStd(before, tail string) string {
	std := observedPayload[1 : len(observedPayload)-1]
	return "{" + before + std + tail + "}"
}

type mintCase struct {
	name   string
	edit   func(*Claims)
	want   string
	errIs  error
	values map[string]any // spot checks after encoding/json decoding
}

func mintCases() []mintCase {
	const scopeTail = `"scope":"read:orders write:orders",`
	return []mintCase{
		{name: "observed", edit: func(*Claims) {}, want: observedPayload},
		{
			name: "scope",
			edit: func(c *Claims) { c.Scope, c.HasScope = "read:orders write:orders", true },
			want: strings.Replace(observedPayload, `"client_id"`, scopeTail+`"client_id"`, 1),
		},
		{
			name: "empty scope",
			edit: func(c *Claims) { c.HasScope = true },
			want: strings.Replace(observedPayload, `"client_id"`, `"scope":"","client_id"`, 1),
		},
		{
			name: "scope without HasScope",
			edit: func(c *Claims) { c.Scope = "read:orders" },
			want: observedPayload,
		},
		{
			name: "organization",
			edit: func(c *Claims) {
				c.OrganizationID, c.HasScope = "org_1", true
			},
			want: strings.Replace(withStd("", `,"organization_id":"org_1"`),
				`"client_id"`, `"scope":"","client_id"`, 1),
		},
		{
			name: "extra first",
			edit: func(c *Claims) {
				c.Extra = json.RawMessage(`{"roles":["a","b"],"n":1.5e3,"nested":{"a":[1,{"b":null}],"t":true,"f":false}}`)
			},
			want:   withStd(`"roles":["a","b"],"n":1.5e3,"nested":{"a":[1,{"b":null}],"t":true,"f":false},`, ""),
			values: map[string]any{"n": 1500.0, "roles": []any{"a", "b"}},
		},
		{
			name: "extra cannot replace standard claims",
			edit: func(c *Claims) {
				c.Extra = json.RawMessage(`{"sub":"evil","aud":"x","custom":1,"jti":"j","iat":0,"exp":0,"scope":"admin","client_id":"c","iss":"i"}`)
			},
			want:   withStd(`"custom":1,`, ""),
			values: map[string]any{"sub": "nmv1wrd2w1nbfl6xmsl3d", "custom": 1.0},
		},
		{
			name: "extra cannot set organization_id",
			edit: func(c *Claims) {
				c.OrganizationID = "org_1"
				c.Extra = json.RawMessage(`{"x":"y","organization_id":"org_2"}`)
			},
			want: withStd(`"x":"y",`, `,"organization_id":"org_1"`),
		},
		{
			name: "extra cannot add organization_id, nbf, typ, cnf, act",
			edit: func(c *Claims) {
				c.Extra = json.RawMessage(`{"organization_id":"org_2","nbf":9999999999,"typ":"at+jwt","cnf":{"jkt":"x"},"act":{"sub":"a"},"ok":true}`)
			},
			want: withStd(`"ok":true,`, ""),
		},
		{
			name: "extra is compacted and re-escaped",
			edit: func(c *Claims) {
				c.Extra = json.RawMessage("{\n  \"na\\u006de\" : \"\\u00e9 <b> \\u2028 \\/\" ,\n  \"k\\\"ey\": [ 1 , -2.5E-3 ]\n}\n")
			},
			want: withStd("\"name\":\"\u00e9 <b> \\u2028 /\",\"k\\\"ey\":[1,-2.5E-3],", ""),
		},
		{
			name: "extra invalid UTF-8 becomes U+FFFD",
			edit: func(c *Claims) { c.Extra = json.RawMessage("{\"a\xff\":\"b\xc3\"}") },
			// The decoder already made them U+FFFD, which is valid UTF-8.
			want: withStd("\"a\ufffd\":\"b\ufffd\",", ""),
		},
		{
			name: "extra duplicate names: first place, last value",
			edit: func(c *Claims) { c.Extra = json.RawMessage(`{"a":1,"b":2,"a":{"c":3}}`) },
			want: withStd(`"a":{"c":3},"b":2,`, ""),
		},
		{name: "extra null", edit: func(c *Claims) { c.Extra = json.RawMessage(` null `) }, want: observedPayload},
		{name: "extra empty object", edit: func(c *Claims) { c.Extra = json.RawMessage(`{}`) }, want: observedPayload},
		{name: "extra array", edit: func(c *Claims) { c.Extra = json.RawMessage(`[1]`) }, errIs: ErrExtra},
		{name: "extra string", edit: func(c *Claims) { c.Extra = json.RawMessage(`"s"`) }, errIs: ErrExtra},
		{name: "extra broken", edit: func(c *Claims) { c.Extra = json.RawMessage(`{"a":}`) }, errIs: ErrExtra},
		{name: "extra unterminated", edit: func(c *Claims) { c.Extra = json.RawMessage(`{"a":[1`) }, errIs: ErrExtra},
		{name: "extra trailing data", edit: func(c *Claims) { c.Extra = json.RawMessage(`{"a":1} x`) }, errIs: ErrExtra},
		{name: "extra two objects", edit: func(c *Claims) { c.Extra = json.RawMessage(`{}{}`) }, errIs: ErrExtra},
		{name: "extra blank", edit: func(c *Claims) { c.Extra = json.RawMessage(`  `) }, errIs: ErrExtra},
		{
			name: "escaped standard claims",
			edit: func(c *Claims) {
				c.Subject = "a\"b\\c\n\x01\u2029é\xff"
				c.Audience = "urn:x?a=<b>&c"
			},
			want: strings.Replace(strings.Replace(observedPayload,
				`"sub":"nmv1wrd2w1nbfl6xmsl3d"`, `"sub":"a\"b\\c\n\u0001\u2029é\ufffd"`, 1),
				`"aud":"https://shopping.api/14264"`, `"aud":"urn:x?a=<b>&c"`, 1),
			values: map[string]any{"sub": "a\"b\\c\n\x01\u2029é\ufffd"},
		},
	}
}

func TestMintVerifiesWithGoJose(t *testing.T) {
	tk := newTestKeys()
	for _, alg := range allAlgs() {
		key := mustKey(t, tk, "k-"+alg, alg, rbac.KeyCurrent)
		set, err := NewSet([]*Key{key})
		if err != nil {
			t.Fatal(err)
		}
		var jwks jose.JSONWebKeySet
		if err := json.Unmarshal(set.JWKS(), &jwks); err != nil {
			t.Fatal(err)
		}
		pubs := jwks.Key(key.KID)
		if len(pubs) != 1 {
			t.Fatalf("%s: kid not in JWKS", alg)
		}
		for _, tc := range mintCases() {
			c := observedClaims()
			tc.edit(&c)
			tok, err := key.Mint([]byte("prefix "), &c)
			if tc.errIs != nil {
				if !errors.Is(err, tc.errIs) || string(tok) != "prefix " {
					t.Errorf("%s/%s: Mint = %q, %v; want dst unchanged and %v", alg, tc.name, tok, err, tc.errIs)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s/%s: Mint: %v", alg, tc.name, err)
			}
			compact, ok := strings.CutPrefix(string(tok), "prefix ")
			if !ok {
				t.Fatalf("%s/%s: dst prefix lost: %q", alg, tc.name, tok)
			}

			jws, err := jose.ParseSigned(compact, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
			if err != nil {
				t.Fatalf("%s/%s: ParseSigned: %v", alg, tc.name, err)
			}
			h := jws.Signatures[0].Protected
			if h.Algorithm != alg || h.KeyID != key.KID || h.ExtraHeaders[jose.HeaderType] != "at+jwt" {
				t.Errorf("%s/%s: header %+v", alg, tc.name, h)
			}
			rawHead, _ := base64.RawURLEncoding.DecodeString(strings.Split(compact, ".")[0])
			if want := `{"alg":"` + alg + `","typ":"at+jwt","kid":"` + key.KID + `"}`; string(rawHead) != want {
				t.Errorf("%s/%s: header %s, want %s", alg, tc.name, rawHead, want)
			}
			payload, err := jws.Verify(pubs[0])
			if err != nil {
				t.Fatalf("%s/%s: Verify: %v", alg, tc.name, err)
			}
			if string(payload) != tc.want {
				t.Errorf("%s/%s: payload\n got %s\nwant %s", alg, tc.name, payload, tc.want)
			}
			var got map[string]any
			if err := json.Unmarshal(payload, &got); err != nil {
				t.Fatalf("%s/%s: payload is not JSON: %v", alg, tc.name, err)
			}
			for k, v := range tc.values {
				if !reflect.DeepEqual(got[k], v) {
					t.Errorf("%s/%s: %s = %#v, want %#v", alg, tc.name, k, got[k], v)
				}
			}
		}
	}
}

func TestMintClaimValues(t *testing.T) {
	key := mustKey(t, newTestKeys(), "k", AlgES256, rbac.KeyCurrent)
	c := observedClaims()
	c.Scope, c.HasScope, c.OrganizationID = "a b", true, "org"
	tok, err := key.Mint(nil, &c)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		JTI, Sub, Scope, Iss, Aud string
		Iat, Exp                  int64
		ClientID                  string `json:"client_id"`
		OrganizationID            string `json:"organization_id"`
	}
	if err := json.Unmarshal(payloadOf(t, tok), &got); err != nil {
		t.Fatal(err)
	}
	if got.JTI != c.JTI || got.Sub != c.Subject || got.Iat != c.IssuedAt || got.Exp != c.Expiry ||
		got.Scope != "a b" || got.ClientID != c.ClientID || got.Iss != c.Issuer || got.Aud != c.Audience ||
		got.OrganizationID != "org" {
		t.Errorf("claims = %+v", got)
	}
}

func TestMintNegativeAndLargeTimes(t *testing.T) {
	key := mustKey(t, newTestKeys(), "k", AlgEdDSA, rbac.KeyCurrent)
	c := observedClaims()
	c.IssuedAt, c.Expiry = -1, 1<<62
	tok, err := key.Mint(nil, &c)
	if err != nil {
		t.Fatal(err)
	}
	if p := string(payloadOf(t, tok)); !strings.Contains(p, `"iat":-1,"exp":4611686018427387904,`) {
		t.Errorf("payload %s", p)
	}
}

func TestMintBigPayload(t *testing.T) {
	key := mustKey(t, newTestKeys(), "k", AlgES384, rbac.KeyCurrent)
	c := observedClaims()
	c.Scope, c.HasScope = strings.Repeat("scope:x ", 500), true // spills the stack buffer
	tok, err := key.Mint(nil, &c)
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Scope string }
	if err := json.Unmarshal(payloadOf(t, tok), &got); err != nil || got.Scope != c.Scope {
		t.Errorf("scope lost: %v", err)
	}
}

func TestMintUnpreparedKey(t *testing.T) {
	if _, err := (&Key{ID: "x"}).Mint(nil, &Claims{}); !errors.Is(err, ErrUnsupportedKey) {
		t.Errorf("Mint with a zero Key: %v", err)
	}
}

// payloadOf decodes a token's payload without verifying it.
func payloadOf(t testing.TB, tok []byte) []byte {
	t.Helper()
	parts := strings.Split(string(tok), ".")
	if len(parts) != 3 {
		t.Fatalf("token %q has %d parts", tok, len(parts))
	}
	p, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDERToJOSE(t *testing.T) {
	for _, c := range []struct {
		name string
		der  []byte
		size int
		want []byte
		ok   bool
	}{
		{"short ints padded", []byte{0x30, 6, 2, 1, 5, 2, 1, 7}, 2, []byte{0, 5, 0, 7}, true},
		{"leading zero stripped", []byte{0x30, 8, 2, 3, 0, 0x80, 1, 2, 1, 1}, 2, []byte{0x80, 1, 0, 1}, true},
		{"too long", []byte{0x30, 7, 2, 2, 1, 2, 2, 1, 1}, 1, nil, false},
		{"negative", []byte{0x30, 6, 2, 1, 0x80, 2, 1, 1}, 2, nil, false},
		{"bad length", []byte{0x30, 9, 2, 1, 5, 2, 1, 7}, 2, nil, false},
		{"trailing", []byte{0x30, 7, 2, 1, 5, 2, 1, 7, 0}, 2, nil, false},
		{"not a sequence", []byte{0x31, 6, 2, 1, 5, 2, 1, 7}, 2, nil, false},
		{"missing s", []byte{0x30, 3, 2, 1, 5}, 2, nil, false},
		{"empty int", []byte{0x30, 5, 2, 0, 2, 1, 7}, 2, nil, false},
		{"empty", nil, 2, nil, false},
		{"long form short len", []byte{0x30, 0x81, 6, 2, 1, 5, 2, 1, 7}, 2, nil, false},
	} {
		out := make([]byte, 2*c.size)
		err := derToJOSE(out, c.der)
		if (err == nil) != c.ok || (c.ok && !bytes.Equal(out, c.want)) {
			t.Errorf("%s: derToJOSE = %x, %v", c.name, out, err)
		}
	}
}

// FuzzMintClaims mints tokens from arbitrary claim strings and extra claims
// and checks that the payload is valid JSON that decodes to the same values
// encoding/json would produce, in the documented member order, under a
// valid signature.
func FuzzMintClaims(f *testing.F) {
	f.Add("jti", "sub", "read write", true, "", []byte(nil))
	f.Add("", "", "", true, "org", []byte(`{"a":1}`))
	f.Add("a\"b\\c", "\x00\x1f\x7f", "\u2028\u2029", false, "é\xff", []byte(`{"sub":"x","organization_id":"o","z":[{}]}`))
	f.Add("\xed\xa0\x80", "\xc3", "日本語", true, "\t", []byte("{\"k\xfe\":\"\\ud800\",\"k\\ufffd\":2}"))
	f.Add("x", "y", "z", false, "", []byte(`[]`))
	f.Add("x", "y", "z", false, "", []byte(`null`))
	f.Add("x", "y", "z", false, "", []byte(`{"a":1,"a":2,"b":{"a":1,"a":2}}`))
	f.Add("x", "y", "z", false, "", []byte(`{"a":1e400}`))
	f.Add("x", "y", "z", false, "", []byte(`{"a" 1}`))

	sig, err := Generate(AlgES256, nil)
	if err != nil {
		f.Fatal(err)
	}
	key, err := NewKey("k", sig, rbac.KeyCurrent, 0, nil)
	if err != nil {
		f.Fatal(err)
	}
	pub := sig.Public().(*ecdsa.PublicKey)

	f.Fuzz(func(t *testing.T, jti, sub, scope string, hasScope bool, org string, extra []byte) {
		c := Claims{
			JTI: jti, Subject: sub, ClientID: sub + jti, Issuer: scope + "/oidc", Audience: org + jti,
			IssuedAt: int64(len(jti)) - 7, Expiry: int64(len(sub)) << 40,
			Scope: scope, HasScope: hasScope, OrganizationID: org, Extra: extra,
		}
		tok, err := key.Mint(nil, &c)

		extraObj, extraOK := fuzzExtraExpectation(extra)
		if !extraOK {
			if !errors.Is(err, ErrExtra) {
				t.Fatalf("Extra %q: Mint error = %v, want ErrExtra", extra, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Mint: %v", err)
		}

		parts := strings.Split(string(tok), ".")
		if len(parts) != 3 {
			t.Fatalf("token has %d parts", len(parts))
		}
		rawSig, err := base64.RawURLEncoding.DecodeString(parts[2])
		if err != nil || len(rawSig) != 64 {
			t.Fatalf("signature %q: %v", parts[2], err)
		}
		digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		if !ecdsaVerifyRaw(pub, digest[:], rawSig) {
			t.Fatal("signature does not verify")
		}

		payload := payloadOf(t, tok)
		if !json.Valid(payload) {
			t.Fatalf("payload is not valid JSON: %q", payload)
		}
		if bytes.Contains(payload, []byte("\u2028")) || bytes.Contains(payload, []byte("\u2029")) {
			t.Fatalf("payload has raw U+2028/9: %q", payload)
		}
		got := decodeUseNumber(t, payload).(map[string]any)

		want := map[string]any{
			"jti": roundTrip(t, jti), "sub": roundTrip(t, sub), "client_id": roundTrip(t, sub+jti),
			"iss": roundTrip(t, scope+"/oidc"), "aud": roundTrip(t, org+jti),
			"iat": roundTrip(t, c.IssuedAt), "exp": roundTrip(t, c.Expiry),
		}
		order := []string{"jti", "sub", "iat", "exp"}
		if hasScope {
			want["scope"] = roundTrip(t, scope)
			order = append(order, "scope")
		}
		order = append(order, "client_id", "iss", "aud")
		extraNames := topLevelNames(t, extra)
		if org != "" {
			want["organization_id"] = roundTrip(t, org)
			order = append(order, "organization_id")
		}
		for k, v := range extraObj {
			if !protectedClaim(k) {
				want[k] = v
			}
		}
		order = append(extraNames, order...)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("payload %s\n got %#v\nwant %#v", payload, got, want)
		}
		if names := topLevelNames(t, payload); !slices.Equal(names, order) {
			t.Fatalf("member order %q, want %q", names, order)
		}
	})
}

// fuzzExtraExpectation says whether Mint must accept extra and, if so, the
// members encoding/json finds in it.
func fuzzExtraExpectation(extra []byte) (map[string]any, bool) {
	if len(extra) == 0 {
		return nil, true
	}
	if !json.Valid(extra) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(extra))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	switch v := v.(type) {
	case nil:
		return nil, true
	case map[string]any:
		return v, true
	}
	return nil, false
}

// topLevelNames lists an object's member names in order, a repeated name
// at its first place and without the standard claims (for Extra).
func topLevelNames(t *testing.T, obj []byte) []string {
	t.Helper()
	if len(obj) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(obj))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var names []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		name := tok.(string)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	isPayload := slices.Contains(names, "jti") && slices.Contains(names, "aud")
	if !isPayload {
		names = slices.DeleteFunc(names, protectedClaim)
	}
	return names
}

func decodeUseNumber(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("trailing data after %q", b)
	}
	return v
}

// roundTrip is what encoding/json makes of v: marshal, then decode.
func roundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return decodeUseNumber(t, b)
}

func ecdsaVerifyRaw(pub *ecdsa.PublicKey, digest, sig []byte) bool {
	n := len(sig) / 2
	return ecdsa.VerifyASN1(pub, digest, asn1Sig(sig[:n], sig[n:]))
}

// asn1Sig encodes R and S (unsigned big-endian) as a DER ECDSA signature.
func asn1Sig(r, s []byte) []byte {
	enc := func(v []byte) []byte {
		v = bytes.TrimLeft(v, "\x00")
		if len(v) == 0 || v[0]&0x80 != 0 {
			v = append([]byte{0}, v...)
		}
		return append([]byte{2, byte(len(v))}, v...)
	}
	body := append(enc(r), enc(s)...)
	return append([]byte{0x30, byte(len(body))}, body...)
}

// TestMintECDeterministic pins RFC 6979 signing: the same claims under the
// same EC key give the same token, and other claims another signature.
func TestMintECDeterministic(t *testing.T) {
	tk := newTestKeys()
	for _, alg := range []string{AlgES256, AlgES384, AlgES512} {
		key := mustKey(t, tk, "k", alg, rbac.KeyCurrent)
		c := observedClaims()
		a, err := key.Mint(nil, &c)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := key.Mint(nil, &c)
		if string(a) != string(b) {
			t.Errorf("%s: two signatures of the same claims differ", alg)
		}
		c.JTI += "x"
		d, _ := key.Mint(nil, &c)
		sig := func(tok []byte) string { return string(tok[bytes.LastIndexByte(tok, '.'):]) }
		if sig(d) == sig(a) {
			t.Errorf("%s: different claims, same signature", alg)
		}
	}
}
