package audit

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// While the database does not answer Ping the sink goroutine probes it
// again after probeMin, doubling up to probeMax. A batch at the head of the
// spool that the Sink refuses maxAttempts times in a row while Ping
// succeeds is retried one entry at a time, and an entry refused
// maxAttempts times alone is dropped (Stats.Failed). Ping gets at most
// pingTimeout: a database that does not answer that soon is taken for
// down, so that Flush stops waiting for it.
const (
	probeMin    = 250 * time.Millisecond
	probeMax    = 5 * time.Second
	maxAttempts = 3
	pingTimeout = 2 * time.Second
	logEvery    = time.Minute // repeated log lines (still down, dropping) at most this often
)

// runSink is the sink goroutine. While the spool is empty and the last
// write succeeded it writes buf directly: when it holds MaxBatch entries,
// when its oldest entry has waited FlushInterval, or at once when a Flush
// or Close waits. Otherwise it drains the spool, oldest entry first, and
// new entries queue behind the spool so that the log keeps its order.
func (w *Writer) runSink() {
	defer close(w.sinkExited)
	defer w.sp.closeReader()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		w.mu.Lock()
		if w.stopping {
			w.mu.Unlock()
			return
		}
		// While the spool goroutine holds entries they will be in
		// the spool, ahead of anything in buf.
		if len(w.sp.segs) > 0 || w.outage || w.spill.active() {
			w.mu.Unlock()
			w.drainStep()
			continue
		}
		n := len(w.buf)
		urgent := n >= w.opts.MaxBatch || w.awaited() || w.closed
		wait := time.Until(w.firstAt.Add(w.opts.FlushInterval))
		var batch []rbac.LogEntry
		if n > 0 && (urgent || wait <= 0) {
			batch = w.take(&w.direct)
		}
		w.mu.Unlock()

		switch {
		case batch != nil:
			w.writeDirect(batch)
		case n == 0:
			w.sleep(nil)
		default:
			timer.Reset(wait)
			w.sleep(timer.C)
			timer.Stop()
		}
	}
}

// sleep waits for a wake-up, Close, or t.
func (w *Writer) sleep(t <-chan time.Time) {
	select {
	case <-w.wakeSink:
	case <-w.stop:
	case <-t:
	}
}

// writeDirect writes batch in MaxBatch chunks. When a chunk fails, the
// rest of the batch, that chunk included, goes to the spool, and the
// writer drains from there once the Sink works again.
func (w *Writer) writeDirect(batch []rbac.LogEntry) {
	defer w.giveBack(batch)
	for rest := batch; len(rest) > 0; {
		chunk := rest[:min(len(rest), w.opts.MaxBatch)]
		if err := w.insert(chunk); err != nil {
			w.mu.Lock()
			w.outage = true // the spool goroutine spools new entries from now on
			lo := w.direct.lo
			w.mu.Unlock()
			w.signal()
			if w.ctx.Err() == nil && w.failLog.ok() {
				w.log.Warn("audit: write failed; entries go to the spool until the database takes them", "entries", len(rest), "spool", w.sp.root, "err", err)
			}
			w.spoolDirect(rest, lo) // then drainStep pings at once to tell an outage from a refusal
			return
		}
		w.mu.Lock()
		w.stats.Written += uint64(len(chunk))
		w.advance(&w.direct, len(chunk), false)
		w.mu.Unlock()
		rest = rest[len(chunk):]
	}
}

// drainStep moves the spool one step towards the Sink: it probes the
// database after a failure, writes the next batch of the oldest segment
// and records how far that segment is drained, or deletes a segment that
// is drained.
func (w *Writer) drainStep() {
	if !w.waitRetry() {
		return
	}
	w.mu.Lock()
	outage := w.outage
	w.mu.Unlock()
	if outage {
		if err := w.ping(); err != nil {
			if w.ctx.Err() == nil {
				w.unreachable(err)
			}
			return
		}
		w.mu.Lock()
		w.outage, w.down = false, false
		bytes := w.sp.size
		w.mu.Unlock()
		w.backoff = 0
		if w.logged {
			w.logged = false
			w.log.Info("audit: database reachable again; draining the spool", "spool", w.sp.root, "bytes", bytes)
		}
	}

	w.mu.Lock()
	if len(w.sp.segs) == 0 {
		spilling := w.spill.active()
		w.mu.Unlock()
		if spilling {
			w.sleep(nil) // until those entries are in the spool
		}
		return // back to direct writes, unless a segment came
	}
	seg := w.sp.segs[0]
	off, size, sealed := seg.drained, seg.size, seg.sealed
	if off >= size {
		// Drained. The spool goroutine may still be appending to it:
		// wait for that, then seal it so that it starts a new one.
		if !sealed && w.spill.active() {
			w.mu.Unlock()
			w.sleep(nil)
			return
		}
		last := w.removeSegment(seg)
		empty := len(w.sp.segs) == 0
		drained := w.stats.Drained
		w.mu.Unlock()
		if err := w.sp.deleteSegment(seg, last); err != nil {
			w.log.Error("audit: cannot delete a drained spool segment", "segment", seg.path(), "err", err)
		}
		if empty && w.drainLog.ok() {
			w.log.Info("audit: spool drained", "spool", w.sp.root, "drained_total", drained)
		}
		return
	}
	w.mu.Unlock()

	limit := w.opts.MaxBatch
	if w.single > 0 {
		limit = 1
	}
	entries, seqs, next, skipped, err := w.sp.read(seg, off, size, sealed, limit)
	if err != nil {
		w.log.Error("audit: cannot read a spool segment; its entries are lost", "segment", seg.path(), "err", err)
		w.mu.Lock()
		last := w.removeSegment(seg)
		w.mu.Unlock()
		w.sp.deleteSegment(seg, last)
		return
	}
	if len(entries) == 0 && skipped == 0 {
		w.sleep(nil) // an incomplete line at the end of the live segment; cannot happen
		return
	}
	if len(entries) > 0 {
		err = w.insert(entries)
	}
	if err == nil {
		w.commit(seg, next, entries, seqs, skipped, false)
		w.attempts, w.backoff = 0, 0
		w.single = max(0, w.single-len(entries))
		return
	}
	if w.ctx.Err() != nil {
		return // Close: the entries stay in the spool
	}
	if perr := w.ping(); perr != nil {
		if w.ctx.Err() == nil {
			w.unreachable(err)
		}
		return
	}
	// The database answers but refused the batch.
	w.attempts++
	switch {
	case w.attempts < maxAttempts:
		w.log.Warn("audit: the database refused spooled entries; retrying", "entries", len(entries), "attempt", w.attempts, "err", err)
		// Not an outage: a short wait, growing with the attempts, and
		// the outage backoff is left alone.
		w.retryAt = time.Now().Add(time.Duration(w.attempts) * probeMin)
	case len(entries) > 1:
		w.log.Warn("audit: the database keeps refusing a batch of spooled entries; retrying them one at a time", "entries", len(entries), "err", err)
		w.attempts, w.single = 0, len(entries)
	default:
		w.log.Error("audit: the database refused a spooled entry; dropping it", "attempts", w.attempts, "err", err)
		w.commit(seg, next, entries, seqs, skipped, true)
		w.attempts = 0
		w.single = max(0, w.single-1)
	}
}

// commit records that seg is drained up to next: entries (numbered seqs)
// were accepted, or refused and dropped, and skipped lines were
// unreadable.
func (w *Writer) commit(seg *segment, next int64, entries []rbac.LogEntry, seqs []uint64, skipped int, refused bool) {
	n := uint64(len(entries))
	w.mu.Lock()
	seg.drained = next
	w.down = false
	if refused {
		w.stats.Failed += n
	} else {
		w.stats.Written += n
		w.stats.Drained += n
	}
	w.stats.Dropped += uint64(skipped)
	if own := seg.dir == w.sp.own; own && n > 0 {
		last := seqs[n-1]
		w.drainedHi = max(w.drainedHi, last)
		if refused {
			w.markFailed(seqs[0], last)
		}
	}
	w.settle()
	w.mu.Unlock()
	if skipped > 0 {
		w.log.Error("audit: skipped unreadable lines of a spool segment", "segment", seg.path(), "lines", skipped)
	}
	if err := w.sp.savePosition(seg, next); err != nil {
		w.log.Warn("audit: cannot record how far the spool is drained; a crash now would write some entries again", "err", err)
	}
}

// removeSegment takes seg out of the spool's list and its bound, and
// reports whether it was the last of its directory. It is called with mu
// held; the caller deletes the file.
func (w *Writer) removeSegment(seg *segment) (lastInDir bool) {
	seg.sealed = true // the spool goroutine starts a new one if it was its tail
	for i, s := range w.sp.segs {
		if s == seg {
			w.sp.segs = append(w.sp.segs[:i], w.sp.segs[i+1:]...)
			break
		}
	}
	w.sp.size -= seg.size
	seg.dir.segs--
	if seg.dir == w.sp.own && seg.dir.segs == 0 {
		w.drainedHi = w.spooledHi // whatever was not drained is lost
		w.settle()
	}
	return seg.dir.segs == 0
}

// unreachable notes a failed Sink call while the database does not answer
// Ping: an outage. The first is logged, then one line per logEvery.
func (w *Writer) unreachable(err error) {
	w.mu.Lock()
	w.outage, w.down = true, true
	w.settle() // Flush stops waiting for spooled entries
	bytes := w.sp.size
	w.mu.Unlock()
	if !w.logged {
		w.logged = true
		w.downLog = every{interval: logEvery}
	}
	if w.downLog.ok() {
		w.log.Warn("audit: database unreachable; audit entries are kept in the spool until it is back", "spool", w.sp.root, "bytes", bytes, "retry_in", w.nextBackoff(), "err", err)
	}
	w.retryLater()
}

// insert makes one InsertLogs call, bounded by WriteTimeout.
func (w *Writer) insert(entries []rbac.LogEntry) error {
	ctx, cancel := context.WithTimeout(w.ctx, w.opts.WriteTimeout)
	defer cancel()
	return w.sink.InsertLogs(ctx, entries)
}

// ping makes one Ping call, bounded by WriteTimeout and pingTimeout.
func (w *Writer) ping() error {
	ctx, cancel := context.WithTimeout(w.ctx, min(w.opts.WriteTimeout, pingTimeout))
	defer cancel()
	return w.sink.Ping(ctx)
}

// nextBackoff is the wait retryLater will choose.
func (w *Writer) nextBackoff() time.Duration {
	if w.backoff == 0 {
		return probeMin
	}
	return min(2*w.backoff, probeMax)
}

// retryLater delays the next Sink call by the next backoff.
func (w *Writer) retryLater() {
	w.backoff = w.nextBackoff()
	w.retryAt = time.Now().Add(w.backoff)
}

// waitRetry waits until retryAt; false if Close stops the writer first.
func (w *Writer) waitRetry() bool {
	d := time.Until(w.retryAt)
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-w.stop:
		return false
	}
}
