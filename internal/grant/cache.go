package grant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// ErrUnknownClient means no application has the requested id.
var ErrUnknownClient = errors.New("grant: unknown client")

// Loader is what the cache reads from the store.
type Loader interface {
	GetApplication(ctx context.Context, tenant, id string) (*rbac.Application, error)
	ListSecrets(ctx context.Context, tenant, appID string) ([]rbac.Secret, error)
	ApplicationGrants(ctx context.Context, tenant, appID string) (map[string][]string, error)
	ListResources(ctx context.Context, tenant string) ([]rbac.Resource, error)
	ApplicationOrganizationGrants(ctx context.Context, tenant, appID string) (map[string]*store.OrganizationGrant, error)
}

// Secret is what the token endpoint needs to check a presented secret.
type Secret struct {
	Name      string
	Digest    []byte
	ExpiresAt int64 // epoch ms; 0: never
}

// Client is an application as the token endpoint sees it. It is shared and
// must not be modified.
type Client struct {
	TenantID    string
	ID          string
	Type        rbac.AppType
	Secrets     []Secret
	CORSOrigins []string
	// Scopes maps a resource indicator to the scopes the app's M2M roles
	// grant for it.
	Scopes map[string]map[string]struct{}
	// Organizations holds the organizations the app is a member of (spec
	// §2.7), by id; an organization absent here is one it is not in.
	Organizations map[string]*Organization
	// App is the stored application row, for features that need more of it
	// (the JWT customizer's context).
	App *rbac.Application
}

// Organization is what a member app may be granted in one organization,
// through its machine-to-machine organization roles.
type Organization struct {
	// Scopes are the organization scopes, in the order organization
	// tokens list them (sorted by name).
	Scopes []string
	// Resources maps a resource indicator to the resource scopes.
	Resources map[string]map[string]struct{}
}

// Resource is an API resource as the token endpoint sees it.
type Resource struct {
	ID        string
	Indicator string
	TTL       int64 // seconds, as stored
}

type key struct{ tenant, id string }

type resources struct {
	byIndicator map[string]*Resource
	def         *Resource
}

// maxNegative bounds how many unknown client ids are remembered, so that a
// flood of random ids cannot grow memory without limit.
const maxNegative = 10000

// Cache is the grant cache. It is safe for concurrent use.
type Cache struct {
	load Loader

	mu        sync.RWMutex
	gen       uint64
	clients   map[key]*Client // nil value: known not to exist
	negatives int
	resources map[string]*resources
}

// New returns an empty cache reading from l.
func New(l Loader) *Cache {
	return &Cache{load: l, clients: map[key]*Client{}, resources: map[string]*resources{}}
}

// Invalidate forgets everything; the next request reloads from the store.
func (c *Cache) Invalidate() {
	c.mu.Lock()
	c.gen++
	c.clients = map[key]*Client{}
	c.negatives = 0
	c.resources = map[string]*resources{}
	c.mu.Unlock()
}

// Client returns the application id of tenant, or ErrUnknownClient.
func (c *Cache) Client(ctx context.Context, tenant, id string) (*Client, error) {
	k := key{tenant, id}
	c.mu.RLock()
	cl, ok := c.clients[k]
	gen := c.gen
	c.mu.RUnlock()
	if ok {
		if cl == nil {
			return nil, ErrUnknownClient
		}
		return cl, nil
	}
	cl, err := c.loadClient(ctx, tenant, id)
	if err != nil && !errors.Is(err, ErrUnknownClient) {
		return nil, err
	}
	c.mu.Lock()
	if c.gen == gen {
		if cl != nil {
			c.clients[k] = cl
		} else if c.negatives < maxNegative {
			c.clients[k] = nil
			c.negatives++
		}
	}
	c.mu.Unlock()
	return cl, err
}

func (c *Cache) loadClient(ctx context.Context, tenant, id string) (*Client, error) {
	app, err := c.load.GetApplication(ctx, tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrUnknownClient
	}
	if err != nil {
		return nil, fmt.Errorf("grant: load application: %w", err)
	}
	secrets, err := c.load.ListSecrets(ctx, tenant, id)
	if err != nil {
		return nil, fmt.Errorf("grant: load secrets: %w", err)
	}
	grants, err := c.load.ApplicationGrants(ctx, tenant, id)
	if err != nil {
		return nil, fmt.Errorf("grant: load grants: %w", err)
	}
	orgs, err := c.load.ApplicationOrganizationGrants(ctx, tenant, id)
	if err != nil {
		return nil, fmt.Errorf("grant: load organization grants: %w", err)
	}
	cl := &Client{TenantID: tenant, ID: id, Type: app.Type, App: app, Scopes: make(map[string]map[string]struct{}, len(grants))}
	if len(orgs) > 0 {
		cl.Organizations = make(map[string]*Organization, len(orgs))
		for orgID, g := range orgs {
			o := &Organization{Scopes: g.Scopes, Resources: make(map[string]map[string]struct{}, len(g.Resources))}
			for indicator, names := range g.Resources {
				o.Resources[indicator] = nameSet(names)
			}
			cl.Organizations[orgID] = o
		}
	}
	for _, s := range secrets {
		sec := Secret{Name: s.Name, Digest: s.Digest}
		if s.ExpiresAt != nil {
			sec.ExpiresAt = *s.ExpiresAt
			if sec.ExpiresAt == 0 { // the epoch itself: long expired, not "never"
				sec.ExpiresAt = 1
			}
		}
		cl.Secrets = append(cl.Secrets, sec)
	}
	for indicator, names := range grants {
		cl.Scopes[indicator] = nameSet(names)
	}
	cl.CORSOrigins = corsOrigins(app.CustomClientMetadata)
	return cl, nil
}

func nameSet(names []string) map[string]struct{} {
	set := make(map[string]struct{}, len(names))
	for _, n := range names {
		set[n] = struct{}{}
	}
	return set
}

func corsOrigins(meta json.RawMessage) []string {
	var m struct {
		CORSAllowedOrigins []string `json:"corsAllowedOrigins"`
	}
	if len(meta) == 0 || json.Unmarshal(meta, &m) != nil {
		return nil
	}
	return m.CORSAllowedOrigins
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
	c.mu.RLock()
	rs, ok := c.resources[tenant]
	gen := c.gen
	c.mu.RUnlock()
	if ok {
		return rs, nil
	}
	list, err := c.load.ListResources(ctx, tenant)
	if err != nil {
		return nil, fmt.Errorf("grant: load resources: %w", err)
	}
	rs = &resources{byIndicator: make(map[string]*Resource, len(list))}
	for _, r := range list {
		res := &Resource{ID: r.ID, Indicator: r.Indicator, TTL: r.AccessTokenTTL}
		rs.byIndicator[r.Indicator] = res
		if r.IsDefault {
			rs.def = res
		}
	}
	c.mu.Lock()
	if c.gen == gen {
		c.resources[tenant] = rs
	}
	c.mu.Unlock()
	return rs, nil
}
