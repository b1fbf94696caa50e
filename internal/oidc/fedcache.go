package oidc

import (
	"crypto/sha256"
	"sync"
)

// verifiedCache remembers, for a short while, that a federated workload
// token was verified with the keys of a source: a platform token is sent
// again and again for its whole life (the kubelet refreshes a projected
// token at 80 % of it), and its signature check is most of a request's
// cost. Matching against the application's credentials still runs on
// every request, so a deleted credential stops working at once. An entry
// lives at most verifiedFor and never past the token's exp: a key removed
// from the issuer's JWKS stops verifying new requests no later than the
// cached key set itself would (see package federation).
type verifiedCache struct {
	mu      sync.Mutex
	entries map[[sha256.Size]byte]verifiedEntry
}

type verifiedEntry struct {
	claims *claimSet
	until  int64 // epoch seconds
}

const (
	verifiedFor        = 60 // seconds
	maxVerifiedEntries = 10_000
)

func newVerifiedCache() *verifiedCache {
	return &verifiedCache{entries: map[[sha256.Size]byte]verifiedEntry{}}
}

func verifiedKey(source, token string) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(source))
	h.Write([]byte{0})
	h.Write([]byte(token))
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// get returns the claims of a token verified with source's keys, or nil.
func (c *verifiedCache) get(k [sha256.Size]byte, nowSec int64) *claimSet {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok || e.until <= nowSec {
		return nil
	}
	return e.claims
}

// put records a verified token until min(exp, now + verifiedFor).
func (c *verifiedCache) put(k [sha256.Size]byte, cl *claimSet, nowSec int64) {
	until := nowSec + verifiedFor
	if cl.Expiry == nil {
		return
	}
	if exp := int64(*cl.Expiry); exp < until {
		until = exp
	}
	if until <= nowSec {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxVerifiedEntries {
		for key, e := range c.entries {
			if e.until <= nowSec {
				delete(c.entries, key)
			}
		}
		if len(c.entries) >= maxVerifiedEntries {
			clear(c.entries) // a flood of distinct valid tokens: start over
		}
	}
	c.entries[k] = verifiedEntry{claims: cl, until: until}
}
