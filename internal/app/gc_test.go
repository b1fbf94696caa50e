package app

import "testing"

func TestGCPercent(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, 400},
		{1 << 20, 400},   // tiny heap: capped at 4x
		{6 << 20, 200},   // 10 apps: 12 MiB of headroom
		{12 << 20, 100},  // from here on, Go's default
		{200 << 20, 100}, // 100,000 apps
	} {
		if got := gcPercent(c.live); got != c.want {
			t.Errorf("gcPercent(%d MiB) = %d, want %d", c.live>>20, got, c.want)
		}
	}
}
