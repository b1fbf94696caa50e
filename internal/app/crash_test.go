package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/storetest"
)

// The bootstrap app of the crash test's servers.
const (
	crashAdminID     = "crash-admin"
	crashAdminSecret = "crash-admin-secret-0123456789"
	crashIndicator   = "https://default.logto.app/api"
)

// gatehouseBinary builds cmd/gatehouse into a temporary directory.
func gatehouseBinary(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH; it builds the server for the crash test")
	}
	bin := filepath.Join(t.TempDir(), "gatehouse")
	// Without DWARF the link takes half the time.
	out, err := exec.Command(goBin, "build", "-ldflags=-s -w", "-o", bin, "github.com/gatehouse/gatehouse/cmd/gatehouse").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is a running `gatehouse serve`.
type process struct {
	t    *testing.T
	cmd  *exec.Cmd
	url  string
	log  *bytes.Buffer
	done chan struct{}
}

// startProcess runs the binary on dataDir (and dsn, for PostgreSQL) and
// waits until it answers GET /api/status.
func startProcess(t *testing.T, bin, dataDir, dsn string) *process {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := &process{t: t, url: "http://" + addr, log: &bytes.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, "serve")
	p.cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"GATEHOUSE_LISTEN=" + addr,
		"GATEHOUSE_ENDPOINT=" + p.url,
		"GATEHOUSE_DATA_DIR=" + dataDir,
		"GATEHOUSE_DATABASE_URL=" + dsn,
		"GATEHOUSE_BOOTSTRAP_APP_ID=" + crashAdminID,
		"GATEHOUSE_BOOTSTRAP_APP_SECRET=" + crashAdminSecret,
		"GATEHOUSE_LOG_LEVEL=warn",
	}
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("server log (%s):\n%s", p.url, p.log)
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(p.url + "/api/status")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusNoContent {
				return p
			}
		}
		select {
		case <-p.done:
			t.Fatalf("server exited at start: %v\n%s", p.cmd.ProcessState, p.log)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready after 20 s\n%s", p.log)
		}
	}
}

// kill sends SIGKILL and waits for the process to end.
func (p *process) kill() {
	p.cmd.Process.Kill()
	<-p.done
}

// client talks to one process's Management API.
type client struct {
	url   string
	http  *http.Client
	token string
}

func newClient(t *testing.T, p *process) *client {
	t.Helper()
	c := &client{url: p.url, http: &http.Client{
		Timeout:   15 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 32},
	}}
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {crashIndicator}, "scope": {"all"}}
	req, _ := http.NewRequest("POST", p.url+"/oidc/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(crashAdminID, crashAdminSecret)
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.AccessToken == "" {
		t.Fatalf("token: status %d, %v", resp.StatusCode, err)
	}
	c.token = body.AccessToken
	return c
}

// call sends a request and decodes a JSON answer into out; err is a
// transport failure (the server died), status the answer's.
func (c *client) call(method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.url+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: body %q: %w", method, path, b, err)
		}
	}
	return resp.StatusCode, nil
}

// acked is the writes the server answered with 2xx before it was killed.
type acked struct {
	mu      sync.Mutex
	apps    []string
	secrets map[string][]string // app id → secret names
	roles   map[string]bool     // app ids given the role
	n       atomic.Int64
}

// TestKillDuringWrites starts the real binary, has eight clients write
// through the Management API (create apps, add secrets, assign a role),
// kills the process with SIGKILL in the middle, restarts it on the same
// data and checks that every write answered 2xx is there. On SQLite this
// is what WAL with synchronous=NORMAL promises for a process crash (not
// for a power loss: docs/operations.md).
func TestKillDuringWrites(t *testing.T) {
	bin := gatehouseBinary(t)
	for _, eng := range storetest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			dsn := eng.DSN(t)
			dataDir := t.TempDir()
			if eng.Name == "sqlite" {
				dataDir, dsn = filepath.Dir(dsn), ""
			}
			killDuringWrites(t, bin, dataDir, dsn)
		})
	}
}

func killDuringWrites(t *testing.T, bin, dataDir, dsn string) {
	p := startProcess(t, bin, dataDir, dsn)
	c := newClient(t, p)
	var role struct{ ID string }
	if st, err := c.call("POST", "/api/roles", map[string]any{"name": "crash-role", "description": "crash test", "type": "MachineToMachine"}, &role); err != nil || st != http.StatusOK {
		t.Fatalf("create role: %d %v", st, err)
	}

	const writers, killAfter = 8, 120
	a := &acked{secrets: map[string][]string{}, roles: map[string]bool{}}
	killed := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-killed:
					return
				default:
				}
				var app struct{ ID string }
				st, err := c.call("POST", "/api/applications", map[string]any{"name": fmt.Sprintf("w%d-%d", w, i), "type": "MachineToMachine"}, &app)
				if err != nil || st >= 300 {
					continue // unanswered (the kill) or refused: nothing to check
				}
				a.mu.Lock()
				a.apps = append(a.apps, app.ID)
				a.mu.Unlock()
				a.n.Add(1)

				name := fmt.Sprintf("s%d", i)
				if st, err := c.call("POST", "/api/applications/"+app.ID+"/secrets", map[string]any{"name": name}, nil); err == nil && st < 300 {
					a.mu.Lock()
					a.secrets[app.ID] = append(a.secrets[app.ID], name)
					a.mu.Unlock()
					a.n.Add(1)
				}
				if st, err := c.call("POST", "/api/applications/"+app.ID+"/roles", map[string]any{"roleIds": []string{role.ID}}, nil); err == nil && st < 300 {
					a.mu.Lock()
					a.roles[app.ID] = true
					a.mu.Unlock()
					a.n.Add(1)
				}
			}
		}()
	}
	// Kill while the writers are busy: after killAfter acknowledged writes.
	deadline := time.Now().Add(10 * time.Second)
	for a.n.Load() < killAfter && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	close(killed) // no new requests; those in flight are cut off by the kill
	p.kill()
	wg.Wait()
	if a.n.Load() < killAfter {
		t.Fatalf("only %d writes acknowledged before the kill", a.n.Load())
	}
	t.Logf("killed after %d acknowledged writes (%d apps)", a.n.Load(), len(a.apps))

	p2 := startProcess(t, bin, dataDir, dsn)
	c2 := newClient(t, p2)
	missing := 0
	for _, id := range a.apps {
		if st, err := c2.call("GET", "/api/applications/"+id, nil, nil); err != nil || st != http.StatusOK {
			t.Errorf("application %s (answered 2xx before the kill): %d %v", id, st, err)
			missing++
			continue
		}
		if names := a.secrets[id]; len(names) > 0 {
			var list []struct{ Name string }
			if st, err := c2.call("GET", "/api/applications/"+id+"/secrets", nil, &list); err != nil || st != http.StatusOK {
				t.Fatalf("secrets of %s: %d %v", id, st, err)
			}
			for _, n := range names {
				if !slices.ContainsFunc(list, func(s struct{ Name string }) bool { return s.Name == n }) {
					t.Errorf("secret %q of %s (answered 2xx before the kill) is missing", n, id)
					missing++
				}
			}
		}
		if a.roles[id] {
			var list []struct{ ID string }
			if st, err := c2.call("GET", "/api/applications/"+id+"/roles", nil, &list); err != nil || st != http.StatusOK {
				t.Fatalf("roles of %s: %d %v", id, st, err)
			}
			if !slices.ContainsFunc(list, func(r struct{ ID string }) bool { return r.ID == role.ID }) {
				t.Errorf("role of %s (answered 2xx before the kill) is missing", id)
				missing++
			}
		}
	}
	if missing > 0 {
		t.Fatalf("%d acknowledged writes lost", missing)
	}
}
