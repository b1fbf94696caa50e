//go:build !linux

package app

import "time"

// threadCPU is not measured outside Linux: ratios then use wall time only.
func threadCPU() time.Duration { return 0 }
