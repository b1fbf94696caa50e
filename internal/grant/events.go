package grant

import (
	"slices"
	"sync"

	"github.com/gatehouse/gatehouse/internal/change"
)

// eventLog numbers the changes applied to the cache and keeps the recent
// ones, so that a load can tell, before it stores its result, whether a
// change it may not have seen touched what it loaded. This is what makes
// targeted invalidation safe: a change names roles or resources, not the
// applications a concurrent load of an uncached application is reading.
type eventLog struct {
	mu    sync.Mutex
	seq   uint64 // the last change's number
	floor uint64 // changes up to floor are no longer kept
	items []logged
}

type logged struct {
	seq uint64
	set change.Set
}

// maxLogged bounds the log. A load that began more than maxLogged changes
// ago discards its result (it is reloaded on the next request).
const maxLogged = 1024

func (l *eventLog) last() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seq
}

func (l *eventLog) add(s change.Set) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	if len(l.items) == maxLogged {
		l.floor = l.items[0].seq
		l.items = append(l.items[:0], l.items[1:]...)
	}
	l.items = append(l.items, logged{seq: l.seq, set: s})
}

// since calls fn for every change after seq, until fn returns true; it
// reports true as well when changes after seq are no longer kept.
func (l *eventLog) since(seq uint64, fn func(change.Set) bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if seq == l.seq {
		return false
	}
	if seq < l.floor {
		return true
	}
	i, _ := slices.BinarySearchFunc(l.items, seq+1, func(e logged, s uint64) int { return int(e.seq) - int(s) })
	for _, e := range l.items[i:] {
		if fn(e.set) {
			return true
		}
	}
	return false
}

// changedSince reports whether a change after seq touched application k
// (loaded as cl; nil when it was found not to exist): its own entry, or
// one of its roles (conservatively: a role's shared data is reloaded by
// Apply, but a load racing a failed reload must not keep the old ref).
func (l *eventLog) changedSince(seq uint64, k key, cl *Client) bool {
	return l.since(seq, func(s change.Set) bool {
		if affects(s, k, cl) {
			return true
		}
		if cl != nil {
			for _, r := range cl.roles {
				if roleTouched(s, r.id, r.data()) {
					return true
				}
			}
		}
		return false
	})
}

// resourcesChangedSince reports whether a change after seq touched the
// resource list.
func (l *eventLog) resourcesChangedSince(seq uint64) bool {
	return l.since(seq, func(s change.Set) bool { return s.All || len(s.Resources) > 0 })
}

// affects reports whether s changes what the entry of application k
// (cached as cl, nil for an id known not to exist) holds itself; changes
// to its M2M roles change the shared role data instead (roles.go).
func affects(s change.Set, k key, cl *Client) bool {
	if s.All || slices.Contains(s.Apps, k.id) {
		return true
	}
	if cl == nil {
		return false
	}
	if s.OrganizationTemplate && len(cl.orgs) > 0 {
		return true
	}
	for _, o := range cl.orgs {
		if slices.Contains(s.Organizations, o.ID) {
			return true
		}
	}
	return intersects(cl.resources, s.Resources) || intersects(cl.orgRoles, s.OrganizationRoles)
}

func intersects(a, b []string) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	for _, v := range a {
		if slices.Contains(b, v) {
			return true
		}
	}
	return false
}

// Apply drops what s changed: the applications it names, the applications
// holding the roles, resources, organizations or organization roles it
// names (found by scanning the cached clients), and the resource list when
// it names resources. All drops everything and asks Run for a new warm
// pass. A request after Apply returns sees the change.
func (c *Cache) Apply(s change.Set) {
	if !s.Grants() {
		return
	}
	c.events.add(s)
	c.invalidations.Add(1)
	if s.All || len(s.Resources) > 0 {
		c.resMu.Lock()
		clear(c.resources)
		c.resMu.Unlock()
	}
	if s.All {
		c.roleReg.mu.Lock()
		clear(c.roleReg.roles)
		c.roleReg.mu.Unlock()
		c.incomplete()
		for i := range c.shards {
			sh := &c.shards[i]
			sh.mu.Lock()
			c.count.Add(-int64(len(sh.pos.m)))
			sh.pos.clear()
			sh.neg.clear()
			clear(sh.pending)
			clear(sh.flights) // waiters keep their flight; new requests load anew
			sh.mu.Unlock()
		}
		c.requestWarm()
		return
	}
	for _, id := range s.Apps {
		sh := c.shard(id)
		sh.mu.Lock()
		for k := range sh.flights {
			if k.id == id {
				delete(sh.flights, k)
			}
		}
		k := key{c.opt.Tenant, id}
		c.removeLocked(sh, k)
		sh.neg.remove(k)
		c.markPendingLocked(sh, k)
		if c.otherTenants.Load() {
			c.dropOtherTenantsLocked(sh, id)
		}
		sh.mu.Unlock()
	}
	if len(s.Roles) > 0 || len(s.Resources) > 0 {
		c.reloadRoles(s)
	}
	if len(s.Resources)+len(s.Organizations)+len(s.OrganizationRoles) == 0 && !s.OrganizationTemplate {
		return
	}
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		for k, e := range sh.pos.m {
			if affects(s, k, e.c) {
				c.removeLocked(sh, k)
				c.markPendingLocked(sh, k)
			}
		}
		clear(sh.flights)
		sh.mu.Unlock()
	}
}

// markPendingLocked records that k must be read from the store on its next
// request, even in a complete cache. sh.mu is held.
func (c *Cache) markPendingLocked(sh *shard, k key) {
	if len(sh.pending) >= maxPending/len(c.shards)+1 {
		c.incomplete()
		c.requestBulkWarm()
		return
	}
	sh.pending[k] = struct{}{}
	// Many changed ids (a bulk import, apps created by automation) are
	// read faster by one warm pass, 1,000 per query, than one by one as
	// they are asked for.
	if len(sh.pending) == warmAfterPending/len(c.shards)+1 {
		c.requestBulkWarm()
	}
}

// warmAfterPending is how many ids named by changes and not yet reloaded
// start a warm pass (about that many, spread over the shards).
const warmAfterPending = 2048

// Unsynced records that changes may be missed from now on: the change
// listener lost its connection. Cached grants keep serving for StaleMax,
// then are refused until Resync completes.
func (c *Cache) Unsynced() {
	c.syncGen.Add(1)
	c.unsyncedSince.CompareAndSwap(0, c.opt.Now().UnixNano())
}

// Resync reloads every application in the background after changes may
// have been missed (the change listener reconnected), serving the cached
// grants meanwhile; the cache is in sync again once the pass completes.
func (c *Cache) Resync() { c.requestWarm() }

// Synced reports whether the cache sees every change.
func (c *Cache) Synced() bool { return c.unsyncedSince.Load() == 0 }

// dropOtherTenantsLocked drops id in tenants other than the warmed one
// (only tests and future multi-tenant setups have those).
func (c *Cache) dropOtherTenantsLocked(sh *shard, id string) {
	for k := range sh.pos.m {
		if k.id == id {
			c.removeLocked(sh, k)
		}
	}
	for k := range sh.neg.m {
		if k.id == id {
			sh.neg.remove(k)
		}
	}
}
