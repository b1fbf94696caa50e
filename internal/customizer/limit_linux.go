package customizer

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// limitMemory caps the worker's address space at what it maps now plus
// mem (RLIMIT_AS): an allocation past it fails, and the Go runtime ends
// the process ("out of memory"), whatever the script was doing.
func limitMemory(mem int64) error {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return fmt.Errorf("read /proc/self/status: %w", err)
	}
	var base int64
	for line := range bytes.Lines(status) {
		if f := bytes.Fields(line); len(f) >= 2 && string(f[0]) == "VmSize:" {
			kb, err := strconv.ParseInt(string(f[1]), 10, 64)
			if err != nil {
				return fmt.Errorf("VmSize: %w", err)
			}
			base = kb << 10
		}
	}
	if base == 0 {
		return fmt.Errorf("no VmSize in /proc/self/status")
	}
	lim := uint64(base + mem)
	return syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: lim, Max: lim})
}

// workerAttr makes a worker die with the server (SIGKILL when its parent
// thread exits) and puts it in a process group of its own, so that a
// signal to the server's group does not reach it first.
func workerAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}

// answerPipe makes the pipe a worker answers on. The server's end is
// blocking: the caller's thread sleeps in read(2) and wakes when the answer
// is written, which costs less per call than parking the goroutine on the
// network poller and waking it from there.
func answerPipe() (r, w *os.File, err error) {
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
		return nil, nil, err
	}
	return os.NewFile(uintptr(fds[0]), "customizer-answers"), os.NewFile(uintptr(fds[1]), "customizer-answers"), nil
}
