package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// memSink records every batch it is given. Hooks make it fail or block.
type memSink struct {
	mu      sync.Mutex
	entries []rbac.LogEntry
	batches []int // size of each successful batch
	calls   int

	// before, if set, runs before each insert, outside mu; a non-nil error
	// fails the call.
	before func(ctx context.Context, call int, n int) error
}

func (s *memSink) InsertLogs(ctx context.Context, entries []rbac.LogEntry) error {
	s.mu.Lock()
	s.calls++
	call := s.calls
	s.mu.Unlock()
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

func closeWriter(t *testing.T, w *Writer) {
	t.Helper()
	if err := w.Close(context.Background()); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestOrderAcrossBatches(t *testing.T) {
	sink := &memSink{}
	w := New(sink, Options{MaxBatch: 7, Buffer: 64, FlushInterval: time.Millisecond})
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
	if got := w.Stats(); got != (Stats{Written: n}) {
		t.Errorf("Stats = %+v", got)
	}
}

func TestBatchSizeLimit(t *testing.T) {
	release := make(chan struct{})
	sink := &memSink{before: func(_ context.Context, call, _ int) error {
		if call == 1 {
			<-release // hold the first batch so that the rest piles up
		}
		return nil
	}}
	w := New(sink, Options{MaxBatch: 10, Buffer: 1000, FlushInterval: time.Hour})
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
	w := New(sink, Options{FlushInterval: 5 * time.Millisecond})
	defer closeWriter(t, w)
	for _, id := range seqIDs(3) {
		w.Log(entry(id))
	}
	// No Flush: the interval alone gets the entries written.
	eventually(t, "the interval flush", func() bool { return sink.len() == 3 })
	// And again after the buffer was emptied once.
	w.Log(entry("3"))
	eventually(t, "the second interval flush", func() bool { return sink.len() == 4 })
	if got := w.Stats().Written; got != 4 {
		t.Errorf("Written = %d, want 4", got)
	}
}

func TestFlushReadYourWrites(t *testing.T) {
	sink := &memSink{}
	// A long interval: only Flush gets entries written promptly.
	w := New(sink, Options{MaxBatch: 16, Buffer: 256, FlushInterval: time.Hour})
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
	w := New(sink, Options{MaxBatch: 4, FlushInterval: time.Hour})
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
	w := New(&memSink{}, Options{})
	if err := w.Flush(context.Background()); err != nil {
		t.Errorf("Flush of an empty writer: %v", err)
	}
	closeWriter(t, w)
}

func TestFlushContext(t *testing.T) {
	release := make(chan struct{})
	sink := &memSink{before: func(context.Context, int, int) error { <-release; return nil }}
	w := New(sink, Options{})
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
	w := New(sink, Options{MaxBatch: 100, FlushInterval: time.Hour})
	for _, id := range seqIDs(1050) {
		w.Log(entry(id))
	}
	closeWriter(t, w)
	if got, want := strings.Join(sink.ids(), ","), strings.Join(seqIDs(1050), ","); got != want {
		t.Errorf("Close did not write everything in order: %d entries", sink.len())
	}
	if got := w.Stats(); got != (Stats{Written: 1050}) {
		t.Errorf("Stats = %+v", got)
	}
	select {
	case <-w.exited:
	default:
		t.Error("writer goroutine still running after Close")
	}
}

func TestBackpressure(t *testing.T) {
	release := make(chan struct{})
	sink := &memSink{before: func(context.Context, int, int) error { <-release; return nil }}
	const buffer, total = 10, 35
	w := New(sink, Options{MaxBatch: 4, Buffer: buffer, FlushInterval: time.Millisecond})
	var logged atomic.Int64
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for _, id := range seqIDs(total) {
			w.Log(entry(id))
			logged.Add(1)
		}
	}()
	// The sink holds its first batch; the buffer (which counts that batch)
	// fills up and Log blocks at exactly Buffer entries.
	eventually(t, "the buffer to fill", func() bool { return logged.Load() == buffer })
	time.Sleep(20 * time.Millisecond) // give a wrongly non-blocking Log the chance to show
	if got := logged.Load(); got != buffer {
		t.Fatalf("Log returned %d times with a stuck sink and Buffer %d", got, buffer)
	}
	select {
	case <-finished:
		t.Fatal("Log did not block")
	default:
	}
	close(release)
	<-finished
	closeWriter(t, w)
	if got, want := strings.Join(sink.ids(), ","), strings.Join(seqIDs(total), ","); got != want {
		t.Errorf("entries lost or reordered under backpressure: %s", got)
	}
	if got := w.Stats(); got != (Stats{Written: total}) {
		t.Errorf("Stats = %+v, want nothing dropped", got)
	}
}

func TestRetryThenSucceed(t *testing.T) {
	sink := &memSink{before: func(_ context.Context, call, _ int) error {
		if call <= 2 {
			return errors.New("database is locked")
		}
		return nil
	}}
	var logBuf syncBuffer
	w := New(sink, Options{FlushInterval: time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logBuf, nil))})
	w.Log(entry("0"))
	if err := w.Flush(context.Background()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	closeWriter(t, w)
	if got := w.Stats(); got != (Stats{Written: 1}) {
		t.Errorf("Stats = %+v", got)
	}
	if sink.calls != 3 {
		t.Errorf("sink called %d times, want 3", sink.calls)
	}
	logs := logBuf.String()
	if !strings.Contains(logs, "database is locked") || strings.Contains(logs, "payload-") {
		t.Errorf("log should name the error and not the payload:\n%s", logs)
	}
}

func TestRetryThenDrop(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	sink := &memSink{before: func(context.Context, int, int) error {
		if fail.Load() {
			return errors.New("disk full")
		}
		return nil
	}}
	var logBuf syncBuffer
	w := New(sink, Options{MaxBatch: 2, FlushInterval: time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logBuf, nil))})
	for _, id := range seqIDs(3) {
		w.Log(entry(id))
	}
	if err := w.Flush(context.Background()); !errors.Is(err, ErrNotWritten) {
		t.Errorf("Flush = %v, want ErrNotWritten", err)
	}
	if got := w.Stats(); got != (Stats{Failed: 3}) {
		t.Errorf("Stats = %+v, want 3 failed", got)
	}
	// 3 entries with MaxBatch 2 make 2 or 3 batches, depending on how many
	// the interval caught; each is tried maxAttempts times.
	if got := sink.calls; got%maxAttempts != 0 || got < 2*maxAttempts || got > 3*maxAttempts {
		t.Errorf("sink called %d times, want %d attempts for each of 2 or 3 batches", got, maxAttempts)
	}
	logs := logBuf.String()
	if !strings.Contains(logs, "disk full") || !strings.Contains(logs, "dropping batch") || strings.Contains(logs, "payload-") {
		t.Errorf("log should name the error and the drop, not the payload:\n%s", logs)
	}

	// The writer keeps working, and a later Flush is not blamed for the
	// earlier failure.
	fail.Store(false)
	w.Log(entry("3"))
	if err := w.Flush(context.Background()); err != nil {
		t.Errorf("Flush after recovery = %v", err)
	}
	closeWriter(t, w)
	if got := w.Stats(); got != (Stats{Written: 1, Failed: 3}) {
		t.Errorf("Stats = %+v", got)
	}
}

func TestLogAfterClose(t *testing.T) {
	sink := &memSink{}
	w := New(sink, Options{})
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

func TestCloseGivesUp(t *testing.T) {
	// A sink that hangs until its context is cancelled.
	sink := &memSink{before: func(ctx context.Context, _, _ int) error { <-ctx.Done(); return ctx.Err() }}
	w := New(sink, Options{MaxBatch: 2, FlushInterval: time.Hour})
	for _, id := range seqIDs(5) {
		w.Log(entry(id))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := w.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v, want DeadlineExceeded", err)
	}
	eventually(t, "every entry to be accounted for", func() bool {
		s := w.Stats()
		return s.Written+s.Failed+s.Dropped == 5
	})
	if s := w.Stats(); s.Written != 0 || s.Failed != 2 || s.Dropped != 3 {
		t.Errorf("Stats = %+v, want the batch in the sink failed and the rest dropped", s)
	}
	<-w.exited
	// Nothing is pending any more: later calls have nothing to report.
	if err := w.Close(context.Background()); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if err := w.Flush(context.Background()); err != nil {
		t.Errorf("Flush after Close gave up = %v", err)
	}
	w.Log(entry("5"))
	if s := w.Stats(); s.Dropped != 4 {
		t.Errorf("Stats = %+v, want the late entry dropped", s)
	}
}

// dbSink imitates a SQLite table: slow commits, one transaction per batch,
// and a primary key on ID (a duplicate write fails the whole batch).
type dbSink struct {
	mu   sync.Mutex
	rows map[string]int // id → insertion position
	n    int
}

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
	w := New(sink, Options{MaxBatch: 64, Buffer: 256, FlushInterval: 2 * time.Millisecond})
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
	if got := w.Stats(); got != (Stats{Written: writers * perWriter}) {
		t.Errorf("Stats = %+v", got)
	}
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
	w := New(&memSink{}, Options{MaxBatch: 100, Buffer: 10})
	defer closeWriter(t, w)
	want := Options{MaxBatch: 10, Buffer: 10, FlushInterval: DefaultFlushInterval}
	if got := w.opts; got != want {
		t.Errorf("opts = %+v, want %+v (MaxBatch capped by Buffer)", got, want)
	}
	w2 := New(&memSink{}, Options{})
	defer closeWriter(t, w2)
	want = Options{MaxBatch: DefaultMaxBatch, Buffer: DefaultBuffer, FlushInterval: DefaultFlushInterval}
	if got := w2.opts; got != want {
		t.Errorf("opts = %+v, want %+v", got, want)
	}
}

func TestLogDoesNotAllocate(t *testing.T) {
	w := New(nopSink{}, Options{})
	defer closeWriter(t, w)
	e := entry("x")
	if n := testing.AllocsPerRun(1000, func() { w.Log(e) }); n != 0 {
		t.Errorf("Log allocates %v times per call", n)
	}
}

type nopSink struct{}

func (nopSink) InsertLogs(context.Context, []rbac.LogEntry) error { return nil }

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
	w := New(nopSink{}, Options{})
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
	w := New(nopSink{}, Options{})
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
