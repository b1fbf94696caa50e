package oidc

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/grant"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/token"
)

// Grant types (RFC 6749 §4.4 and the others Logto's provider knows).
const (
	GrantClientCredentials = "client_credentials"
)

// knownGrants are the grant types Logto's provider supports but never allows
// for an M2M app: asking for one gives "not allowed for this client" rather
// than "unsupported" (spec §2.4).
var knownGrants = map[string]bool{
	"authorization_code": true,
	"refresh_token":      true,
	"implicit":           true,
	"urn:ietf:params:oauth:grant-type:device_code":    true,
	"urn:ietf:params:oauth:grant-type:token-exchange": true,
}

// Default token lifetime when a resource's TTL is 0 (spec §2.10).
const zeroTTLFallback = 600

// issued is what a successful exchange produced.
type issued struct {
	claims token.Claims
	ttl    int64
	scopes []string
}

// exchange is one token request as it goes through the endpoint, kept for
// the audit entry.
type exchange struct {
	params     tokenParams
	client     *grant.Client
	secretName string
	jkt        string       // the DPoP key's thumbprint (dpop.go); "": a bearer token
	assertion  assertionUse // how a client assertion authenticated it (assertion.go)
	resource   string
	scopes     []string
}

var exchangePool = sync.Pool{New: func() any { return new(exchange) }}

func (h *handler) token(w http.ResponseWriter, r *http.Request) {
	x := exchangePool.Get().(*exchange)
	*x = exchange{params: tokenParams{resources: x.params.resources[:0]}}
	defer exchangePool.Put(x)

	var start time.Time
	if h.metrics != nil {
		start = time.Now() // not h.now: a duration wants the monotonic clock
	}
	now := h.now()
	tok, oerr := h.exchange(r, x, now.UnixMilli())
	if oerr == nil {
		tok.claims.JKT = x.jkt
	}
	if oerr == nil && h.customizers != nil {
		oerr = h.customize(r, x, tok, now.UnixMilli())
	}
	if oerr != nil {
		if oerr.Status == http.StatusUnauthorized && r.Header.Get("Authorization") != "" {
			w.Header().Set("WWW-Authenticate", `Basic realm="`+h.issuer+`", error="`+oerr.Code+`", error_description="`+oerr.Description+`"`)
		}
		h.setRetryAfter(w, oerr)
		writeError(w, r, oerr)
	} else if err := h.writeToken(w, &tok.claims, tok.ttl); err != nil {
		oerr = h.internal(r.Context(), "mint token", err)
		writeError(w, r, oerr)
	}
	h.audit(r, x, oerr, now.UnixMilli())
	if h.metrics != nil {
		code := ""
		if oerr != nil {
			code = oerr.Code
		}
		h.metrics.Token(x.params.grantType.val, code, time.Since(start))
	}
}

// exchange runs the checks of spec §2.3–§2.6 in their order and mints the token.
// nowMs is milliseconds: a secret's expiry is compared to the millisecond
// (claims are in whole seconds).
func (h *handler) exchange(r *http.Request, x *exchange, nowMs int64) (*issued, *Error) {
	p := &x.params
	nowSec := nowMs / 1000
	client, e := h.authClient(r, "/token", x, nowMs)
	if e != nil {
		return nil, e
	}
	ctx := r.Context()

	if p.grantType.n > 1 {
		return nil, duplicateError("grant_type")
	}
	switch gt := p.grantType.val; {
	case gt == "":
		return nil, badRequest("missing required parameter 'grant_type'")
	case knownGrants[gt]:
		return nil, badRequest("requested grant type is not allowed for this client")
	case gt != GrantClientCredentials:
		return nil, &Error{http.StatusBadRequest, ErrUnsupportedGrantType, "unsupported grant_type requested"}
	}
	if d := p.grantDuplicate(); d != "" {
		return nil, duplicateError(d)
	}
	if x.jkt, e = h.dpop(r, client, time.UnixMilli(nowMs)); e != nil {
		return nil, e
	}
	org, e := organizationOf(client, p)
	if e != nil {
		return nil, e
	}
	if org != nil && !p.hasResource() {
		return h.organizationToken(ctx, x, org, nowSec)
	}

	res, e := h.resolveResource(ctx, p)
	if e != nil {
		return nil, e
	}
	x.resource = res.Indicator
	grantable := client.Scopes(res.Indicator)
	if org != nil {
		grantable = org.ResourceScopes(res.Indicator)
	}
	x.scopes = rbac.GrantScopes(p.scope.val, grantable)

	ttl := res.TTL
	if ttl == 0 {
		ttl = zeroTTLFallback
	}
	t := &issued{ttl: ttl, scopes: x.scopes}
	c, err := h.claims(t, client.ID, res.Indicator, nowSec)
	if err != nil {
		return nil, h.internal(ctx, "make token id", err)
	}
	t.claims = c
	if org != nil {
		t.claims.OrganizationID = p.organizationID.val
	}
	return t, nil
}

// authClient reads the body and authenticates the client, with the checks
// of spec §2.3 in their order: the token endpoint's first steps, shared by
// introspection and revocation. It records the client and the name of the
// secret used in x, for the audit entry, as soon as they are known.
func (h *handler) authClient(r *http.Request, path string, x *exchange, nowMs int64) (*grant.Client, *Error) {
	g, e := h.gate(r, nowMs) // the failure limit (limit.go): a flooding address stops here
	if e != nil {
		return nil, e
	}
	p := &x.params
	if e := readParams(r, path, p); e != nil {
		return nil, e
	}
	cred, e := clientCredentials(r.Header.Get("Authorization"), p)
	if e != nil {
		return nil, e
	}
	if e := g.admit(cred.id); e != nil {
		return nil, e
	}
	ctx := r.Context()
	client, err := h.grants.Client(ctx, h.tenant, cred.id)
	if errors.Is(err, grant.ErrUnknownClient) {
		return nil, g.fail(&Error{http.StatusBadRequest, ErrInvalidClient, "invalid client " + cred.id}, "")
	}
	if errors.Is(err, grant.ErrUnavailable) {
		return nil, h.unavailable(ctx, "load client", err)
	}
	if err != nil {
		return nil, h.internal(ctx, "load client", err)
	}
	x.client = client
	if e := h.checkClient(ctx, client, &cred, path, x, nowMs); e != nil {
		return nil, g.fail(e, cred.id)
	}
	if e := h.checkOrigin(r, client); e != nil {
		return nil, e
	}
	return client, nil
}

// checkSecret compares the presented secret's digest with every secret of
// the client in constant time. An expired secret is a 400 (spec §2.3).
func (h *handler) checkSecret(c *grant.Client, presented string, x *exchange, nowMs int64) *Error {
	var buf [secret.DigestSize]byte
	d := h.digest.AppendDigest(buf[:0], presented)
	match := -1
	for i := range c.Secrets {
		if secret.Equal(d, c.Secrets[i].Digest) && match < 0 {
			match = i
		}
	}
	if match < 0 {
		return errAuthFailed
	}
	s := &c.Secrets[match]
	x.secretName = s.Name
	if s.ExpiresAt != 0 && s.ExpiresAt <= nowMs {
		return badRequest("client secret has expired")
	}
	return nil
}

// checkOrigin applies client-based CORS (spec §2.1): a request from another
// origin than the server's must come from one the client allows.
func (h *handler) checkOrigin(r *http.Request, c *grant.Client) *Error {
	origin := r.Header.Get("Origin")
	if origin == "" || origin == h.origin {
		return nil
	}
	for _, o := range c.CORSOrigins {
		if o == origin {
			return nil
		}
	}
	return badRequest("origin " + origin + " not allowed for client: " + c.ID)
}

// resolveResource picks the one resource of the request (spec §2.5):
// resource, else audience, else the tenant's default resource.
func (h *handler) resolveResource(ctx context.Context, p *tokenParams) (*grant.Resource, *Error) {
	values := p.resources
	if len(values) == 0 && p.audience.val != "" {
		values = append(values, p.audience.val)
	}
	if len(values) == 0 {
		def, ok, err := h.grants.DefaultResource(ctx, h.tenant)
		if err != nil {
			return nil, h.unavailable(ctx, "load default resource", err)
		}
		if !ok {
			return nil, invalidTarget("both `resource` and `organization_id` are not provided")
		}
		values = append(values, def.Indicator)
	}
	var found *grant.Resource
	distinct := 0
	for i, v := range values {
		if indexOf(values[:i], v) >= 0 {
			continue
		}
		distinct++
		if e := checkIndicator(v); e != nil {
			return nil, e
		}
		res, ok, err := h.grants.Resource(ctx, h.tenant, v)
		if err != nil {
			return nil, h.unavailable(ctx, "load resource", err)
		}
		if !ok {
			return nil, invalidTarget("resource indicator is missing, or unknown")
		}
		if found == nil {
			found = res
		}
	}
	if distinct > 1 {
		return nil, invalidTarget("only a single resource indicator value is supported for this grant type")
	}
	return found, nil
}

func indexOf(list []string, v string) int {
	for i, s := range list {
		if s == v {
			return i
		}
	}
	return -1
}

// checkIndicator requires an absolute URI without a fragment (RFC 8707 §2).
func checkIndicator(v string) *Error {
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" || (u.Host == "" && specialScheme(u.Scheme)) || (u.Opaque == "" && u.Host == "" && u.Path == "") {
		return invalidTarget("resource indicator must be an absolute URI")
	}
	if strings.IndexByte(v, '#') >= 0 {
		return invalidTarget("resource indicator must not contain a fragment component")
	}
	return nil
}

// specialScheme reports the WHATWG "special" schemes, whose URLs need a host.
func specialScheme(s string) bool {
	switch strings.ToLower(s) {
	case "http", "https", "ws", "wss", "ftp":
		return true
	}
	return false
}

var bodyBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// claims builds the access token's claims (spec §2.9).
func (h *handler) claims(t *issued, clientID, audience string, iat int64) (token.Claims, error) {
	var jti [43]byte
	id, err := secret.AppendTokenID(jti[:0], h.rand)
	if err != nil {
		return token.Claims{}, err
	}
	c := token.Claims{
		JTI:      string(id),
		Subject:  clientID,
		ClientID: clientID,
		Issuer:   h.issuer,
		Audience: audience,
		IssuedAt: iat,
		Expiry:   iat + t.ttl,
	}
	if len(t.scopes) > 0 {
		c.HasScope = true
		c.Scope = strings.Join(t.scopes, " ")
	}
	return c, nil
}

// writeToken signs the token with the current key straight into the
// response body and writes the RFC 6749 §5.1 answer in Logto's key order.
func (h *handler) writeToken(w http.ResponseWriter, c *token.Claims, ttl int64) error {
	bp := bodyBufPool.Get().(*[]byte)
	defer bodyBufPool.Put(bp)
	b := append((*bp)[:0], `{"access_token":"`...)
	// The signature is most of a token's CPU; it waits while a request
	// that waits on the database is in flight (package prio).
	held := h.signing.EnterBulk()
	b, err := h.keys.Keys().Current().Mint(b, c)
	if held {
		h.signing.LeaveBulk()
	}
	if err != nil {
		return err
	}
	b = append(b, `","expires_in":`...)
	b = strconv.AppendInt(b, ttl, 10)
	if c.JKT != "" {
		b = append(b, `,"token_type":"DPoP"`...) // RFC 9449 §5.1
	} else {
		b = append(b, `,"token_type":"Bearer"`...)
	}
	if c.HasScope {
		b = append(b, `,"scope":`...)
		b = appendJSONString(b, c.Scope)
	}
	b = append(b, '}')
	*bp = b
	hd := w.Header()
	hd["Content-Type"] = []string{"application/json; charset=utf-8"}
	hd["Cache-Control"] = []string{"no-store"}
	hd["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(http.StatusOK)
	w.Write(b) // a write error means the client went away; nothing to answer
	return nil
}
