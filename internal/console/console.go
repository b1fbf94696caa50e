package console

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/management"
	"github.com/gatehouse/gatehouse/internal/netx"
	"github.com/gatehouse/gatehouse/internal/prio"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

//go:embed templates static
var assets embed.FS

// Config holds what the console needs.
type Config struct {
	Service   *management.Service
	Store     *store.Store
	Endpoint  string // public base URL, without a trailing slash
	Issuer    string
	Indicator string // the Management API's indicator
	// AdminUsername and AdminPassword name the administrator to ensure at
	// start; both empty: a setup link is printed while none exists.
	AdminUsername, AdminPassword string
	// FlushAudit writes buffered audit entries before the log is shown.
	FlushAudit func(ctx context.Context) error
	Notice     io.Writer        // where the setup link is printed; discarded when nil
	Now        func() time.Time // time.Now when nil
	Rand       io.Reader        // crypto/rand when nil
	Logger     *slog.Logger
	// SignIns, when not nil, is told the outcome of every sign-in
	// attempt ("success", "wrong_credentials", "rate_limited",
	// "incomplete"; metrics.Metrics does).
	SignIns interface{ SignIn(outcome string) }
	// Audit receives an admin audit entry for every form post of a
	// signed-in administrator; nil records none.
	Audit management.Auditor
	// ClientAddr is the client address an audit entry records (the one
	// the token endpoint's entries record); the peer's address when nil.
	ClientAddr func(r *http.Request) string
	// CustomizerTimeout and CustomizerMemory are the limits of a JWT
	// customizer run (GATEHOUSE_CUSTOMIZER_TIMEOUT and _MEMORY), shown on
	// its page.
	CustomizerTimeout time.Duration
	CustomizerMemory  int64
	// AllowInsecureURLs lets http URLs be registered where the server
	// fetches keys (JWKS URLs, federated issuers), as
	// GATEHOUSE_FEDERATION_ALLOW_INSECURE lets the fetcher use them.
	AllowInsecureURLs bool
	// Gate, when not nil, is told of every signed-in administrator's
	// request while it runs, so that token signatures make way for it
	// (package prio).
	Gate *prio.Gate
}

// Sizes and lifetimes.
const (
	sessionLifetime = 12 * time.Hour
	setupLifetime   = 24 * time.Hour
	maxFormBytes    = 1 << 20
	pageSize        = 20
)

// console serves the pages.
type console struct {
	cfg     Config
	svc     *management.Service
	st      *store.Store
	now     func() time.Time
	rand    io.Reader
	log     *slog.Logger
	base    string // URL path of the console: the endpoint's path + "/console"
	secure  bool   // the endpoint is https: cookies are always Secure (see secureFor)
	pages   map[string]*pageTemplate
	static  http.Handler
	limiter *limiter
	dummy   string // a hash to verify against for unknown usernames (unknownAdminHash)
	// hashing bounds concurrent argon2id runs: each takes 19 MiB, so a
	// burst of sign-ins must queue rather than grow the heap.
	hashing chan struct{}
	mux     *http.ServeMux
}

// Handler returns the console's routes (everything under /console). It
// first ensures the configured administrator, or prints a setup link when
// there is no administrator at all.
func Handler(ctx context.Context, cfg Config) (http.Handler, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Notice == nil {
		cfg.Notice = io.Discard
	}
	if cfg.FlushAudit == nil {
		cfg.FlushAudit = func(context.Context) error { return nil }
	}
	if cfg.SignIns == nil {
		cfg.SignIns = noSignIns{}
	}
	u, err := url.Parse(cfg.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("console: endpoint: %w", err)
	}
	c := &console{
		cfg: cfg, svc: cfg.Service, st: cfg.Store, now: cfg.Now, rand: cfg.Rand, log: cfg.Logger,
		base: strings.TrimSuffix(u.Path, "/") + "/console", secure: u.Scheme == "https",
		limiter: newLimiter(cfg.Now), mux: http.NewServeMux(), hashing: make(chan struct{}, 2),
	}
	if c.pages, err = parsePages(c.funcs()); err != nil {
		return nil, err
	}
	sub, err := fs.Sub(assets, "static")
	if err != nil {
		return nil, err
	}
	c.static = http.StripPrefix("/console/static/", http.FileServerFS(sub))
	c.dummy = unknownAdminHash
	if err := c.bootstrap(ctx); err != nil {
		return nil, err
	}
	c.routes()
	return http.HandlerFunc(c.serve), nil
}

type noSignIns struct{}

func (noSignIns) SignIn(string) {}

// secureFor tells whether r's cookies get the Secure attribute: always
// when the endpoint is https, else when the client's connection was HTTPS
// (TLS here, or a trusted proxy's X-Forwarded-Proto; see package netx).
func (c *console) secureFor(r *http.Request) bool { return c.secure || netx.IsHTTPS(r) }

// serve adds the console's security headers to every answer.
func (c *console) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer") // the setup link carries a token
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	if !rbac.Storable(r.URL.Path) || unstorableField(r.URL.Query()) != "" {
		c.renderError(w, r, nil, http.StatusBadRequest, "That did not work", "The address "+unstorableText)
		return
	}
	if !strings.HasPrefix(r.URL.Path, "/console/static/") {
		h.Set("Cache-Control", "no-store")
	}
	// The same bound on database work as the Management API's: during an
	// outage a page fails with 503 instead of hanging.
	ctx, cancel := context.WithTimeout(r.Context(), management.DefaultTimeout)
	defer cancel()
	c.mux.ServeHTTP(w, r.WithContext(ctx))
}

// handlerFunc is a page of a signed-in administrator: it writes its answer
// or returns an error, rendered by fail.
type handlerFunc func(w http.ResponseWriter, r *http.Request, s *session) error

// page registers a route for signed-in administrators. Anonymous visitors
// are sent to the sign-in page (GET) or refused (other methods); every
// POST must carry the session's CSRF token.
func (c *console) page(pattern string, h handlerFunc) {
	c.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		s, err := c.session(r)
		if err != nil {
			c.fail(w, r, nil, err)
			return
		}
		if s == nil {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				next := r.URL.Path
				if r.URL.RawQuery != "" {
					next += "?" + r.URL.RawQuery
				}
				http.Redirect(w, r, c.base+"/sign-in?next="+url.QueryEscape(next), http.StatusSeeOther)
				return
			}
			c.renderError(w, r, nil, http.StatusUnauthorized, "Your session has ended", "Sign in again and repeat what you were doing.")
			return
		}
		c.cfg.Gate.BeginUrgent()
		defer c.cfg.Gate.EndUrgent()
		if r.Method == http.MethodPost {
			if !c.checkPost(w, r, s.CSRF) {
				return
			}
			if c.cfg.Audit != nil {
				c.serveAudited(w, r, pattern, s, h)
				return
			}
		}
		if err := h(w, r, s); err != nil {
			c.fail(w, r, s, err)
		}
	})
}

// checkPost reads a POST form and checks its CSRF token against want and
// that it comes from this origin; on failure it answers 403 and returns
// false.
func (c *console) checkPost(w http.ResponseWriter, r *http.Request, want string) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		c.renderError(w, r, nil, http.StatusBadRequest, "The form could not be read", "Go back and try again.")
		return false
	}
	// Browsers say where a request comes from; a cross-site one is refused
	// even before the token is compared.
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		c.renderError(w, r, nil, http.StatusForbidden, "Request refused", "The form was sent from another site.")
		return false
	}
	if want == "" || !equalTokens(r.PostForm.Get("csrf"), want) {
		c.renderError(w, r, nil, http.StatusForbidden, "Request refused",
			"The form's security token is missing or out of date. Reload the page and try again.")
		return false
	}
	if field := unstorableField(r.PostForm); field != "" {
		c.renderError(w, r, nil, http.StatusBadRequest, "That did not work",
			"The field “"+field+"” "+unstorableText)
		return false
	}
	return true
}

// unstorableText ends the message about a value PostgreSQL cannot store.
const unstorableText = "contains characters that cannot be stored (NUL, invalid UTF-8 or a lone surrogate). Remove them and try again."

// unstorableField names the first posted field whose value cannot be
// stored by both engines ("" when all can); custom data fields and pasted
// JWK Sets are JSON and are checked for \u0000 and lone surrogate escapes
// too.
func unstorableField(v url.Values) string {
	for k, vs := range v {
		if !rbac.Storable(k) {
			return "?"
		}
		for _, s := range vs {
			if !rbac.Storable(s) || (k == "customData" || k == "jwks") && !rbac.StorableJSON([]byte(s)) {
				return k
			}
		}
	}
	return ""
}

// fail renders err: a management error as its page (not found, or the
// message), a database that cannot be reached as 503, anything else logged
// and answered with a generic 500.
func (c *console) fail(w http.ResponseWriter, r *http.Request, s *session, err error) {
	if errors.Is(err, errNotFound) {
		c.renderError(w, r, s, http.StatusNotFound, "Not found", "There is no such page in the console.")
		return
	}
	if errors.Is(err, store.ErrUnavailable) {
		c.log.WarnContext(r.Context(), "console: database unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", "5")
		c.renderError(w, r, s, http.StatusServiceUnavailable, "The database cannot be reached",
			"Gatehouse cannot reach its database at the moment. Try again in a few seconds.")
		return
	}
	if errors.Is(err, store.ErrInvalidInput) {
		c.renderError(w, r, s, http.StatusBadRequest, "That did not work", "A value "+unstorableText)
		return
	}
	var me *management.Error
	if errors.As(err, &me) {
		if me.Status == http.StatusNotFound {
			msg := notFoundText(r.URL.Path)
			if r.Method != http.MethodGet {
				msg = "It may have been deleted meanwhile. " + sentence(me.Message)
			}
			c.renderError(w, r, s, http.StatusNotFound, "Not found", msg)
			return
		}
		c.renderError(w, r, s, me.Status, "That did not work", sentence(me.Message))
		return
	}
	id := w.Header().Get("Logto-Core-Request-Id")
	c.log.ErrorContext(r.Context(), "console", "method", r.Method, "path", r.URL.Path, "request_id", id, "err", err)
	c.renderError(w, r, s, http.StatusInternalServerError, "Something went wrong",
		"The server could not complete this request. It has been logged (request id "+id+").")
}

// notFoundText says what was not found at a console path, for people
// (the Management API's message, "The applications with ID … does not
// exist.", is Logto's wording and kept there).
func notFoundText(p string) string {
	parts := strings.Split(strings.TrimPrefix(p, "/console/"), "/")
	nouns := map[string]string{"applications": "application", "resources": "API resource", "roles": "role", "users": "user"}
	noun, ok := nouns[parts[0]]
	if !ok || len(parts) < 2 || parts[1] == "" {
		return "There is no such page in the console."
	}
	list := map[string]string{"applications": "Applications", "resources": "API resources", "roles": "Roles", "users": "Users"}[parts[0]]
	return "There is no " + noun + " with the ID “" + parts[1] + "”. It may have been deleted, or the link is wrong: find it in " + list + "."
}

// errNotFound is a page the console does not show.
var errNotFound = errors.New("console: not found")

// redirect answers a successful POST: a flash notice for the next page,
// and 303 to path (under the console).
func (c *console) redirect(w http.ResponseWriter, r *http.Request, path, notice string) error {
	if notice != "" {
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(notice), Path: c.base,
			MaxAge: 60, HttpOnly: true, Secure: c.secureFor(r), SameSite: http.SameSiteStrictMode})
	}
	http.Redirect(w, r, c.base+path, http.StatusSeeOther)
	return nil
}

// flash returns the notice left by the previous POST and clears it.
func (c *console) flash(w http.ResponseWriter, r *http.Request) string {
	ck, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: c.base, MaxAge: -1,
		HttpOnly: true, Secure: c.secureFor(r), SameSite: http.SameSiteStrictMode})
	v, err := url.QueryUnescape(ck.Value)
	if err != nil || len(v) > 300 {
		return ""
	}
	return v
}
