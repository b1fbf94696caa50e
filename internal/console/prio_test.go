package console_test

import (
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/prio"
	"github.com/gatehouse/gatehouse/internal/storetest"
)

// TestPagesCloseGate: a signed-in administrator's page closes the
// server's gate (token signatures make way for it); an anonymous one does
// not.
func TestPagesCloseGate(t *testing.T) {
	e := start(t, storetest.SQLite(t), nil)
	g := e.srv.Gate()
	apptest.WaitGateOpen(t, g)
	if r := e.get("/console/applications"); r.status != 303 {
		t.Fatalf("anonymous page: %d", r.status)
	}
	if g.Closed() {
		t.Error("an anonymous page closed the gate")
	}
	e.signIn()
	for attempt := 0; ; attempt++ {
		apptest.WaitGateOpen(t, g)
		sent := time.Now()
		if r := e.get("/console/applications"); r.status != 200 {
			t.Fatalf("applications page: %d", r.status)
		}
		if g.Closed() {
			break
		}
		if time.Since(sent) < prio.DefaultLinger || attempt == 2 {
			t.Fatal("a signed-in page left the gate open")
		}
	}
}
