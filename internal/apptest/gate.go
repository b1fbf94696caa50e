package apptest

import (
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/prio"
)

// WaitGateOpen waits until g is open: no request it counts in flight and
// its linger over. It fails the test after 10 s.
func WaitGateOpen(t testing.TB, g *prio.Gate) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for g.Closed() {
		if time.Now().After(deadline) {
			t.Fatal("the gate stayed closed with no request in flight")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
