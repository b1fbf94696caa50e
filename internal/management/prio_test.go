package management_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/prio"
	"github.com/gatehouse/gatehouse/internal/storetest"
)

// TestRequestsCloseGate: an authenticated Management API request closes
// the server's gate (token signatures make way for it) and leaves it
// closed for the linger; a request that fails authentication does not.
func TestRequestsCloseGate(t *testing.T) {
	e := apptest.New(t, storetest.SQLite(t))
	g := e.Server.Gate()
	if g.Slots() < 1 {
		t.Fatalf("the server's gate has %d slots", g.Slots())
	}
	get := func(auth string) int {
		req, _ := http.NewRequest("GET", e.URL+"/api/applications", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	admin := "Bearer " + e.AdminToken()

	apptest.WaitGateOpen(t, g)
	if code := get("Bearer not-a-jwt"); code != 401 {
		t.Fatalf("bad token: %d", code)
	}
	if g.Closed() {
		t.Error("a request that failed authentication closed the gate")
	}

	for attempt := 0; ; attempt++ {
		apptest.WaitGateOpen(t, g)
		sent := time.Now()
		if code := get(admin); code != 200 {
			t.Fatalf("GET /api/applications: %d", code)
		}
		if g.Closed() {
			break
		}
		// The request ended after sent, so the gate stays closed until
		// sent+linger at least: open before then is a failure; after,
		// the test process stalled, and it tries again.
		if time.Since(sent) < prio.DefaultLinger || attempt == 2 {
			t.Fatal("an authenticated Management API request left the gate open")
		}
	}
	if n := g.Urgent(); n != 0 {
		t.Errorf("%d urgent requests in flight after the request ended", n)
	}
}
