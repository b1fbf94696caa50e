// Package protecttest is a stand-in for Gatehouse in the tests of an API
// protected with [protect]: an issuer on an [httptest.Server] (OpenID
// discovery metadata and a JWK Set, on loopback) that mints RFC 9068
// access tokens with whatever claims the test chooses, so handlers can be
// tested with real, signed tokens and no running authorization server.
//
//	is := protecttest.NewIssuer(t)
//	v := is.Validator(t, "https://shopping.api") // protect.New, closed at the end of the test
//	h := v.Require("read:products")(http.HandlerFunc(listProducts))
//
//	tok := is.Token(protecttest.Claims{
//		Audience: []string{"https://shopping.api"},
//		Scopes:   []string{"read:products"},
//		Extra:    map[string]any{"tier": "gold"}, // a JWT customizer's claim
//	})
//	w := httptest.NewRecorder()
//	h.ServeHTTP(w, protecttest.Request("GET", "/products", tok))
//
// Expired tokens, tokens of another audience or issuer, and key rotations
// ([Issuer.RotateKey]) are one field or call away; [Issuer.Sign] signs any
// claims at all. The issuer signs with ES256 unless [WithAlgorithm] says
// otherwise, with typ at+jwt and a kid, as Gatehouse does.
package protecttest
