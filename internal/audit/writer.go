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
	// DefaultMaxBatch is large because a batch costs its round trips and
	// its commit's flush whatever its size, and under full token load each
	// round trip waits for a CPU: with 512, PostgreSQL took 11,000 entries
	// a second only in batches slower than FlushInterval, and 93% of them
	// went through the disk spool though the database was up.
	DefaultMaxBatch      = 4096
	DefaultFlushInterval = 200 * time.Millisecond
	DefaultBuffer        = 16384
	DefaultSpoolMax      = 256 << 20
	// DefaultWriteTimeout is longer than SQLite's busy timeout (5s), so
	// that a write waiting for the database lock is not taken for an
	// outage.
	DefaultWriteTimeout = 10 * time.Second
)

// ErrNotWritten is returned by Flush and Close when some entry they waited
// for was neither written nor spooled: the spool was full or unwritable, or
// the entry could not be encoded.
var ErrNotWritten = errors.New("audit: entries were not written")

// Sink persists audit log entries; the store implements it.
//
// InsertLogs should write the batch atomically (one transaction) and skip
// entries whose (tenant, id) it already holds: the Writer repeats a batch
// whose outcome it did not learn (a timeout, a crash while draining the
// spool), and with such a Sink a repeat stores nothing twice. It must not
// keep entries after it returns (the Writer reuses the slice) and must
// return promptly once ctx is cancelled.
//
// Ping tells an unreachable database (keep the entries and retry later)
// from one that answers but refuses a batch.
type Sink interface {
	InsertLogs(ctx context.Context, entries []rbac.LogEntry) error
	Ping(ctx context.Context) error
}

// Options tune a Writer. Zero values take the defaults, except SpoolDir,
// which is required.
type Options struct {
	// MaxBatch is the most entries written in one InsertLogs call.
	MaxBatch int
	// FlushInterval is the longest an entry waits in memory before it is
	// written, or spooled during an outage.
	FlushInterval time.Duration
	// Buffer is the most entries held in memory waiting to be written or
	// spooled. A nearly full buffer goes to the spool when a write has
	// taken FlushInterval or more; until then, and while the spool's disk
	// is slower than the callers of Log, Log waits when it is full.
	Buffer int
	// SpoolDir is the directory of the spool (see the package doc). It is
	// created with mode 0700 if missing.
	SpoolDir string
	// SpoolMax is the most bytes this Writer's spool files may hold;
	// entries beyond it are dropped and counted.
	SpoolMax int64
	// WriteTimeout bounds one InsertLogs or Ping call. A write that takes
	// longer is cancelled and its entries go to the spool.
	WriteTimeout time.Duration
	// Logger receives outages, recoveries and drops (counts and errors,
	// never a payload). Nil discards.
	Logger *slog.Logger
}

// Stats are a Writer's counters since New. Every entry passed to Log, and
// every entry found in the spool by New, ends up in exactly one of Written,
// Failed and Dropped, or is still pending (in memory or in the spool).
// Spooled and Drained count the entries that went through the spool.
type Stats struct {
	Written uint64 // entries the Sink accepted, directly or from the spool
	Failed  uint64 // entries refused by a Sink that answered Ping (each tried alone, several times), or that could not be encoded
	Dropped uint64 // entries lost: logged after Close, the spool full or unwritable, or unreadable in it
	Spooled uint64 // entries this Writer put in the spool
	Drained uint64 // entries the Sink accepted from the spool (also in Written), including those a previous process spooled
}

// Writer buffers audit log entries and writes them in batches, off the
// request path; while the database is unreachable it keeps them in a
// bounded spool on disk and drains the spool once the database is back. Its
// methods are safe for concurrent use.
type Writer struct {
	sink Sink
	opts Options
	log  *slog.Logger
	high int // buffered entries at which the spool goroutine steps in: room for one more batch

	wakeSink    chan struct{}      // cap 1: the sink goroutine has something to look at
	wakeSpool   chan struct{}      // cap 1: the spool goroutine has something to look at
	stop        chan struct{}      // closed when Close stops both goroutines
	stopOnce    sync.Once          // closes stop
	sinkExited  chan struct{}      // closed when the sink goroutine returns
	spoolExited chan struct{}      // closed when the spool goroutine returns
	ctx         context.Context    // of Sink calls; cancelled when Close stops
	cancel      context.CancelFunc // cancels ctx

	// Owned by the sink goroutine.
	backoff  time.Duration // current wait between attempts; 0 after a success
	retryAt  time.Time     // no Sink call before this
	attempts int           // consecutive refusals of the batch at the head of the spool
	single   int           // entries left to drain one at a time after a refused batch
	logged   bool          // an outage was logged and its end was not
	downLog  every         // rate limits of log lines: an outage,
	failLog  every         // a failed direct write,
	drainLog every         // the spool drained

	mu        sync.Mutex
	notFull   sync.Cond // on mu: signalled when buf is taken or the writer closes
	buf       []rbac.LogEntry
	spares    [][]rbac.LogEntry // empty slices of MaxBatch capacity or more, for buf
	firstAt   time.Time         // when buf last went from empty to non-empty
	enq       uint64            // sequence number of the last entry accepted
	taken     uint64            // sequence number of the last entry taken from buf
	direct    span              // entries the sink goroutine is writing
	directAt  time.Time         // when it took them
	spill     span              // entries the spool goroutine is spooling
	failedMax uint64            // sequence number of the last entry neither written nor spooled
	spooledHi uint64            // sequence number of the last entry put in the spool
	drainedHi uint64            // sequence number of the last entry of this Writer drained from the spool
	waiters   []*waiter         // Flush and Close calls waiting for their entries
	outage    bool              // a Sink call failed: entries go to the spool until the sink goroutine is back to direct writes
	down      bool              // the database does not answer Ping: Flush counts spooled entries as handled
	closed    bool              // Close was called: Log drops
	stopping  bool              // Close stops the goroutines: everything left goes to the spool
	stopped   bool              // both goroutines returned
	sp        *spool            // its metadata is guarded by mu, see spool
	stats     Stats
	dropLog   every // rate limit of the log line about drops
}

// span is a run of entries, by sequence number, taken from buf by one
// goroutine and not yet written or spooled. The zero span is empty.
type span struct{ lo, hi uint64 }

func (s span) active() bool { return s.lo != 0 && s.lo <= s.hi }

// waiter is a Flush (or Close) waiting for every entry up to target.
type waiter struct {
	target uint64
	failed bool          // some entry up to target was neither written nor spooled
	ch     chan struct{} // closed when every entry up to target is handled
}

// New opens the spool in opts.SpoolDir (taking over entries a previous
// process left there) and starts the Writer's two goroutines: one writes to
// sink and drains the spool, the other moves entries to the spool when the
// first cannot keep up. Close it to stop them.
func New(sink Sink, opts Options) (*Writer, error) {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = DefaultFlushInterval
	}
	if opts.Buffer <= 0 {
		opts.Buffer = DefaultBuffer
	}
	if opts.SpoolMax <= 0 {
		opts.SpoolMax = DefaultSpoolMax
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = DefaultWriteTimeout
	}
	opts.MaxBatch = min(opts.MaxBatch, opts.Buffer)
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sp, err := openSpool(opts.SpoolDir, opts.SpoolMax)
	if err != nil {
		return nil, err
	}
	w := &Writer{
		sink:        sink,
		opts:        opts,
		log:         log,
		high:        max(1, opts.Buffer/2, opts.Buffer-opts.MaxBatch),
		wakeSink:    make(chan struct{}, 1),
		wakeSpool:   make(chan struct{}, 1),
		stop:        make(chan struct{}),
		sinkExited:  make(chan struct{}),
		spoolExited: make(chan struct{}),
		// Three slices (buf, and one held by each goroutine) of one
		// batch each: Log appends without allocating while buf holds
		// at most a batch, as it does whenever the database keeps up.
		// A slice grows past that only when the writes fall behind,
		// up to about Buffer, and keeps its size (see giveBack). Sized
		// to Buffer from the start, the three took 5.5 MB of live heap,
		// which on a small server moved the collector's heap goal from
		// live+12 MiB to twice live (internal/app, tuneGC) and cost
		// 8-10 MiB of RSS under load.
		buf:      newBatch(opts.MaxBatch),
		spares:   [][]rbac.LogEntry{newBatch(opts.MaxBatch), newBatch(opts.MaxBatch)},
		sp:       sp,
		dropLog:  every{interval: logEvery},
		failLog:  every{interval: logEvery},
		drainLog: every{interval: logEvery},
	}
	if n := len(sp.segs); n > 0 {
		log.Info("audit: draining entries spooled by a previous process", "spool", sp.root, "segments", n, "bytes", sp.size)
	}
	w.notFull.L = &w.mu
	w.ctx, w.cancel = context.WithCancel(context.Background())
	go w.runSink()
	go w.runSpool()
	return w, nil
}

// Log enqueues e and returns; it does no I/O, and does not allocate while
// fewer than MaxBatch entries wait in memory (the normal case). It
// does not wait for a database that is down or stalled: entries the
// database cannot take go to the spool. It waits only while the memory
// buffer is full, which takes callers that outrun a working database (the
// write in progress is younger than FlushInterval) or the spool's disk.
// After Close, e is dropped and counted in Stats.Dropped.
func (w *Writer) Log(e rbac.LogEntry) {
	w.mu.Lock()
	for len(w.buf) >= w.opts.Buffer && !w.closed {
		w.notFull.Wait()
	}
	if w.closed {
		w.stats.Dropped++
		w.mu.Unlock()
		return
	}
	if len(w.buf) == 0 {
		w.firstAt = time.Now()
	}
	w.buf = append(w.buf, e)
	w.enq++
	if n := len(w.buf); n == 1 || n == w.opts.MaxBatch || n == w.high {
		w.signal()
	}
	w.mu.Unlock()
}

// signal wakes both goroutines without blocking.
func (w *Writer) signal() {
	select {
	case w.wakeSink <- struct{}{}:
	default:
	}
	select {
	case w.wakeSpool <- struct{}{}:
	default:
	}
}

// Flush returns once every entry logged before it was called is in the
// Sink, so that a reader of the log sees them (read-your-writes), or ctx
// ends. Entries that went to the spool count once they are drained, or at
// once while the database is unreachable: during an outage Flush returns
// as soon as they are in the spool and does not wait for the database. It
// returns ErrNotWritten if one of the entries still pending when it was
// called was dropped or refused.
func (w *Writer) Flush(ctx context.Context) error {
	w.mu.Lock()
	wt := w.addWaiter()
	w.mu.Unlock()
	w.signal()
	return w.wait(ctx, wt)
}

// addWaiter registers a waiter for every entry accepted so far. It is
// called with mu held; the caller signals the goroutines so that they
// handle those entries now.
func (w *Writer) addWaiter() *waiter {
	wt := &waiter{target: w.enq, ch: make(chan struct{}), failed: w.failedMax > w.written()}
	w.waiters = append(w.waiters, wt)
	w.settle()
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

// Close writes every entry logged before it, as Flush waits for them (so
// with the database up the spool is drained, and during an outage the
// entries are spooled), then stops the goroutines, syncs the spool and
// releases it; entries left in the spool are drained by the next Writer on
// the same directory. Log calls after Close (and those waiting on a full
// buffer when it is called) drop their entry.
//
// If ctx ends first, Close cancels the Sink call in progress and puts
// everything still in memory in the spool, which needs the disk but not
// the database, then returns ctx's error. Close may be called more than
// once.
func (w *Writer) Close(ctx context.Context) error {
	w.mu.Lock()
	w.closed = true
	w.notFull.Broadcast()
	wt := w.addWaiter()
	w.mu.Unlock()
	w.signal()
	var err error
	select {
	case <-wt.ch:
	case <-ctx.Done():
		err = fmt.Errorf("audit: close: %w", ctx.Err())
	}
	w.stopOnce.Do(w.shutdown)
	if err != nil {
		return err
	}
	w.mu.Lock()
	failed := wt.failed
	w.mu.Unlock()
	if failed {
		return ErrNotWritten
	}
	return nil
}

// shutdown stops both goroutines, which first put what they hold in the
// spool, and releases the spool.
func (w *Writer) shutdown() {
	w.mu.Lock()
	w.stopping = true
	w.mu.Unlock()
	w.cancel()
	close(w.stop)
	<-w.sinkExited
	<-w.spoolExited
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	w.settle()
	if err := w.sp.release(); err != nil {
		w.log.Error("audit: release the spool", "spool", w.sp.root, "err", err)
	}
}

// Stats returns the counters.
func (w *Writer) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stats
}

// Queue reports how many entries Log has accepted since New, and how many
// of them wait in memory now (for metrics).
func (w *Writer) Queue() (accepted uint64, buffered int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.enq, len(w.buf)
}

// take hands buf to a goroutine as span s. It is called with mu held.
func (w *Writer) take(s *span) []rbac.LogEntry {
	batch := w.buf
	*s = span{lo: w.taken + 1, hi: w.taken + uint64(len(batch))}
	w.taken = s.hi
	if s == &w.direct {
		w.directAt = time.Now()
	}
	if n := len(w.spares); n > 0 {
		w.buf, w.spares = w.spares[n-1], w.spares[:n-1]
	} else {
		w.buf = newBatch(w.opts.MaxBatch)
	}
	w.notFull.Broadcast()
	return batch
}

// giveBack returns a batch slice taken with take, once its entries are
// handled. The slice keeps what it grew to, so that growth (a copy under
// mu, in Log) happens a few times in a process's life, not at every
// backlog.
func (w *Writer) giveBack(batch []rbac.LogEntry) {
	clear(batch) // drop references to payloads
	w.mu.Lock()
	w.spares = append(w.spares, batch[:0])
	w.mu.Unlock()
}

// newBatch returns an empty slice with room for n entries.
func newBatch(n int) []rbac.LogEntry { return make([]rbac.LogEntry, 0, n) }

// advance marks the first n entries of s handled: written or spooled, or
// (failed) some of them neither. It is called with mu held.
func (w *Writer) advance(s *span, n int, failed bool) {
	lo := s.lo
	s.lo += uint64(n)
	if s.lo > s.hi {
		*s = span{}
	}
	if failed {
		w.markFailed(lo, lo+uint64(n)-1)
	}
	w.settle()
}

// markFailed notes that some entry between lo and hi was neither written
// nor spooled, for the waiters waiting for it. It is called with mu held.
func (w *Writer) markFailed(lo, hi uint64) {
	w.failedMax = max(w.failedMax, hi)
	for _, wt := range w.waiters {
		if wt.target >= lo {
			wt.failed = true
		}
	}
}

// settle releases the waiters whose entries are handled. It is called with
// mu held, after anything that may have moved done or written.
func (w *Writer) settle() {
	done, written := w.done(), w.written()
	kept := w.waiters[:0]
	for _, wt := range w.waiters {
		switch {
		case wt.target <= written, wt.target <= done && w.down:
			close(wt.ch)
		case w.stopped: // the goroutines are gone: nothing more will be written
			wt.failed = wt.failed || wt.target > done
			close(wt.ch)
		default:
			kept = append(kept, wt)
		}
	}
	clear(w.waiters[len(kept):])
	w.waiters = kept
}

// awaited reports whether a Flush or Close waits for entries still in buf.
// Targets only grow, so the last waiter's is the highest. It is called
// with mu held.
func (w *Writer) awaited() bool {
	return len(w.waiters) > 0 && w.waiters[len(w.waiters)-1].target > w.taken
}

// done is the sequence number up to which every entry is handled: written,
// spooled or dropped. Both goroutines take entries from the head of buf,
// so only the runs they hold can be unhandled below taken. It is called
// with mu held.
func (w *Writer) done() uint64 {
	d := w.taken
	for _, s := range [...]span{w.direct, w.spill} {
		if s.active() {
			d = min(d, s.lo-1)
		}
	}
	return d
}

// written is the sequence number up to which every entry is written (or
// dropped): done, but not beyond the entries still in the spool. The
// spool drains in order, so everything up to the last entry drained is
// written. It is called with mu held.
func (w *Writer) written() uint64 {
	d := w.done()
	if w.drainedHi < w.spooledHi {
		d = min(d, w.drainedHi)
	}
	return d
}

// every rate-limits a log line.
type every struct {
	interval time.Duration
	last     time.Time
}

// ok reports whether a line may be logged now, and if so counts it.
func (e *every) ok() bool {
	now := time.Now()
	if !e.last.IsZero() && now.Sub(e.last) < e.interval {
		return false
	}
	e.last = now
	return true
}
