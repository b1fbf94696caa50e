//go:build !linux

package customizer

import (
	"io"
	"os"
	"os/exec"
)

// limitMemory is a no-op here: workers are bounded by the Go memory limit
// (a soft target) and the wall clock only. Linux is the supported server
// platform.
func limitMemory(int64) error { return nil }

func workerAttr(*exec.Cmd) {}

// pollable returns fd as a file.
func pollable(fd int, name string) *os.File { return os.NewFile(uintptr(fd), name) }

// newPipeIO returns f itself.
func newPipeIO(f *os.File) (io.ReadWriter, error) { return f, nil }
