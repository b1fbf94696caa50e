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

// pollable returns fd as a file read through the runtime's network poller:
// a worker waiting for its next request then parks its goroutine, and the
// Go runtime sleeps in epoll_wait with its monitor thread asleep too. A
// blocking read(2) instead leaves the worker in a system call, which the
// runtime's monitor thread wakes up to notice and take its processor back
// from, and is woken again when the call returns: context switches on
// every request (docs/operations.md "JWT customizer cost").
// (os.NewFile makes a file pollable when its descriptor is non-blocking;
// should that fail, reads block, which works too.)
func pollable(fd int, name string) *os.File {
	syscall.SetNonblock(fd, true)
	return os.NewFile(uintptr(fd), name)
}
