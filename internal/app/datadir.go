package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// lockFileName is the data dir's lock file (see lockDataDir).
const lockFileName = "gatehouse.lock"

// ErrDataDirLocked means another process holds the data dir's lock: a
// second server on one SQLite database would keep its own grant cache and
// never hear of the first one's writes (a role removed through one would
// keep granting on the other). gatehouse serve exits 2 on it.
var ErrDataDirLocked = errors.New("data dir is in use")

// LockedError is the error of a data dir another process holds.
type LockedError struct {
	Dir string
	PID int // 0 when the holder has not written its pid yet
}

// Error names the holder.
func (e *LockedError) Error() string {
	who := "another process"
	if e.PID > 0 {
		who = "process " + strconv.Itoa(e.PID)
	}
	return fmt.Sprintf("data dir %s is in use by %s (lock file %s): one server per SQLite data dir; stop it first, or use PostgreSQL to run several instances",
		e.Dir, who, filepath.Join(e.Dir, lockFileName))
}

// Is makes errors.Is(err, ErrDataDirLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrDataDirLocked }

// dirLock is a held data dir lock.
type dirLock struct{ f *os.File }

// lockDataDir takes the exclusive lock of dir (flock on dir/gatehouse.lock,
// without waiting) and writes this process's pid into the file. The kernel
// releases the lock when the process ends, however it ends, so a crashed
// server leaves nothing to clean up; the file itself stays. Another holder
// gives a *LockedError naming its pid.
func lockDataDir(dir string) (*dirLock, error) {
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data dir lock: %w", err)
	}
	held, err := flock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("data dir lock %s: %w", path, err)
	}
	if held {
		b, _ := os.ReadFile(path)
		f.Close()
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		return nil, &LockedError{Dir: dir, PID: pid}
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &dirLock{f: f}, nil
}

// release gives the lock up.
func (l *dirLock) release() {
	if l != nil {
		l.f.Close()
	}
}
