package customizer

import (
	"io"
	"os"
	"syscall"
	"unsafe"
)

// pipeIO reads and writes one end of a nonblocking pipe with raw system
// calls, and waits in the runtime's network poller only when the pipe has
// nothing to read or no room. An os.File goes through the runtime's
// entersyscall on every read and write, which wakes the runtime's monitor
// thread (sysmon) whenever it has gone to sleep, as it does in an idle
// worker between two calls and in a lightly loaded server: one more thread
// wake-up (a futex, and on a virtual machine an inter-processor interrupt)
// per frame each way. A read or write of a nonblocking pipe never blocks,
// so it has no need of what entersyscall is for.
type pipeIO struct {
	f  *os.File
	rc syscall.RawConn
}

// newPipeIO wraps f, a pipe end in the poller (os.Pipe, or pollable).
func newPipeIO(f *os.File) (io.ReadWriter, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	return &pipeIO{f: f, rc: rc}, nil
}

// rawIO is one read(2) or write(2) of b on fd, retried on EINTR.
func rawIO(trap, fd uintptr, b []byte) (int, syscall.Errno) {
	for {
		r, _, e := syscall.RawSyscall(trap, fd, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
		if e != syscall.EINTR {
			return int(r), e
		}
	}
}

// Read implements io.Reader.
func (p *pipeIO) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	var (
		n     int
		errno syscall.Errno
	)
	err := p.rc.Read(func(fd uintptr) bool {
		n, errno = rawIO(syscall.SYS_READ, fd, b)
		return errno != syscall.EAGAIN
	})
	switch {
	case err != nil:
		return 0, err
	case errno != 0:
		return 0, &os.PathError{Op: "read", Path: p.f.Name(), Err: errno}
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// Write implements io.Writer: all of b, or an error.
func (p *pipeIO) Write(b []byte) (int, error) {
	done := 0
	var errno syscall.Errno
	err := p.rc.Write(func(fd uintptr) bool {
		for done < len(b) {
			n, e := rawIO(syscall.SYS_WRITE, fd, b[done:])
			if e == syscall.EAGAIN {
				return false
			}
			if e != 0 {
				errno = e
				return true
			}
			done += n
		}
		return true
	})
	if err == nil && errno != 0 {
		err = &os.PathError{Op: "write", Path: p.f.Name(), Err: errno}
	}
	return done, err
}
