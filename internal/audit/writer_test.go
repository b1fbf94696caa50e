package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// errDown is what memSink returns while it is down.
var errDown = errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")

// memSink records every batch it is given. Hooks make it fail or block.
type memSink struct {
	mu      sync.Mutex
	entries []rbac.LogEntry
	batches []int // size of each successful batch
	calls   int

	// down makes every call fail with errDown: the database is
	// unreachable.
	down atomic.Bool
	// before, if set, runs before each insert, outside mu; a non-nil error
	// fails the call.
	before func(ctx context.Context, call int, n int) error
}

func (s *memSink) InsertLogs(ctx context.Context, entries []rbac.LogEntry) error {
	s.mu.Lock()
	s.calls++
	call := s.calls
	s.mu.Unlock()
	if s.down.Load() {
		return errDown
	}
	if s.before != nil {
		if err := s.before(ctx, call, len(entries)); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries = append(s.entries, entries...) // copies: the writer reuses its slices
	s.batches = append(s.batches, len(entries))
	return nil
}

func (s *memSink) Ping(context.Context) error {
	if s.down.Load() {
		return errDown
	}
	return nil
}

func (s *memSink) ids() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, len(s.entries))
	for i, e := range s.entries {
		ids[i] = e.ID
	}
	return ids
}

func (s *memSink) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}

func entry(id string) rbac.LogEntry {
	return rbac.LogEntry{
		TenantID: rbac.DefaultTenant, ID: id, Key: rbac.LogKeyClientCredentials,
		Payload: json.RawMessage(`{"secret":"payload-` + id + `"}`), CreatedAt: 1, Result: rbac.ResultSuccess,
	}
}

func seqIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = strconv.Itoa(i)
	}
	return ids
}

// eventually polls cond until it holds or a generous deadline passes. Tests
// never assert on how long something took, only that it happens.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// newWriter is New with a spool in a new temporary directory unless opts
// names one.
func newWriter(t testing.TB, sink Sink, opts Options) *Writer {
	t.Helper()
	if opts.SpoolDir == "" {
		opts.SpoolDir = t.TempDir()
	}
	w, err := New(sink, opts)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// wantStats checks the counters that say where entries ended up. Spooled
// and Drained depend on how the goroutines were scheduled unless a test
// arranges otherwise, but with nothing lost whatever went to the spool came
// back.
func wantStats(t *testing.T, w *Writer, written, failed, dropped uint64) {
	t.Helper()
	s := w.Stats()
	lossless := failed == 0 && dropped == 0
	if s.Written != written || s.Failed != failed || s.Dropped != dropped || s.Drained > s.Spooled || lossless && s.Drained != s.Spooled {
		t.Errorf("Stats = %+v, want Written %d, Failed %d, Dropped %d, Drained = Spooled", s, written, failed, dropped)
	}
}

func closeWriter(t *testing.T, w *Writer) {
	t.Helper()
	if err := w.Close(context.Background()); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestOrderAcrossBatches(t *testing.T) {
	sink := &memSink{}
	w := newWriter(t, sink, Options{MaxBatch: 7, Buffer: 64, FlushInterval: time.Millisecond})
	const n = 1000
	for _, id := range seqIDs(n) {
		w.Log(entry(id))
	}
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(sink.ids(), ","), strings.Join(seqIDs(n), ","); got != want {
		t.Errorf("order not preserved:\ngot  %s\nwant %s", got, want)
	}
	if len(sink.batches) < n/7 {
		t.Errorf("%d batches for %d entries with MaxBatch 7", len(sink.batches), n)
	}
	closeWriter(t, w)
	wantStats(t, w, n, 0, 0)
}

func TestBatchSizeLimit(t *testing.T) {
	release := make(chan struct{})
	sink := &memSink{before: func(_ context.Context, call, _ int) error {
		if call == 1 {
			<-release // hold the first batch so that the rest piles up
		}
		return nil
	}}
	w := newWriter(t, sink, Options{MaxBatch: 10, Buffer: 1000, FlushInterval: time.Hour})
	for _, id := range seqIDs(10) { // a full batch is written without waiting for the interval
		w.Log(entry(id))
	}
	eventually(t, "the first batch to reach the sink", func() bool {
		sink.mu.Lock()
		defer sink.mu.Unlock()
		return sink.calls == 1
	})
	for _, id := range seqIDs(205)[10:] {
		w.Log(entry(id))
	}
	close(release)
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	closeWriter(t, w)
	total := 0
	for i, b := range sink.batches {
		if b < 1 || b > 10 {
			t.Errorf("batch %d has %d entries, want 1..10", i, b)
		}
		total += b
	}
	if total != 205 || len(sink.batches) != 21 {
		t.Errorf("%d entries in %d batches (%v), want 205 in 21", total, len(sink.batches), sink.batches)
	}
	if got, want := strings.Join(sink.ids(), ","), strings.Join(seqIDs(205), ","); got != want {
		t.Errorf("order not preserved: %s", got)
	}
}

func TestIntervalFlush(t *testing.T) {
	sink := &memSink{}
	w := newWriter(t, sink, Options{FlushInterval: 5 * time.Millisecond})
	defer closeWriter(t, w)
	for _, id := range seqIDs(3) {
		w.Log(entry(id))
	}
	// No Flush: the interval alone gets the entries written.
	eventually(t, "the interval flush", func() bool { return w.Stats().Written == 3 })
	// And again after the buffer was emptied once.
	w.Log(entry("3"))
	eventually(t, "the second interval flush", func() bool { return w.Stats().Written == 4 })
	if got := sink.len(); got != 4 {
		t.Errorf("sink holds %d entries, want 4", got)
	}
	wantStats(t, w, 4, 0, 0)
}

func TestFlushReadYourWrites(t *testing.T) {
	sink := &memSink{}
	// A long interval: only Flush gets entries written promptly.
	w := newWriter(t, sink, Options{MaxBatch: 16, Buffer: 256, FlushInterval: time.Hour})
	defer closeWriter(t, w)
	const writers, perWriter, flushEvery = 16, 400, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for g := range writers {
		wg.Go(func() {
			for i := range perWriter {
				w.Log(entry(fmt.Sprintf("%d-%d", g, i)))
				if (i+1)%flushEvery != 0 {
					continue
				}
				if err := w.Flush(context.Background()); err != nil {
					errs <- err
					return
				}
				// Everything this goroutine logged is in the sink, in order.
				next := 0
				for _, id := range sink.ids() {
					if id == fmt.Sprintf("%d-%d", g, next) {
						next++
					}
				}
				if next != i+1 {
					errs <- fmt.Errorf("goroutine %d: after Flush the sink holds %d of its %d entries in order", g, next, i+1)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := sink.len(); got != writers*perWriter {
		t.Errorf("sink holds %d entries, want %d", got, writers*perWriter)
	}
}

func TestConcurrentFlushes(t *testing.T) {
	sink := &memSink{}
	w := newWriter(t, sink, Options{MaxBatch: 4, FlushInterval: time.Hour})
	defer closeWriter(t, w)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				w.Log(entry(fmt.Sprintf("%d-%d", g, i)))
			}
		})
		wg.Go(func() {
			for range 50 {
				if err := w.Flush(context.Background()); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := sink.len(); got != 400 {
		t.Errorf("sink holds %d entries, want 400", got)
	}
}

func TestFlushEmpty(t *testing.T) {
	w := newWriter(t, &memSink{}, Options{})
	if err := w.Flush(context.Background()); err != nil {
		t.Errorf("Flush of an empty writer: %v", err)
	}
	closeWriter(t, w)
}

func TestFlushContext(t *testing.T) {
	release := make(chan struct{})
	sink := &memSink{before: func(context.Context, int, int) error { <-release; return nil }}
	w := newWriter(t, sink, Options{})
	w.Log(entry("0"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Flush(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Flush with a cancelled context = %v, want context.Canceled", err)
	}
	close(release)
	closeWriter(t, w)
	if got := sink.len(); got != 1 {
		t.Errorf("sink holds %d entries, want 1", got)
	}
}

func TestCloseDrains(t *testing.T) {
	sink := &memSink{}
	w := newWriter(t, sink, Options{MaxBatch: 100, FlushInterval: time.Hour})
	for _, id := range seqIDs(1050) {
		w.Log(entry(id))
	}
	closeWriter(t, w)
	if got, want := strings.Join(sink.ids(), ","), strings.Join(seqIDs(1050), ","); got != want {
		t.Errorf("Close did not write everything in order: %d entries", sink.len())
	}
	wantStats(t, w, 1050, 0, 0)
	select {
	case <-w.sinkExited:
	default:
		t.Error("writer goroutine still running after Close")
	}
}

// TestStalledSinkDoesNotBlockLog: a Sink call that hangs (a database behind
// a network partition) holds one batch; Log keeps returning for many times
// the buffer, the rest goes to the spool, and once the call returns every
// entry reaches the sink once, in order.
func TestStalledSinkDoesNotBlockLog(t *testing.T) {
	release := make(chan struct{})
	sink := &memSink{before: func(_ context.Context, call, _ int) error {
		if call == 1 {
			<-release
		}
		return nil
	}}
	const buffer, total = 10, 2000
	w := newWriter(t, sink, Options{MaxBatch: 4, Buffer: buffer, FlushInterval: time.Millisecond})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for _, id := range seqIDs(total) {
			w.Log(entry(id))
		}
	}()
	select {
	case <-finished:
	case <-time.After(10 * time.Second):
		t.Fatal("Log blocked while the sink was stalled")
	}
	// All but the stalled batch (at most a buffer's worth) is spooled.
	eventually(t, "the entries to be spooled", func() bool { return w.Stats().Spooled >= total-buffer })
	if s := w.Stats(); s.Written != 0 {
		t.Errorf("Stats = %+v while the sink is stalled", s)
	}
	close(release)
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(sink.ids(), ","), strings.Join(seqIDs(total), ","); got != want {
		t.Errorf("entries lost, repeated or reordered: %d in the sink", sink.len())
	}
	closeWriter(t, w)
	wantStats(t, w, total, 0, 0)
}

// TestBufferGrowsFromABatch: a new writer holds a batch's room, and while
// the sink is stalled the buffer grows past it to hold what waits: no entry
// is lost, and none spooled below the high mark.
func TestBufferGrowsFromABatch(t *testing.T) {
	stalled, release := make(chan struct{}), make(chan struct{})
	sink := &memSink{before: func(_ context.Context, call, _ int) error {
		if call == 1 {
			close(stalled)
			<-release
		}
		return nil
	}}
	const batch, total = 8, 200
	w := newWriter(t, sink, Options{MaxBatch: batch, Buffer: 256, FlushInterval: time.Millisecond})
	defer closeWriter(t, w)
	largest := func() int {
		w.mu.Lock()
		defer w.mu.Unlock()
		n := cap(w.buf)
		for _, s := range w.spares {
			n = max(n, cap(s))
		}
		return n
	}
	if n := largest(); n != batch {
		t.Fatalf("a new writer holds slices of %d entries, want %d (one batch)", n, batch)
	}
	ids := seqIDs(total)
	w.Log(entry(ids[0]))
	select { // the sink goroutine holds the first entry and waits
	case <-stalled:
	case <-time.After(10 * time.Second):
		t.Fatal("the first entry never reached the sink")
	}
	for _, id := range ids[1:] {
		w.Log(entry(id))
	}
	n := largest()
	close(release)
	if n <= 2*batch {
		t.Fatalf("the buffer holds %d entries in a slice of %d: it did not grow", total-1, n)
	}
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(sink.ids(), ","), strings.Join(seqIDs(total), ","); got != want {
		t.Errorf("entries lost, repeated or reordered: %d in the sink", sink.len())
	}
	if s := w.Stats(); s.Spooled != 0 {
		t.Errorf("Stats = %+v: entries were spooled though the buffer had room", s)
	}
}

// TestRetryThenSucceed: a write refused by a database that answers Ping is
// retried (from the spool) until it succeeds; the log names the error and
// not the payload.
func TestRetryThenSucceed(t *testing.T) {
	sink := &memSink{before: func(_ context.Context, call, _ int) error {
		if call <= 2 {
			return errors.New("database is locked")
		}
		return nil
	}}
	var logBuf syncBuffer
	w := newWriter(t, sink, Options{FlushInterval: time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logBuf, nil))})
	w.Log(entry("0"))
	if err := w.Flush(context.Background()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	closeWriter(t, w)
	if got := w.Stats(); got != (Stats{Written: 1, Spooled: 1, Drained: 1}) {
		t.Errorf("Stats = %+v", got)
	}
	if sink.calls != 3 {
		t.Errorf("sink called %d times, want 3", sink.calls)
	}
	logs := logBuf.String()
	if !strings.Contains(logs, "database is locked") || strings.Contains(logs, "payload-") {
		t.Errorf("log should name the error and not the payload:\n%s", logs)
	}
	if strings.Contains(logs, "unreachable") {
		t.Errorf("a refusal is not an outage:\n%s", logs)
	}
}

// TestRefusedEntry: an entry the database keeps refusing while it answers
// Ping (here: a payload it rejects) is dropped and counted after its batch
// was retried one entry at a time; every other entry is written, in order,
// and Flush reports the loss.
func TestRefusedEntry(t *testing.T) {
	sink := &memSink{}
	poison := &poisonSink{memSink: sink, bad: "5"}
	var logBuf syncBuffer
	w := newWriter(t, poison, Options{MaxBatch: 4, FlushInterval: time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logBuf, nil))})
	for _, id := range seqIDs(10) {
		w.Log(entry(id))
	}
	if err := w.Flush(context.Background()); !errors.Is(err, ErrNotWritten) {
		t.Errorf("Flush = %v, want ErrNotWritten", err)
	}
	want := slices.DeleteFunc(seqIDs(10), func(id string) bool { return id == "5" })
	if got := sink.ids(); !slices.Equal(got, want) {
		t.Errorf("sink holds %v, want %v", got, want)
	}
	if s := w.Stats(); s.Written != 9 || s.Failed != 1 || s.Dropped != 0 {
		t.Errorf("Stats = %+v, want 9 written and 1 failed", s)
	}
	logs := logBuf.String()
	if !strings.Contains(logs, "one at a time") || !strings.Contains(logs, "dropping it") || strings.Contains(logs, "payload-") {
		t.Errorf("log should tell the retries and the drop, not the payload:\n%s", logs)
	}

	// The writer keeps working, and a later Flush is not blamed for the
	// earlier loss.
	w.Log(entry("10"))
	if err := w.Flush(context.Background()); err != nil {
		t.Errorf("Flush after the refusal = %v", err)
	}
	closeWriter(t, w)
	wantStats(t, w, 10, 1, 0)
}

// poisonSink refuses any batch holding the entry bad, as a database
// refuses a row it cannot store, while it answers Ping.
type poisonSink struct {
	*memSink
	bad string
}

func (s *poisonSink) InsertLogs(ctx context.Context, entries []rbac.LogEntry) error {
	for _, e := range entries {
		if e.ID == s.bad {
			return errors.New("new row violates check constraint")
		}
	}
	return s.memSink.InsertLogs(ctx, entries)
}

func TestLogAfterClose(t *testing.T) {
	sink := &memSink{}
	w := newWriter(t, sink, Options{})
	w.Log(entry("0"))
	closeWriter(t, w)
	w.Log(entry("1")) // must not panic
	w.Log(entry("2"))
	if got := w.Stats(); got != (Stats{Written: 1, Dropped: 2}) {
		t.Errorf("Stats = %+v", got)
	}
	if err := w.Flush(context.Background()); err != nil {
		t.Errorf("Flush after Close = %v", err)
	}
	closeWriter(t, w) // twice is fine
	if got := sink.len(); got != 1 {
		t.Errorf("sink holds %d entries, want 1", got)
	}
}

// TestCloseGivesUp: when Close's context ends while the Sink hangs, the
// write is cancelled and every entry goes to the spool instead of being
// lost; the next Writer on the directory writes them.
func TestCloseGivesUp(t *testing.T) {
	// A sink that hangs until its context is cancelled.
	sink := &memSink{before: func(ctx context.Context, _, _ int) error { <-ctx.Done(); return ctx.Err() }}
	dir := t.TempDir()
	w := newWriter(t, sink, Options{MaxBatch: 2, FlushInterval: time.Hour, SpoolDir: dir})
	for _, id := range seqIDs(5) {
		w.Log(entry(id))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := w.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v, want DeadlineExceeded", err)
	}
	if s := w.Stats(); s != (Stats{Spooled: 5}) {
		t.Errorf("Stats = %+v, want everything spooled", s)
	}
	// Nothing is pending any more: later calls have nothing to report.
	if err := w.Close(context.Background()); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if err := w.Flush(context.Background()); err != nil {
		t.Errorf("Flush after Close gave up = %v", err)
	}
	w.Log(entry("5"))
	if s := w.Stats(); s.Dropped != 1 {
		t.Errorf("Stats = %+v, want the late entry dropped", s)
	}

	next := &memSink{}
	w2 := newWriter(t, next, Options{SpoolDir: dir})
	eventually(t, "the spooled entries to be drained", func() bool { return next.len() == 5 })
	closeWriter(t, w2)
	if got, want := strings.Join(next.ids(), ","), strings.Join(seqIDs(5), ","); got != want {
		t.Errorf("drained %s, want %s", got, want)
	}
}

// dbSink imitates a SQLite table: slow commits, one transaction per batch,
// and a primary key on ID (a duplicate write fails the whole batch).
type dbSink struct {
	mu   sync.Mutex
	rows map[string]int // id → insertion position
	n    int
}

func (s *dbSink) Ping(context.Context) error { return nil }

func (s *dbSink) InsertLogs(ctx context.Context, entries []rbac.LogEntry) error {
	time.Sleep(500*time.Microsecond + time.Duration(len(entries))*2*time.Microsecond) // fsync + rows
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range entries {
		if _, dup := s.rows[e.ID]; dup {
			return fmt.Errorf("UNIQUE constraint failed: logs.id (%s)", e.ID)
		}
	}
	for _, e := range entries {
		s.rows[e.ID] = s.n
		s.n++
	}
	return ctx.Err()
}

func TestSlowDatabase(t *testing.T) {
	sink := &dbSink{rows: map[string]int{}}
	w := newWriter(t, sink, Options{MaxBatch: 64, Buffer: 256, FlushInterval: 2 * time.Millisecond})
	const writers, perWriter = 8, 3000
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range perWriter {
				w.Log(entry(fmt.Sprintf("%d-%d", g, i)))
			}
		})
	}
	wg.Wait()
	closeWriter(t, w)
	wantStats(t, w, writers*perWriter, 0, 0)
	if len(sink.rows) != writers*perWriter {
		t.Fatalf("%d rows, want %d", len(sink.rows), writers*perWriter)
	}
	for g := range writers {
		prev := -1
		for i := range perWriter {
			pos := sink.rows[fmt.Sprintf("%d-%d", g, i)]
			if pos <= prev {
				t.Fatalf("goroutine %d: entry %d stored before entry %d", g, i, i-1)
			}
			prev = pos
		}
	}
}

func TestDefaults(t *testing.T) {
	dir := t.TempDir()
	w := newWriter(t, &memSink{}, Options{MaxBatch: 100, Buffer: 10, SpoolDir: dir})
	defer closeWriter(t, w)
	want := Options{MaxBatch: 10, Buffer: 10, FlushInterval: DefaultFlushInterval, SpoolDir: dir, SpoolMax: DefaultSpoolMax, WriteTimeout: DefaultWriteTimeout}
	if got := w.opts; got != want {
		t.Errorf("opts = %+v, want %+v (MaxBatch capped by Buffer)", got, want)
	}
	w2 := newWriter(t, &memSink{}, Options{SpoolDir: dir})
	defer closeWriter(t, w2)
	want = Options{MaxBatch: DefaultMaxBatch, Buffer: DefaultBuffer, FlushInterval: DefaultFlushInterval, SpoolDir: dir, SpoolMax: DefaultSpoolMax, WriteTimeout: DefaultWriteTimeout}
	if got := w2.opts; got != want {
		t.Errorf("opts = %+v, want %+v", got, want)
	}
	if _, err := New(&memSink{}, Options{}); err == nil {
		t.Error("New without a spool directory succeeded")
	}
}

func TestLogDoesNotAllocate(t *testing.T) {
	w := newWriter(t, nopSink{}, Options{})
	defer closeWriter(t, w)
	e := entry("x")
	if n := testing.AllocsPerRun(1000, func() { w.Log(e) }); n != 0 {
		t.Errorf("Log allocates %v times per call", n)
	}
}

type nopSink struct{}

func (nopSink) InsertLogs(context.Context, []rbac.LogEntry) error { return nil }
func (nopSink) Ping(context.Context) error                        { return nil }

// syncBuffer is a bytes.Buffer safe for the writer goroutine's logging.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// BenchmarkLog measures the token endpoint's cost of logging: many
// goroutines calling Log at once, a sink that keeps up.
func BenchmarkLog(b *testing.B) {
	w := newWriter(b, nopSink{}, Options{})
	e := entry("bench")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w.Log(e)
		}
	})
	b.StopTimer()
	if err := w.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkLogSerial is Log without contention.
func BenchmarkLogSerial(b *testing.B) {
	w := newWriter(b, nopSink{}, Options{})
	e := entry("bench")
	b.ReportAllocs()
	for b.Loop() {
		w.Log(e)
	}
	b.StopTimer()
	if err := w.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
}

// TestKeepsUpWithSlowRoundTrips logs 30,000 entries a second into a sink
// whose every call takes 40 ms whatever its size, as a database under full
// token load does (each round trip and commit waits for a CPU). With the
// default options the writer keeps up in direct writes: nothing goes
// through the disk spool. With batches of 512 it could not (12,800 a
// second), and most entries were spooled while the database was up.
func TestKeepsUpWithSlowRoundTrips(t *testing.T) {
	sink := &memSink{before: func(ctx context.Context, _, _ int) error {
		select {
		case <-time.After(40 * time.Millisecond):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}}
	w := newWriter(t, sink, Options{})
	const perTick, ticks = 30, 1500 // 30 entries a millisecond for 1.5 s
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	n := 0
	for range ticks {
		<-tick.C
		for range perTick {
			w.Log(entry(strconv.Itoa(n)))
			n++
		}
	}
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := w.Stats()
	if st.Spooled != 0 {
		t.Errorf("%d of %d entries went through the spool with the database up, want none", st.Spooled, n)
	}
	if got := sink.len(); got != n {
		t.Errorf("sink holds %d entries, want %d", got, n)
	}
}
