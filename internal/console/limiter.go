package console

import (
	"sync"
	"time"
)

// Sign-in limits: failures counted per username and per client address in
// a fixed window. A username is locked sooner than an address, so that one
// guessed account is protected while a shared address (an office NAT) keeps
// some room.
const (
	limitWindow    = 15 * time.Minute
	limitPerUser   = 5
	limitPerClient = 20
	limitMaxKeys   = 10000 // beyond this, expired windows are swept
)

// limiter counts failed sign-ins. It is in memory: each instance limits on
// its own, which bounds guessing to the limit times the instances.
type limiter struct {
	mu   sync.Mutex
	now  func() time.Time
	seen map[string]*window
}

type window struct {
	start    time.Time
	failures int
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, seen: map[string]*window{}}
}

// blocked returns how long key must wait before trying again (0: it may
// try now), given max failures per window.
func (l *limiter) blocked(key string, max int) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.seen[key]
	if w == nil {
		return 0
	}
	left := limitWindow - l.now().Sub(w.start)
	if left <= 0 {
		delete(l.seen, key)
		return 0
	}
	if w.failures >= max {
		return left
	}
	return 0
}

// fail records a failure of key.
func (l *limiter) fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.seen) >= limitMaxKeys {
		for k, w := range l.seen {
			if now.Sub(w.start) >= limitWindow {
				delete(l.seen, k)
			}
		}
	}
	w := l.seen[key]
	if w == nil || now.Sub(w.start) >= limitWindow {
		if w == nil && len(l.seen) >= limitMaxKeys {
			return // full of live windows: the other key still limits
		}
		w = &window{start: now}
		l.seen[key] = w
	}
	w.failures++
}

// reset forgets key's failures (after a successful sign-in).
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.seen, key)
}
