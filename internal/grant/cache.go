package grant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// ErrUnknownClient means no application has the requested id.
var ErrUnknownClient = errors.New("grant: unknown client")

// ErrUnavailable means the answer needs the database and the database
// cannot be reached, or cached grants have gone unconfirmed for longer than
// Options.StaleMax. The token endpoint answers 503.
var ErrUnavailable = errors.New("grant: database unavailable")

// Loader is what the cache reads from the store (*store.Queries does, on
// the store's read pool).
type Loader interface {
	LoadGrants(ctx context.Context, tenant, from, to string, fn func(*store.AppGrants) error) error
	ApplicationIDs(ctx context.Context, tenant, after string, limit int) ([]string, error)
	ListResources(ctx context.Context, tenant string) ([]rbac.Resource, error)
	GetApplication(ctx context.Context, tenant, id string) (*rbac.Application, error)
	RoleGrants(ctx context.Context, tenant, roleID string) ([]store.GrantRow, error)
}

// Options tune a Cache. The zero value gives the defaults.
type Options struct {
	// Size is the most applications held; the least recently used is
	// evicted beyond it. DefaultSize when 0.
	Size int
	// StaleMax is how long cached grants keep serving after the cache lost
	// its guarantee of seeing every change (the change listener's
	// connection broke, usually because the database is unreachable).
	// DefaultStaleMax when 0.
	StaleMax time.Duration
	// LoadTimeout bounds one load from the store. DefaultLoadTimeout when 0.
	LoadTimeout time.Duration
	// Tenant is the tenant Warm loads; rbac.DefaultTenant when empty.
	Tenant string
	Now    func() time.Time // time.Now when nil
	Logger *slog.Logger
}

// Defaults of Options.
const (
	DefaultSize        = 100_000
	DefaultStaleMax    = 15 * time.Minute
	DefaultLoadTimeout = 3 * time.Second
	// downFor is how long misses fail at once after a load found the
	// database unreachable; then one load tries again.
	downFor = time.Second
	// warmPage is how many applications one warm query reads.
	warmPage = 1000
)

// Resource is an API resource as the token endpoint sees it.
type Resource struct {
	ID        string
	Indicator string
	TTL       int64 // seconds, as stored
}

type resources struct {
	byIndicator map[string]*Resource
	def         *Resource
}

// Stats are the cache's counters since it was made.
type Stats struct {
	Entries, Negatives           int
	Hits, Misses, Loads          uint64
	Evictions, Invalidations     uint64
	LoadErrors, StaleRefusals    uint64
	Complete, Synced             bool
	UnsyncedFor                  time.Duration
	WarmApps                     int
	WarmDuration                 time.Duration
	PendingKeys, InflightFlights int
}

// Cache is the grant cache. It is safe for concurrent use.
//
// Invariants (ARCHITECTURE.md, "The hot path at fleet scale"):
//   - A hit takes one shard lock and touches no database.
//   - A miss loads its application once however many requests wait for
//     it, in one query, on the store's read pool, with a timeout; while
//     the database is known to be down, misses fail at once.
//   - [Cache.Apply] drops exactly what a change touched, and no load that
//     began before the change can put its result in the cache afterwards
//     (the event log, see events.go).
//   - After Warm has loaded every application of the tenant, and as long
//     as nothing was evicted, the cache knows the whole set: a miss for an
//     id no change has named since is an unknown client, with no query.
type Cache struct {
	load   Loader
	opt    Options
	shards []shard
	mask   uint32

	events eventLog

	complete      atomic.Bool   // every application of opt.Tenant is cached (see Warm)
	breaks        atomic.Uint64 // counts what ends completeness: evictions, All, too many pending ids
	compMu        sync.Mutex    // orders incomplete against the end of a warm pass
	unsyncedSince atomic.Int64  // unix ns since changes may be missed; 0: in sync
	syncGen       atomic.Uint64 // counts Unsynced calls: a warm pass that began after the last one resyncs
	downUntil     atomic.Int64  // unix ns until which misses fail at once
	withApp       atomic.Bool   // load App for the JWT customizer
	otherTenants  atomic.Bool   // some entry is of another tenant than opt.Tenant
	epoch         atomic.Uint64
	count         atomic.Int64 // clients cached, over all shards

	resMu     sync.Mutex
	resources map[string]*resources

	roleReg roleRegistry

	warmReq chan struct{}

	hits, misses, loads, evictions, invalidations, loadErrors, staleRefusals atomic.Uint64
	warmApps                                                                 atomic.Int64
	warmDur, warmEnd                                                         atomic.Int64
}

type shard struct {
	mu  sync.RWMutex
	pos lru // clients
	neg lru // ids known not to exist (when the cache is not complete)
	// pending are ids a change named since they were last loaded: in a
	// complete cache, these (and only these) misses go to the store.
	pending map[key]struct{}
	flights map[key]*flight
	hits    atomic.Uint64 // per shard: one counter for all would be written by every core on every request
	_       [64]byte      // keep shards on separate cache lines
}

type flight struct {
	done chan struct{}
	c    *Client
	err  error
}

// maxPending bounds the ids remembered as changed; past it the cache stops
// being complete until the next warm pass.
const maxPending = 1 << 16

// New returns an empty cache reading from l. Call Run to warm it and keep
// it warm.
func New(l Loader, opt Options) *Cache {
	if opt.Size <= 0 {
		opt.Size = DefaultSize
	}
	if opt.StaleMax <= 0 {
		opt.StaleMax = DefaultStaleMax
	}
	if opt.LoadTimeout <= 0 {
		opt.LoadTimeout = DefaultLoadTimeout
	}
	if opt.Tenant == "" {
		opt.Tenant = rbac.DefaultTenant
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	// Enough shards that two cores never wait on each other, few enough
	// that each keeps an exact LRU over a meaningful share of the entries.
	n := 1
	for n < 64 && opt.Size/(n*2) >= 256 {
		n *= 2
	}
	c := &Cache{load: l, opt: opt, shards: make([]shard, n), mask: uint32(n - 1),
		resources: map[string]*resources{}, warmReq: make(chan struct{}, 1)}
	c.roleReg.roles = map[key]*roleRef{}
	// The bound on clients is global (count); each shard evicts its own
	// least recently used when the whole cache is full, so that an uneven
	// spread of ids over shards never evicts below Size. Unknown ids are
	// bounded per shard, to a quarter of Size in all.
	negPer := max(opt.Size/4/n, 16)
	for i := range c.shards {
		c.shards[i] = shard{pos: newLRU(0), neg: newLRU(negPer), pending: map[key]struct{}{}, flights: map[key]*flight{}}
	}
	return c
}

func (c *Cache) shard(id string) *shard {
	// FNV-1a, inline: no allocation on the hot path.
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h ^= uint32(id[i])
		h *= 16777619
	}
	return &c.shards[h&c.mask]
}

// Client returns the application id of tenant, ErrUnknownClient, or
// ErrUnavailable when only the database could answer and it cannot.
func (c *Cache) Client(ctx context.Context, tenant, id string) (*Client, error) {
	k := key{tenant, id}
	sh := c.shard(id)
	sh.mu.RLock()
	if e := sh.pos.get(k); e != nil {
		cl := e.c
		sh.mu.RUnlock()
		if err := c.checkFresh(); err != nil {
			return nil, err
		}
		sh.hits.Add(1)
		return cl, nil
	}
	neg := sh.neg.get(k) != nil
	sh.mu.RUnlock()
	if neg {
		sh.hits.Add(1)
		return nil, ErrUnknownClient
	}
	sh.mu.Lock()
	if e := sh.pos.m[k]; e != nil { // filled meanwhile
		cl := e.c
		sh.mu.Unlock()
		if err := c.checkFresh(); err != nil {
			return nil, err
		}
		return cl, nil
	}
	if _, pending := sh.pending[k]; !pending && tenant == c.opt.Tenant && c.complete.Load() && c.unsyncedSince.Load() == 0 {
		sh.mu.Unlock()
		c.hits.Add(1)
		return nil, ErrUnknownClient
	}
	c.misses.Add(1)
	f := sh.flights[k]
	if f == nil {
		if c.opt.Now().UnixNano() < c.downUntil.Load() {
			sh.mu.Unlock()
			return nil, ErrUnavailable
		}
		f = &flight{done: make(chan struct{})}
		sh.flights[k] = f
		seq := c.events.last()
		sh.mu.Unlock()
		c.fly(ctx, sh, k, f, seq)
	} else {
		sh.mu.Unlock()
	}
	select {
	case <-f.done:
		return f.c, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// fly runs the load of flight f on its own goroutine, so that the request
// that started it may give up without failing the others waiting.
func (c *Cache) fly(ctx context.Context, sh *shard, k key, f *flight, seq uint64) {
	go func() {
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.opt.LoadTimeout)
		cl, seq, err := c.loadOne(lctx, k.tenant, k.id, seq)
		cancel()
		sh.mu.Lock()
		if sh.flights[k] == f {
			delete(sh.flights, k)
		}
		switch {
		case err == nil || errors.Is(err, ErrUnknownClient):
			if !c.events.changedSince(seq, k, cl) {
				c.fillLocked(sh, k, cl, c.epoch.Load())
			}
		case errors.Is(err, errRaced):
			err = fmt.Errorf("%w: %w", ErrUnavailable, err)
		case errors.Is(err, context.DeadlineExceeded):
			// A slow answer (a loaded database, a queue for the read
			// pool) is not an outage: later misses still try.
			c.loadErrors.Add(1)
			c.opt.Logger.Warn("grant cache: load timed out", "err", err)
			err = fmt.Errorf("%w: %w", ErrUnavailable, err)
		default:
			c.loadErrors.Add(1)
			c.downUntil.Store(c.opt.Now().Add(downFor).UnixNano())
			c.opt.Logger.Warn("grant cache: load failed; misses fail fast for a second", "err", err)
			err = fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		sh.mu.Unlock()
		f.c, f.err = cl, err
		close(f.done)
	}()
}

// fillLocked stores what a load found (cl nil: the id does not exist).
// sh.mu is held.
func (c *Cache) fillLocked(sh *shard, k key, cl *Client, epoch uint64) {
	delete(sh.pending, k)
	if k.tenant != c.opt.Tenant && !c.otherTenants.Load() {
		c.otherTenants.Store(true)
	}
	if cl == nil {
		c.removeLocked(sh, k)
		if !c.complete.Load() || k.tenant != c.opt.Tenant {
			sh.neg.put(&entry{key: k})
		}
		return
	}
	sh.neg.remove(k)
	if _, ok := sh.pos.m[k]; !ok {
		if c.count.Load() >= int64(c.opt.Size) {
			if sh.pos.evictOldest() == nil {
				return // a full cache and an empty shard: not cached
			}
			c.count.Add(-1)
			c.evictions.Add(1)
			c.incomplete()
		}
		c.count.Add(1)
	}
	sh.pos.put(&entry{key: k, c: cl, epoch: epoch})
}

// removeLocked drops the client of k from sh, if cached. sh.mu is held.
func (c *Cache) removeLocked(sh *shard, k key) {
	if sh.pos.remove(k) != nil {
		c.count.Add(-1)
	}
}

// incomplete records that the cache may no longer hold every application.
func (c *Cache) incomplete() {
	c.compMu.Lock()
	c.breaks.Add(1)
	c.complete.Store(false)
	c.compMu.Unlock()
}

// checkFresh refuses cached grants once they have gone unconfirmed for
// longer than StaleMax.
func (c *Cache) checkFresh() error {
	u := c.unsyncedSince.Load()
	if u == 0 || c.opt.Now().UnixNano()-u <= int64(c.opt.StaleMax) {
		return nil
	}
	c.staleRefusals.Add(1)
	return ErrUnavailable
}

// errRaced means a load's rows may be stale: a change touched them while
// they were read. The result is used for the requests waiting on it, not
// kept.
var errRaced = errors.New("grant: load raced a change")

// loadOne reads application id as of change seq. When a role it holds
// changed while it was read, it reads it once more, now that the change is
// in the role registry; it returns the seq its result is as of, for the
// caller's check against later changes.
func (c *Cache) loadOne(ctx context.Context, tenant, id string, seq uint64) (*Client, uint64, error) {
	c.loads.Add(1)
	for try := 0; ; try++ {
		var (
			cl    *Client
			found bool
		)
		err := c.load.LoadGrants(ctx, tenant, id, id, func(g *store.AppGrants) error {
			if g.ID == id {
				found = true
				cl, _ = c.newClient(tenant, g, seq)
			}
			return nil
		})
		switch {
		case err != nil:
			return nil, seq, fmt.Errorf("grant: load application: %w", err)
		case !found:
			return nil, seq, ErrUnknownClient
		case cl == nil && try == 0:
			seq = c.events.last()
			continue
		case cl == nil:
			return nil, seq, errRaced
		}
		if c.withApp.Load() {
			if cl.App, err = c.appJSON(ctx, tenant, id); err != nil {
				return nil, seq, err
			}
		}
		return cl, seq, nil
	}
}

func (c *Cache) appJSON(ctx context.Context, tenant, id string) (json.RawMessage, error) {
	app, err := c.load.GetApplication(ctx, tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrUnknownClient
	}
	if err != nil {
		return nil, fmt.Errorf("grant: load application: %w", err)
	}
	b, err := json.Marshal(app)
	if err != nil {
		return nil, fmt.Errorf("grant: encode application: %w", err)
	}
	return b, nil
}

// SetCustomizer tells the cache whether a JWT customizer is configured:
// clients loaded from then on carry their application's JSON for it.
func (c *Cache) SetCustomizer(on bool) { c.withApp.Store(on) }

// Application returns cl's application JSON for the JWT customizer: the
// cached copy, or one read from the store (and kept in the cache) when cl
// was loaded before a customizer was configured or by a warm pass.
func (c *Cache) Application(ctx context.Context, cl *Client) (json.RawMessage, error) {
	if cl.App != nil {
		return cl.App, nil
	}
	seq := c.events.last()
	lctx, cancel := context.WithTimeout(ctx, c.opt.LoadTimeout)
	app, err := c.appJSON(lctx, cl.TenantID, cl.ID)
	cancel()
	if err != nil && !errors.Is(err, ErrUnknownClient) {
		c.loadErrors.Add(1)
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if err != nil {
		return nil, err
	}
	k := key{cl.TenantID, cl.ID}
	sh := c.shard(cl.ID)
	sh.mu.Lock()
	if e := sh.pos.m[k]; e != nil && e.c == cl && !c.events.changedSince(seq, k, cl) {
		cp := *cl
		cp.App = app
		e.c = &cp
	}
	sh.mu.Unlock()
	return app, nil
}

// Resource returns the resource of tenant with exactly this indicator.
func (c *Cache) Resource(ctx context.Context, tenant, indicator string) (*Resource, bool, error) {
	rs, err := c.tenantResources(ctx, tenant)
	if err != nil {
		return nil, false, err
	}
	r, ok := rs.byIndicator[indicator]
	return r, ok, nil
}

// DefaultResource returns the tenant's default resource, if it has one.
func (c *Cache) DefaultResource(ctx context.Context, tenant string) (*Resource, bool, error) {
	rs, err := c.tenantResources(ctx, tenant)
	if err != nil {
		return nil, false, err
	}
	return rs.def, rs.def != nil, nil
}

func (c *Cache) tenantResources(ctx context.Context, tenant string) (*resources, error) {
	c.resMu.Lock()
	rs, ok := c.resources[tenant]
	c.resMu.Unlock()
	if ok {
		if err := c.checkFresh(); err != nil {
			return nil, err
		}
		return rs, nil
	}
	seq := c.events.last()
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.opt.LoadTimeout)
	list, err := c.load.ListResources(lctx, tenant)
	cancel()
	if err != nil {
		c.loadErrors.Add(1)
		return nil, fmt.Errorf("%w: load resources: %w", ErrUnavailable, err)
	}
	rs = &resources{byIndicator: make(map[string]*Resource, len(list))}
	for _, r := range list {
		res := &Resource{ID: r.ID, Indicator: r.Indicator, TTL: r.AccessTokenTTL}
		rs.byIndicator[r.Indicator] = res
		if r.IsDefault {
			rs.def = res
		}
	}
	c.resMu.Lock()
	if !c.events.resourcesChangedSince(seq) {
		c.resources[tenant] = rs
	}
	c.resMu.Unlock()
	return rs, nil
}

// Stats returns the cache's counters and sizes.
func (c *Cache) Stats() Stats {
	s := Stats{
		Hits: c.hits.Load(), Misses: c.misses.Load(), Loads: c.loads.Load(),
		Evictions: c.evictions.Load(), Invalidations: c.invalidations.Load(),
		LoadErrors: c.loadErrors.Load(), StaleRefusals: c.staleRefusals.Load(),
		Complete: c.complete.Load(), WarmApps: int(c.warmApps.Load()),
		WarmDuration: time.Duration(c.warmDur.Load()),
	}
	if u := c.unsyncedSince.Load(); u != 0 {
		s.UnsyncedFor = c.opt.Now().Sub(time.Unix(0, u))
	} else {
		s.Synced = true
	}
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		s.Hits += sh.hits.Load()
		s.Entries += len(sh.pos.m)
		s.Negatives += len(sh.neg.m)
		s.PendingKeys += len(sh.pending)
		s.InflightFlights += len(sh.flights)
		sh.mu.Unlock()
	}
	return s
}
