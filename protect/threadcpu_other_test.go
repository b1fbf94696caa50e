//go:build !linux

package protect_test

import "time"

// threadCPU is not measured outside Linux: ratios then use wall time only.
func threadCPU() time.Duration { return 0 }
