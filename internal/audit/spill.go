package audit

import (
	"time"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// runSpool is the spool goroutine: it moves buf to the spool when the sink
// goroutine cannot take it. While the spool is in use (an outage, or a
// backlog draining) it spools buf on the same schedule as direct writes;
// otherwise only when buf is nearly full (high) while the sink goroutine
// has been writing an earlier batch for FlushInterval or longer: a stalled
// database. (A younger batch means a database that works, or a sink
// goroutine short of CPU, and Log waits for it instead.) At Close it
// spools whatever is left. It fsyncs the segment it appends to at most
// once per syncEvery, and at the end.
func (w *Writer) runSpool() {
	defer close(w.spoolExited)
	defer func() {
		if err := w.sp.closeTail(); err != nil {
			w.log.Error("audit: close the spool", "spool", w.sp.root, "err", err)
		}
	}()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		w.mu.Lock()
		n := len(w.buf)
		inUse := len(w.sp.segs) > 0 || w.outage
		urgent := w.awaited() || w.closed || n >= w.high
		due := time.Until(w.firstAt.Add(w.opts.FlushInterval))
		stopping := w.stopping
		crowded := !inUse && w.direct.active() && n >= w.high
		stall := w.directAt.Add(w.opts.FlushInterval).Sub(time.Now())
		var batch []rbac.LogEntry
		if n > 0 && (stopping || inUse && (urgent || due <= 0) || crowded && stall <= 0) {
			batch = w.take(&w.spill)
		}
		w.mu.Unlock()
		if batch != nil {
			w.spoolSpill(batch)
			continue
		}
		if stopping {
			return
		}

		wait := time.Duration(-1) // none
		switch {
		case n > 0 && inUse:
			wait = due
		case crowded:
			wait = stall
		}
		if w.sp.unsynced {
			d := time.Until(w.sp.lastSync.Add(syncEvery))
			if d <= 0 {
				if err := w.sp.syncTail(); err != nil {
					w.log.Error("audit: sync the spool", "spool", w.sp.root, "err", err)
				}
			} else if wait < 0 || d < wait {
				wait = d
			}
		}
		var tc <-chan time.Time
		if wait >= 0 {
			timer.Reset(wait)
			tc = timer.C
		}
		select {
		case <-w.wakeSpool:
		case <-w.stop:
		case <-tc:
		}
		timer.Stop()
	}
}

// spoolSpill appends batch (the span spill) to the tail segment, starting
// a new one when there is none or it is sealed.
func (w *Writer) spoolSpill(batch []rbac.LogEntry) {
	defer w.giveBack(batch)
	w.mu.Lock()
	first := w.spill.lo
	w.mu.Unlock()
	l := encode(batch, first)
	w.mu.Lock()
	k, n := w.sp.reserve(l)
	seg := w.sp.tail
	if seg != nil && seg.sealed {
		seg = nil
	}
	w.mu.Unlock()

	var err error
	fresh := seg == nil
	if k > 0 {
		if fresh {
			seg, err = w.sp.createTail(first)
		}
		if err == nil {
			err = w.sp.appendTail(l.data[:n])
		}
	}

	w.mu.Lock()
	switch {
	case k == 0:
	case err != nil:
		w.sp.size -= n
		k = 0
		switch {
		case fresh && seg != nil:
			w.sp.discardTail(seg) // never listed: nothing else knows it
		case seg != nil:
			seg.sealed = true // the file may end in a partial line: start another
		}
	default:
		if fresh {
			w.sp.tail = seg
			w.sp.insert(seg)
		}
		seg.size += n // already in sp.size: reserved above
		if seg.size >= w.sp.segLimit {
			seg.sealed = true
		}
	}
	w.spooled(&w.spill, len(batch), l, k, err)
	w.mu.Unlock()
	select {
	case w.wakeSink <- struct{}{}: // something to drain
	default:
	}
}

// spoolDirect puts entries, the rest of a direct write that failed, in a
// segment of their own: they precede everything the spool goroutine may
// have spooled meanwhile, and segment names keep that order.
func (w *Writer) spoolDirect(entries []rbac.LogEntry, first uint64) {
	l := encode(entries, first)
	w.mu.Lock()
	k, n := w.sp.reserve(l)
	w.mu.Unlock()

	var seg *segment
	var err error
	if k > 0 {
		seg, err = w.sp.writeSegment(first, l.data[:n])
	}

	w.mu.Lock()
	switch {
	case k == 0:
	case err != nil:
		w.sp.size -= n
		k = 0
	default:
		w.sp.insert(seg)
	}
	w.spooled(&w.direct, len(entries), l, k, err)
	w.mu.Unlock()
}

// spooled settles span s after its entries went to the spool: the first k
// lines of l are in it, l.bad entries could not be encoded, the rest were
// dropped because the spool was full or could not be written (err). It is
// called with mu held.
func (w *Writer) spooled(s *span, total int, l lines, k int, err error) {
	if k > 0 {
		// Everything before these entries that is not in the spool is
		// handled, as far as written() is concerned.
		if f := l.seqs[0] - 1; w.drainedHi >= w.spooledHi {
			w.drainedHi = f
		} else {
			w.drainedHi = min(w.drainedHi, f)
		}
		w.spooledHi = max(w.spooledHi, l.seqs[k-1])
	}
	dropped := total - k - l.bad
	w.stats.Spooled += uint64(k)
	w.stats.Failed += uint64(l.bad)
	w.stats.Dropped += uint64(dropped)
	w.advance(s, total, k < total)
	if l.bad > 0 {
		w.log.Error("audit: dropping entries whose payload is not JSON", "entries", l.bad)
	}
	if dropped == 0 || !w.dropLog.ok() {
		return
	}
	if err != nil {
		w.log.Error("audit: cannot write the spool; dropping audit entries", "spool", w.sp.root, "dropped_total", w.stats.Dropped, "err", err)
	} else {
		w.log.Error("audit: spool full; dropping audit entries", "spool", w.sp.root, "bytes", w.sp.size, "max", w.sp.max, "dropped_total", w.stats.Dropped)
	}
}
