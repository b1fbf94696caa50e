package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// The spool's layout. Its root (Options.SpoolDir) holds one directory per
// Writer that has used it, named by a generation number (16 hex digits,
// so that names sort by age), because several processes may share a data
// dir (two instances on one PostgreSQL database, or a restart overlapping
// the old process). Each directory holds:
//
//   - lock: held with flock(2) while its Writer runs. A directory whose lock
//     is free belongs to a process that is gone; New takes it over and
//     drains it before its own entries, then deletes it.
//   - segments, <first>.jsonl, where first is the Writer's sequence number
//     of its first entry (16 hex digits: names sort in log order). One
//     entry per line, as JSON (see record); appended whole, never rewritten.
//   - position: "<segment> <offset>", how far the oldest segment is drained;
//     written (via a rename) after every batch the Sink accepts.
//
// Files are created with mode 0600 and directories with 0700.
const (
	lockName     = "lock"
	positionName = "position"
	segmentExt   = ".jsonl"
	newPrefix    = ".new-"     // a Writer's directory before it has its name
	segmentMax   = 4 << 20     // a segment is sealed once it holds this many bytes
	syncEvery    = time.Second // the segment being appended to is fsynced at most this often
)

// spool is the files of a Writer's spool. Its fields are guarded as noted:
// by Writer.mu, or owned by one goroutine.
type spool struct {
	root     string
	max      int64
	segLimit int64
	own      *spoolDir
	dirs     []*spoolDir // own and the directories taken over; owned by the sink goroutine after New

	// Guarded by Writer.mu.
	size int64      // bytes in every segment listed
	segs []*segment // drain order: taken-over directories oldest first, then own
	tail *segment   // own segment the spool goroutine appends to, if any

	// Owned by the spool goroutine.
	tailFile *os.File
	tailLen  int64
	unsynced bool
	lastSync time.Time

	// Owned by the sink goroutine.
	rd    *os.File
	rdSeg *segment
}

// spoolDir is one generation's directory.
type spoolDir struct {
	path string
	lock *os.File // holds the flock; nil once released
	segs int      // segments listed; guarded by Writer.mu
}

// segment is one file of entries.
type segment struct {
	dir     *spoolDir
	name    string
	first   uint64
	size    int64 // bytes of whole lines written
	drained int64 // bytes of lines the Sink accepted (or skipped)
	sealed  bool  // no more lines will be appended
}

func (s *segment) path() string { return filepath.Join(s.dir.path, s.name) }

// record is the spool's form of an rbac.LogEntry: every field, including
// those LogEntry leaves out of its JSON, and the Writer's sequence number
// of the entry (meaningful only to the Writer that spooled it).
type record struct {
	Seq           uint64          `json:"seq"`
	TenantID      string          `json:"tenantId"`
	ID            string          `json:"id"`
	Key           string          `json:"key"`
	Payload       json.RawMessage `json:"payload,omitempty"`
	CreatedAt     int64           `json:"createdAt"`
	ApplicationID string          `json:"applicationId,omitempty"`
	Result        string          `json:"result,omitempty"`
}

// lines are entries encoded for the spool: line i ends at ends[i] in data
// and holds the entry numbered seqs[i]. bad counts entries that could not
// be encoded (a payload that is not JSON, which the store refuses too).
type lines struct {
	data []byte
	ends []int
	seqs []uint64
	bad  int
}

// encode turns entries, numbered from first, into spool lines.
func encode(entries []rbac.LogEntry, first uint64) lines {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	l := lines{ends: make([]int, 0, len(entries)), seqs: make([]uint64, 0, len(entries))}
	for i := range entries {
		e := &entries[i]
		err := enc.Encode(record{
			Seq: first + uint64(i), TenantID: e.TenantID, ID: e.ID, Key: e.Key, Payload: e.Payload,
			CreatedAt: e.CreatedAt, ApplicationID: e.ApplicationID, Result: e.Result,
		})
		if err != nil {
			l.bad++
			continue
		}
		l.ends = append(l.ends, b.Len())
		l.seqs = append(l.seqs, first+uint64(i))
	}
	l.data = b.Bytes()
	return l
}

// decode reads one spool line.
func decode(line []byte) (rbac.LogEntry, uint64, bool) {
	var r record
	if err := json.Unmarshal(line, &r); err != nil {
		return rbac.LogEntry{}, 0, false
	}
	return rbac.LogEntry{
		TenantID: r.TenantID, ID: r.ID, Key: r.Key, Payload: r.Payload, CreatedAt: r.CreatedAt,
		ApplicationID: r.ApplicationID, Result: r.Result,
	}, r.Seq, true
}

// openSpool creates root if needed, takes over the directories of
// processes that are gone, and creates this Writer's own directory.
func openSpool(root string, limit int64) (*spool, error) {
	if root == "" {
		return nil, errors.New("audit: spool: no directory (Options.SpoolDir)")
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("audit: spool: %w", err)
	}
	if err := os.Chmod(root, 0o700); err != nil {
		return nil, fmt.Errorf("audit: spool: %w", err)
	}
	des, err := os.ReadDir(root) // sorted by name: oldest generation first
	if err != nil {
		return nil, fmt.Errorf("audit: spool: %w", err)
	}
	sp := &spool{root: root, max: limit, segLimit: max(1, min(segmentMax, limit/8))}
	var last uint64
	for _, de := range des {
		name, path := de.Name(), filepath.Join(root, de.Name())
		if !de.IsDir() {
			continue
		}
		if gen, ok := parseHex(name); ok {
			last = max(last, gen)
			if err := sp.takeOver(path); err != nil {
				sp.release()
				return nil, err
			}
		} else if strings.HasPrefix(name, newPrefix) {
			sp.removeAbandoned(path)
		}
	}
	if err := sp.createOwn(last + 1); err != nil {
		sp.release()
		return nil, err
	}
	for _, s := range sp.segs {
		sp.size += s.size
	}
	return sp, nil
}

// takeOver lists the segments of a directory whose Writer is gone, and
// holds its lock so that no other process takes it too. The directory of a
// live Writer is left alone.
func (sp *spool) takeOver(path string) error {
	lock, err := tryLock(filepath.Join(path, lockName))
	if err != nil {
		return fmt.Errorf("audit: spool: %w", err)
	}
	if lock == nil {
		return nil
	}
	d := &spoolDir{path: path, lock: lock}
	sp.dirs = append(sp.dirs, d)
	des, err := os.ReadDir(path)
	if err != nil {
		return fmt.Errorf("audit: spool: %w", err)
	}
	var segs []*segment
	for _, de := range des {
		stem, ok := strings.CutSuffix(de.Name(), segmentExt)
		first, hex := parseHex(stem)
		if !ok || !hex || !de.Type().IsRegular() {
			continue
		}
		fi, err := de.Info()
		if err != nil {
			return fmt.Errorf("audit: spool: %w", err)
		}
		segs = append(segs, &segment{dir: d, name: de.Name(), first: first, size: fi.Size(), sealed: true})
	}
	if len(segs) == 0 {
		return sp.removeDir(d)
	}
	if b, err := os.ReadFile(filepath.Join(path, positionName)); err == nil {
		name, off, _ := strings.Cut(strings.TrimSpace(string(b)), " ")
		if n, err := strconv.ParseInt(off, 10, 64); err == nil {
			for _, s := range segs {
				if s.name == name {
					s.drained = min(max(n, 0), s.size)
				}
			}
		}
	}
	d.segs = len(segs)
	sp.segs = append(sp.segs, segs...)
	return nil
}

// removeAbandoned deletes the directory of a Writer that died before it
// had its name (it holds no segments), unless that Writer is still
// starting.
func (sp *spool) removeAbandoned(path string) {
	lock, err := tryLock(filepath.Join(path, lockName))
	if err != nil || lock == nil {
		return
	}
	os.RemoveAll(path)
	lock.Close()
}

// createOwn creates and locks this Writer's directory, named by the first
// free generation from gen. It is locked before it is named, so that
// another process starting at the same time cannot take it over.
func (sp *spool) createOwn(gen uint64) error {
	tmp, err := os.MkdirTemp(sp.root, newPrefix) // mode 0700
	if err != nil {
		return fmt.Errorf("audit: spool: %w", err)
	}
	lock, err := tryLock(filepath.Join(tmp, lockName))
	if err == nil && lock == nil {
		err = errors.New("lock taken")
	}
	if err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("audit: spool: %w", err)
	}
	for ; ; gen++ {
		path := filepath.Join(sp.root, fmt.Sprintf("%016x", gen))
		err := os.Rename(tmp, path)
		if err == nil {
			sp.own = &spoolDir{path: path, lock: lock}
			sp.dirs = append(sp.dirs, sp.own)
			return nil
		}
		if !errors.Is(err, fs.ErrExist) { // ErrExist: another process took gen first
			os.RemoveAll(tmp)
			lock.Close()
			return fmt.Errorf("audit: spool: %w", err)
		}
	}
}

// removeDir deletes a directory whose segments are all drained, and
// releases its lock.
func (sp *spool) removeDir(d *spoolDir) error {
	err := errors.Join(
		ignoreNotExist(os.Remove(filepath.Join(d.path, positionName))),
		ignoreNotExist(os.Remove(filepath.Join(d.path, positionName+".tmp"))),
		ignoreNotExist(os.Remove(filepath.Join(d.path, lockName))),
		ignoreNotExist(os.Remove(d.path)),
	)
	if d.lock != nil {
		d.lock.Close()
		d.lock = nil
	}
	if err != nil {
		return fmt.Errorf("audit: spool: %w", err)
	}
	return nil
}

// release ends the spool's use by this Writer: drained segments and
// directories with nothing left in them are deleted, the others keep their
// segments for the next process. The goroutines have returned; it is
// called with Writer.mu held.
func (sp *spool) release() error {
	var errs []error
	kept := sp.segs[:0]
	for _, s := range sp.segs {
		if s.drained < s.size {
			kept = append(kept, s)
			continue
		}
		if err := ignoreNotExist(os.Remove(s.path())); err != nil {
			errs = append(errs, fmt.Errorf("audit: spool: %w", err))
			kept = append(kept, s)
			continue
		}
		sp.size -= s.size
		s.dir.segs--
	}
	sp.segs = kept
	for _, d := range sp.dirs {
		switch {
		case d.lock == nil:
		case d.segs == 0:
			errs = append(errs, sp.removeDir(d))
		default:
			d.lock.Close()
			d.lock = nil
		}
	}
	return errors.Join(errs...)
}

// insert lists a new segment of this Writer's own directory in log order;
// its bytes were counted by reserve. It is called with Writer.mu held.
func (sp *spool) insert(seg *segment) {
	i := sort.Search(len(sp.segs), func(i int) bool {
		s := sp.segs[i]
		return s.dir == sp.own && s.first > seg.first
	})
	sp.segs = append(sp.segs, nil)
	copy(sp.segs[i+1:], sp.segs[i:])
	sp.segs[i] = seg
	seg.dir.segs++
}

// reserve counts the first lines of l that fit in the bound into size and
// returns how many and their bytes. It is called with Writer.mu held.
func (sp *spool) reserve(l lines) (k int, n int64) {
	room := sp.max - sp.size
	k = sort.Search(len(l.ends), func(i int) bool { return int64(l.ends[i]) > room })
	if k > 0 {
		n = int64(l.ends[k-1])
	}
	sp.size += n
	return k, n
}

// createTail starts a new segment for the spool goroutine to append to.
func (sp *spool) createTail(first uint64) (*segment, error) {
	if err := sp.closeTail(); err != nil {
		return nil, err
	}
	seg := &segment{dir: sp.own, name: segmentName(first), first: first}
	f, err := os.OpenFile(seg.path(), os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: spool: %w", err)
	}
	if err := syncDir(sp.own.path); err != nil {
		f.Close()
		os.Remove(seg.path())
		return nil, err
	}
	sp.tailFile, sp.tailLen = f, 0
	return seg, nil
}

// appendTail appends whole lines to the tail segment. On a failed write it
// cuts the file back to its last whole line; the caller seals the segment.
func (sp *spool) appendTail(data []byte) error {
	if _, err := sp.tailFile.Write(data); err != nil {
		sp.tailFile.Truncate(sp.tailLen) // a partial line would read as garbage
		return fmt.Errorf("audit: spool: %w", err)
	}
	sp.tailLen += int64(len(data))
	sp.unsynced = true
	return nil
}

// discardTail closes and deletes a new tail segment whose first write
// failed.
func (sp *spool) discardTail(seg *segment) {
	if sp.tailFile != nil {
		sp.tailFile.Close()
		sp.tailFile, sp.unsynced = nil, false
	}
	os.Remove(seg.path())
}

// syncTail fsyncs the tail segment.
func (sp *spool) syncTail() error {
	sp.lastSync = time.Now()
	if sp.tailFile == nil || !sp.unsynced {
		return nil
	}
	sp.unsynced = false
	if err := sp.tailFile.Sync(); err != nil {
		return fmt.Errorf("audit: spool: %w", err)
	}
	return nil
}

// closeTail syncs and closes the tail segment's file, if open.
func (sp *spool) closeTail() error {
	if sp.tailFile == nil {
		return nil
	}
	err := sp.syncTail()
	if cerr := sp.tailFile.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("audit: spool: %w", cerr)
	}
	sp.tailFile = nil
	return err
}

// writeSegment writes data as a whole new segment, synced.
func (sp *spool) writeSegment(first uint64, data []byte) (*segment, error) {
	seg := &segment{dir: sp.own, name: segmentName(first), first: first, size: int64(len(data)), sealed: true}
	f, err := os.OpenFile(seg.path(), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: spool: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDir(sp.own.path)
	}
	if err != nil {
		os.Remove(seg.path())
		return nil, fmt.Errorf("audit: spool: %w", err)
	}
	return seg, nil
}

// read returns up to limit entries of seg from offset off, reading no
// further than size, their sequence numbers, and the offset after them.
// Lines that do not decode are skipped and counted, and so is an
// incomplete last line of a sealed segment (a write cut short by a crash).
func (sp *spool) read(seg *segment, off, size int64, sealed bool, limit int) (entries []rbac.LogEntry, seqs []uint64, next int64, skipped int, err error) {
	if sp.rdSeg != seg {
		sp.closeReader()
		f, err := os.Open(seg.path())
		if err != nil {
			return nil, nil, off, 0, fmt.Errorf("audit: spool: %w", err)
		}
		sp.rd, sp.rdSeg = f, seg
	}
	r := bufio.NewReaderSize(io.NewSectionReader(sp.rd, off, size-off), 64<<10)
	next = off
	for len(entries) < limit {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			if len(line) > 0 && sealed {
				skipped++
				next += int64(len(line))
			}
			break
		}
		if err != nil {
			return nil, nil, off, 0, fmt.Errorf("audit: spool: %w", err)
		}
		next += int64(len(line))
		if e, seq, ok := decode(line); ok {
			entries = append(entries, e)
			seqs = append(seqs, seq)
		} else {
			skipped++
		}
	}
	return entries, seqs, next, skipped, nil
}

// closeReader closes the sink goroutine's open segment.
func (sp *spool) closeReader() {
	if sp.rd != nil {
		sp.rd.Close()
		sp.rd, sp.rdSeg = nil, nil
	}
}

// savePosition records that seg is drained up to off.
func (sp *spool) savePosition(seg *segment, off int64) error {
	tmp := filepath.Join(seg.dir.path, positionName+".tmp")
	if err := os.WriteFile(tmp, fmt.Appendf(nil, "%s %d\n", seg.name, off), 0o600); err != nil {
		return fmt.Errorf("audit: spool: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(seg.dir.path, positionName)); err != nil {
		return fmt.Errorf("audit: spool: %w", err)
	}
	return nil
}

// deleteSegment deletes a drained segment's file, and its directory with
// it when that was the last segment of a directory taken over.
func (sp *spool) deleteSegment(seg *segment, lastInDir bool) error {
	if sp.rdSeg == seg {
		sp.closeReader()
	}
	if err := ignoreNotExist(os.Remove(seg.path())); err != nil {
		return fmt.Errorf("audit: spool: %w", err)
	}
	if lastInDir && seg.dir != sp.own {
		return sp.removeDir(seg.dir)
	}
	return nil
}

func segmentName(first uint64) string { return fmt.Sprintf("%016x%s", first, segmentExt) }

// parseHex parses a name of exactly 16 hex digits.
func parseHex(s string) (uint64, bool) {
	if len(s) != 16 {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 16, 64)
	return n, err == nil
}

// syncDir fsyncs a directory, so that a file created in it survives a
// power loss.
func syncDir(path string) error {
	d, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("audit: spool: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("audit: spool: %w", err)
	}
	return nil
}

func ignoreNotExist(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
