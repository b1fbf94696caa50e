package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// mgmtToken gets a Management API token for the bootstrap app.
func (f *fixture) mgmtToken() string {
	f.t.Helper()
	resp := f.post("grant_type=client_credentials&resource="+mapi+"&scope=all", "Authorization", basic(bootID, bootSecret))
	m, raw := readJSON(f.t, resp)
	tok, _ := m["access_token"].(string)
	if resp.StatusCode != 200 || tok == "" {
		f.t.Fatalf("management token: %d %s", resp.StatusCode, raw)
	}
	return tok
}

// api sends a Management API request with tok and returns the status and
// body.
func (f *fixture) api(tok, method, path, body string) (int, string) {
	f.t.Helper()
	resp := f.do(method, f.http.URL+path, "application/json", body, "Authorization", "Bearer "+tok)
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// createApp creates an M2M app through the Management API and returns its
// id.
func (f *fixture) createApp(tok, name string) string {
	f.t.Helper()
	code, body := f.api(tok, "POST", "/api/applications", `{"name":"`+name+`","type":"MachineToMachine"}`)
	var app struct{ ID string }
	if err := json.Unmarshal([]byte(body), &app); code != 200 || err != nil || app.ID == "" {
		f.t.Fatalf("create app: %d %s", code, body)
	}
	return app.ID
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestBackupRestore: "gatehouse backup" copies the SQLite database of a
// running server; restored into a new data dir (with the master key), it
// serves the bootstrap app, verifies a token issued before the backup, and
// holds what was written before the backup but not what came after.
func TestBackupRestore(t *testing.T) {
	dir := t.TempDir()
	_, f := startOn(t, testConfig(t, "", dir), Options{})
	tok := f.mgmtToken()
	before := f.createApp(tok, "before")
	// The audit log is a file of its own on SQLite: the backup carries it.
	if err := f.srv.FlushAudit(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, body := f.api(tok, "GET", "/api/logs?logKey=ExchangeTokenBy.ClientCredentials", "")
	var logged []struct{ ID string }
	if err := json.Unmarshal([]byte(body), &logged); err != nil || len(logged) == 0 {
		t.Fatalf("no token request in the audit log before the backup: %v %s", err, body)
	}
	file := filepath.Join(t.TempDir(), "backup.db")
	env := map[string]string{"GATEHOUSE_DATA_DIR": dir}
	var stdout, stderr syncBuffer
	// Writes go on while the backup runs: it must neither wait for them
	// to stop nor catch one half done.
	stop, writing := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(writing)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			// Not f.api: it may call t.Fatal, which this goroutine must not.
			req, _ := http.NewRequest("PATCH", f.http.URL+"/api/applications/"+before,
				strings.NewReader(`{"description":"write `+strconv.Itoa(i)+`"}`))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("write during the backup: %v", err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("write during the backup: %d", resp.StatusCode)
				return
			}
		}
	}()
	code := Run(context.Background(), []string{"backup", file}, func(k string) string { return env[k] }, &stdout, &stderr)
	close(stop)
	<-writing
	if code != 0 {
		t.Fatalf("backup: exit %d\n%s", code, stderr.String())
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", fi, err)
	}
	if code := Run(context.Background(), []string{"backup", file}, func(k string) string { return env[k] }, &stdout, &stderr); code != 1 {
		t.Fatalf("backup over an existing file: exit %d, want 1", code)
	}
	after := f.createApp(tok, "after")

	restored := t.TempDir()
	copyFile(t, file, filepath.Join(restored, "gatehouse.db"))
	copyFile(t, filepath.Join(dir, "master.key"), filepath.Join(restored, "master.key"))
	cfg := testConfig(t, "", restored)
	cfg.BootstrapAppID, cfg.BootstrapAppSecret = "", "" // the bootstrap app must come from the backup
	_, g := startOn(t, cfg, Options{})
	newTok := g.mgmtToken()
	if _, claims := g.verify(tok); claims["sub"] != bootID {
		t.Fatalf("the token issued before the backup: claims %v", claims)
	}
	if code, body := g.api(tok, "GET", "/api/applications/"+before, ""); code != 200 {
		t.Fatalf("the pre-backup token on the restored server: %d %s", code, body)
	}
	if code, _ := g.api(newTok, "GET", "/api/applications/"+after, ""); code != 404 {
		t.Fatalf("an app created after the backup: %d, want 404", code)
	}
	for _, e := range logged {
		if code, body := g.api(newTok, "GET", "/api/logs/"+e.ID, ""); code != 200 {
			t.Fatalf("audit entry %s logged before the backup, on the restored server: %d %s", e.ID, code, body)
		}
	}
	if _, err := os.Stat(filepath.Join(restored, "gatehouse-audit.db")); err != nil {
		t.Fatalf("the restored server's audit file: %v", err)
	}
}

// TestBackupRefusesPostgres: backup is for SQLite; PostgreSQL has pg_dump.
func TestBackupRefusesPostgres(t *testing.T) {
	env := map[string]string{"GATEHOUSE_DATABASE_URL": "postgres://u@127.0.0.1:1/db"}
	var stdout, stderr syncBuffer
	code := Run(context.Background(), []string{"backup", filepath.Join(t.TempDir(), "x.db")}, func(k string) string { return env[k] }, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "pg_dump") {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
}
