package grant

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/change"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// fakeLoader is a store in memory. It counts loads and can hold one, to
// race a change against it.
type fakeLoader struct {
	mu        sync.Mutex
	apps      map[string]*store.AppGrants
	resources []rbac.Resource
	appLoads  atomic.Int64 // LoadGrants calls
	resLoads  atomic.Int64
	roleLoads atomic.Int64
	roles     map[string][]store.GrantRow // RoleGrants answers; derived from apps when absent
	fail      error
	gate      chan struct{} // when set, LoadGrants waits for it to close
	entered   chan struct{} // when set, LoadGrants signals on it first
}

func (f *fakeLoader) LoadGrants(ctx context.Context, tenant, from, to string, fn func(*store.AppGrants) error) error {
	f.appLoads.Add(1)
	f.mu.Lock()
	gate, entered, fail := f.gate, f.entered, f.fail
	var ids []string
	for id := range f.apps {
		if id >= from && id <= to {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	snapshot := make([]store.AppGrants, len(ids))
	for i, id := range ids {
		snapshot[i] = *f.apps[id]
	}
	f.mu.Unlock()
	if entered != nil {
		entered <- struct{}{}
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if fail != nil {
		return fail
	}
	for i := range snapshot {
		if err := fn(&snapshot[i]); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeLoader) ApplicationIDs(ctx context.Context, tenant, after string, limit int) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	var ids []string
	for id := range f.apps {
		if id > after {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	if len(ids) > limit {
		ids = ids[:limit]
	}
	return ids, nil
}

func (f *fakeLoader) ListResources(ctx context.Context, tenant string) ([]rbac.Resource, error) {
	f.resLoads.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	return slices.Clone(f.resources), nil
}

func (f *fakeLoader) GetApplication(ctx context.Context, tenant, id string) (*rbac.Application, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	if _, ok := f.apps[id]; !ok {
		return nil, store.ErrNotFound
	}
	return &rbac.Application{TenantID: tenant, ID: id, Name: "app " + id, Type: rbac.AppMachineToMachine}, nil
}

func (f *fakeLoader) RoleGrants(ctx context.Context, tenant, roleID string) ([]store.GrantRow, error) {
	f.roleLoads.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	if rows, ok := f.roles[roleID]; ok {
		return rows, nil
	}
	seen := map[store.GrantRow]bool{}
	var out []store.GrantRow
	for _, g := range f.apps {
		for _, r := range g.Roles {
			if r.RoleID == roleID && r.Indicator != "" && !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	return out, nil
}

func (f *fakeLoader) set(id string, g *store.AppGrants) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if g == nil {
		delete(f.apps, id)
		return
	}
	g.ID = id
	f.apps[id] = g
}

func (f *fakeLoader) setFail(err error) {
	f.mu.Lock()
	f.fail = err
	f.mu.Unlock()
}

// m2m is an application holding role on resource with scopes.
func m2m(role, resource string, scopes ...string) *store.AppGrants {
	g := &store.AppGrants{Type: "MachineToMachine", CustomClientMetadata: []byte(`{"corsAllowedOrigins":["https://ok.example"]}`),
		Secrets: []store.GrantSecret{{Name: "Default secret", Digest: []byte("d1")}}}
	for _, s := range scopes {
		g.Roles = append(g.Roles, store.GrantRow{RoleID: role, ResourceID: resource, Indicator: "https://" + resource, Scope: s})
	}
	if len(scopes) == 0 {
		g.Roles = []store.GrantRow{{RoleID: role}}
	}
	return g
}

func newFake() *fakeLoader {
	f := &fakeLoader{apps: map[string]*store.AppGrants{},
		resources: []rbac.Resource{{ID: "api", Indicator: "https://api", AccessTokenTTL: 60}, {ID: "def", Indicator: "https://def", IsDefault: true}}}
	f.set("app", m2m("reader", "api", "read", "write"))
	return f
}

// clock is a settable time source.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func newCache(f *fakeLoader, opt Options) (*Cache, *clock) {
	clk := &clock{}
	clk.ns.Store(time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC).UnixNano())
	if opt.Now == nil {
		opt.Now = clk.now
	}
	return New(f, opt), clk
}

var ctx = context.Background()

func mustClient(t *testing.T, c *Cache, id string) *Client {
	t.Helper()
	cl, err := c.Client(ctx, "default", id)
	if err != nil {
		t.Fatalf("client %s: %v", id, err)
	}
	return cl
}

func TestClientLoadedOnceAndShaped(t *testing.T) {
	f := newFake()
	f.apps["app"].Secrets = append(f.apps["app"].Secrets, store.GrantSecret{Name: "old", Digest: []byte("d2"), ExpiresAt: new(int64)})
	c, _ := newCache(f, Options{})
	for range 3 {
		cl := mustClient(t, c, "app")
		if !cl.Scopes("https://api").Has("write") || cl.Scopes("https://other") != nil || len(cl.Secrets) != 2 ||
			cl.CORSOrigins[0] != "https://ok.example" || cl.Type != rbac.AppMachineToMachine {
			t.Fatalf("client %+v", cl)
		}
		if cl.Secrets[1].ExpiresAt != 1 {
			t.Fatalf("an expiry at the epoch must not read as never: %d", cl.Secrets[1].ExpiresAt)
		}
	}
	if n := f.appLoads.Load(); n != 1 {
		t.Fatalf("%d loads, want 1", n)
	}
}

// TestTargetedInvalidation: each kind of change drops exactly the clients
// it touches; the others stay cached (no load).
func TestTargetedInvalidation(t *testing.T) {
	f := newFake()
	f.set("a", m2m("r1", "res1", "read"))
	f.set("b", m2m("r2", "res2", "read"))
	org := m2m("r3", "res3", "x")
	org.Organizations = []store.OrganizationGrantRow{
		{OrganizationID: "o1", RoleID: "or1", Scope: "os"},
		{OrganizationID: "o1", RoleID: "or1", Scope: "rs", ResourceID: "res4", Indicator: "https://res4"},
	}
	f.set("c", org)
	member := m2m("r3", "res3")
	member.Organizations = []store.OrganizationGrantRow{{OrganizationID: "o2"}}
	f.set("d", member)
	all := []string{"a", "b", "c", "d"}
	cases := []struct {
		name     string
		set      change.Set
		dropped  []string
		reloaded int // roles reloaded in place
	}{
		{"app", change.App("a"), []string{"a"}, 0},
		{"unknown app", change.App("zz"), nil, 0},
		{"role", change.Set{Roles: []string{"r2"}}, nil, 1},
		{"shared role", change.Set{Roles: []string{"r3"}}, nil, 1},
		{"resource via role", change.Set{Resources: []string{"res1"}}, nil, 1},
		{"resource via organization role", change.Set{Resources: []string{"res4"}}, []string{"c"}, 0},
		{"organization", change.Set{Organizations: []string{"o2"}}, []string{"d"}, 0},
		{"organization role", change.Set{OrganizationRoles: []string{"or1"}}, []string{"c"}, 0},
		{"organization template", change.Set{OrganizationTemplate: true}, []string{"c", "d"}, 0},
		{"keys only", change.Set{Keys: true}, nil, 0},
		{"everything", change.Set{All: true}, all, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newCache(f, Options{})
			for _, id := range all {
				mustClient(t, c, id)
			}
			before, roles := f.appLoads.Load(), f.roleLoads.Load()
			c.Apply(tc.set)
			for _, id := range all {
				mustClient(t, c, id)
			}
			if got := f.appLoads.Load() - before; got != int64(len(tc.dropped)) {
				t.Fatalf("%d reloads, want %d (%v)", got, len(tc.dropped), tc.dropped)
			}
			if got := f.roleLoads.Load() - roles; got != int64(tc.reloaded) {
				t.Fatalf("%d role reloads, want %d", got, tc.reloaded)
			}
		})
	}
}

// TestChangeSeenOnNextRequest: the point of invalidation, for each kind.
func TestChangeSeenOnNextRequest(t *testing.T) {
	f := newFake()
	c, _ := newCache(f, Options{})
	if !mustClient(t, c, "app").Scopes("https://api").Has("write") {
		t.Fatal("setup")
	}
	f.set("app", m2m("reader", "api", "read")) // the role lost write
	if !mustClient(t, c, "app").Scopes("https://api").Has("write") {
		t.Fatal("reloaded without a change")
	}
	c.Apply(change.Set{Roles: []string{"reader"}})
	if mustClient(t, c, "app").Scopes("https://api").Has("write") {
		t.Fatal("role change not seen")
	}
	// A role reloaded in place: every app holding it sees the change, none
	// is reloaded.
	f.set("twin", m2m("reader", "api", "read"))
	twin := mustClient(t, c, "twin")
	f.mu.Lock()
	f.roles = map[string][]store.GrantRow{"reader": {{RoleID: "reader", ResourceID: "api", Indicator: "https://api", Scope: "admin"}}}
	f.mu.Unlock()
	loads := f.appLoads.Load()
	c.Apply(change.Set{Roles: []string{"reader"}})
	if !twin.Scopes("https://api").Has("admin") || !mustClient(t, c, "app").Scopes("https://api").Has("admin") ||
		twin.Scopes("https://api").Has("read") || f.appLoads.Load() != loads {
		t.Fatalf("shared role not reloaded in place: %v, %d loads", twin.Scopes("https://api"), f.appLoads.Load()-loads)
	}
	f.mu.Lock()
	f.roles = nil
	f.mu.Unlock()
	f.set("app", nil) // deleted
	c.Apply(change.App("app"))
	if _, err := c.Client(ctx, "default", "app"); !errors.Is(err, ErrUnknownClient) {
		t.Fatalf("deleted app: %v", err)
	}
	f.set("app", m2m("reader", "api", "read")) // created again
	c.Apply(change.App("app"))
	mustClient(t, c, "app")
}

func TestResources(t *testing.T) {
	f := newFake()
	c, _ := newCache(f, Options{})
	r, ok, err := c.Resource(ctx, "default", "https://api")
	if err != nil || !ok || r.TTL != 60 || r.ID != "api" {
		t.Fatalf("resource %+v %v %v", r, ok, err)
	}
	if _, ok, _ := c.Resource(ctx, "default", "https://api/"); ok {
		t.Fatal("indicators must match exactly")
	}
	d, ok, _ := c.DefaultResource(ctx, "default")
	if !ok || d.Indicator != "https://def" || f.resLoads.Load() != 1 {
		t.Fatalf("default %+v, %d loads", d, f.resLoads.Load())
	}
	f.mu.Lock()
	f.resources = f.resources[:1]
	f.mu.Unlock()
	c.Apply(change.App("app"))
	if _, ok, _ := c.DefaultResource(ctx, "default"); !ok {
		t.Fatal("an application change dropped the resources")
	}
	c.Apply(change.Set{Resources: []string{"def"}})
	if _, ok, _ := c.DefaultResource(ctx, "default"); ok {
		t.Fatal("default resource survived its change")
	}
}

// TestSingleFlight: many requests for one cold application make one load.
func TestSingleFlight(t *testing.T) {
	f := newFake()
	f.gate = make(chan struct{})
	c, _ := newCache(f, Options{})
	const n = 64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := c.Client(ctx, "default", "app")
			errs <- err
		})
	}
	// Every request is waiting on the one flight before the load ends.
	deadline := time.Now().Add(10 * time.Second)
	for c.misses.Load() < n && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	close(f.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := f.appLoads.Load(); got != 1 {
		t.Fatalf("%d loads for %d concurrent requests, want 1", got, n)
	}
}

// TestLoadRacingChange: a load that began before a change must not put its
// (stale) result in the cache, even when the change names a role rather
// than the application.
func TestLoadRacingChange(t *testing.T) {
	for _, set := range []change.Set{change.App("app"), {All: true}} {
		f := newFake()
		gate := make(chan struct{})
		f.gate, f.entered = gate, make(chan struct{}, 1)
		c, _ := newCache(f, Options{})
		done := make(chan struct{})
		go func() {
			c.Client(ctx, "default", "app")
			close(done)
		}()
		<-f.entered // the load has read (read, write)
		f.mu.Lock()
		f.gate, f.entered = nil, nil
		f.mu.Unlock()
		f.set("app", m2m("other-role", "api", "read")) // the write: another role, without write
		c.Apply(set)
		close(gate)
		<-done
		before := f.appLoads.Load()
		if mustClient(t, c, "app").Scopes("https://api").Has("write") {
			t.Fatalf("%+v: a load that raced the change was cached", set)
		}
		// The application's own change: its racing result is never kept.
		// (A change to everything clears the role registry, so that load
		// reads the application again after the change, and keeps that.)
		if !set.All && f.appLoads.Load() != before+1 {
			t.Fatalf("%+v: a load that raced the change was cached", set)
		}
	}
}

func TestEvictionAndBound(t *testing.T) {
	f := newFake()
	for i := range 10 {
		f.set(fmt.Sprintf("a%d", i), m2m("r", "res", "read"))
	}
	c, _ := newCache(f, Options{Size: 3})
	mustClient(t, c, "a0")
	mustClient(t, c, "a1")
	mustClient(t, c, "a2")
	mustClient(t, c, "a0") // a1 is now the least recently used
	mustClient(t, c, "a3")
	st := c.Stats()
	if st.Entries != 3 || st.Evictions != 1 {
		t.Fatalf("stats %+v", st)
	}
	before := f.appLoads.Load()
	mustClient(t, c, "a0")
	mustClient(t, c, "a2")
	mustClient(t, c, "a3")
	if f.appLoads.Load() != before {
		t.Fatal("a recently used client was evicted")
	}
	mustClient(t, c, "a1")
	if f.appLoads.Load() != before+1 {
		t.Fatal("the least recently used client was not the one evicted")
	}
	for i := range 10 {
		mustClient(t, c, fmt.Sprintf("a%d", i))
	}
	if st := c.Stats(); st.Entries != 3 {
		t.Fatalf("%d entries over a bound of 3", st.Entries)
	}
}

// TestUnknownIDsBounded: a flood of random ids holds a bounded memory.
func TestUnknownIDsBounded(t *testing.T) {
	f := newFake()
	c, _ := newCache(f, Options{Size: 1000})
	for i := range 5000 {
		if _, err := c.Client(ctx, "default", fmt.Sprintf("nope%d", i)); !errors.Is(err, ErrUnknownClient) {
			t.Fatal(err)
		}
	}
	before := f.appLoads.Load()
	c.Client(ctx, "default", "nope4999")
	if f.appLoads.Load() != before {
		t.Fatal("a recent unknown id was not remembered")
	}
	if st := c.Stats(); st.Negatives > 1000 {
		t.Fatalf("%d unknown ids remembered", st.Negatives)
	}
}

// TestWarmCompletes: after a warm pass, every application is served with
// no load, and an unknown id costs no query; a created application, named
// by its change, is loaded.
func TestWarmCompletes(t *testing.T) {
	f := newFake()
	for i := range 2500 {
		f.set(fmt.Sprintf("w%04d", i), m2m("r", "res", "read"))
	}
	c, _ := newCache(f, Options{})
	if err := c.Warm(ctx); err != nil {
		t.Fatal(err)
	}
	st := c.Stats()
	if !st.Complete || st.Entries != 2501 || st.WarmApps != 2501 {
		t.Fatalf("stats %+v", st)
	}
	before := f.appLoads.Load()
	mustClient(t, c, "w1234")
	for i := range 100 {
		if _, err := c.Client(ctx, "default", fmt.Sprintf("random%d", i)); !errors.Is(err, ErrUnknownClient) {
			t.Fatal(err)
		}
	}
	if f.appLoads.Load() != before {
		t.Fatalf("%d loads after a complete warm", f.appLoads.Load()-before)
	}
	f.set("new", m2m("r", "res", "read"))
	c.Apply(change.App("new"))
	mustClient(t, c, "new")
	// A deleted application is gone after the next pass even without its change.
	f.set("w0001", nil)
	if err := c.Warm(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Client(ctx, "default", "w0001"); !errors.Is(err, ErrUnknownClient) {
		t.Fatalf("deleted: %v", err)
	}
}

func TestWarmBeyondSizeIsIncomplete(t *testing.T) {
	f := newFake()
	for i := range 50 {
		f.set(fmt.Sprintf("w%02d", i), m2m("r", "res", "read"))
	}
	c, _ := newCache(f, Options{Size: 20})
	if err := c.Warm(ctx); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Complete || st.Entries != 20 {
		t.Fatalf("stats %+v", st)
	}
	mustClient(t, c, "w49") // not warmed: loaded
}

// TestOutage: while the database is down, cached clients serve, misses fail
// at once with ErrUnavailable (one load a second tries), and once the
// cache has been unsynced for StaleMax, everything is refused until a
// resync.
func TestOutage(t *testing.T) {
	f := newFake()
	f.set("other", m2m("r", "res", "read"))
	c, clk := newCache(f, Options{StaleMax: time.Minute})
	mustClient(t, c, "app")
	if _, err := c.Client(ctx, "default", "nope"); !errors.Is(err, ErrUnknownClient) {
		t.Fatal(err) // an unknown id, remembered
	}
	f.setFail(errors.New("connection refused"))
	c.Unsynced()
	mustClient(t, c, "app")
	if _, err := c.Client(ctx, "default", "nope"); !errors.Is(err, ErrUnknownClient) {
		t.Fatalf("remembered unknown id during outage: %v", err)
	}
	if _, err := c.Client(ctx, "default", "other"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("miss during outage: %v", err)
	}
	loads := f.appLoads.Load()
	for range 10 {
		if _, err := c.Client(ctx, "default", "other"); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("miss during outage: %v", err)
		}
	}
	if f.appLoads.Load() != loads {
		t.Fatal("misses went to the database while it was known down")
	}
	clk.advance(2 * time.Second)
	c.Client(ctx, "default", "other")
	if f.appLoads.Load() != loads+1 {
		t.Fatal("no load tried again after a second")
	}
	clk.advance(time.Minute)
	if _, err := c.Client(ctx, "default", "app"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("past StaleMax: %v", err)
	}
	f.setFail(nil)
	if err := c.Warm(ctx); err != nil {
		t.Fatal(err)
	}
	if !c.Synced() {
		t.Fatal("not in sync after a warm pass")
	}
	mustClient(t, c, "app")
	mustClient(t, c, "other")
}

func TestOrganizations(t *testing.T) {
	f := newFake()
	g := m2m("r", "api", "read")
	g.Organizations = []store.OrganizationGrantRow{
		{OrganizationID: "org1", RoleID: "or1", Scope: "b"},
		{OrganizationID: "org1", RoleID: "or2", Scope: "a"},
		{OrganizationID: "org1", RoleID: "or1", Scope: "b"},
		{OrganizationID: "org1", RoleID: "or1", Scope: "read", ResourceID: "api", Indicator: "https://api"},
		{OrganizationID: "org2"},
	}
	f.set("app", g)
	c, _ := newCache(f, Options{})
	cl := mustClient(t, c, "app")
	o1, o2 := cl.Organization("org1"), cl.Organization("org2")
	if o1 == nil || o2 == nil || cl.Organization("org3") != nil {
		t.Fatalf("organizations %+v", cl.orgs)
	}
	if !slices.Equal(o1.Scopes, []string{"a", "b"}) || !o1.ResourceScopes("https://api").Has("read") ||
		o2.Scopes == nil || len(o2.Scopes) != 0 {
		t.Fatalf("org1 %+v org2 %+v", o1, o2)
	}
}

func TestApplicationForCustomizer(t *testing.T) {
	f := newFake()
	c, _ := newCache(f, Options{})
	cl := mustClient(t, c, "app")
	if cl.App != nil {
		t.Fatal("application JSON held without a customizer")
	}
	app, err := c.Application(ctx, cl)
	if err != nil || !strings.Contains(string(app), `"name":"app app"`) {
		t.Fatalf("application %s %v", app, err)
	}
	if mustClient(t, c, "app").App == nil {
		t.Fatal("application JSON not kept")
	}
	c.SetCustomizer(true)
	c.Apply(change.App("app"))
	if mustClient(t, c, "app").App == nil {
		t.Fatal("a load with a customizer must carry the application")
	}
}

func TestConcurrentUse(t *testing.T) {
	f := newFake()
	for i := range 100 {
		f.set(fmt.Sprintf("c%d", i), m2m(fmt.Sprintf("r%d", i%5), "api", "read"))
	}
	c, _ := newCache(f, Options{Size: 50})
	go c.Run(t.Context())
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 500 {
				switch {
				case i == 0 && j%50 == 0:
					c.Apply(change.Set{All: true})
				case i == 1 && j%5 == 0:
					c.Apply(change.Set{Roles: []string{fmt.Sprintf("r%d", j%5)}})
				case i == 2 && j%5 == 0:
					c.Apply(change.App(fmt.Sprintf("c%d", j%100)))
				}
				if _, err := c.Client(ctx, "default", fmt.Sprintf("c%d", (i*7+j)%100)); err != nil {
					t.Error(err)
					return
				}
				c.Resource(ctx, "default", "https://api")
			}
		})
	}
	wg.Wait()
}

// TestRoleLinkRacingChange: a load that would register a role whose scopes
// changed while it read them reads the application again instead of
// registering the stale role.
func TestRoleLinkRacingChange(t *testing.T) {
	f := newFake()
	gate := make(chan struct{})
	f.gate, f.entered = gate, make(chan struct{}, 1)
	c, _ := newCache(f, Options{})
	done := make(chan *Client)
	go func() {
		cl, _ := c.Client(ctx, "default", "app")
		done <- cl
	}()
	<-f.entered // the rows (read, write) are read
	f.mu.Lock()
	f.gate, f.entered = nil, nil
	f.mu.Unlock()
	f.set("app", m2m("reader", "api", "read")) // the role loses write
	c.Apply(change.Set{Roles: []string{"reader"}})
	close(gate)
	cl := <-done
	if cl == nil || cl.Scopes("https://api").Has("write") {
		t.Fatalf("stale role registered: %+v", cl)
	}
	if mustClient(t, c, "app").Scopes("https://api").Has("write") {
		t.Fatal("stale role cached")
	}
}
