package management

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/change"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/storetest"
)

// The tests of this file hold every write of the Service to the change it
// announces: exactly that Set, once, after the commit, and nothing for a
// write that fails or changes nothing. Beyond the Set itself they check it
// against the database: what the grant cache would load (every
// application's row, secrets and grants, the resource list; and the
// signing keys) is read inside OnChange, and must already be what it is
// after the write returned (the write had committed); a write announcing
// nothing must leave it as it was; and a write announcing only
// applications must change no other application.
//
// The cases of one test share a database per engine; each makes the
// objects it writes to.

// grantState is what the grant cache would load, read from the store: the
// row, secrets and grants of every application, the resource list as the
// cache keeps it, and the signing keys.
type grantState struct {
	apps      map[string]string
	resources string
	keys      string
}

func readGrantState(ctx context.Context, st *store.Store) (grantState, error) {
	t := rbac.DefaultTenant
	gs := grantState{apps: map[string]string{}}
	apps, err := st.ListApplications(ctx, t, store.AppFilter{})
	if err != nil {
		return gs, err
	}
	for _, a := range apps {
		secrets, err := st.ListSecrets(ctx, t, a.ID)
		if err != nil {
			return gs, err
		}
		// What the grant cache loads, its rows in a fixed order.
		var g store.AppGrants
		if err := st.Reader().LoadGrants(ctx, t, a.ID, a.ID, func(r *store.AppGrants) error { g = *r; return nil }); err != nil {
			return gs, err
		}
		slices.SortFunc(g.Roles, func(x, y store.GrantRow) int {
			return cmp.Compare(x.RoleID+"\x00"+x.Indicator+"\x00"+x.Scope, y.RoleID+"\x00"+y.Indicator+"\x00"+y.Scope)
		})
		slices.SortFunc(g.Organizations, func(x, y store.OrganizationGrantRow) int {
			key := func(r store.OrganizationGrantRow) string {
				return r.OrganizationID + "\x00" + r.RoleID + "\x00" + r.Indicator + "\x00" + r.Scope
			}
			return cmp.Compare(key(x), key(y))
		})
		slices.SortFunc(g.Federated, func(x, y store.GrantFederated) int { return cmp.Compare(x.Name, y.Name) })
		b, err := json.Marshal([]any{a, secrets, g.Roles, g.Organizations, g.Federated})
		if err != nil {
			return gs, err
		}
		gs.apps[a.ID] = string(b)
	}
	resources, err := st.ListResources(ctx, t)
	if err != nil {
		return gs, err
	}
	keys, err := st.ListSigningKeys(ctx, t)
	if err != nil {
		return gs, err
	}
	for i := range keys {
		keys[i].PrivateSealed = nil
	}
	// What the grant cache keeps of a resource (not its name).
	type cached struct {
		ID, Indicator string
		TTL           int64
		Default       bool
	}
	list := make([]cached, len(resources))
	for i, r := range resources {
		list[i] = cached{r.ID, r.Indicator, r.AccessTokenTTL, r.IsDefault}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	b, _ := json.Marshal(list)
	gs.resources = string(b)
	b, _ = json.Marshal(keys)
	gs.keys = string(b)
	return gs, nil
}

// changedApps returns the applications whose state differs between a and b
// (created and deleted ones too), sorted.
func changedApps(a, b grantState) []string {
	var out []string
	for id, v := range a.apps {
		if b.apps[id] != v {
			out = append(out, id)
		}
	}
	for id := range b.apps {
		if _, ok := a.apps[id]; !ok {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// announced is one OnChange call: the Set, and the grant state read during
// the call. On PostgreSQL, notified says whether the other instances'
// notification of that Set had arrived by then (it must: it is sent inside
// the write's transaction); a notification no OnChange call matched is an
// announced of its own, with stray set.
type announced struct {
	set      change.Set
	state    grantState
	err      error
	notified *bool
	stray    bool
}

// testOrigin is the Origin of the Services of these tests.
const testOrigin = "test-instance"

// recorder is an OnChange hook that keeps what it was called with and, on
// PostgreSQL, listens to the change channel as another instance would.
type recorder struct {
	st    *store.Store
	mu    sync.Mutex
	got   []announced
	notes []note // PostgreSQL: payloads received since the last take
	seq   int
}

type note struct {
	payload string
	matched bool
}

// listen starts the listener on PostgreSQL (and nothing on SQLite).
func (r *recorder) listen(t *testing.T) {
	if r.st.Dialect() != "postgres" {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.st.Listen(ctx, func(p string) {
			if p == "" {
				return
			}
			r.mu.Lock()
			r.notes = append(r.notes, note{payload: p})
			r.mu.Unlock()
		}, ready, nil)
	}()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("no listener after 10s")
	}
}

// await waits up to 5 s for a notification that matches, and marks it.
func (r *recorder) await(match func(payload string) bool) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		r.mu.Lock()
		for i := range r.notes {
			if !r.notes[i].matched && match(r.notes[i].payload) {
				r.notes[i].matched = true
				r.mu.Unlock()
				return true
			}
		}
		r.mu.Unlock()
	}
	return false
}

func (r *recorder) OnChange(c change.Set) {
	gs, err := readGrantState(context.Background(), r.st)
	a := announced{set: c, state: gs, err: err}
	if r.st.Dialect() == "postgres" {
		ok := r.await(func(p string) bool {
			n := change.Decode(p)
			o := n.Origin
			n.Origin = ""
			return o == testOrigin && reflect.DeepEqual(norm(n), norm(c))
		})
		a.notified = &ok
	}
	r.mu.Lock()
	r.got = append(r.got, a)
	r.mu.Unlock()
}

// take returns what was announced since the last take. On PostgreSQL it
// first sends a notification of its own and waits for it: notifications
// arrive in commit order, so every write's has arrived by then.
func (r *recorder) take() []announced {
	if r.st.Dialect() == "postgres" {
		r.seq++
		sentinel := fmt.Sprintf("sentinel-%d", r.seq)
		if err := r.st.Notify(context.Background(), sentinel); err != nil {
			panic(err)
		}
		if !r.await(func(p string) bool { return p == sentinel }) {
			panic("the test's own notification did not arrive within 5s")
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.got
	r.got = nil
	for _, n := range r.notes {
		if !n.matched {
			out = append(out, announced{set: change.Decode(n.payload), stray: true})
		}
	}
	r.notes = nil
	return out
}

// changeFixture is a seeded Service whose OnChange records, with helpers
// that make what a write needs; mark forgets what they announced.
type changeFixture struct {
	t      *testing.T
	ctx    context.Context
	s      *Service
	st     *store.Store
	rec    *recorder
	before grantState
}

func newChangeService(t *testing.T, eng storetest.Engine) (*Service, *store.Store, *recorder) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, eng.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.EnsureTenant(ctx, rbac.DefaultTenant); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	box, err := secret.NewBox(key, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{st: st}
	rec.listen(t)
	s := New(Config{Store: st, Box: box, Indicator: "https://default.logto.app/api", OnChange: rec.OnChange, Origin: testOrigin})
	return s, st, rec
}

func newChangeFixture(t *testing.T, eng storetest.Engine) *changeFixture {
	t.Helper()
	s, st, rec := newChangeService(t, eng)
	ctx := context.Background()
	if err := s.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.LoadKeys(ctx); err != nil {
		t.Fatal(err)
	}
	return &changeFixture{t: t, ctx: ctx, s: s, st: st, rec: rec}
}

// mark forgets the announcements of the preparations and reads the grant
// state before the write.
func (f *changeFixture) mark() {
	f.t.Helper()
	f.rec.take()
	var err error
	if f.before, err = readGrantState(f.ctx, f.st); err != nil {
		f.t.Fatal(err)
	}
}

func (f *changeFixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

var fixtureSeq int

// uniq returns a name not used before in this test binary.
func uniq(prefix string) string {
	fixtureSeq++
	return fmt.Sprintf("%s%d", prefix, fixtureSeq)
}

func (f *changeFixture) app() string {
	f.t.Helper()
	a, err := f.s.CreateApplication(f.ctx, AppCreate{Name: uniq("app"), Type: rbac.AppMachineToMachine})
	f.must(err)
	return a.ID
}

func (f *changeFixture) resource() string {
	f.t.Helper()
	r, err := f.s.CreateResource(f.ctx, ResourceInput{Name: uniq("api"), Indicator: "https://" + uniq("api") + ".example"})
	f.must(err)
	return r.ID
}

func (f *changeFixture) scope(resourceID string) string {
	f.t.Helper()
	sc, err := f.s.CreateScope(f.ctx, resourceID, uniq("read:"), nil)
	f.must(err)
	return sc.ID
}

func (f *changeFixture) role(typ rbac.RoleType, scopeIDs ...string) string {
	f.t.Helper()
	r, err := f.s.CreateRole(f.ctx, RoleInput{Name: uniq("role"), Description: "d", Type: typ, ScopeIDs: scopeIDs})
	f.must(err)
	return r.ID
}

// grantedApp returns a new app holding a new M2M role with a new scope of
// a new resource, and the ids of the role, the resource and the scope.
func (f *changeFixture) grantedApp() (app, role, resource, scope string) {
	f.t.Helper()
	resource = f.resource()
	scope = f.scope(resource)
	role = f.role(rbac.RoleMachineToMachine, scope)
	app = f.app()
	_, err := f.s.AddAppRoles(f.ctx, app, []string{role})
	f.must(err)
	return app, role, resource, scope
}

func (f *changeFixture) org(members ...string) string {
	f.t.Helper()
	o, err := f.s.CreateOrganization(f.ctx, store.Organization{Name: uniq("org")})
	f.must(err)
	if len(members) > 0 {
		f.must(f.s.AddOrganizationApplications(f.ctx, o.ID, members))
	}
	return o.ID
}

func (f *changeFixture) orgScope() string {
	f.t.Helper()
	sc, err := f.s.CreateOrganizationScope(f.ctx, uniq("org:read"), nil)
	f.must(err)
	return sc.ID
}

func (f *changeFixture) orgRole(typ rbac.RoleType, orgScopes, resourceScopes []string) string {
	f.t.Helper()
	r, err := f.s.CreateOrganizationRole(f.ctx, OrganizationRoleInput{Name: uniq("orgrole"), Type: typ,
		OrganizationScopeIDs: orgScopes, ResourceScopeIDs: resourceScopes})
	f.must(err)
	return r.ID
}

// orgMember returns a new organization with a new member app holding a new
// M2M organization role, which holds a new organization scope and a new
// resource scope; and the ids of those.
func (f *changeFixture) orgMember() (org, app, role, orgScope, resource string) {
	f.t.Helper()
	app = f.app()
	org = f.org(app)
	orgScope = f.orgScope()
	resource = f.resource()
	role = f.orgRole(rbac.RoleMachineToMachine, []string{orgScope}, []string{f.scope(resource)})
	f.must(f.s.AddOrganizationApplicationRoles(f.ctx, org, []string{app}, []string{role}, true))
	return org, app, role, orgScope, resource
}

func ptr[T any](v T) *T { return &v }

// changeCase is one write. run prepares what the write needs, calls
// f.mark(), makes the write and returns the Set it must announce (the zero
// Set: none) and the write's error.
type changeCase struct {
	name string
	// fails: the write must fail and announce nothing.
	fails bool
	run   func(f *changeFixture) (change.Set, error)
}

// norm drops empty lists, so that nil and [] compare equal.
func norm(c change.Set) change.Set {
	var out change.Set
	if err := json.Unmarshal([]byte(c.Encode()), &out); err != nil {
		panic(err)
	}
	return out
}

func runChangeCases(t *testing.T, cases []changeCase) {
	for _, eng := range storetest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			f := newChangeFixture(t, eng)
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					f.t = t
					f.before = grantState{}
					want, err := c.run(f)
					if f.before.apps == nil {
						t.Fatal("case did not call mark")
					}
					got := f.rec.take()
					after, serr := readGrantState(f.ctx, f.st)
					if serr != nil {
						t.Fatal(serr)
					}
					if c.fails {
						if err == nil {
							t.Fatal("write succeeded, want an error")
						}
						want = change.Set{}
					} else if err != nil {
						t.Fatalf("write: %v", err)
					}
					checkAnnounced(t, want, got, f.before, after)
				})
			}
		})
	}
}

func checkAnnounced(t *testing.T, want change.Set, got []announced, before, after grantState) {
	t.Helper()
	if want.Empty() {
		for _, a := range got {
			if a.stray {
				t.Errorf("notified %+v to the other instances, want nothing", a.set)
			} else {
				t.Errorf("announced %+v, want nothing", a.set)
			}
		}
		if d := changedApps(before, after); len(d) > 0 || before.resources != after.resources || before.keys != after.keys {
			t.Errorf("nothing announced, but applications %q changed (resources changed: %t, keys changed: %t)",
				d, before.resources != after.resources, before.keys != after.keys)
		}
		return
	}
	if len(got) != 1 {
		sets := make([]string, len(got))
		for i, a := range got {
			sets[i] = fmt.Sprintf("%+v (stray notification: %t)", a.set, a.stray)
		}
		t.Fatalf("announced %d times (%q), want once: %+v", len(got), sets, want)
	}
	a := got[0]
	if a.stray {
		t.Fatalf("notified %+v to the other instances, but OnChange was not called", a.set)
	}
	if a.notified != nil && !*a.notified {
		t.Errorf("OnChange(%+v) ran, but the other instances had not been notified of it within 5s (the notification must be sent in the write's transaction)", a.set)
	}
	if !reflect.DeepEqual(norm(a.set), norm(want)) {
		t.Errorf("announced %+v\nwant      %+v", a.set, want)
	}
	if a.err != nil {
		t.Fatalf("reading the store during OnChange: %v", a.err)
	}
	if !reflect.DeepEqual(a.state, after) {
		t.Errorf("during OnChange the store did not show the write yet (announced before the commit); applications differing: %q",
			changedApps(a.state, after))
	}
	d := changedApps(before, after)
	if want.Grants() && len(d) == 0 && before.resources == after.resources {
		t.Errorf("announced %+v, but no application or resource changed", want)
	}
	if !want.Grants() && (len(d) > 0 || before.resources != after.resources) {
		t.Errorf("announced %+v, but applications %q changed (resources changed: %t)", want, d, before.resources != after.resources)
	}
	onlyApps := change.Set{Apps: want.Apps, Keys: want.Keys, Customizer: want.Customizer, Revoked: want.Revoked}
	if reflect.DeepEqual(norm(onlyApps), norm(want)) {
		for _, id := range d {
			if !slices.Contains(want.Apps, id) {
				t.Errorf("application %s changed but is not announced (%+v)", id, want)
			}
		}
	}
	if want.Keys == (before.keys == after.keys) {
		t.Errorf("announced %+v, but the signing keys changed: %t", want, before.keys != after.keys)
	}
	if len(want.Resources) == 0 && before.resources != after.resources {
		t.Errorf("the resource list changed but no resource is announced (%+v)", want)
	}
}
