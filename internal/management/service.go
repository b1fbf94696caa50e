package management

import (
	"crypto/rand"
	"io"
	"log/slog"
	"time"

	"github.com/gatehouse/gatehouse/internal/change"
	"github.com/gatehouse/gatehouse/internal/customizer"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Config holds a Service's dependencies.
type Config struct {
	Store     *store.Store
	Box       *secret.Box
	Tenant    string // rbac.DefaultTenant when empty
	Indicator string // the Management API indicator
	// SigningAlg is the algorithm of keys made at first start and by
	// rotations that do not name one.
	SigningAlg string
	// OnChange is called once after every committed write that changes what
	// a token request is granted or signed with, with what the write changed
	// (never an empty Set): the server drops those grant cache entries and
	// tells the other instances. It is never called for a write that failed
	// or changed nothing. No-op when nil.
	OnChange func(change.Set)
	Now      func() time.Time // time.Now when nil
	Rand     io.Reader        // crypto/rand when nil
	Logger   *slog.Logger

	// Customizer compiles and runs JWT customizer scripts (spec §5);
	// customizer.New with its defaults when nil.
	Customizer *customizer.Engine
}

// Service applies the rules of every write. It is safe for concurrent use.
type Service struct {
	cfg  Config
	keys keyring
	jwt  jwtCustomizers // the JWT customizer in force (jwt_customizer.go)
}

// New returns a Service. Call LoadKeys (or Init) before serving tokens.
func New(cfg Config) *Service {
	if cfg.Tenant == "" {
		cfg.Tenant = rbac.DefaultTenant
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.OnChange == nil {
		cfg.OnChange = func(change.Set) {}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Customizer == nil {
		cfg.Customizer = customizer.New(customizer.Options{Logger: cfg.Logger})
	}
	return &Service{cfg: cfg}
}

func (s *Service) nowMs() int64 { return s.cfg.Now().UnixMilli() }

func (s *Service) newID() (string, error) { return secret.NewID(s.cfg.Rand) }

// announce hands what a committed write changed to OnChange, unless it
// changed nothing. Each write calls it once, after its commit, with
// everything it changed merged into c.
func (s *Service) announce(c change.Set) {
	if !c.Empty() {
		s.cfg.OnChange(c)
	}
}
