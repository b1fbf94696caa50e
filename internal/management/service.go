package management

import (
	"context"
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
	// (never an empty Set): the server drops those grant cache entries. It
	// is never called for a write that failed or changed nothing. No-op when
	// nil. The other instances sharing a PostgreSQL database have been told
	// already, by a notification sent inside the write's transaction (see
	// Service.write).
	OnChange func(change.Set)
	// Origin names this instance in the notifications of its writes
	// (change.Set.Origin), so that it can skip its own.
	Origin string
	Now    func() time.Time // time.Now when nil
	Rand   io.Reader        // crypto/rand when nil
	Logger *slog.Logger

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

// write runs fn in one transaction; fn records in c everything it changed
// (leaving it empty when it changed nothing). Once fn has succeeded, c is
// announced twice:
//   - to the other instances sharing a PostgreSQL database, by a
//     notification sent inside the transaction, which PostgreSQL delivers
//     when and only when the transaction commits (store.Store.TxNotify). No
//     committed write goes unannounced, even when this process dies right
//     after its commit;
//   - to this instance (OnChange), after the commit.
//
// Every write that changes what a token request is granted or signed with
// goes through write, or through commit when it must put something in
// force here before OnChange runs.
func (s *Service) write(ctx context.Context, fn func(q *store.Queries, c *change.Set) error) error {
	c, err := s.commit(ctx, fn)
	s.announce(c)
	return err
}

// commit is write without the call to OnChange. It returns what committed
// (empty when nothing did), for the caller to put in force and announce,
// also when the error reports a failure after the commit (see TxNotify).
func (s *Service) commit(ctx context.Context, fn func(q *store.Queries, c *change.Set) error) (change.Set, error) {
	var c change.Set
	committed, err := s.cfg.Store.TxNotify(ctx, func(q *store.Queries) (string, error) {
		if err := fn(q, &c); err != nil || c.Empty() {
			return "", err
		}
		return s.payload(c), nil
	})
	if !committed {
		return change.Set{}, err
	}
	return c, err
}

// payload is c as the other instances receive it: encoded, naming this
// instance as its origin.
func (s *Service) payload(c change.Set) string {
	c.Origin = s.cfg.Origin
	return c.Encode()
}

// announce hands what a committed write changed to OnChange, unless it
// changed nothing.
func (s *Service) announce(c change.Set) {
	if !c.Empty() {
		s.cfg.OnChange(c)
	}
}
