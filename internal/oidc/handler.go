package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/grant"
	"github.com/gatehouse/gatehouse/internal/limit"
	"github.com/gatehouse/gatehouse/internal/prio"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/token"
)

// Grants is the grant cache as the token endpoint uses it.
type Grants interface {
	Client(ctx context.Context, tenant, id string) (*grant.Client, error)
	// Application returns the client's application JSON for the JWT
	// customizer.
	Application(ctx context.Context, c *grant.Client) (json.RawMessage, error)
	Resource(ctx context.Context, tenant, indicator string) (*grant.Resource, bool, error)
	DefaultResource(ctx context.Context, tenant string) (*grant.Resource, bool, error)
}

// Keys gives the signing keys in force.
type Keys interface {
	Keys() *token.Set
}

// Digester computes secret digests (secret.Box does).
type Digester interface {
	AppendDigest(dst []byte, secret string) []byte
}

// Auditor receives one audit entry per token request (audit.Writer does).
type Auditor interface {
	Log(e rbac.LogEntry)
}

// Metrics records token requests (metrics.Metrics does). Token is called
// once per request on the hot path: it must not block or allocate.
type Metrics interface {
	Token(grantType, errCode string, d time.Duration)
}

// Config holds the token endpoint's dependencies.
type Config struct {
	Issuer string // e.g. http://localhost:3001/oidc, no trailing slash
	Tenant string // the tenant served; rbac.DefaultTenant when empty
	Grants Grants
	Keys   Keys
	Digest Digester
	Audit  Auditor          // may be nil
	Now    func() time.Time // time.Now when nil
	Rand   io.Reader        // token ids; crypto/rand when nil
	Logger *slog.Logger
	// Denylist holds revoked tokens. Without it nothing is revoked and the
	// revocation endpoint is neither served nor advertised.
	Denylist Denylist
	// AdminResource is the Management API's indicator: a client holding
	// its "all" scope may introspect any token, others only their own.
	AdminResource string
	// Customizers gives the client-credentials JWT customizer in force;
	// nil: tokens are never customized.
	Customizers Customizers
	// FailureLimit is how many failed client authentications are allowed
	// per source address and per client id (limit.go); the zero Rate
	// limits nothing.
	FailureLimit limit.Rate
	// Metrics, when not nil, records every token request.
	Metrics Metrics
	// RemoteKeys fetches jwksUri key sets and federated issuers' keys;
	// nil: neither is accepted.
	RemoteKeys RemoteKeys
	// JTIs records private_key_jwt assertion ids; nil: such assertions
	// are refused.
	JTIs JTIs
	// Gate, when not nil, holds token signatures back while requests that
	// wait on the database are in flight (package prio).
	Gate *prio.Gate
}

type handler struct {
	issuer, origin, tenant string
	grants                 Grants
	keys                   Keys
	digest                 Digester
	auditor                Auditor
	now                    func() time.Time
	rand                   io.Reader
	log                    *slog.Logger
	denylist               Denylist
	adminResource          string
	customizers            Customizers
	limits                 *limiter // nil: no failure limit
	metrics                Metrics  // nil: none
	replay                 *dpopReplay
	proofKeys              proofKeys // checked DPoP proof headers
	remoteKeys             RemoteKeys
	jtis                   JTIs
	verified               *verifiedCache // federated tokens verified recently (fedcache.go)
	signing                *prio.Gate     // holds signatures back for database-bound requests
}

// Handler returns the /oidc routes. Paths are absolute (/oidc/...), so the
// handler is mounted at "/oidc/" without stripping the prefix.
func Handler(cfg Config) http.Handler {
	h := &handler{
		issuer: strings.TrimSuffix(cfg.Issuer, "/"),
		tenant: cfg.Tenant, grants: cfg.Grants, keys: cfg.Keys, digest: cfg.Digest,
		auditor: cfg.Audit, now: cfg.Now, rand: cfg.Rand, log: cfg.Logger,
		denylist: cfg.Denylist, adminResource: cfg.AdminResource,
		customizers: cfg.Customizers, limits: newLimiter(cfg.FailureLimit),
		metrics: cfg.Metrics, replay: newDPoPReplay(dpopReplayMax),
		remoteKeys: cfg.RemoteKeys, jtis: cfg.JTIs, verified: newVerifiedCache(), signing: cfg.Gate,
	}
	if h.tenant == "" {
		h.tenant = rbac.DefaultTenant
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.rand == nil {
		h.rand = cryptoRand{}
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if u, err := url.Parse(h.issuer); err == nil {
		h.origin = u.Scheme + "://" + u.Host
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oidc/token", h.withCORS(h.token))
	mux.HandleFunc("OPTIONS /oidc/token", h.preflight)
	mux.HandleFunc("POST /oidc/token/introspection", h.withCORS(h.introspect))
	mux.HandleFunc("OPTIONS /oidc/token/introspection", h.preflight)
	if h.denylist != nil {
		mux.HandleFunc("POST /oidc/token/revocation", h.withCORS(h.revoke))
		mux.HandleFunc("OPTIONS /oidc/token/revocation", h.preflight)
	}
	mux.HandleFunc("GET /oidc/jwks", h.jwks)
	mux.HandleFunc("GET /oidc/.well-known/openid-configuration", h.discovery)
	mux.HandleFunc("GET /oidc/.well-known/oauth-authorization-server", h.discovery)
	mux.HandleFunc("/oidc/", h.notFound)
	mux.HandleFunc("/oidc", h.notFound)
	return mux
}

// notFound answers unknown routes and methods as Logto does (spec §2.1).
func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/oidc")
	if p == "" {
		p = "/"
	}
	writeError(w, r, &Error{http.StatusNotFound, ErrInvalidRequest,
		"unrecognized route or not allowed method (" + r.Method + " on " + p + ")"})
}

// internal logs an unexpected failure and returns the generic 500.
func (h *handler) internal(ctx context.Context, what string, err error) *Error {
	h.log.ErrorContext(ctx, "token endpoint: "+what, "err", err)
	return &Error{http.StatusInternalServerError, ErrServerError, "oops! something went wrong"}
}

// unavailable logs a grant cache failure and answers it: 503 with
// Retry-After when the database is unreachable (grant.ErrUnavailable), the
// generic 500 otherwise.
func (h *handler) unavailable(ctx context.Context, what string, err error) *Error {
	if !errors.Is(err, grant.ErrUnavailable) {
		return h.internal(ctx, what, err)
	}
	h.log.WarnContext(ctx, "token endpoint: "+what+": database unavailable", "err", err)
	return errUnavailable
}

// withCORS lets browsers read token answers for origins the client allows;
// the check itself is part of the exchange (checkOrigin).
func (h *handler) withCORS(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" && o != h.origin {
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Add("Vary", "Origin")
		}
		next(w, r)
	}
}

func (h *handler) preflight(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	if o := r.Header.Get("Origin"); o != "" {
		hd.Set("Access-Control-Allow-Origin", o)
		hd.Add("Vary", "Origin")
	}
	hd.Set("Access-Control-Allow-Methods", "POST")
	if rh := r.Header.Get("Access-Control-Request-Headers"); rh != "" {
		hd.Set("Access-Control-Allow-Headers", rh)
	}
	hd.Set("Access-Control-Max-Age", "3600")
	w.WriteHeader(http.StatusNoContent)
}

// jwks serves the public keys (spec §3.2), with an ETag.
func (h *handler) jwks(w http.ResponseWriter, r *http.Request) {
	set := h.keys.Keys()
	hd := w.Header()
	hd.Set("Content-Type", "application/jwk-set+json; charset=utf-8")
	hd.Set("Cache-Control", "no-cache, max-age=0, must-revalidate")
	hd.Set("Access-Control-Allow-Origin", "*")
	hd.Set("ETag", set.ETag())
	if etagMatch(r.Header.Get("If-None-Match"), set.ETag()) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := set.JWKS()
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

type cryptoRand struct{}

// Read fills b from crypto/rand.
func (cryptoRand) Read(b []byte) (int, error) { return cryptoRead(b) }
