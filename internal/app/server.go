package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/change"
	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/console"
	"github.com/gatehouse/gatehouse/internal/customizer"
	"github.com/gatehouse/gatehouse/internal/grant"
	"github.com/gatehouse/gatehouse/internal/management"
	"github.com/gatehouse/gatehouse/internal/metrics"
	"github.com/gatehouse/gatehouse/internal/netx"
	"github.com/gatehouse/gatehouse/internal/oidc"
	"github.com/gatehouse/gatehouse/internal/prio"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/revoke"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/version"
)

// Options are the parts of a Server that are not configuration.
type Options struct {
	Logger *slog.Logger     // discarded when nil
	Notice io.Writer        // where a generated bootstrap app is announced, once; discarded when nil
	Now    func() time.Time // time.Now when nil
	Rand   io.Reader        // crypto/rand when nil
}

// warmAtStart bounds the grant cache's warm pass before the server
// serves.
const warmAtStart = 30 * time.Second

// Bootstrap is a bootstrap app generated at first start.
type Bootstrap struct{ AppID, AppSecret string }

// Server is a Gatehouse instance: everything behind the HTTP listener.
type Server struct {
	cfg        config.Config
	log        *slog.Logger
	store      *store.Store
	lock       *dirLock // SQLite: the data dir's lock, held until Close
	instance   func()   // releases the store's running-server mark (see store.HoldInstance)
	svc        *management.Service
	scripts    *customizer.Engine // the JWT customizer's workers, stopped by Close
	cache      *grant.Cache
	revoked    *revoke.List // the revocation denylist
	audit      *audit.Writer
	handler    http.Handler
	bootstrap  *Bootstrap
	stop       context.CancelFunc // ends background work (the change listener, retention, cache warming)
	now        func() time.Time
	background sync.WaitGroup
	origin     string // this instance, in the changes it announces

	metrics *metrics.Metrics // nil unless GATEHOUSE_METRICS_LISTEN is set
	gate    *prio.Gate       // database-bound requests before token signatures
}

// New opens the database (applying migrations), checks or creates the
// master key, seeds a new database, loads the signing keys, ensures the
// bootstrap app and builds the handler.
func New(ctx context.Context, cfg config.Config, opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Notice == nil {
		opts.Notice = io.Discard
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	dsn := cfg.DatabaseURL
	var lock *dirLock
	if dsn == "" {
		dsn = cfg.SQLitePath()
		l, err := lockDataDir(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		lock = l
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		lock.release()
		return nil, err
	}
	s := &Server{cfg: cfg, log: opts.Logger, store: st, lock: lock, now: opts.Now}
	if err := s.init(ctx, opts); err != nil {
		s.Close(context.Background())
		return nil, err
	}
	return s, nil
}

func (s *Server) init(ctx context.Context, opts Options) error {
	cfg, st := s.cfg, s.store
	if err := st.EnsureTenant(ctx, rbac.DefaultTenant); err != nil {
		return err
	}
	// Before the key check: a rekey in progress finishes first, and then
	// this server is refused with the old key.
	release, err := st.HoldInstance(ctx)
	if err != nil {
		return err
	}
	s.instance = release
	key, err := masterKey(ctx, cfg, st, opts.Rand)
	if err != nil {
		return err
	}
	box, err := secret.NewBox(key, opts.Rand)
	if err != nil {
		return err
	}
	if err := checkCanary(ctx, st, box); err != nil {
		return err
	}
	staleMax := cfg.StaleGrantsMax
	if staleMax == 0 {
		staleMax = time.Nanosecond // 0: refuse as soon as changes may be missed
	}
	s.cache = grant.New(st.Reader(), grant.Options{Size: cfg.GrantCacheSize, StaleMax: staleMax, Now: opts.Now, Logger: s.log})
	s.origin, err = secret.NewID(opts.Rand)
	if err != nil {
		return err
	}
	s.revoked = revoke.New(revoke.Config{Store: st, Now: opts.Now,
		Announcement: change.Set{Revoked: true, Origin: s.origin}.Encode()})
	if err := s.revoked.Load(ctx); err != nil {
		return err
	}
	s.scripts = customizer.New(customizer.Options{Timeout: cfg.CustomizerTimeout, Memory: cfg.CustomizerMemory, Logger: s.log})
	s.svc = management.New(management.Config{
		Store: st, Box: box, Indicator: cfg.ManagementAPIIndicator, SigningAlg: cfg.SigningAlg,
		OnChange: s.changed, Origin: s.origin, Now: opts.Now, Rand: opts.Rand, Logger: s.log,
		Customizer: s.scripts,
	})
	if err := s.svc.Seed(ctx); err != nil {
		return err
	}
	if err := s.svc.LoadKeys(ctx); err != nil {
		return err
	}
	if err := s.svc.LoadJWTCustomizer(ctx); err != nil {
		return err
	}
	s.cache.SetCustomizer(s.svc.ClientCredentialsCustomizer() != nil)
	if err := s.ensureBootstrap(ctx, opts.Notice); err != nil {
		return err
	}
	bg, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	if err := s.listen(bg); err != nil {
		return err
	}
	// Warm the grant cache before serving: a restarted instance with
	// 100,000 apps reads them all in a few seconds in pages of 1,000,
	// while serving cold would send every first request to the database
	// one app at a time (measured on PostgreSQL: 130 tokens/s for the
	// first 10 s, against 10,000/s warm). A pass that takes longer than
	// warmAtStart goes on in the background.
	wctx, cancel := context.WithTimeout(ctx, warmAtStart)
	if err := s.cache.Warm(wctx); err != nil {
		s.log.Warn("grant cache: warm pass at start did not finish; warming in the background", "err", err)
	}
	cancel()
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		s.cache.Run(bg)
	}()
	s.startRetention(bg)
	s.startLogSummaries(bg)
	// The writer's defaults: a 16,384-entry buffer (half a second at
	// 30,000 requests/s) written in batches of up to 4,096, so that it keeps
	// up when every round trip waits for a CPU (audit.DefaultMaxBatch). Its
	// memory is a batch's until the database falls behind (audit.New).
	if s.audit, err = audit.New(st, audit.Options{FlushInterval: cfg.AuditFlushInterval, SpoolDir: cfg.AuditSpoolDir(), SpoolMax: cfg.AuditSpoolMax, Logger: s.log}); err != nil {
		return err
	}

	if cfg.MetricsListen != "" {
		s.metrics = metrics.New(metrics.Sources{
			Grants: s.cache.Stats, Pools: st.Pools(),
			Audit: func() metrics.AuditStats {
				q, b := s.audit.Queue()
				return metrics.AuditStats{Stats: s.audit.Stats(), Queued: q, Buffered: b}
			},
			SigningKeyCreated: func() time.Time { return time.UnixMilli(s.svc.Keys().Current().CreatedAt) },
			Version:           version.Get(), Now: opts.Now,
		})
	}
	// An interface holding a nil *metrics.Metrics is not nil: pass nil.
	var tokenMetrics oidc.Metrics
	var signIns interface{ SignIn(string) }
	if s.metrics != nil {
		tokenMetrics, signIns = s.metrics, s.metrics
	}

	remoteKeys, jtis := s.secretless(bg)
	// Management API and console requests wait on the database; with
	// GATEHOUSE_MANAGEMENT_PRIORITY token signatures make way for them
	// (package prio). The gate counts them either way.
	s.gate = prio.NewGate(0, 0)
	var signing *prio.Gate
	if cfg.ManagementPriority {
		signing = s.gate
	}
	mux := http.NewServeMux()
	oh := oidc.Handler(oidc.Config{
		Issuer: cfg.Issuer(), Grants: s.cache, Keys: s.svc, Digest: box, Audit: s.audit,
		Now: opts.Now, Rand: opts.Rand, Logger: s.log,
		Denylist: s.revoked, AdminResource: cfg.ManagementAPIIndicator,
		Customizers: s.svc, FailureLimit: cfg.TokenFailureLimit, Metrics: tokenMetrics,
		RemoteKeys: remoteKeys, JTIs: jtis, Gate: signing,
	})
	mux.Handle("/oidc/", oh)
	mux.Handle("/oidc", oh)
	mux.Handle("/api/", s.metrics.API(management.Handler(management.HandlerConfig{
		Service: s.svc, Issuer: cfg.Issuer(), Endpoint: cfg.Endpoint, Indicator: cfg.ManagementAPIIndicator,
		Keys: s.svc.Keys, FlushAudit: s.audit.Flush, Now: opts.Now, Logger: s.log,
		Revoked: s.revoked.Revoked, Holds: s.holdsManagement(cfg.ManagementAPIIndicator),
		Audit: s.audit, ClientAddr: netx.ClientIP, Rand: opts.Rand, Gate: s.gate,
	})))
	ch, err := console.Handler(ctx, console.Config{
		Service: s.svc, Store: st, Endpoint: cfg.Endpoint, Issuer: cfg.Issuer(), Indicator: cfg.ManagementAPIIndicator,
		AdminUsername: cfg.AdminUsername, AdminPassword: cfg.AdminPassword, FlushAudit: s.audit.Flush,
		Notice: opts.Notice, Now: opts.Now, Rand: opts.Rand, Logger: s.log, SignIns: signIns,
		Audit: s.audit, ClientAddr: netx.ClientIP,
		CustomizerTimeout: cfg.CustomizerTimeout, CustomizerMemory: cfg.CustomizerMemory,
		AllowInsecureURLs: cfg.FederationAllowInsecure, Gate: s.gate,
	})
	if err != nil {
		return err
	}
	mux.Handle("/console/", ch)
	mux.Handle("/console", ch)
	// Relative, so that it also works behind a proxy that adds a path prefix.
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "console/")
		w.WriteHeader(http.StatusFound)
	})
	mux.HandleFunc("GET /healthz", healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	// Outermost: everything behind it, the request log and ids included,
	// sees the client a trusted proxy names (package netx).
	s.handler = cfg.TrustedProxies.Handler(withMiddleware(mux, s.log))
	return nil
}

func (s *Server) ensureBootstrap(ctx context.Context, notice io.Writer) error {
	cfg := s.cfg
	if cfg.BootstrapAppID != "" {
		created, err := s.svc.EnsureBootstrapApp(ctx, cfg.BootstrapAppID, cfg.BootstrapAppSecret)
		if err != nil {
			return err
		}
		if created {
			s.log.Info("bootstrap app created from configuration", "app_id", cfg.BootstrapAppID)
		}
		return nil
	}
	id, plain, ok, err := s.svc.CreateFirstBootstrapApp(ctx)
	if err != nil || !ok {
		return err
	}
	s.bootstrap = &Bootstrap{AppID: id, AppSecret: plain}
	fmt.Fprintf(notice, `
  A bootstrap machine-to-machine app was created. It holds the role
  "Logto Management API access". Its secret is shown ONLY THIS ONCE: store it now.

    App ID:     %s
    App Secret: %s

  Get a Management API token:
    curl -u '%s:%s' -d grant_type=client_credentials \
      -d resource=%s -d scope=all %s/token

`, id, plain, id, plain, cfg.ManagementAPIIndicator, cfg.Issuer())
	return nil
}

// Handler is the whole HTTP surface.
func (s *Server) Handler() http.Handler { return s.handler }

// Metrics are the server's metrics; nil unless GATEHOUSE_METRICS_LISTEN
// is set.
func (s *Server) Metrics() *metrics.Metrics { return s.metrics }

// Store is the server's database.
func (s *Server) Store() *store.Store { return s.store }

// Service is the server's management service.
func (s *Server) Service() *management.Service { return s.svc }

// Gate returns the gate that counts the Management API and console requests
// in flight; with GATEHOUSE_MANAGEMENT_PRIORITY token signatures make way
// for them (package prio).
func (s *Server) Gate() *prio.Gate { return s.gate }

// GeneratedBootstrap returns the bootstrap app this start generated, if any.
func (s *Server) GeneratedBootstrap() *Bootstrap { return s.bootstrap }

// FlushAudit writes every audit entry of requests answered so far.
func (s *Server) FlushAudit(ctx context.Context) error { return s.audit.Flush(ctx) }

// changed runs after every committed write, with what it changed: this
// instance drops exactly those grants at once (the service has already put
// new keys or a new customizer in force here). The others sharing a
// PostgreSQL database were told by the write's own transaction (see
// management.Service.write and listen) and reload what it names.
func (s *Server) changed(c change.Set) {
	if c.Empty() {
		return
	}
	if c.Customizer {
		s.cache.SetCustomizer(s.svc.ClientCredentialsCustomizer() != nil)
	}
	s.cache.Apply(c)
}

// apply makes this instance see change c, whoever made it.
func (s *Server) apply(ctx context.Context, c change.Set) {
	if c.Revoked {
		if err := s.revoked.Load(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("reload the revocation denylist", "err", err)
		}
	}
	if c.Keys {
		if err := s.svc.LoadKeys(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("reload signing keys after a change", "err", err)
		}
	}
	if c.Customizer {
		if err := s.svc.LoadJWTCustomizer(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("reload the jwt customizer after a change", "err", err)
		}
		s.cache.SetCustomizer(s.svc.ClientCredentialsCustomizer() != nil)
	}
	s.cache.Apply(c)
}

// listen follows the changes other instances announce (PostgreSQL only),
// each applied as this instance applies its own. When the listener's
// connection breaks, changes may be missed: the grant cache is marked
// unsynced (cached grants serve for GATEHOUSE_STALE_GRANTS_MAX at most);
// once it reconnects, everything is reloaded.
func (s *Server) listen(ctx context.Context) error {
	ready := make(chan struct{})
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		s.store.Listen(ctx, func(payload string) {
			if payload == "" { // reconnected: changes may have been missed
				s.apply(ctx, change.Set{Keys: true, Customizer: true, Revoked: true})
				s.cache.Resync()
				return
			}
			c := change.Decode(payload)
			if c.Origin == s.origin {
				return // applied before it was sent
			}
			s.apply(ctx, c)
		}, ready, func(err error) {
			s.cache.Unsynced()
			s.log.Warn("change listener reconnecting; cached grants serve meanwhile", "err", err)
		})
	}()
	select {
	case <-ready:
		return nil
	case <-time.After(10 * time.Second):
		return errors.New("change listener: no connection to the database after 10s")
	}
}

// Close flushes the audit log and closes the database.
func (s *Server) Close(ctx context.Context) error {
	if s.stop != nil {
		s.stop()
		s.background.Wait()
	}
	if s.scripts != nil {
		s.scripts.Close()
	}
	var errs []error
	if s.audit != nil {
		errs = append(errs, s.audit.Close(ctx))
	}
	if s.instance != nil {
		s.instance()
	}
	errs = append(errs, s.store.Close())
	s.lock.release()
	return errors.Join(errs...)
}

// holdsManagement answers, from the grant cache, whether an application
// still exists and holds `all` on the Management API: a Management API
// token is honoured only while it does. A cache miss loads the client as
// the token endpoint would; an unreachable database is a 503.
func (s *Server) holdsManagement(indicator string) func(ctx context.Context, id string) (bool, error) {
	return func(ctx context.Context, id string) (bool, error) {
		cl, err := s.cache.Client(ctx, rbac.DefaultTenant, id)
		switch {
		case errors.Is(err, grant.ErrUnknownClient):
			return false, nil
		case errors.Is(err, grant.ErrUnavailable):
			return false, fmt.Errorf("%w: %w", store.ErrUnavailable, err)
		case err != nil:
			return false, err
		}
		return cl.Scopes(indicator).Has("all"), nil
	}
}
