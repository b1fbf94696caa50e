package pgcluster

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// PostgresEnv is the variable that enables PostgreSQL tests (storetest's).
const PostgresEnv = "GATEHOUSE_TEST_POSTGRES_DSN"

// Cluster is one test's PostgreSQL server.
type Cluster struct {
	t       testing.TB
	Version string // the PostgreSQL major version, as in /etc/postgresql
	Name    string // the cluster's name (gh_test_…)
	Port    int
	// DSN connects to the database "postgres" as the superuser postgres,
	// over loopback TCP, without a password.
	DSN string
}

// New creates and starts a private cluster for t and drops it (stopping it
// first) when t ends. It skips t when PostgreSQL tests are not enabled, the
// tools are missing or the test does not run as root.
func New(t testing.TB) *Cluster {
	t.Helper()
	if os.Getenv(PostgresEnv) == "" {
		t.Skipf("private PostgreSQL cluster skipped: set %s (and run as root with postgresql-common installed)", PostgresEnv)
	}
	if _, err := exec.LookPath("pg_createcluster"); err != nil {
		t.Skip("private PostgreSQL cluster skipped: pg_createcluster is not installed (postgresql-common)")
	}
	if os.Geteuid() != 0 {
		t.Skip("private PostgreSQL cluster skipped: pg_createcluster needs root")
	}
	version, err := newestVersion()
	if err != nil {
		t.Skipf("private PostgreSQL cluster skipped: %v", err)
	}
	var b [4]byte
	rand.Read(b[:])
	c := &Cluster{t: t, Version: version, Name: "gh_test_" + hex.EncodeToString(b[:]), Port: freePort(t)}
	c.DSN = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.Port)
	// Speed over durability: the cluster lives for one test. initdb's
	// options follow "--": trust for every local connection.
	c.run("pg_createcluster", c.Version, c.Name, "-p", strconv.Itoa(c.Port), "--start-conf=manual",
		"-o", "fsync=off", "-o", "full_page_writes=off",
		"-o", "shared_buffers=16MB", "-o", "max_connections=50",
		"--", "--auth=trust", "--no-sync")
	t.Cleanup(func() {
		// Not c.run: a failing drop must not fail a test that passed, but
		// it is reported.
		if out, err := exec.Command("pg_dropcluster", "--stop", c.Version, c.Name).CombinedOutput(); err != nil {
			t.Logf("pgcluster: pg_dropcluster --stop %s %s: %v\n%s", c.Version, c.Name, err, out)
		}
	})
	c.Start()
	return c
}

// Start starts the cluster and returns once it accepts connections.
func (c *Cluster) Start() {
	c.t.Helper()
	c.run("pg_ctlcluster", c.Version, c.Name, "start")
}

// Stop stops the cluster in "fast" mode: open connections are closed (their
// clients see "terminating connection due to administrator command") and
// new ones are refused until Start.
func (c *Cluster) Stop() {
	c.t.Helper()
	c.run("pg_ctlcluster", c.Version, c.Name, "stop", "-m", "fast")
}

// run runs one of the postgresql-common commands on this cluster, failing
// the test if it fails.
func (c *Cluster) run(name string, args ...string) {
	c.t.Helper()
	if c.Port == 5432 || c.Name == "main" || !slices.Contains(args, c.Name) {
		c.t.Fatalf("pgcluster: refusing to run %s %v: not this test's cluster", name, args)
	}
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		c.t.Fatalf("pgcluster: %s %v: %v\n%s", name, args, err, out)
	}
}

// newestVersion returns the newest PostgreSQL major version with a
// configuration directory and installed binaries.
func newestVersion() (string, error) {
	entries, err := os.ReadDir("/etc/postgresql")
	if err != nil {
		return "", fmt.Errorf("no PostgreSQL configuration: %w", err)
	}
	best, bestN := "", -1
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil || !e.IsDir() || n <= bestN {
			continue
		}
		if _, err := os.Stat(filepath.Join("/usr/lib/postgresql", e.Name(), "bin", "postgres")); err != nil {
			continue
		}
		best, bestN = e.Name(), n
	}
	if best == "" {
		return "", fmt.Errorf("no PostgreSQL version under /etc/postgresql with binaries in /usr/lib/postgresql")
	}
	return best, nil
}

// freePort returns a loopback TCP port nothing listens on now (never 5432).
func freePort(t testing.TB) int {
	t.Helper()
	for {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("pgcluster: %v", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if port != 5432 {
			return port
		}
	}
}
