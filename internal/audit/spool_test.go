package audit

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// spoolFiles lists the files under dir (relative paths) with their modes
// and sizes, and the directories' modes.
func spoolFiles(t *testing.T, dir string) (files map[string]fs.FileInfo, dirs map[string]fs.FileMode) {
	t.Helper()
	files, dirs = map[string]fs.FileInfo{}, map[string]fs.FileMode{}
	add := func(path string, d fs.DirEntry, fi fs.FileInfo) error {
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() {
			dirs[rel] = fi.Mode().Perm()
		} else {
			files[rel] = fi
		}
		return nil
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil {
			var fi fs.FileInfo
			if fi, err = d.Info(); err == nil {
				return add(path, d, fi)
			}
		}
		if errors.Is(err, fs.ErrNotExist) { // deleted by a drain meanwhile
			return nil
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, dirs
}

// segmentBytes is the size of every segment under dir.
func segmentBytes(t *testing.T, dir string) (n int64, segments int) {
	files, _ := spoolFiles(t, dir)
	for name, fi := range files {
		if strings.HasSuffix(name, segmentExt) {
			n += fi.Size()
			segments++
		}
	}
	return n, segments
}

// TestOutage: while the database is unreachable, Log returns at once for
// many times the buffer, Flush returns once the entries are spooled, and
// the spool is on disk; when the database is back every entry reaches it
// exactly once, in order, without help, and the spool files are deleted.
func TestOutage(t *testing.T) {
	sink := &memSink{}
	sink.down.Store(true)
	dir := t.TempDir()
	var logBuf syncBuffer
	const buffer, total = 64, 5000
	w := newWriter(t, sink, Options{MaxBatch: 16, Buffer: buffer, FlushInterval: time.Millisecond, SpoolDir: dir,
		Logger: slog.New(slog.NewTextHandler(&logBuf, nil))})

	logged := make(chan struct{})
	go func() {
		defer close(logged)
		for _, id := range seqIDs(total) {
			w.Log(entry(id))
		}
	}()
	select {
	case <-logged:
	case <-time.After(10 * time.Second):
		t.Fatal("Log blocked during the outage")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.Flush(ctx); err != nil {
		t.Fatalf("Flush during the outage: %v", err)
	}
	if s := w.Stats(); s != (Stats{Spooled: total}) {
		t.Errorf("Stats during the outage = %+v, want every entry spooled", s)
	}
	if n, segs := segmentBytes(t, dir); n == 0 || segs == 0 {
		t.Errorf("no spool segments on disk (%d bytes in %d)", n, segs)
	}
	if sink.len() != 0 {
		t.Fatalf("the sink got %d entries while down", sink.len())
	}
	if logs := logBuf.String(); !strings.Contains(logs, "database unreachable") || !strings.Contains(logs, "connection refused") {
		t.Errorf("the outage is not logged:\n%s", logs)
	}

	sink.down.Store(false)
	eventually(t, "the spool to drain", func() bool { return sink.len() >= total })
	if got, want := strings.Join(sink.ids(), ","), strings.Join(seqIDs(total), ","); got != want {
		t.Fatalf("after recovery the sink holds %d entries, not every entry once in order", sink.len())
	}
	eventually(t, "the drained segments to be deleted", func() bool { _, segs := segmentBytes(t, dir); return segs == 0 })
	if logs := logBuf.String(); !strings.Contains(logs, "reachable again") || !strings.Contains(logs, "spool drained") {
		t.Errorf("the recovery is not logged:\n%s", logs)
	}

	// Back to direct writes, with read-your-writes.
	w.Log(entry("after"))
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ids := sink.ids(); ids[len(ids)-1] != "after" {
		t.Errorf("last entry in the sink is %s, want the one logged after recovery", ids[len(ids)-1])
	}
	closeWriter(t, w)
	if s := w.Stats(); s != (Stats{Written: total + 1, Spooled: total, Drained: total}) {
		t.Errorf("Stats = %+v", s)
	}
	if files, dirs := spoolFiles(t, dir); len(files) != 0 || len(dirs) != 1 {
		t.Errorf("a closed, drained spool leaves files %v and directories %v", files, dirs)
	}
}

// TestOutageMidBatch: the database goes away while entries are buffered and
// comes back while more are logged; the entries written before, those
// spooled and those logged during the drain reach it once, in order.
func TestOutageMidBatch(t *testing.T) {
	sink := &memSink{}
	w := newWriter(t, sink, Options{MaxBatch: 8, Buffer: 32, FlushInterval: time.Millisecond})
	defer closeWriter(t, w)
	ids := seqIDs(3000)
	for i, id := range ids {
		switch i {
		case 500:
			sink.down.Store(true)
		case 2000:
			sink.down.Store(false)
		}
		w.Log(entry(id))
	}
	// Flush may return before the writer notices the database is back;
	// the entries reach it anyway.
	eventually(t, "the spool to drain", func() bool { return sink.len() >= len(ids) })
	if got := sink.ids(); !slices.Equal(got, ids) {
		t.Fatalf("the sink holds %d entries, not every entry once in order", len(got))
	}
	if s := w.Stats(); s.Spooled == 0 || s.Written != 3000 || s.Drained != s.Spooled {
		t.Errorf("Stats = %+v, want some entries through the spool and all written", s)
	}
}

// TestSpoolBound: a full spool drops further entries, counts them and
// logs the count, without blocking Log; what it holds is drained in order
// after the outage, and it takes entries again once drained.
func TestSpoolBound(t *testing.T) {
	sink := &memSink{}
	sink.down.Store(true)
	dir := t.TempDir()
	var logBuf syncBuffer
	const limit, total = 16 << 10, 1000 // about 150 bytes a line: about 100 lines fit
	w := newWriter(t, sink, Options{MaxBatch: 16, Buffer: 64, FlushInterval: time.Millisecond, SpoolDir: dir, SpoolMax: limit,
		Logger: slog.New(slog.NewTextHandler(&logBuf, nil))})
	defer closeWriter(t, w)
	for _, id := range seqIDs(total) {
		w.Log(entry(id))
	}
	if err := w.Flush(context.Background()); !errors.Is(err, ErrNotWritten) {
		t.Errorf("Flush with entries dropped = %v, want ErrNotWritten", err)
	}
	s := w.Stats()
	if s.Spooled == 0 || s.Dropped == 0 || s.Spooled+s.Dropped != total {
		t.Fatalf("Stats = %+v, want %d entries spooled or dropped, some of each", s, total)
	}
	if n, _ := segmentBytes(t, dir); n > limit {
		t.Errorf("spool holds %d bytes, bound %d", n, limit)
	}
	logs := logBuf.String()
	if !strings.Contains(logs, "spool full") || !strings.Contains(logs, "dropped_total=") {
		t.Errorf("the drops are not logged:\n%s", logs)
	}
	if n := strings.Count(logs, "spool full"); n != 1 {
		t.Errorf("%d log lines about the full spool within a minute, want 1", n)
	}

	sink.down.Store(false)
	// The spool keeps the entries that reached it before it filled:
	// mostly the oldest (a batch whose write was failing when the spool
	// filled may have been overtaken), in order, once each.
	eventually(t, "the spool to drain", func() bool { return uint64(sink.len()) == s.Spooled })
	pos := map[string]int{}
	for i, id := range seqIDs(total) {
		pos[id] = i
	}
	got := sink.ids()
	for i := 1; i < len(got); i++ {
		if pos[got[i]] <= pos[got[i-1]] {
			t.Fatalf("drained %v: not in the order logged", got)
		}
	}
	w.Log(entry("later"))
	if err := w.Flush(context.Background()); err != nil {
		t.Errorf("Flush after the spool drained = %v", err)
	}
}

// TestSpoolLeftByPreviousWriter: a Writer closed during an outage leaves
// its entries in the spool (files 0600, directories 0700); the next Writer
// on the directory drains them before its own entries and deletes the
// directory.
func TestSpoolLeftByPreviousWriter(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "audit-spool")
	down := &memSink{}
	down.down.Store(true)
	w1 := newWriter(t, down, Options{MaxBatch: 16, Buffer: 64, FlushInterval: time.Millisecond, SpoolDir: dir})
	old := make([]string, 300)
	for i := range old {
		old[i] = fmt.Sprintf("old-%d", i)
		w1.Log(entry(old[i]))
	}
	closeWriter(t, w1) // returns during the outage: the entries are spooled
	if s := w1.Stats(); s != (Stats{Spooled: 300}) {
		t.Fatalf("Stats = %+v, want 300 spooled", s)
	}
	files, dirs := spoolFiles(t, dir)
	if len(files) == 0 || len(dirs) != 2 {
		t.Fatalf("spool after Close: files %v, directories %v", files, dirs)
	}
	for name, fi := range files {
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", name, fi.Mode().Perm())
		}
	}
	for name, mode := range dirs {
		if mode != 0o700 {
			t.Errorf("directory %s has mode %v, want 0700", name, mode)
		}
	}

	sink := &memSink{}
	release := make(chan struct{})
	sink.before = func(_ context.Context, call, _ int) error {
		if call == 1 {
			<-release // hold the drain so that new entries queue behind it
		}
		return nil
	}
	w2 := newWriter(t, sink, Options{MaxBatch: 16, Buffer: 64, FlushInterval: time.Millisecond, SpoolDir: dir})
	for _, id := range seqIDs(50) {
		w2.Log(entry(id))
	}
	close(release)
	if err := w2.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := sink.ids(), append(slices.Clone(old), seqIDs(50)...); !slices.Equal(got, want) {
		t.Fatalf("sink holds %v, want the old entries, then the new, once each", got)
	}
	if s := w2.Stats(); s.Written != 350 || s.Drained < 300 {
		t.Errorf("Stats = %+v, want 350 written, 300 or more drained", s)
	}
	closeWriter(t, w2)
	if files, dirs := spoolFiles(t, dir); len(files) != 0 || len(dirs) != 1 {
		t.Errorf("after draining: files %v, directories %v", files, dirs)
	}
}

// TestSpoolPosition: a Writer that died while draining recorded how far
// its oldest segment was drained; the next one resumes there, and skips
// (and counts) a line cut short by the crash.
func TestSpoolPosition(t *testing.T) {
	dir := t.TempDir()
	down := &memSink{}
	down.down.Store(true)
	// Nothing is written before Close, which writes one batch: it fails
	// and goes to the spool as one segment.
	w1 := newWriter(t, down, Options{SpoolDir: dir, FlushInterval: time.Hour})
	for _, id := range seqIDs(100) {
		w1.Log(entry(id))
	}
	closeWriter(t, w1)

	// One segment: mark its first 40 lines drained and cut a line short
	// at its end, as a crash would leave them.
	files, _ := spoolFiles(t, dir)
	var seg string
	for name := range files {
		if strings.HasSuffix(name, segmentExt) {
			if seg != "" {
				t.Fatalf("more than one segment: %v", files)
			}
			seg = filepath.Join(dir, name)
		}
	}
	b, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	off := 0
	for range 40 {
		off += strings.IndexByte(string(b[off:]), '\n') + 1
	}
	pos := filepath.Join(filepath.Dir(seg), positionName)
	if err := os.WriteFile(pos, fmt.Appendf(nil, "%s %d\n", filepath.Base(seg), off), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(seg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"seq":101,"tenantId":"default","id":"torn`)
	f.Close()

	sink := &memSink{}
	w2 := newWriter(t, sink, Options{SpoolDir: dir})
	eventually(t, "the spool to drain", func() bool { s := w2.Stats(); return s.Drained+s.Dropped == 61 })
	closeWriter(t, w2)
	if got, want := sink.ids(), seqIDs(100)[40:]; !slices.Equal(got, want) {
		t.Errorf("drained %v, want entries 40..99", got)
	}
	if s := w2.Stats(); s != (Stats{Written: 60, Drained: 60, Dropped: 1}) {
		t.Errorf("Stats = %+v, want 60 drained and the torn line dropped", s)
	}
}

// TestSharedSpoolDir: two Writers on one directory (two instances sharing
// a data dir) keep to their own entries while both run; the entries of one
// that is gone are drained by the next that starts.
func TestSharedSpoolDir(t *testing.T) {
	dir := t.TempDir()
	down := &memSink{}
	down.down.Store(true)
	a := newWriter(t, down, Options{SpoolDir: dir, FlushInterval: time.Millisecond})
	for _, id := range seqIDs(20) {
		a.Log(entry(id))
	}
	if err := a.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	up := &memSink{}
	b := newWriter(t, up, Options{SpoolDir: dir})
	b.Log(entry("b"))
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := up.ids(); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("the second writer wrote %v, want only its own entry", got)
	}
	closeWriter(t, a)
	closeWriter(t, b)

	c := newWriter(t, up, Options{SpoolDir: dir})
	eventually(t, "the first writer's spool to drain", func() bool { return up.len() == 21 })
	closeWriter(t, c)
	if got, want := up.ids()[1:], seqIDs(20); !slices.Equal(got, want) {
		t.Errorf("drained %v, want %v", got, want)
	}
}

// TestSpoolRoundTrip: every field of an entry survives the spool, an empty
// payload stays empty, and JSON is not HTML-escaped.
func TestSpoolRoundTrip(t *testing.T) {
	e := entry("x")
	e.ApplicationID, e.Result, e.Payload = "app<1>", "Error", []byte(`{"ua":"a<b>&c","n":1}`)
	bare := entry("bare")
	bare.Payload = nil
	l := encode([]rbac.LogEntry{e, bare}, 7)
	if l.bad != 0 || len(l.ends) != 2 || !slices.Equal(l.seqs, []uint64{7, 8}) {
		t.Fatalf("encode: %+v", l)
	}
	if strings.Contains(string(l.data), `\u003c`) {
		t.Errorf("HTML-escaped: %s", l.data)
	}
	got, seq, ok := decode(l.data[:l.ends[0]])
	if !ok || seq != 7 || got.ID != e.ID || got.TenantID != e.TenantID || got.Key != e.Key || got.CreatedAt != e.CreatedAt ||
		got.ApplicationID != e.ApplicationID || got.Result != e.Result || string(got.Payload) != string(e.Payload) {
		t.Errorf("round trip: %+v (seq %d), want %+v", got, seq, e)
	}
	if got, _, _ := decode(l.data[l.ends[0]:l.ends[1]]); got.Payload != nil {
		t.Errorf("empty payload came back as %q", got.Payload)
	}
	e.Payload = []byte(`{not json`)
	if l := encode([]rbac.LogEntry{e}, 1); l.bad != 1 || len(l.ends) != 0 {
		t.Errorf("an invalid payload was encoded: %+v", l)
	}
}

// TestSpoolUnwritable: when the spool cannot be written (here: its
// directory is gone) during an outage, entries are dropped, counted and
// logged, and Log and Flush still return.
func TestSpoolUnwritable(t *testing.T) {
	sink := &memSink{}
	sink.down.Store(true)
	var logBuf syncBuffer
	w := newWriter(t, sink, Options{FlushInterval: time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logBuf, nil))})
	if err := os.RemoveAll(w.sp.own.path); err != nil {
		t.Fatal(err)
	}
	for _, id := range seqIDs(10) {
		w.Log(entry(id))
	}
	if err := w.Flush(context.Background()); !errors.Is(err, ErrNotWritten) {
		t.Errorf("Flush = %v, want ErrNotWritten", err)
	}
	closeWriter(t, w)
	if s := w.Stats(); s != (Stats{Dropped: 10}) {
		t.Errorf("Stats = %+v, want 10 dropped", s)
	}
	if logs := logBuf.String(); !strings.Contains(logs, "cannot write the spool") || !strings.Contains(logs, "dropped_total=") {
		t.Errorf("the loss is not logged:\n%s", logs)
	}
}
