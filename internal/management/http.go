package management

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/prio"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/token"
)

// HandlerConfig holds what the Management API's HTTP layer needs.
type HandlerConfig struct {
	Service   *Service
	Issuer    string // tokens must come from here (iss)
	Endpoint  string // public base URL, for Link headers
	Indicator string // tokens must be for this audience
	// Keys returns the signing keys that tokens are checked against.
	Keys func() *token.Set
	// FlushAudit writes buffered audit entries before the log is read.
	FlushAudit func(ctx context.Context) error
	Now        func() time.Time // time.Now when nil
	Logger     *slog.Logger
	// Revoked reports whether the token with this jti was revoked (the
	// revocation denylist); nil: none is.
	Revoked func(jti string) bool
	// Holds reports whether the application clientID still exists and
	// holds a role granting `all` on the Management API, as the grant
	// cache has it now (no database work on a hit). A token is honoured
	// only while it does. nil: not checked (tests of the handler alone).
	Holds func(ctx context.Context, clientID string) (bool, error)
	// Timeout bounds the database work of one request; DefaultTimeout
	// when 0.
	Timeout time.Duration
	// Audit receives an admin audit entry for every authenticated write
	// (POST, PUT, PATCH, DELETE); nil records none.
	Audit Auditor
	// ClientAddr is the client address an audit entry records (the one
	// the token endpoint's entries record); the peer's address when nil.
	ClientAddr func(r *http.Request) string
	// Rand makes audit entry ids; crypto/rand when nil.
	Rand io.Reader
	// Gate, when not nil, is told of every authenticated request while it
	// runs, so that token signatures make way for it (package prio).
	Gate *prio.Gate
}

// DefaultTimeout bounds the database work of one Management API request:
// when the database does not answer within it (an outage that leaves
// connections hanging rather than refused), the request ends with 503
// instead of holding its client and a connection. Two PostgreSQL connect
// attempts (store.ConnectTimeout each) fit in it; ordinary requests take
// milliseconds.
const DefaultTimeout = 10 * time.Second

// retryAfter is the Retry-After of a 503 (seconds): about the time a
// restarting database or a failover takes to accept connections again.
const retryAfter = "5"

// handlerFunc is a route: it writes its answer or returns an error, which
// the api renders (an *Error as Logto's body, anything else as a 500).
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

type api struct {
	svc        *Service
	issuer     string
	endpoint   string
	indicator  string
	keys       func() *token.Set
	flushAudit func(ctx context.Context) error
	now        func() time.Time
	log        *slog.Logger
	revoked    func(jti string) bool
	holds      func(ctx context.Context, clientID string) (bool, error)
	timeout    time.Duration
	audit      Auditor
	gate       *prio.Gate
	clientAddr func(r *http.Request) string
	rand       io.Reader
	mux        *http.ServeMux
	patterns   []string // every route served, for the OpenAPI check
}

// Handler returns the /api routes: the Management API, every route behind
// bearer-token checks (spec §4.1) except the anonymous ones of §4.13.
func Handler(cfg HandlerConfig) http.Handler {
	a := newAPI(cfg)
	return a.mux
}

func newAPI(cfg HandlerConfig) *api {
	a := &api{
		svc: cfg.Service, issuer: cfg.Issuer, endpoint: strings.TrimSuffix(cfg.Endpoint, "/"), indicator: cfg.Indicator,
		keys: cfg.Keys, flushAudit: cfg.FlushAudit, now: cfg.Now, log: cfg.Logger, mux: http.NewServeMux(),
		revoked: cfg.Revoked, holds: cfg.Holds, timeout: cfg.Timeout, audit: cfg.Audit, clientAddr: cfg.ClientAddr, rand: cfg.Rand, gate: cfg.Gate,
	}
	if a.clientAddr == nil {
		a.clientAddr = peerAddr
	}
	if a.rand == nil {
		a.rand = rand.Reader
	}
	if a.timeout <= 0 {
		a.timeout = DefaultTimeout
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.flushAudit == nil {
		a.flushAudit = func(context.Context) error { return nil }
	}
	a.routes()
	return a
}

// Patterns lists the routes a Handler with this configuration serves, as
// "METHOD /path/{param}" patterns (for the OpenAPI document's test).
func Patterns() []string {
	return newAPI(HandlerConfig{}).patterns
}

// handle registers a route that needs a Management API token. The token
// is checked in memory (keys and denylist), so an outage of the database
// cannot turn a valid token into a 401.
func (a *api) handle(pattern string, h handlerFunc) {
	a.patterns = append(a.patterns, pattern)
	a.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := a.authenticate(r); err != nil {
			a.writeError(w, r, err)
			return
		}
		a.gate.BeginUrgent()
		defer a.gate.EndUrgent()
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		if err := checkStorable(r); err != nil {
			a.writeError(w, r, err)
			return
		}
		if a.audit != nil && isWrite(r.Method) {
			a.serveAudited(w, r, pattern, h)
			return
		}
		a.serve(w, r, h)
	})
}

// handlePublic registers an anonymous route.
func (a *api) handlePublic(pattern string, h handlerFunc) {
	a.patterns = append(a.patterns, pattern)
	a.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		a.serve(w, r, h)
	})
}

// serve runs h within the request timeout and renders its error.
func (a *api) serve(w http.ResponseWriter, r *http.Request, h handlerFunc) {
	ctx, cancel := context.WithTimeout(r.Context(), a.timeout)
	defer cancel()
	r = r.WithContext(ctx)
	if err := h(w, r); err != nil {
		a.writeError(w, r, err)
	}
}

// writeError renders err: an *Error as {code, message, data?, details?}, a
// database that cannot be reached as 503 with Retry-After, anything else
// logged and answered with Logto's generic 500.
func (a *api) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrUnavailable) {
		a.log.WarnContext(r.Context(), "management api: database unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		err = unavailable()
	}
	if errors.Is(err, store.ErrInvalidInput) {
		g := &Guard{where: "input"}
		g.add(issue{Code: "custom", Path: []any{}, Message: "The database cannot store or match this value"})
		err = g.Err()
	}
	var e *Error
	if !errors.As(err, &e) {
		a.log.ErrorContext(r.Context(), "management api", "method", r.Method, "path", r.URL.Path, "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "Internal server error."})
		return
	}
	body := struct {
		Code    string `json:"code"`
		Data    any    `json:"data,omitempty"`
		Details string `json:"details,omitempty"`
		Message string `json:"message"`
	}{e.Code, e.Data, e.Details, e.Message}
	if e.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", retryAfter)
	}
	writeJSON(w, e.Status, body)
}

// writeJSON writes v as the JSON answer.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, err = w.Write(b)
	return err
}

// writeText answers with the plain-text status phrase, as Logto does for
// some writes (PUT /applications/{id}/roles gives "OK", spec §4.0).
func writeText(w http.ResponseWriter, status int) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write([]byte(http.StatusText(status)))
	return err
}

// noContent answers 204.
func noContent(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// peerAddr is the host of the request's peer address.
func peerAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
