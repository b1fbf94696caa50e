//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package app

import "os"

// flock cannot lock without flock(2): on such systems nothing stops a
// second server on one data dir.
func flock(f *os.File) (held bool, err error) { return false, nil }
