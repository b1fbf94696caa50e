package app

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/storetest"
)

// TestInstancesShareChanges: two instances on one PostgreSQL database. A
// write through one (an app created) is seen by the other's very next
// requests, although the other had cached the app as unknown.
func TestInstancesShareChanges(t *testing.T) {
	dsn := storetest.Postgres(t)
	dir := t.TempDir()
	start := func() (*Server, *fixture) {
		return startOn(t, testConfig(t, dsn, dir), Options{}) // one data dir: one master key file
	}
	a, _ := start()
	_, fb := start()

	ask := func() int {
		resp := fb.post("grant_type=client_credentials&resource="+mapi+"&scope=all", "Authorization", basic("late-app", "late secret"))
		return resp.StatusCode
	}
	if got := ask(); got != 400 { // unknown client, now cached as unknown on b
		t.Fatalf("before: %d", got)
	}
	if _, err := a.Service().EnsureBootstrapApp(context.Background(), "late-app", "late secret"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for ask() != 200 {
		if time.Now().After(deadline) {
			t.Fatal("instance b never saw the app created through instance a")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
