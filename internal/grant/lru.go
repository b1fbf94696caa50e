package grant

import "sync/atomic"

// key names one application of one tenant.
type key struct{ tenant, id string }

// entry is one cached answer: a client, or (in a negative list) the
// knowledge that the id does not exist.
type entry struct {
	key        key
	c          *Client
	epoch      uint64      // the warm pass that last loaded it (see Cache.warm)
	used       atomic.Bool // asked for since it last reached the tail (see get)
	prev, next *entry
}

// lru is a map with an approximate least-recently-used order (CLOCK, "second
// chance") and an optional size bound. A hit only sets the entry's used
// flag, under its shard's read lock: moving it to the front on every hit
// would make every token request write to three entries' memory under an
// exclusive lock, which measurably slowed 100,000 apps requested uniformly
// against one hot app. Eviction moves used entries from the tail to the
// front, clearing the flag, and evicts the first unused one: an entry asked
// for since it last came up is never evicted before one that was not.
// Methods other than get need the shard's write lock.
type lru struct {
	m    map[key]*entry
	head *entry // sentinel: head.next is the most recently used
	cap  int
}

func newLRU(capacity int) lru {
	l := lru{m: map[key]*entry{}, cap: capacity, head: &entry{}}
	l.head.next, l.head.prev = l.head, l.head
	return l
}

// get returns the entry of k, marking it used. The shard's read lock is
// enough.
func (l *lru) get(k key) *entry {
	e := l.m[k]
	if e != nil && !e.used.Load() {
		e.used.Store(true)
	}
	return e
}

// put stores e (replacing any entry of its key) and returns the entry it
// evicted to stay within the bound (cap 0: none), if any.
func (l *lru) put(e *entry) (evicted *entry) {
	if old := l.m[e.key]; old != nil {
		l.unlink(old)
	} else if l.cap > 0 && len(l.m) >= l.cap {
		evicted = l.evictOldest()
	}
	l.m[e.key] = e
	l.pushFront(e)
	return evicted
}

// evictOldest removes the least recently used entry (in CLOCK's sense),
// if any.
func (l *lru) evictOldest() *entry {
	for {
		e := l.head.prev
		if e == l.head {
			return nil
		}
		l.unlink(e)
		if e.used.Load() {
			e.used.Store(false)
			l.pushFront(e)
			continue
		}
		delete(l.m, e.key)
		return e
	}
}

func (l *lru) remove(k key) *entry {
	e := l.m[k]
	if e != nil {
		l.unlink(e)
		delete(l.m, k)
	}
	return e
}

func (l *lru) clear() {
	clear(l.m)
	l.head.next, l.head.prev = l.head, l.head
}

func (l *lru) unlink(e *entry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (l *lru) pushFront(e *entry) {
	e.prev, e.next = l.head, l.head.next
	l.head.next.prev = e
	l.head.next = e
}
