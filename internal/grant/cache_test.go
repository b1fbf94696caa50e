package grant

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// fakeLoader counts loads and can block inside one, to race an
// invalidation against it.
type fakeLoader struct {
	mu        sync.Mutex
	apps      map[string]*rbac.Application
	grants    map[string]map[string][]string
	orgs      map[string]map[string]*store.OrganizationGrant
	resources []rbac.Resource
	loads     int
	fail      error
	inLoad    chan struct{} // when set, GetApplication signals and waits
	release   chan struct{}
}

func (f *fakeLoader) GetApplication(ctx context.Context, tenant, id string) (*rbac.Application, error) {
	f.mu.Lock()
	f.loads++
	in, rel, fail := f.inLoad, f.release, f.fail
	a, ok := f.apps[id]
	f.mu.Unlock()
	if in != nil {
		in <- struct{}{}
		<-rel
	}
	if fail != nil {
		return nil, fail
	}
	if !ok {
		return nil, store.ErrNotFound
	}
	return a, nil
}

func (f *fakeLoader) ListSecrets(ctx context.Context, tenant, appID string) ([]rbac.Secret, error) {
	exp := int64(0)
	return []rbac.Secret{{Name: "Default secret", Digest: []byte("d1")}, {Name: "old", Digest: []byte("d2"), ExpiresAt: &exp}}, nil
}

func (f *fakeLoader) ApplicationGrants(ctx context.Context, tenant, appID string) (map[string][]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.grants[appID], nil
}

func (f *fakeLoader) ApplicationOrganizationGrants(ctx context.Context, tenant, appID string) (map[string]*store.OrganizationGrant, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.orgs[appID], nil
}

func (f *fakeLoader) ListResources(ctx context.Context, tenant string) ([]rbac.Resource, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.loads++
	return f.resources, nil
}

func newFake() *fakeLoader {
	return &fakeLoader{
		apps: map[string]*rbac.Application{"app": {ID: "app", Type: rbac.AppMachineToMachine,
			CustomClientMetadata: json.RawMessage(`{"corsAllowedOrigins":["https://ok.example"]}`)}},
		grants:    map[string]map[string][]string{"app": {"https://api": {"read", "write"}}},
		resources: []rbac.Resource{{ID: "r1", Indicator: "https://api", AccessTokenTTL: 60}, {ID: "r2", Indicator: "https://def", IsDefault: true}},
	}
}

func TestClientCachedUntilInvalidated(t *testing.T) {
	f := newFake()
	c := New(f)
	ctx := context.Background()
	for range 3 {
		cl, err := c.Client(ctx, "default", "app")
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := cl.Scopes["https://api"]["write"]; !ok || len(cl.Secrets) != 2 || cl.CORSOrigins[0] != "https://ok.example" {
			t.Fatalf("client %+v", cl)
		}
		if cl.Secrets[1].ExpiresAt != 1 {
			t.Fatalf("an expiry at the epoch must not read as never: %d", cl.Secrets[1].ExpiresAt)
		}
	}
	if f.loads != 1 {
		t.Fatalf("%d loads, want 1", f.loads)
	}
	f.mu.Lock()
	f.grants["app"] = map[string][]string{"https://api": {"read"}}
	f.mu.Unlock()
	c.Invalidate()
	cl, _ := c.Client(ctx, "default", "app")
	if _, ok := cl.Scopes["https://api"]["write"]; ok || f.loads != 2 {
		t.Fatalf("after Invalidate: scopes %v, %d loads", cl.Scopes, f.loads)
	}
}

func TestUnknownClientRemembered(t *testing.T) {
	f := newFake()
	c := New(f)
	for range 3 {
		if _, err := c.Client(context.Background(), "default", "nope"); !errors.Is(err, ErrUnknownClient) {
			t.Fatalf("err %v", err)
		}
	}
	if f.loads != 1 {
		t.Fatalf("%d loads, want 1", f.loads)
	}
	// Bounded: past maxNegative, unknown ids are no longer remembered.
	for i := range maxNegative + 10 {
		c.Client(context.Background(), "default", "x"+string(rune('a'+i%26))+string(rune(i)))
	}
	if c.negatives != maxNegative {
		t.Fatalf("%d negatives remembered", c.negatives)
	}
}

func TestLoadErrorNotCached(t *testing.T) {
	f := newFake()
	f.fail = errors.New("database down")
	c := New(f)
	if _, err := c.Client(context.Background(), "default", "app"); err == nil || errors.Is(err, ErrUnknownClient) {
		t.Fatalf("err %v", err)
	}
	f.fail = nil
	if _, err := c.Client(context.Background(), "default", "app"); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}

// TestInvalidateDuringLoad: a load that began before a write must not
// put its (stale) result in the cache.
func TestInvalidateDuringLoad(t *testing.T) {
	f := newFake()
	f.inLoad, f.release = make(chan struct{}), make(chan struct{})
	c := New(f)
	done := make(chan struct{})
	go func() {
		c.Client(context.Background(), "default", "app")
		close(done)
	}()
	<-f.inLoad
	c.Invalidate()
	f.mu.Lock()
	f.inLoad = nil
	f.mu.Unlock()
	close(f.release)
	<-done
	c.mu.RLock()
	_, cached := c.clients[key{"default", "app"}]
	c.mu.RUnlock()
	if cached {
		t.Fatal("a load that raced an invalidation was cached")
	}
}

func TestResources(t *testing.T) {
	f := newFake()
	c := New(f)
	ctx := context.Background()
	r, ok, err := c.Resource(ctx, "default", "https://api")
	if err != nil || !ok || r.TTL != 60 || r.ID != "r1" {
		t.Fatalf("resource %+v %v %v", r, ok, err)
	}
	if _, ok, _ := c.Resource(ctx, "default", "https://api/"); ok {
		t.Fatal("indicators must match exactly")
	}
	d, ok, _ := c.DefaultResource(ctx, "default")
	if !ok || d.Indicator != "https://def" || f.loads != 1 {
		t.Fatalf("default %+v, %d loads", d, f.loads)
	}
	f.mu.Lock()
	f.resources = f.resources[:1]
	f.mu.Unlock()
	c.Invalidate()
	if _, ok, _ := c.DefaultResource(ctx, "default"); ok {
		t.Fatal("default resource survived invalidation")
	}
}

func TestConcurrentUse(t *testing.T) {
	c := New(newFake())
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				if i == 0 && j%20 == 0 {
					c.Invalidate()
				}
				if _, err := c.Client(context.Background(), "default", "app"); err != nil {
					t.Error(err)
					return
				}
				c.Resource(context.Background(), "default", "https://api")
			}
		})
	}
	wg.Wait()
}

func TestOrganizationGrantsCachedUntilInvalidated(t *testing.T) {
	f := newFake()
	f.orgs = map[string]map[string]*store.OrganizationGrant{"app": {
		"org1": {Scopes: []string{"a", "b"}, Resources: map[string][]string{"https://api": {"read"}}},
		"org2": {Scopes: []string{}, Resources: map[string][]string{}},
	}}
	c := New(f)
	ctx := context.Background()
	cl, err := c.Client(ctx, "default", "app")
	if err != nil {
		t.Fatal(err)
	}
	o1, o2 := cl.Organizations["org1"], cl.Organizations["org2"]
	if o1 == nil || o2 == nil || len(cl.Organizations) != 2 {
		t.Fatalf("organizations %v", cl.Organizations)
	}
	if _, ok := o1.Resources["https://api"]["read"]; !ok || len(o1.Scopes) != 2 || o1.Scopes[1] != "b" || len(o2.Scopes) != 0 {
		t.Fatalf("org1 %+v org2 %+v", o1, o2)
	}
	// A role taken away: seen by the first request after Invalidate.
	f.mu.Lock()
	f.orgs["app"] = map[string]*store.OrganizationGrant{"org2": {Scopes: []string{}, Resources: map[string][]string{}}}
	f.mu.Unlock()
	if cl, _ = c.Client(ctx, "default", "app"); cl.Organizations["org1"] == nil {
		t.Fatal("reloaded before Invalidate")
	}
	c.Invalidate()
	if cl, _ = c.Client(ctx, "default", "app"); cl.Organizations["org1"] != nil || cl.Organizations["org2"] == nil {
		t.Fatalf("after Invalidate: %v", cl.Organizations)
	}
}
