package grant

// key names one application of one tenant.
type key struct{ tenant, id string }

// entry is one cached answer: a client, or (in a negative list) the
// knowledge that the id does not exist.
type entry struct {
	key        key
	c          *Client
	epoch      uint64 // the warm pass that last loaded it (see Cache.warm)
	prev, next *entry
}

// lru is a map with a least-recently-used order and a size bound. It is not
// safe for concurrent use: its shard's lock guards it.
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

// get returns the entry of k, marking it used.
func (l *lru) get(k key) *entry {
	e := l.m[k]
	if e != nil && l.head.next != e {
		l.unlink(e)
		l.pushFront(e)
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

// evictOldest removes the least recently used entry, if any.
func (l *lru) evictOldest() *entry {
	e := l.head.prev
	if e == l.head {
		return nil
	}
	l.unlink(e)
	delete(l.m, e.key)
	return e
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
