package grant

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/gatehouse/gatehouse/internal/change"
	"github.com/gatehouse/gatehouse/internal/store"
)

// An M2M role's grants are held once, in a roleRef every client holding
// the role points to, not copied into each client. A change to a role's
// scopes (or to a resource or scope it grants) then reloads that one role
// in one query and swaps its data, instead of dropping every application
// holding it: with 100,000 apps sharing a role, one permission change a
// second would otherwise empty the cache every second.
type roleRef struct {
	id string
	p  atomic.Pointer[roleData]
}

// roleData is what one role grants: scopes by resource indicator, and the
// resources they belong to (for resource changes).
type roleData struct {
	grants    []ResourceScopes
	resources []string
}

func (r *roleRef) data() *roleData { return r.p.Load() }

// roleRegistry holds the roles clients point to, by id.
type roleRegistry struct {
	mu    sync.Mutex
	roles map[key]*roleRef
}

// newRoleData builds a role's data from its rows (RoleID set; Indicator
// empty for a role without scopes).
func newRoleData(rows []store.GrantRow) *roleData {
	d := &roleData{}
	byIndicator := map[string][]string{}
	for _, r := range rows {
		if r.Indicator != "" {
			d.resources = appendID(d.resources, r.ResourceID)
			byIndicator[r.Indicator] = append(byIndicator[r.Indicator], r.Scope)
		}
	}
	d.grants = resourceScopes(byIndicator)
	return d
}

// link returns the shared refs of the roles in rows, creating those the
// registry does not hold yet with the data the rows give. It reports false
// when a change after seq touched one of the roles to create: the rows may
// be stale, and the caller must not keep what it built from them.
func (c *Cache) link(tenant string, rows []store.GrantRow, seq uint64) ([]*roleRef, bool) {
	if len(rows) == 0 {
		return nil, true
	}
	byRole := map[string][]store.GrantRow{}
	var order []string
	for _, r := range rows {
		if _, ok := byRole[r.RoleID]; !ok {
			order = append(order, r.RoleID)
		}
		byRole[r.RoleID] = append(byRole[r.RoleID], r)
	}
	refs := make([]*roleRef, 0, len(order))
	reg := &c.roleReg
	reg.mu.Lock()
	defer reg.mu.Unlock()
	for _, id := range order {
		k := key{tenant, id}
		ref := reg.roles[k]
		if ref == nil {
			d := newRoleData(byRole[id])
			if c.events.since(seq, func(s change.Set) bool { return roleTouched(s, id, d) }) {
				return nil, false
			}
			ref = &roleRef{id: intern(id)}
			ref.p.Store(d)
			reg.roles[k] = ref
		}
		refs = append(refs, ref)
	}
	return refs, true
}

// roleTouched reports whether s changes what role id (holding d) grants.
func roleTouched(s change.Set, id string, d *roleData) bool {
	return s.All || slices.Contains(s.Roles, id) || intersects(d.resources, s.Resources)
}

// reloadRoles reloads, after change s, every registered role it touches.
// A role that cannot be reloaded is dropped from the registry, and the
// clients holding it with it (they are then loaded anew). The registry
// lock is not held during the queries: a concurrent link of a touched role
// fails its own check against the event log, which s is already in.
func (c *Cache) reloadRoles(s change.Set) {
	reg := &c.roleReg
	reg.mu.Lock()
	var touched []*roleRef
	var tenants []string
	for k, ref := range reg.roles {
		if roleTouched(s, ref.id, ref.data()) {
			touched = append(touched, ref)
			tenants = append(tenants, k.tenant)
		}
	}
	reg.mu.Unlock()
	var failed []string
	for i, ref := range touched {
		ctx, cancel := context.WithTimeout(context.Background(), c.opt.LoadTimeout)
		rows, err := c.load.RoleGrants(ctx, tenants[i], ref.id)
		cancel()
		if err != nil {
			c.loadErrors.Add(1)
			c.opt.Logger.Warn("grant cache: reload a role; dropping the apps holding it", "role", ref.id, "err", fmt.Errorf("grant: %w", err))
			reg.mu.Lock()
			delete(reg.roles, key{tenants[i], ref.id})
			reg.mu.Unlock()
			failed = append(failed, ref.id)
			continue
		}
		ref.p.Store(newRoleData(rows))
	}
	if len(failed) > 0 {
		c.dropHolding(failed)
	}
}

// dropHolding drops every client holding one of roles.
func (c *Cache) dropHolding(roles []string) {
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		for k, e := range sh.pos.m {
			for _, r := range e.c.roles {
				if slices.Contains(roles, r.id) {
					c.removeLocked(sh, k)
					c.markPendingLocked(sh, k)
					break
				}
			}
		}
		clear(sh.flights)
		sh.mu.Unlock()
	}
}
