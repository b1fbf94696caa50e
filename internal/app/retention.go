package app

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// Audit log retention: old entries go in batches small enough not to hold
// the database (SQLite has one writer) for long, every pruneEvery.
const (
	pruneBatch = 5000
	pruneEvery = 10 * time.Minute
)

// pruneAudit deletes the audit entries older than the retention, batch by
// batch, and returns how many went.
func (s *Server) pruneAudit(ctx context.Context) (int64, error) {
	before := s.now().Add(-s.cfg.AuditRetention).UnixMilli()
	var total int64
	for ctx.Err() == nil {
		n, err := s.store.DeleteLogsBefore(ctx, rbac.DefaultTenant, before, pruneBatch)
		total += n
		if err != nil || n < pruneBatch {
			return total, err
		}
	}
	return total, ctx.Err()
}

// startRetention prunes the audit log at start and every pruneEvery when a
// retention is set, until ctx ends.
func (s *Server) startRetention(ctx context.Context) {
	if s.cfg.AuditRetention <= 0 {
		return
	}
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		t := time.NewTicker(pruneEvery)
		defer t.Stop()
		for {
			if n, err := s.pruneAudit(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("audit log retention", "err", err)
			} else if n > 0 {
				s.log.Info("audit log retention: old entries deleted", "entries", n, "retention", s.cfg.AuditRetention.String())
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}
