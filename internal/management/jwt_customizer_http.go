package management

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// jwtCustomizerRoutes registers the JWT customizer routes (spec §4.12).
// Only the client-credentials customizer exists: Gatehouse issues no user
// tokens, so the access-token paths answer 404 like any path that is not
// a route.
func (a *api) jwtCustomizerRoutes() {
	const path = "/api/configs/jwt-customizer/client-credentials"
	a.handle("GET /api/configs/jwt-customizer", a.listJWTCustomizers)
	a.handle("PUT "+path, a.putJWTCustomizer)
	a.handle("PATCH "+path, a.patchJWTCustomizer)
	a.handle("GET "+path, a.getJWTCustomizer)
	a.handle("DELETE "+path, a.deleteJWTCustomizer)
	a.handle("POST /api/configs/jwt-customizer/test", a.testJWTCustomizer)
}

// jwtCustomizerKeys are the members of a customizer body; any other is a
// 400 (the one strict body of the Management API, spec §4.0).
var jwtCustomizerKeys = []string{"script", "environmentVariables", "contextSample", "tokenSample", "blockIssuanceOnError"}

// tokenSampleStrings are the string members of a client-credentials token
// sample (besides kind, which is the literal "ClientCredentials").
var tokenSampleStrings = []string{"jti", "aud", "scope", "clientId"}

// parseJWTCustomizer reads a PUT or PATCH body: {script, environmentVariables?,
// contextSample?, tokenSample?, blockIssuanceOnError?}, strictly.
func parseJWTCustomizer(w http.ResponseWriter, r *http.Request) (*JWTCustomizer, error) {
	g := BodyGuard(w, r)
	var unknown []string
	for k := range g.Keys() {
		if !slices.Contains(jwtCustomizerKeys, k) {
			unknown = append(unknown, "'"+k+"'")
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		g.add(issue{Code: "unrecognized_keys", Path: []any{}, Message: "Unrecognized key(s) in object: " + strings.Join(unknown, ", ")})
	}
	v := &JWTCustomizer{}
	v.Script, _ = g.String("script", StrRule{Required: true})
	v.EnvironmentVariables = envVariables(g)
	if raw, ok := g.Object("contextSample", false); ok {
		members := ObjectGuard(raw, "body")
		if app, ok := members.Keys()["application"]; ok && jsonType(app) != "object" {
			g.add(issue{Code: "invalid_type", Expected: "object", Received: jsonType(app), Path: []any{"contextSample", "application"},
				Message: "Expected object, received " + jsonType(app)})
		} else {
			v.ContextSample = raw
		}
	}
	if raw, ok := g.Object("tokenSample", false); ok && tokenSampleOK(g, raw, "tokenSample") {
		v.TokenSample = raw
	}
	if b, ok := g.Bool("blockIssuanceOnError", false); ok {
		v.BlockIssuanceOnError = &b
	}
	if err := g.Err(); err != nil {
		return nil, err
	}
	return v, nil
}

// envVariables reads environmentVariables: an object of strings.
func envVariables(g *Guard) json.RawMessage {
	raw, ok := g.Object("environmentVariables", false)
	if !ok {
		return nil
	}
	members := ObjectGuard(raw, "body").Keys()
	good := true
	for _, k := range sortedKeys(members) {
		if t := jsonType(members[k]); t != "string" {
			g.add(issue{Code: "invalid_type", Expected: "string", Received: t, Path: []any{"environmentVariables", k},
				Message: "Expected string, received " + t})
			good = false
		}
	}
	if !good {
		return nil
	}
	return raw
}

// tokenSampleOK checks the members of a client-credentials token (sample).
func tokenSampleOK(g *Guard, raw json.RawMessage, name string) bool {
	members := ObjectGuard(raw, "body").Keys()
	good := true
	for _, k := range tokenSampleStrings {
		if m, ok := members[k]; ok && jsonType(m) != "string" {
			g.add(issue{Code: "invalid_type", Expected: "string", Received: jsonType(m), Path: []any{name, k},
				Message: "Expected string, received " + jsonType(m)})
			good = false
		}
	}
	if m, ok := members["kind"]; ok {
		var kind string
		if json.Unmarshal(m, &kind) != nil || kind != "ClientCredentials" {
			g.add(issue{Code: "invalid_literal", Path: []any{name, "kind"}, Message: `Invalid literal value, expected "ClientCredentials"`})
			good = false
		}
	}
	return good
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (a *api) listJWTCustomizers(w http.ResponseWriter, r *http.Request) error {
	list, err := a.svc.JWTCustomizers(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

// putJWTCustomizer answers 201 when it created the customizer, 200 when it
// replaced one (spec §4.12).
func (a *api) putJWTCustomizer(w http.ResponseWriter, r *http.Request) error {
	v, err := parseJWTCustomizer(w, r)
	if err != nil {
		return err
	}
	value, created, err := a.svc.PutJWTCustomizer(r.Context(), v)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return writeRawJSON(w, status, value)
}

// patchJWTCustomizer takes the same body as PUT (Logto's guard requires
// script here too) and merges it into the stored customizer.
func (a *api) patchJWTCustomizer(w http.ResponseWriter, r *http.Request) error {
	v, err := parseJWTCustomizer(w, r)
	if err != nil {
		return err
	}
	value, err := a.svc.PatchJWTCustomizer(r.Context(), v)
	if err != nil {
		return err
	}
	return writeRawJSON(w, http.StatusOK, value)
}

func (a *api) getJWTCustomizer(w http.ResponseWriter, r *http.Request) error {
	value, err := a.svc.JWTCustomizer(r.Context())
	if err != nil {
		return err
	}
	return writeRawJSON(w, http.StatusOK, value)
}

func (a *api) deleteJWTCustomizer(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.DeleteJWTCustomizer(r.Context()); err != nil {
		return err
	}
	return noContent(w)
}

// testJWTCustomizer runs a script once: {tokenType: "client-credentials",
// script, environmentVariables?, token, context?}. Unknown keys are
// stripped, as in Logto's guard for this body.
func (a *api) testJWTCustomizer(w http.ResponseWriter, r *http.Request) error {
	g := BodyGuard(w, r)
	if tt, ok := g.String("tokenType", StrRule{Required: true}); ok && tt != "client-credentials" {
		g.add(issue{Code: "invalid_union_discriminator", Path: []any{"tokenType"},
			Message: "Invalid discriminator value. Expected 'client-credentials' (Gatehouse issues no user access tokens)"})
	}
	script, _ := g.String("script", StrRule{Required: true})
	env := envVariables(g)
	tok, ok := g.Object("token", true)
	if ok {
		tokenSampleOK(g, tok, "token")
	}
	ctx, hasCtx := g.Object("context", false)
	if hasCtx {
		if app, ok := ObjectGuard(ctx, "body").Keys()["application"]; ok && jsonType(app) != "object" {
			g.add(issue{Code: "invalid_type", Expected: "object", Received: jsonType(app), Path: []any{"context", "application"},
				Message: "Expected object, received " + jsonType(app)})
		}
	}
	if err := g.Err(); err != nil {
		return err
	}
	in := make([]byte, 0, 256+len(tok)+len(ctx)+len(env))
	in = append(in, `{"token":`...)
	in = append(in, tok...)
	if hasCtx {
		in = append(in, `,"context":`...)
		in = append(in, ctx...)
	}
	if env == nil {
		env = json.RawMessage("{}") // as on the token path: scripts may read it unguarded
	}
	in = append(in, `,"environmentVariables":`...)
	in = append(in, env...)
	in = append(in, '}')
	out, err := a.svc.TestJWTCustomizer(script, in)
	if err != nil {
		return err
	}
	return writeRawJSON(w, http.StatusOK, out)
}

// writeRawJSON writes a JSON text as the answer.
func writeRawJSON(w http.ResponseWriter, status int, b []byte) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(b)
	return err
}
