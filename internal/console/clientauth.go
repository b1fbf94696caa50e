package console

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse/gatehouse/internal/management"
	"github.com/gatehouse/gatehouse/internal/oidc"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Client authentication of an application (docs/secretless.md): its
// tokenEndpointAuthMethod, its public keys (an inline JWK Set or a JWKS
// URL), whether it must send DPoP proofs, and its federated credentials.
// The Management API validates these fields in its HTTP layer; the console
// checks them here, with messages for people, and writes the same
// oidcClientMetadata through the service.

// Bounds of the registered keys: the Management API's (app_keys.go).
const (
	maxClientKeys      = 10
	maxClientKeysBytes = 16 << 10
	maxURLLength       = 2048
)

// assertionTypeJWT is the client_assertion_type of a client assertion.
const assertionTypeJWT = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// privateMembers are the JWK members only a private or symmetric key has
// (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2).
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// clientAuth is the client authentication part of an application's page.
type clientAuth struct {
	Method    string // rbac.AuthSecret or rbac.AuthPrivateKeyJWT
	Keys      []clientKey
	JWKSURI   string
	DPoP      bool
	Federated []rbac.FederatedCredential
	// Workload is the token request of a federated workload; Assertion
	// that of a private_key_jwt client (both with a placeholder for the
	// JWT).
	Workload, Assertion string
	Algs                string // the algorithms the token endpoint accepts
	AllowHTTP           bool   // GATEHOUSE_FEDERATION_ALLOW_INSECURE
}

// PrivateKeyJWT reports whether the app accepts signed assertions only.
func (a *clientAuth) PrivateKeyJWT() bool { return a.Method == rbac.AuthPrivateKeyJWT }

// clientKey is a registered public key as its table shows it.
type clientKey struct {
	Thumbprint string // RFC 7638, base64url SHA-256: how the remove button names it
	KID, Type  string
	Alg, Use   string
	Unusable   string // why the token endpoint skips it, "" when usable
}

// authMeta are the client authentication fields of oidcClientMetadata.
type authMeta struct {
	Method string `json:"tokenEndpointAuthMethod"`
	JWKS   *struct {
		Keys []json.RawMessage `json:"keys"`
	} `json:"jwks"`
	JWKSURI string `json:"jwksUri"`
	DPoP    bool   `json:"dpopBoundAccessTokens"`
}

// readAuthMeta reads the client authentication fields of raw (zero when
// absent or unreadable).
func readAuthMeta(raw json.RawMessage) authMeta {
	var m authMeta
	if len(raw) > 0 {
		json.Unmarshal(raw, &m)
	}
	if m.Method == "" {
		m.Method = rbac.AuthSecret
	}
	return m
}

// keys returns the inline keys of m.
func (m authMeta) keys() []json.RawMessage {
	if m.JWKS == nil {
		return nil
	}
	return m.JWKS.Keys
}

// clientAuthOf builds the client authentication part of app's page.
func (c *console) clientAuthOf(ctx context.Context, app *management.AppDetail, grants []grantSummary) (*clientAuth, error) {
	m := readAuthMeta(app.OIDCClientMetadata)
	a := &clientAuth{Method: m.Method, JWKSURI: m.JWKSURI, DPoP: m.DPoP, Algs: strings.Join(oidc.AssertionAlgNames(), ", "),
		AllowHTTP: c.cfg.AllowInsecureURLs}
	for _, raw := range m.keys() {
		a.Keys = append(a.Keys, describeKey(raw))
	}
	var err error
	if a.Federated, err = c.svc.ListFederatedCredentials(ctx, app.ID); err != nil {
		return nil, err
	}
	a.Workload = c.assertionCurl(app.ID, "$TOKEN", grants, m.DPoP)
	a.Assertion = c.assertionCurl(app.ID, "$ASSERTION", grants, m.DPoP)
	return a, nil
}

// describeKey reads a registered key for the table.
func describeKey(raw json.RawMessage) clientKey {
	var k jose.JSONWebKey
	if k.UnmarshalJSON(raw) != nil || !k.Valid() || !k.IsPublic() {
		var m struct{ Kid, Kty string }
		json.Unmarshal(raw, &m)
		return clientKey{KID: m.Kid, Type: m.Kty, Thumbprint: rawDigest(raw), Unusable: "Not a public key Gatehouse can read: remove it."}
	}
	row := clientKey{KID: k.KeyID, Type: keyType(k.Key), Alg: k.Algorithm, Use: k.Use}
	// Registered through the Management API, a key may be one the console
	// would have refused (a P-521 key no assertion algorithm verifies).
	row.Unusable, _ = checkKey(raw, "This key")
	if tp, err := k.Thumbprint(crypto.SHA256); err == nil {
		row.Thumbprint = base64.RawURLEncoding.EncodeToString(tp)
	} else {
		row.Thumbprint = rawDigest(raw)
	}
	return row
}

// rawDigest names a key go-jose cannot read by its text.
func rawDigest(raw json.RawMessage) string {
	h := crypto.SHA256.New()
	h.Write(raw)
	return "raw-" + base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// keyType is how the page names a public key's type.
func keyType(k any) string {
	switch k := k.(type) {
	case *ecdsa.PublicKey:
		return "EC " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519 (OKP)"
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d bits", k.N.BitLen())
	}
	return fmt.Sprintf("%T", k)
}

// assertionCurl is a token request authenticated with a client assertion
// held in the shell variable v: for the first resource the app's roles
// grant, with a DPoP header when the app requires one.
func (c *console) assertionCurl(appID, v string, grants []grantSummary, dpop bool) string {
	resource, scope := "https://your-api.example.com", ""
	if len(grants) > 0 {
		resource, scope = grants[0].Resource.Indicator, strings.Join(grants[0].Scopes, " ")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "curl -X POST %s \\\n", shellQuote(c.urls().Token))
	if dpop {
		b.WriteString("  -H \"DPoP: $DPOP_PROOF\" \\\n")
	}
	fmt.Fprintf(&b, "  -d grant_type=client_credentials \\\n  -d client_id=%s \\\n  -d client_assertion_type=%s \\\n"+
		"  --data-urlencode client_assertion=\"%s\" \\\n  --data-urlencode resource=%s",
		shellQuote(appID), assertionTypeJWT, v, shellQuote(resource))
	if scope != "" {
		fmt.Fprintf(&b, " \\\n  --data-urlencode scope=%s", shellQuote(scope))
	}
	return b.String()
}

// setAuthMeta rewrites application id's oidcClientMetadata with edit
// applied to its fields; the other fields are kept as they are, and the
// URI lists the Management API requires are added when missing.
func (c *console) setAuthMeta(ctx context.Context, app *management.AppDetail, edit func(m map[string]json.RawMessage)) error {
	m := map[string]json.RawMessage{}
	if len(app.OIDCClientMetadata) > 0 && json.Unmarshal(app.OIDCClientMetadata, &m) != nil || m == nil {
		m = map[string]json.RawMessage{}
	}
	edit(m)
	for _, k := range []string{"redirectUris", "postLogoutRedirectUris"} {
		if v, ok := m[k]; !ok || string(v) == "null" {
			m[k] = json.RawMessage("[]")
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = c.svc.UpdateApplication(ctx, app.ID, management.AppPatch{OIDCClientMetadata: b})
	return err
}

// setKeys stores keys as the app's inline JWK Set (none: no jwks).
func setKeys(m map[string]json.RawMessage, keys []json.RawMessage) {
	if len(keys) == 0 {
		delete(m, "jwks")
		return
	}
	b, _ := json.Marshal(struct {
		Keys []json.RawMessage `json:"keys"`
	}{keys})
	m["jwks"] = b
}

// loadApp reads the application of the request's path.
func (c *console) loadApp(r *http.Request) (*management.AppDetail, error) {
	return c.svc.GetApplication(r.Context(), r.PathValue("id"))
}

func (c *console) setAuthMethod(w http.ResponseWriter, r *http.Request, s *session) error {
	app, err := c.loadApp(r)
	if err != nil {
		return err
	}
	f := newForm(r)
	method := f.get("method")
	m := readAuthMeta(app.OIDCClientMetadata)
	switch method {
	case rbac.AuthSecret:
	case rbac.AuthPrivateKeyJWT:
		if len(m.keys()) == 0 && m.JWKSURI == "" {
			f.fail("method", "Register the app's public key first (paste a JWK Set or give a JWKS URL under “Public keys”), "+
				"then switch. Without a key the app could get no token at all.")
		}
	default:
		f.fail("method", "Choose client secret or private key JWT.")
	}
	if !f.ok() {
		return c.againApp(w, r, s, "auth-method", f, nil)
	}
	err = c.setAuthMeta(r.Context(), app, func(m map[string]json.RawMessage) {
		if method == rbac.AuthSecret {
			delete(m, "tokenEndpointAuthMethod") // the default
			return
		}
		m["tokenEndpointAuthMethod"], _ = json.Marshal(method)
	})
	if err != nil {
		return c.againApp(w, r, s, "auth-method", f, err)
	}
	msg := "The app now authenticates with a client secret."
	if method == rbac.AuthPrivateKeyJWT {
		msg = "The app now authenticates with private key JWT: its secrets are refused."
	}
	return c.redirect(w, r, "/applications/"+app.ID+"#client-auth", msg)
}

// parseKeys reads a pasted JWK Set (or one JWK) of public signing keys,
// checked as the Management API checks jwks and against the keys the app
// has, and returns its keys compacted; problems go on field of f.
func parseKeys(f *form, field string, have []json.RawMessage) []json.RawMessage {
	text := strings.TrimSpace(f.Values.Get(field))
	if text == "" {
		f.fail(field, `Paste the app's public keys as a JWK Set, like {"keys":[{"kty":"EC","crv":"P-256","x":"…","y":"…","kid":"k1"}]}.`)
		return nil
	}
	if len(text) > maxClientKeysBytes {
		f.fail(field, "This is too long: a JWK Set may have at most 16 KiB. Paste only the public keys the app signs with.")
		return nil
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		var x any
		if jerr := json.Unmarshal([]byte(text), &x); jerr != nil {
			f.fail(field, "This is not valid JSON ("+strings.TrimPrefix(jerr.Error(), "json: ")+"). Paste the JWK Set exactly as your tool wrote it.")
		} else {
			f.fail(field, `This is JSON, but not a JWK Set: paste an object like {"keys":[…]}.`)
		}
		return nil
	}
	var list []json.RawMessage
	if ks, ok := doc["keys"]; ok {
		if json.Unmarshal(ks, &list) != nil {
			f.fail(field, `"keys" must be a list of keys, like {"keys":[{"kty":"EC",…}]}.`)
			return nil
		}
	} else if _, ok := doc["kty"]; ok {
		list = []json.RawMessage{json.RawMessage(text)} // one JWK: taken as a set of one
	} else {
		f.fail(field, `This JSON is not a JWK Set: it has no "keys" list. Paste an object like {"keys":[{"kty":"EC",…}]}.`)
		return nil
	}
	if len(list) == 0 {
		f.fail(field, `The JWK Set holds no key: add the app's public key to "keys".`)
		return nil
	}
	kids, prints := map[string]bool{}, map[string]bool{}
	for _, raw := range have {
		row := describeKey(raw)
		kids[row.KID], prints[row.Thumbprint] = row.KID != "", true
	}
	out := make([]json.RawMessage, 0, len(list))
	for i, raw := range list {
		msg, key := checkKey(raw, fmt.Sprintf("Key %d", i+1))
		if msg == "" && key.KeyID != "" && kids[key.KeyID] {
			msg = fmt.Sprintf("The kid “%s” is taken: the app has a key with that kid already, or it is given twice. Give each key its own kid.", key.KeyID)
		}
		if msg == "" {
			tp, _ := key.Thumbprint(crypto.SHA256)
			if t := base64.RawURLEncoding.EncodeToString(tp); prints[t] {
				msg = fmt.Sprintf("Key %d is registered already (or given twice).", i+1)
			} else {
				prints[t] = true
			}
		}
		if msg != "" {
			f.fail(field, msg)
			return nil
		}
		kids[key.KeyID] = key.KeyID != ""
		var b bytes.Buffer
		json.Compact(&b, raw)
		out = append(out, b.Bytes())
	}
	if n := len(have) + len(out); n > maxClientKeys {
		f.fail(field, fmt.Sprintf("An app can register at most %d keys; this would make %d. Remove keys the app no longer uses first.", maxClientKeys, n))
		return nil
	}
	return out
}

// checkKey says what is wrong with one pasted key, named name ("" when
// nothing), and returns it read.
func checkKey(raw json.RawMessage, name string) (string, jose.JSONWebKey) {
	var key jose.JSONWebKey
	var members map[string]json.RawMessage
	if json.Unmarshal(raw, &members) != nil {
		return name + ` is not a JSON object. Each entry of "keys" must be a key, like {"kty":"EC",…}.`, key
	}
	var kty string
	json.Unmarshal(members["kty"], &kty)
	if kty == "oct" {
		return name + " is a symmetric key (kty “oct”): it would be a shared secret. Register the public key of an EC, Ed25519 or RSA key pair.", key
	}
	for _, p := range privateMembers {
		if _, ok := members[p]; ok {
			return fmt.Sprintf("%s is a private key (it has the private member “%s”). Never paste a private key here: it must stay "+
				"where the workload runs. Export its public half (it has no “d”) and paste that. If this private key was "+
				"copied anywhere else, make a new key pair.", name, p), key
		}
	}
	if err := key.UnmarshalJSON(raw); err != nil || !key.Valid() {
		return name + " is not a public key Gatehouse can use. Give an EC (P-256 or P-384), Ed25519 (kty “OKP”) or RSA public key, " +
			"with all its members (EC: crv, x, y; OKP: crv, x; RSA: n, e).", key
	}
	if k, ok := key.Key.(*rsa.PublicKey); ok && k.N.BitLen() < 2048 {
		return fmt.Sprintf("%s is an RSA key of %d bits: use at least 2048 bits.", name, k.N.BitLen()), key
	}
	algs := management.KeyAlgorithms(key.Key)
	switch {
	case algs == nil:
		return name + " uses a curve Gatehouse does not verify. Use P-256 (ES256), P-384 (ES384), Ed25519 (EdDSA) or RSA.", key
	case key.Algorithm != "" && !slices.Contains(oidc.AssertionAlgNames(), key.Algorithm):
		return fmt.Sprintf("%s names the algorithm %s, which the token endpoint does not accept. Use one of %s, or leave “alg” out.",
			name, key.Algorithm, strings.Join(oidc.AssertionAlgNames(), ", ")), key
	case key.Algorithm != "" && !slices.Contains(algs, key.Algorithm):
		return fmt.Sprintf("%s is an %s key but names the algorithm %s, which it cannot sign with. Use %s, or leave “alg” out.",
			name, keyType(key.Key), key.Algorithm, strings.Join(algs, " or ")), key
	case key.Use == "enc":
		return name + ` is marked for encryption ("use": "enc"). Client assertions need a signing key: "use": "sig", or no "use".`, key
	}
	return "", key
}

func (c *console) addClientKeys(w http.ResponseWriter, r *http.Request, s *session) error {
	app, err := c.loadApp(r)
	if err != nil {
		return err
	}
	f := newForm(r)
	m := readAuthMeta(app.OIDCClientMetadata)
	keys := parseKeys(f, "jwks", m.keys())
	if !f.ok() {
		if strings.Contains(f.Errors["jwks"], "private key") || strings.Contains(f.Errors["jwks"], "symmetric key") {
			f.Values.Del("jwks") // a private key is not shown again
		}
		return c.againApp(w, r, s, "auth-keys", f, nil)
	}
	all := append(slices.Clone(m.keys()), keys...)
	err = c.setAuthMeta(r.Context(), app, func(m map[string]json.RawMessage) {
		setKeys(m, all)
		delete(m, "jwksUri") // the Management API takes one or the other
	})
	if err != nil {
		return c.againApp(w, r, s, "auth-keys", f, err)
	}
	msg := plural(len(keys), "public key", "public keys") + " registered."
	if m.JWKSURI != "" {
		msg += " The JWKS URL is no longer used."
	}
	return c.redirect(w, r, "/applications/"+app.ID+"#client-auth", msg)
}

func (c *console) removeClientKey(w http.ResponseWriter, r *http.Request, s *session) error {
	app, err := c.loadApp(r)
	if err != nil {
		return err
	}
	f := newForm(r)
	m := readAuthMeta(app.OIDCClientMetadata)
	tp := f.get("keyId")
	var rest []json.RawMessage
	found := false
	for _, raw := range m.keys() {
		if describeKey(raw).Thumbprint == tp && !found {
			found = true
			continue
		}
		rest = append(rest, raw)
	}
	switch {
	case !found:
		f.fail("", "That key is not registered (any more). The list below is up to date.")
	case len(rest) == 0 && m.Method == rbac.AuthPrivateKeyJWT && m.JWKSURI == "":
		f.fail("", "This is the app's only key, and the app authenticates with private key JWT: without a key it could get no token. "+
			"Register the new key first, or switch the app to client secret.")
	}
	if !f.ok() {
		return c.againApp(w, r, s, "auth-keys-list", f, nil)
	}
	err = c.setAuthMeta(r.Context(), app, func(m map[string]json.RawMessage) { setKeys(m, rest) })
	if err != nil {
		return c.againApp(w, r, s, "auth-keys-list", f, err)
	}
	return c.redirect(w, r, "/applications/"+app.ID+"#client-auth", "Key removed. Assertions signed with it are refused from now on.")
}

// checkFetchURL records what is wrong with a URL the server is to fetch
// (https; http too when allowHTTP); what names it in messages.
func checkFetchURL(f *form, field, v, what, example string, allowHTTP bool) {
	u, err := url.Parse(v)
	switch {
	case v == "":
		f.fail(field, "Enter the "+what+", like "+example+".")
	case len(v) > maxURLLength:
		f.fail(field, fmt.Sprintf("Use at most %d characters.", maxURLLength))
	case err != nil || u.Host == "" || (u.Scheme != "https" && !(allowHTTP && u.Scheme == "http")):
		f.fail(field, "Enter the "+what+" as an absolute https URL, like "+example+". Gatehouse fetches keys over https only.")
	case u.User != nil:
		f.fail(field, "Leave the user name and password out of the URL: Gatehouse sends no credentials when it fetches keys.")
	case u.Fragment != "":
		f.fail(field, "Leave the #fragment out of the URL.")
	}
}

func (c *console) setClientJWKSURI(w http.ResponseWriter, r *http.Request, s *session) error {
	app, err := c.loadApp(r)
	if err != nil {
		return err
	}
	f := newForm(r)
	v := f.get("jwksUri")
	checkFetchURL(f, "jwksUri", v, "JWKS URL", "https://keys.example.com/jwks.json", c.cfg.AllowInsecureURLs)
	if !f.ok() {
		return c.againApp(w, r, s, "auth-uri", f, nil)
	}
	m := readAuthMeta(app.OIDCClientMetadata)
	err = c.setAuthMeta(r.Context(), app, func(meta map[string]json.RawMessage) {
		meta["jwksUri"], _ = json.Marshal(v)
		delete(meta, "jwks")
	})
	if err != nil {
		return c.againApp(w, r, s, "auth-uri", f, err)
	}
	msg := "The app's keys are now fetched from " + v + "."
	if n := len(m.keys()); n > 0 {
		msg += " The " + plural(n, "key", "keys") + " registered here were removed."
	}
	return c.redirect(w, r, "/applications/"+app.ID+"#client-auth", msg)
}

func (c *console) removeClientJWKSURI(w http.ResponseWriter, r *http.Request, s *session) error {
	app, err := c.loadApp(r)
	if err != nil {
		return err
	}
	f := newForm(r)
	m := readAuthMeta(app.OIDCClientMetadata)
	if m.Method == rbac.AuthPrivateKeyJWT && len(m.keys()) == 0 {
		f.fail("", "The app authenticates with private key JWT and this URL is where its keys are: without it the app could get "+
			"no token. Register its keys here instead (paste a JWK Set), or switch the app to client secret first.")
		return c.againApp(w, r, s, "auth-uri", f, nil)
	}
	if err := c.setAuthMeta(r.Context(), app, func(m map[string]json.RawMessage) { delete(m, "jwksUri") }); err != nil {
		return c.againApp(w, r, s, "auth-uri", f, err)
	}
	return c.redirect(w, r, "/applications/"+app.ID+"#client-auth", "JWKS URL removed.")
}

func (c *console) setDPoP(w http.ResponseWriter, r *http.Request, s *session) error {
	app, err := c.loadApp(r)
	if err != nil {
		return err
	}
	f := newForm(r)
	on := f.get("dpop") == "on"
	admin := app.IsAdmin
	if on && !admin {
		if admin, err = c.grantsManagementAPI(r, app.ID); err != nil {
			return err
		}
	}
	if on && admin {
		f.fail("dpop", "This app administers Gatehouse (its roles grant Management API permissions), and the Management API takes bearer "+
			"tokens only: with DPoP required it could no longer use it. Use a separate app for the APIs that should require DPoP.")
		return c.againApp(w, r, s, "auth-dpop", f, nil)
	}
	err = c.setAuthMeta(r.Context(), app, func(m map[string]json.RawMessage) {
		if on {
			m["dpopBoundAccessTokens"] = json.RawMessage("true")
		} else {
			delete(m, "dpopBoundAccessTokens")
		}
	})
	if err != nil {
		return c.againApp(w, r, s, "auth-dpop", f, err)
	}
	msg := "DPoP is no longer required: the app may get bearer tokens again."
	if on {
		msg = "DPoP is required: each token request must carry a DPoP proof, and every token is bound to the client's key."
	}
	return c.redirect(w, r, "/applications/"+app.ID+"#client-auth", msg)
}

// grantsManagementAPI reports whether application id's roles grant
// permissions of the Management API.
func (c *console) grantsManagementAPI(r *http.Request, id string) (bool, error) {
	roles, _, err := c.svc.ListAppRoles(r.Context(), id, store.Search{}, 0, 0)
	if err != nil {
		return false, err
	}
	grants, err := c.grants(r, roles)
	if err != nil {
		return false, err
	}
	for _, g := range grants {
		if g.Resource.Indicator == c.cfg.Indicator {
			return true, nil
		}
	}
	return false, nil
}

// splitList reads a list given one per line or separated by commas.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' }) {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// parseClaims reads name=value lines; problems go on field of f.
func parseClaims(f *form, field, v string) map[string]string {
	out := map[string]string{}
	for i, line := range strings.Split(v, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		switch {
		case !ok || name == "":
			f.fail(field, fmt.Sprintf("Line %d is not name=value. Write one claim a line, like repository=acme/shop.", i+1))
			return nil
		case value == "":
			f.fail(field, fmt.Sprintf("Line %d gives no value for %s. Write the value the claim must have, like %s=shop.", i+1, name, name))
			return nil
		}
		if _, dup := out[name]; dup {
			f.fail(field, "The claim "+name+" is given twice. Give each claim once.")
			return nil
		}
		out[name] = value
	}
	if len(out) > rbac.MaxFederatedClaims {
		f.fail(field, fmt.Sprintf("Give at most %d claims.", rbac.MaxFederatedClaims))
		return nil
	}
	return out
}

func (c *console) addFederated(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	in := management.FederatedCreate{Name: f.get("name"), Issuer: f.get("issuer"), Subject: f.get("subject"),
		Audiences: splitList(f.Values.Get("audiences")), JWKSURI: f.get("jwksUri")}
	checkName(f, "name", in.Name, 128)
	checkFetchURL(f, "issuer", in.Issuer, "issuer URL", "https://token.actions.githubusercontent.com", c.cfg.AllowInsecureURLs)
	in.Claims = parseClaims(f, "claims", f.Values.Get("claims"))
	switch {
	case in.Subject == "":
		f.fail("subject", "Enter the subject: the sub claim of the workload's tokens, like system:serviceaccount:shop:orders.")
	case len(in.Subject) > 1024:
		f.fail("subject", "Use at most 1024 characters.")
	case strings.Trim(in.Subject, "*") == "" && len(in.Claims) == 0:
		f.fail("subject", "A subject of only * trusts every token the issuer signs, for anyone. Name the subject, with * only "+
			"for the part that varies (repo:acme/shop:*), or pin the tokens with claims below.")
	}
	switch n := len(in.Audiences); {
	case n == 0:
		f.fail("audiences", "Enter at least one audience: the aud the workload's tokens carry, like gatehouse.")
	case n > rbac.MaxFederatedAudiences:
		f.fail("audiences", fmt.Sprintf("Give at most %d audiences.", rbac.MaxFederatedAudiences))
	default:
		for _, a := range in.Audiences {
			if len(a) > maxURLLength {
				f.fail("audiences", fmt.Sprintf("Use at most %d characters for an audience.", maxURLLength))
			}
		}
	}
	if in.JWKSURI != "" {
		checkFetchURL(f, "jwksUri", in.JWKSURI, "issuer's JWKS URL", "https://issuer.example.com/keys", c.cfg.AllowInsecureURLs)
	}
	if !f.ok() {
		return c.againApp(w, r, s, "fed-add", f, nil)
	}
	if _, err := c.svc.CreateFederatedCredential(r.Context(), id, in); err != nil {
		var me *management.Error
		ok := errors.As(err, &me)
		if ok && me.Code == "application.federated_credential_name_exists" {
			f.fail("name", "This app has a federated credential named “"+in.Name+"” already. Choose another name.")
			err = nil
		} else if ok && me.Code == "application.federated_credentials_limit" {
			f.fail("", fmt.Sprintf("An app can have at most %d federated credentials. Delete one it no longer needs first.", rbac.MaxFederatedCredentials))
			err = nil
		}
		return c.againApp(w, r, s, "fed-add", f, err)
	}
	return c.redirect(w, r, "/applications/"+id+"#federated", "Federated credential “"+in.Name+"” added. Workloads whose tokens match it can get tokens now.")
}

func (c *console) deleteFederated(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	if err := c.svc.DeleteFederatedCredential(r.Context(), id, f.get("credentialId")); err != nil {
		var me *management.Error
		if errors.As(err, &me) && me.Status == http.StatusNotFound {
			if _, gerr := c.loadApp(r); gerr != nil {
				return gerr // the app itself is gone
			}
			f.fail("", "That federated credential does not exist (any more): it may have been deleted meanwhile. The list below is up to date.")
			err = nil
		}
		return c.againApp(w, r, s, "fed", f, err)
	}
	return c.redirect(w, r, "/applications/"+id+"#federated", "Federated credential deleted. Its tokens are refused from the next request on.")
}
