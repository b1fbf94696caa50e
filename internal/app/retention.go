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

// summarizeEvery is how often the audit log's application index is brought
// up to date on PostgreSQL (see store.Store.SummarizeLogs): a filter on an
// application reads the entries of the last summarizeEvery whole, about
// 50,000 rows at 10,000 tokens/s.
const summarizeEvery = 5 * time.Second

// startLogSummaries runs store.Store.SummarizeLogs every summarizeEvery on
// PostgreSQL until ctx ends. A failure is logged once, and again only after
// a success: the next run catches up on everything.
func (s *Server) startLogSummaries(ctx context.Context) {
	if s.store.Dialect() != "postgres" {
		return
	}
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		t := time.NewTicker(summarizeEvery)
		defer t.Stop()
		failing := false
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			_, err := s.store.SummarizeLogs(ctx)
			switch {
			case err != nil && ctx.Err() == nil && !failing:
				s.log.Warn("audit log: summarize the application index; filters on an application read the newest entries whole until it works", "err", err)
				failing = true
			case err == nil && failing:
				s.log.Info("audit log: the application index is summarized again")
				failing = false
			}
		}
	}()
}
