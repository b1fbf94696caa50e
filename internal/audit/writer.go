package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// Defaults of Options.
const (
	DefaultMaxBatch      = 512
	DefaultFlushInterval = 200 * time.Millisecond
	DefaultBuffer        = 16384
)

// Retry policy of a failed batch: up to maxAttempts writes in all, the n-th
// retry waiting FlushInterval·2^(n-1), capped at maxBackoff.
const (
	maxAttempts = 4
	maxBackoff  = 5 * time.Second
)

// ErrNotWritten is returned by Flush and Close when some entry they waited
// for was not written: its batch failed every retry, or Close gave up.
var ErrNotWritten = errors.New("audit: entries were not written")

// Sink persists audit log entries; the store implements it. InsertLogs
// should write the batch atomically (one transaction), so that a retried
// batch is never half written, and must not keep entries after it returns:
// the Writer reuses the slice.
type Sink interface {
	InsertLogs(ctx context.Context, entries []rbac.LogEntry) error
}

// Options tune a Writer. Zero values take the defaults.
type Options struct {
	// MaxBatch is the most entries written in one InsertLogs call.
	MaxBatch int
	// FlushInterval is the longest an entry waits in memory before its
	// batch is written.
	FlushInterval time.Duration
	// Buffer is the most entries held in memory, including the batch being
	// written. When it is full, Log blocks; it never drops.
	Buffer int
	// Logger receives write failures (never the payload). Nil discards.
	Logger *slog.Logger
}

// Stats are a Writer's counters since New. Every entry passed to Log ends
// up in exactly one of them, or is still pending.
type Stats struct {
	Written uint64 // entries the Sink accepted
	Failed  uint64 // entries of batches dropped after every retry failed
	Dropped uint64 // entries never given to the Sink: logged after Close, or unwritten when Close gave up
}

// Writer buffers audit log entries and writes them in batches from one
// background goroutine. Its methods are safe for concurrent use.
type Writer struct {
	sink Sink
	opts Options
	log  *slog.Logger

	wake   chan struct{}      // cap 1: the writer goroutine has something to look at
	exited chan struct{}      // closed when the writer goroutine returns
	ctx    context.Context    // of Sink calls; cancelled when Close gives up
	cancel context.CancelFunc // cancels ctx

	mu       sync.Mutex
	notFull  sync.Cond // on mu: signalled when buffer space frees or the writer closes
	buf      []rbac.LogEntry
	spare    []rbac.LogEntry // the previously written batch, reused as the next buf
	firstAt  time.Time       // when buf last went from empty to non-empty
	inflight int             // entries taken from buf, not yet written or failed
	enq      uint64          // sequence number of the last entry accepted
	done     uint64          // sequence number of the last entry written or failed
	waiters  []*waiter       // Flush and Close calls waiting for done to reach their target
	closed   bool            // Close was called: Log drops
	stopped  bool            // the writer goroutine is returning: nothing more is written
	stats    Stats
}

// waiter is a Flush (or Close) waiting for every entry up to target.
type waiter struct {
	target uint64
	failed bool          // some entry up to target was not written
	ch     chan struct{} // closed when done >= target
}

// New returns a Writer that writes to sink, and starts its goroutine. Close
// it to write what is buffered and stop the goroutine.
func New(sink Sink, opts Options) *Writer {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = DefaultFlushInterval
	}
	if opts.Buffer <= 0 {
		opts.Buffer = DefaultBuffer
	}
	opts.MaxBatch = min(opts.MaxBatch, opts.Buffer)
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &Writer{
		sink:   sink,
		opts:   opts,
		log:    log,
		wake:   make(chan struct{}, 1),
		exited: make(chan struct{}),
		// Buffer space is allocated once: Log appends without allocating.
		buf:   make([]rbac.LogEntry, 0, opts.Buffer),
		spare: make([]rbac.LogEntry, 0, opts.Buffer),
	}
	w.notFull.L = &w.mu
	w.ctx, w.cancel = context.WithCancel(context.Background())
	go w.run()
	return w
}

// Log enqueues e. It does not wait for the write; it blocks only while the
// buffer is full. After Close, e is dropped and counted in Stats.Dropped.
func (w *Writer) Log(e rbac.LogEntry) {
	w.mu.Lock()
	for len(w.buf)+w.inflight >= w.opts.Buffer && !w.closed {
		w.notFull.Wait()
	}
	if w.closed {
		w.stats.Dropped++
		w.mu.Unlock()
		return
	}
	if len(w.buf) == 0 {
		w.firstAt = time.Now()
		w.signal()
	}
	w.buf = append(w.buf, e)
	w.enq++
	if len(w.buf) == w.opts.MaxBatch {
		w.signal()
	}
	w.mu.Unlock()
}

// signal wakes the writer goroutine without blocking.
func (w *Writer) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Flush returns once every entry logged before it was called has been
// written, or ctx ends. It returns ErrNotWritten if one of the entries still
// pending when it was called could not be written; failures it did not wait
// for are only in Stats.
func (w *Writer) Flush(ctx context.Context) error {
	w.mu.Lock()
	wt := w.addWaiter()
	w.mu.Unlock()
	return w.wait(ctx, wt)
}

// addWaiter registers a waiter for every entry accepted so far and wakes the
// writer so that it writes them now. It is called with mu held.
func (w *Writer) addWaiter() *waiter {
	wt := &waiter{target: w.enq, ch: make(chan struct{})}
	if w.done >= wt.target || w.stopped {
		wt.failed = w.done < wt.target
		close(wt.ch)
		return wt
	}
	w.waiters = append(w.waiters, wt)
	w.signal()
	return wt
}

func (w *Writer) wait(ctx context.Context, wt *waiter) error {
	select {
	case <-wt.ch:
	case <-ctx.Done():
		return fmt.Errorf("audit: flush: %w", ctx.Err())
	}
	w.mu.Lock()
	failed := wt.failed
	w.mu.Unlock()
	if failed {
		return ErrNotWritten
	}
	return nil
}

// Close writes every buffered entry and stops the writer. Log calls after
// Close (and those blocked on a full buffer when it is called) drop their
// entry. If ctx ends first, Close cancels the write in progress, drops what
// is left (Stats.Dropped) and returns ctx's error. Close may be called more
// than once.
func (w *Writer) Close(ctx context.Context) error {
	w.mu.Lock()
	w.closed = true
	w.notFull.Broadcast()
	wt := w.addWaiter()
	w.signal()
	w.mu.Unlock()
	for _, ch := range []chan struct{}{wt.ch, w.exited} {
		select {
		case <-ch:
		case <-ctx.Done():
			w.cancel()
			return fmt.Errorf("audit: close: %w", ctx.Err())
		}
	}
	w.mu.Lock()
	failed := wt.failed
	w.mu.Unlock()
	if failed {
		return ErrNotWritten
	}
	return nil
}

// Stats returns the counters.
func (w *Writer) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stats
}

// run is the writer goroutine. It writes buf when it holds MaxBatch entries,
// when its oldest entry has waited FlushInterval, or at once when a Flush or
// Close waits.
func (w *Writer) run() {
	defer close(w.exited)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		w.mu.Lock()
		n, closed := len(w.buf), w.closed
		urgent := n >= w.opts.MaxBatch || len(w.waiters) > 0 || closed
		wait := time.Until(w.firstAt.Add(w.opts.FlushInterval))
		w.mu.Unlock()

		switch {
		case n == 0 && closed:
			w.abandon()
			return
		case n == 0:
			w.idle()
			continue
		case !urgent && wait > 0:
			timer.Reset(wait)
			select {
			case <-w.wake:
				timer.Stop()
				continue // re-evaluate: a batch filled, or Flush/Close
			case <-timer.C:
			}
		}
		w.writeBuf()
	}
}

// idle waits for the next Log, Flush or Close.
func (w *Writer) idle() {
	<-w.wake
}

// writeBuf takes everything buffered and writes it in MaxBatch chunks.
func (w *Writer) writeBuf() {
	w.mu.Lock()
	batch := w.buf
	w.buf, w.spare = w.spare[:0], nil
	w.inflight = len(batch)
	w.mu.Unlock()

	for rest := batch; len(rest) > 0; {
		chunk := rest[:min(len(rest), w.opts.MaxBatch)]
		rest = rest[len(chunk):]
		// Once Close has given up (cancelled ctx), the rest is dropped
		// without trying.
		gaveUp := w.ctx.Err() != nil
		var err error
		if !gaveUp {
			err = w.insert(chunk)
		}

		w.mu.Lock()
		w.inflight -= len(chunk)
		w.done += uint64(len(chunk))
		switch {
		case gaveUp:
			w.stats.Dropped += uint64(len(chunk))
		case err != nil:
			w.stats.Failed += uint64(len(chunk))
		default:
			w.stats.Written += uint64(len(chunk))
		}
		w.settle(gaveUp || err != nil)
		w.notFull.Broadcast()
		w.mu.Unlock()
	}

	clear(batch) // drop references to payloads
	w.mu.Lock()
	w.spare = batch[:0]
	w.mu.Unlock()
}

// settle releases the waiters whose targets are written, and marks every
// waiter that waited for a failed chunk. It is called with mu held, after
// done has moved past the chunk.
func (w *Writer) settle(failed bool) {
	kept := w.waiters[:0]
	for _, wt := range w.waiters {
		// Every waiter still listed waits for entries up to its target
		// that were not done before this chunk; the chunk holds the
		// oldest of them.
		if failed {
			wt.failed = true
		}
		if wt.target <= w.done {
			close(wt.ch)
		} else {
			kept = append(kept, wt)
		}
	}
	clear(w.waiters[len(kept):])
	w.waiters = kept
}

// insert writes one chunk, retrying with backoff. It returns the last error
// once every attempt failed.
func (w *Writer) insert(chunk []rbac.LogEntry) error {
	backoff := w.opts.FlushInterval
	var err error
	for attempt := 1; ; attempt++ {
		if err = w.sink.InsertLogs(w.ctx, chunk); err == nil {
			return nil
		}
		if attempt == maxAttempts || w.ctx.Err() != nil {
			w.log.Error("audit: dropping batch after failed writes", "entries", len(chunk), "attempts", attempt, "err", err)
			return err
		}
		w.log.Warn("audit: write failed, retrying", "entries", len(chunk), "attempt", attempt, "retry_in", backoff, "err", err)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-w.ctx.Done():
			t.Stop()
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// abandon runs when the writer stops: Close has been called and buf is
// empty. Waiters still listed (only possible when Close gave up) are failed.
func (w *Writer) abandon() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	for _, wt := range w.waiters {
		wt.failed = true
		close(wt.ch)
	}
	w.waiters = nil
}
