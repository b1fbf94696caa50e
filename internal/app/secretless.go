package app

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/internal/federation"
	"github.com/gatehouse/gatehouse/internal/oidc"
	"github.com/gatehouse/gatehouse/internal/store"
)

// jtiPruneEvery is how often expired private_key_jwt assertion ids are
// deleted from PostgreSQL.
const jtiPruneEvery = time.Minute

// storeJTIs records assertion ids in the database, so that an assertion
// accepted by one instance is refused by every other.
type storeJTIs struct{ st *store.Store }

// Use implements oidc.JTIs.
func (j storeJTIs) Use(ctx context.Context, tenant, clientID, jti string, expMs, nowMs int64) (bool, error) {
	return j.st.UseAssertionJTI(ctx, tenant, clientID, jti, expMs, nowMs)
}

// secretless returns what private_key_jwt and workload identity federation
// need: the key fetcher, and the assertion id record, in memory on SQLite
// (one instance; no write per request) and in the database on PostgreSQL
// (many instances), pruned there every jtiPruneEvery until ctx ends.
func (s *Server) secretless(ctx context.Context) (oidc.RemoteKeys, oidc.JTIs) {
	if s.cfg.FederationAllowInsecure {
		s.log.Warn("GATEHOUSE_FEDERATION_ALLOW_INSECURE is set: jwksUri and federated issuers may be fetched over http and from loopback and private addresses; never use it in production")
	}
	keys := federation.New(federation.Options{AllowInsecure: s.cfg.FederationAllowInsecure, Now: s.now})
	now := s.now
	if now == nil {
		now = time.Now
	}
	if s.store.Dialect() != "postgres" {
		return keys, oidc.NewMemoryJTIs(0)
	}
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		t := time.NewTicker(jtiPruneEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if _, err := s.store.DeleteExpiredAssertionJTIs(ctx, now().UnixMilli()); err != nil && ctx.Err() == nil {
				s.log.Warn("pruning assertion ids", "err", err)
			}
		}
	}()
	return keys, storeJTIs{s.store}
}
