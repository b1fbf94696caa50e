package revoke

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// Store is the persistence the list needs (*store.Store has it).
type Store interface {
	RevokeToken(ctx context.Context, t store.RevokedToken, announce string) error
	ListRevokedTokens(ctx context.Context, nowMs int64) ([]store.RevokedToken, error)
	DeleteExpiredRevokedTokens(ctx context.Context, nowMs int64) (int64, error)
}

// Config holds a List's dependencies.
type Config struct {
	Store Store
	// Announcement, when not empty, is the notification stored with each
	// new revocation, in its transaction, telling the other instances to
	// Load (see store.Store.RevokeToken).
	Announcement string
	Now          func() time.Time // time.Now when nil
}

// pruneEvery bounds how often Revoke drops expired entries from memory and
// the store; Load always does.
const pruneEvery = time.Minute

// List is the denylist. It is safe for concurrent use.
type List struct {
	st       Store
	announce string
	now      func() time.Time

	mu        sync.RWMutex
	jtis      map[string]int64 // jti → the token's exp, epoch ms
	lastPrune time.Time
}

// New returns an empty list; call Load to fill it from the store.
func New(cfg Config) *List {
	l := &List{st: cfg.Store, announce: cfg.Announcement, now: cfg.Now, jtis: map[string]int64{}}
	if l.now == nil {
		l.now = time.Now
	}
	return l
}

// Revoked reports whether the token with this jti was revoked. It does no
// I/O. An empty jti is never revoked.
func (l *List) Revoked(jti string) bool {
	if jti == "" {
		return false
	}
	l.mu.RLock()
	_, ok := l.jtis[jti]
	l.mu.RUnlock()
	return ok
}

// Len is the number of entries held in memory (expired ones included until
// the next prune).
func (l *List) Len() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.jtis)
}

// Revoke records the token t names (its jti, tenant, client and exp) until
// its exp: in the store first, with the notification that tells the other
// instances, so that nothing is honoured here that other instances and a
// restart would not see, then in memory. A token already past its exp needs no entry and is
// not recorded. Revoking twice is harmless.
func (l *List) Revoke(ctx context.Context, t store.RevokedToken) error {
	now := l.now()
	if t.JTI == "" {
		return fmt.Errorf("revoke: token without jti")
	}
	if t.ExpiresAt <= now.UnixMilli() {
		return nil
	}
	if l.Revoked(t.JTI) {
		return nil
	}
	t.CreatedAt = now.UnixMilli()
	if err := l.st.RevokeToken(ctx, t, l.announce); err != nil {
		return fmt.Errorf("revoke: %w", err)
	}
	l.mu.Lock()
	l.jtis[t.JTI] = t.ExpiresAt
	due := now.Sub(l.lastPrune) >= pruneEvery
	if due {
		l.pruneLocked(now)
	}
	l.mu.Unlock()
	if due {
		// The entry is stored; failing to prune old ones only delays it.
		l.st.DeleteExpiredRevokedTokens(ctx, now.UnixMilli())
	}
	return nil
}

// Load merges the store's unexpired entries into the list and prunes
// expired ones from both. It runs at start and whenever another instance
// announces a revocation (or the change listener reconnected).
func (l *List) Load(ctx context.Context) error {
	now := l.now()
	if _, err := l.st.DeleteExpiredRevokedTokens(ctx, now.UnixMilli()); err != nil {
		return fmt.Errorf("revoke: prune: %w", err)
	}
	rows, err := l.st.ListRevokedTokens(ctx, now.UnixMilli())
	if err != nil {
		return fmt.Errorf("revoke: load: %w", err)
	}
	l.mu.Lock()
	for _, t := range rows {
		l.jtis[t.JTI] = t.ExpiresAt
	}
	l.pruneLocked(now)
	l.mu.Unlock()
	return nil
}

func (l *List) pruneLocked(now time.Time) {
	ms := now.UnixMilli()
	for jti, exp := range l.jtis {
		if exp <= ms {
			delete(l.jtis, jti)
		}
	}
	l.lastPrune = now
}
