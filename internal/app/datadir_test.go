package app

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestDataDirLock: while a server holds an SQLite data dir, a second
// "gatehouse serve" on it exits 2 naming the holder's pid; once the first
// has stopped, the dir is free again.
func TestDataDirLock(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, "", dir)
	first, err := New(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GATEHOUSE_DATA_DIR": dir, "GATEHOUSE_LISTEN": "127.0.0.1:0"}
	var stdout, stderr syncBuffer
	// Cancelled: a serve that got past the lock stops at once (exit 1)
	// instead of serving until the test times out.
	done, cancel := context.WithCancel(context.Background())
	cancel()
	code := Run(done, []string{"serve"}, func(k string) string { return env[k] }, &stdout, &stderr)
	if code != 2 {
		t.Fatalf("second serve: exit %d, want 2\n%s", code, stderr.String())
	}
	if want := "in use by process " + strconv.Itoa(os.Getpid()); !strings.Contains(stderr.String(), want) {
		t.Fatalf("second serve: %q does not say %q", stderr.String(), want)
	}
	if _, err := New(context.Background(), cfg, Options{}); !errors.Is(err, ErrDataDirLocked) {
		t.Fatalf("second New: %v, want ErrDataDirLocked", err)
	}
	if err := first.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	again, err := New(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatalf("after the first stopped: %v", err)
	}
	again.Close(context.Background())
}
