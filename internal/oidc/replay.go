package oidc

import (
	"context"
	"sync"
)

// MemoryJTIs is the in-memory [JTIs] of a single instance (SQLite, where
// there is only one): a map pruned of expired entries as it grows, so a
// private_key_jwt request writes nothing to the database. It holds at most
// maxEntries unexpired ids; beyond that new assertions are refused until
// some expire (only clients whose signature verified can add entries).
type MemoryJTIs struct {
	mu         sync.Mutex
	seen       map[string]int64 // tenant, client id, jti → expiry (epoch ms)
	maxEntries int
	nextPrune  int
}

// NewMemoryJTIs returns an empty MemoryJTIs holding at most maxEntries
// ids (1,000,000 when 0 or less).
func NewMemoryJTIs(maxEntries int) *MemoryJTIs {
	if maxEntries <= 0 {
		maxEntries = 1_000_000
	}
	return &MemoryJTIs{seen: map[string]int64{}, maxEntries: maxEntries, nextPrune: 1024}
}

// Use implements [JTIs].
func (m *MemoryJTIs) Use(_ context.Context, tenant, clientID, jti string, expMs, nowMs int64) (bool, error) {
	k := tenant + "\x00" + clientID + "\x00" + jti
	m.mu.Lock()
	defer m.mu.Unlock()
	if exp, ok := m.seen[k]; ok && exp > nowMs {
		return false, nil
	}
	if len(m.seen) >= m.nextPrune {
		for key, exp := range m.seen {
			if exp <= nowMs {
				delete(m.seen, key)
			}
		}
		m.nextPrune = max(1024, 2*len(m.seen))
		if len(m.seen) >= m.maxEntries {
			return false, nil
		}
	}
	m.seen[k] = expMs
	return true, nil
}
