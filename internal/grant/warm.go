package grant

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// Run warms the cache and warms it again whenever a change drops
// everything or Resync asks, until ctx ends. A failed pass is retried with
// backoff while the cache keeps serving what it holds.
func (c *Cache) Run(ctx context.Context) {
	if c.warmEnd.Load() == 0 { // not warmed yet (see Warm)
		c.requestWarm()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.warmReq:
		}
		backoff := 250 * time.Millisecond
		for {
			err := c.Warm(ctx)
			if err == nil || ctx.Err() != nil {
				break
			}
			c.opt.Logger.Warn("grant cache: warm pass failed; retrying", "err", err, "in", backoff.String())
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 10*time.Second)
		}
	}
}

// requestBulkWarm asks for a warm pass to read many changed ids at once,
// unless the last pass ended less than five of its durations ago: during a
// bulk import of 100,000 apps, a pass every few seconds would read the
// whole table again and again, while requests load the new apps one by one
// meanwhile anyway.
func (c *Cache) requestBulkWarm() {
	if end := c.warmEnd.Load(); end != 0 && c.opt.Now().UnixNano()-end < 5*c.warmDur.Load() {
		return
	}
	c.requestWarm()
}

func (c *Cache) requestWarm() {
	select {
	case c.warmReq <- struct{}{}:
	default: // one is already asked for; it will see this change too
	}
}

// Warm loads every application of the tenant (up to Size) in pages of one
// query each, replacing what the cache holds, and drops cached clients
// whose application no longer exists. When it read them all without
// evicting any, the cache is complete; when no Unsynced came during the
// pass, it is in sync again.
func (c *Cache) Warm(ctx context.Context) error {
	start := c.opt.Now()
	gen := c.syncGen.Load()
	epoch := c.epoch.Add(1)
	breaks := c.breaks.Load()
	tenant := c.opt.Tenant
	after, n, full := "", 0, false
	var batch []*Client
	for {
		seq := c.events.last()
		pctx, cancel := context.WithTimeout(ctx, 10*c.opt.LoadTimeout)
		ids, err := c.load.ApplicationIDs(pctx, tenant, after, min(warmPage, c.opt.Size-n))
		if err == nil && len(ids) > 0 {
			batch = batch[:0]
			err = c.load.LoadGrants(pctx, tenant, ids[0], ids[len(ids)-1], func(g *store.AppGrants) error {
				if cl, ok := c.newClient(tenant, g, seq); ok {
					batch = append(batch, cl)
				}
				return nil
			})
		}
		cancel()
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			break
		}
		for _, cl := range batch {
			k := key{tenant, cl.ID}
			sh := c.shard(cl.ID)
			sh.mu.Lock()
			if !c.events.changedSince(seq, k, cl) {
				c.fillLocked(sh, k, cl, epoch)
			}
			sh.mu.Unlock()
		}
		n += len(ids)
		after = ids[len(ids)-1]
		if n >= c.opt.Size {
			full = true
			break
		}
	}
	if !full {
		// Whatever the pass did not refill is an application deleted
		// before its page was read: drop it, and read it again if asked.
		for i := range c.shards {
			sh := &c.shards[i]
			sh.mu.Lock()
			for k, e := range sh.pos.m {
				if k.tenant == tenant && e.epoch < epoch {
					c.removeLocked(sh, k)
					c.markPendingLocked(sh, k)
				}
			}
			sh.mu.Unlock()
		}
	}
	c.compMu.Lock()
	c.complete.Store(!full && c.breaks.Load() == breaks)
	c.compMu.Unlock()
	if c.syncGen.Load() == gen {
		c.unsyncedSince.Store(0)
	}
	c.warmApps.Store(int64(n))
	c.warmDur.Store(int64(c.opt.Now().Sub(start)))
	c.warmEnd.Store(c.opt.Now().UnixNano())
	c.opt.Logger.Info("grant cache warmed", "apps", n, "complete", c.complete.Load(),
		"took", c.opt.Now().Sub(start).Round(time.Millisecond).String())
	return nil
}
