package console

import (
	"sync"
	"time"
)

// Sign-in limits, per 15-minute window. An attempt is counted before its
// password is checked (a reservation, given back when it succeeds), so
// concurrent attempts cannot pass the limit. A guesser at one address is
// stopped per (username, address) and per address; the administrator,
// signing in from elsewhere, is not locked out by it. The per-username
// limit is a slower backstop against guessing from many addresses.
const (
	limitWindow    = 15 * time.Minute
	limitPerPair   = 5     // failures of one username from one address
	limitPerClient = 20    // failures from one address, any username
	limitPerUser   = 100   // failures of one username, any address
	limitMaxKeys   = 10000 // beyond this, expired windows are swept
)

// limiter counts sign-in attempts that did not succeed. It is in memory:
// each instance limits on its own, which bounds guessing to the limit
// times the instances.
type limiter struct {
	mu   sync.Mutex
	now  func() time.Time
	seen map[string]*window
}

type window struct {
	start    time.Time
	failures int
}

// rule is one counter and its limit.
type rule struct {
	key string
	max int
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, seen: map[string]*window{}}
}

// reserve counts one attempt against every rule, or none when any of them
// is at its limit; then it returns how long to wait before trying again.
// A reservation that ends in success is given back with refund.
func (l *limiter) reserve(rules ...rule) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var wait time.Duration
	for _, r := range rules {
		w := l.live(r.key, now)
		if w != nil && w.failures >= r.max {
			wait = max(wait, limitWindow-now.Sub(w.start))
		}
	}
	if wait > 0 {
		return wait
	}
	if len(l.seen)+len(rules) > limitMaxKeys {
		for k, w := range l.seen {
			if now.Sub(w.start) >= limitWindow {
				delete(l.seen, k)
			}
		}
	}
	for _, r := range rules {
		w := l.live(r.key, now)
		if w == nil {
			if len(l.seen) >= limitMaxKeys {
				continue // full of live windows: the other rules still limit
			}
			w = &window{start: now}
			l.seen[r.key] = w
		}
		w.failures++
	}
	return 0
}

// live returns key's window when it has not expired.
func (l *limiter) live(key string, now time.Time) *window {
	w := l.seen[key]
	if w != nil && now.Sub(w.start) >= limitWindow {
		delete(l.seen, key)
		return nil
	}
	return w
}

// refund gives back a reservation that did not fail; after a success the
// pair's earlier failures are forgotten too (pair is "" otherwise).
func (l *limiter) refund(pair string, rules ...rule) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range rules {
		if w := l.seen[r.key]; w != nil && w.failures > 0 {
			w.failures--
		}
	}
	if pair != "" {
		delete(l.seen, pair)
	}
}
