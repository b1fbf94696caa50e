package app

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/storetest"
)

// startStoppable starts a server like startOn, and returns a stop that the
// test calls itself (a rekey needs the server gone).
func startStoppable(t *testing.T, cfg config.Config) (*fixture, func()) {
	t.Helper()
	srv, err := New(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	hs := httptest.NewServer(srv.Handler())
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			hs.Close()
			srv.Close(context.Background())
		}
	}
	t.Cleanup(stop)
	return &fixture{t: t, srv: srv, http: hs, cfg: cfg}, stop
}

// TestRekey: after "gatehouse rekey", a server with the new key serves
// every app secret (digests recomputed), opens the signing keys (a token
// issued before verifies, new ones are signed) and shows the same secret
// values; a server with the old key is refused. A rekey while a server runs
// is refused, and so is a database holding a value sealed under some other
// key, without changing anything.
func TestRekey(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			dsn := e.DSN(t)
			dir := t.TempDir()
			env := map[string]string{"GATEHOUSE_DATA_DIR": dir}
			if e.Name == "sqlite" {
				dir = filepath.Dir(dsn)
				env["GATEHOUSE_DATA_DIR"] = dir
			} else {
				env["GATEHOUSE_DATABASE_URL"] = dsn
			}
			getenv := func(k string) string { return env[k] }
			cfg := testConfig(t, dsn, dir)
			f, stop := startStoppable(t, cfg)
			f.seedShop()
			tok := f.mgmtToken()
			code, secretsBefore := f.api(tok, "GET", "/api/applications/"+shopApp+"/secrets", "")
			if code != 200 || !strings.Contains(secretsBefore, shopSecret) {
				t.Fatalf("secrets: %d %s", code, secretsBefore)
			}
			const customizerPath = "/api/configs/jwt-customizer/client-credentials"
			if code, body := f.api(tok, "PUT", customizerPath,
				`{"script":"const getCustomJwtClaims = async ({ environmentVariables: e }) => ({ k: e.API_KEY })","environmentVariables":{"API_KEY":"rekeyed-env-value"}}`); code/100 != 2 {
				t.Fatalf("put customizer: %d %s", code, body)
			}
			_, customizerBefore := f.api(tok, "GET", customizerPath, "")

			oldPath, newPath := cfg.MasterKeyPath(), filepath.Join(t.TempDir(), "new.key")
			rekey := func() (int, string) {
				var stdout, stderr syncBuffer
				code := Run(ctx, []string{"rekey", "-old-key-file", oldPath, "-new-key-file", newPath}, getenv, &stdout, &stderr)
				return code, stdout.String() + stderr.String()
			}
			running := map[string]string{"sqlite": "in use by process", "postgres": "servers are connected"}[e.Name]
			if code, out := rekey(); code != 2 || !strings.Contains(out, running) {
				t.Fatalf("rekey beside a running server: exit %d, want 2\n%s", code, out)
			}
			stop()

			// A value sealed under a third key: the database is in an
			// ambiguous state, and rekey leaves it as it is.
			stray := strayKeyBox(t)
			st := openStore(t, cfg)
			sealed, _ := stray.Seal(secret.PurposeAppSecret, []byte("stray secret value 0123456789"))
			if err := st.InsertSecret(ctx, &rbac.Secret{TenantID: "default", ApplicationID: shopApp, Name: "stray",
				Sealed: sealed, Digest: stray.Digest("stray"), CreatedAt: time.Now().UnixMilli()}); err != nil {
				t.Fatal(err)
			}
			if code, out := rekey(); code != 1 || !strings.Contains(out, "does not open with the old key") {
				t.Fatalf("rekey of a mixed database: exit %d, want 1\n%s", code, out)
			}
			if err := st.DeleteSecret(ctx, "default", shopApp, "stray"); err != nil {
				t.Fatal(err)
			}
			st.Close()

			if code, out := rekey(); code != 0 || !strings.Contains(out, "and 1 customizer environments") {
				t.Fatalf("rekey: exit %d\n%s", code, out)
			}
			if code, out := rekey(); code != 2 || !strings.Contains(out, "not the database's current master key") {
				t.Fatalf("rekey again with the old key: exit %d, want 2\n%s", code, out)
			}

			// The old key is refused.
			if _, err := New(ctx, cfg, Options{}); !errors.Is(err, errCanary) {
				t.Fatalf("start with the old key: %v, want the key check's refusal", err)
			}
			// The new key serves everything.
			newCfg := cfg
			newCfg.MasterKeyFile = newPath
			if newCfg.MasterKey, _ = secret.ReadKeyFile(newPath); newCfg.MasterKey == nil {
				t.Fatal("no new key")
			}
			g, _ := startStoppable(t, newCfg)
			if code, body := g.api(tok, "GET", "/api/applications/"+shopApp+"/secrets", ""); code != 200 || body != secretsBefore {
				t.Fatalf("secrets under the new key: %d %s\nwant %s", code, body, secretsBefore)
			}
			if code, body := g.api(tok, "GET", customizerPath, ""); code != 200 || body != customizerBefore || !strings.Contains(body, "rekeyed-env-value") {
				t.Fatalf("customizer under the new key: %d %s\nwant %s", code, body, customizerBefore)
			}
			g.mgmtToken()
			resp := g.post("grant_type=client_credentials&resource="+shopAPI+"&scope=read:products", "Authorization", basic(shopApp, shopSecret))
			m, raw := readJSON(t, resp)
			if resp.StatusCode != 200 {
				t.Fatalf("shop app token under the new key: %d %s", resp.StatusCode, raw)
			}
			g.verify(m["access_token"].(string))
			if _, claims := g.verify(tok); claims["sub"] != bootID {
				t.Fatalf("pre-rekey token: %v", claims)
			}
		})
	}
}

// strayKeyBox is a Box under a random key that no database uses.
func strayKeyBox(t *testing.T) *secret.Box {
	t.Helper()
	k := make([]byte, secret.KeySize)
	rand.Read(k)
	b, err := secret.NewBox(k, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// openStore opens cfg's database directly.
func openStore(t *testing.T, cfg config.Config) *store.Store {
	t.Helper()
	dsn := cfg.DatabaseURL
	if dsn == "" {
		dsn = cfg.SQLitePath()
	}
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	return st
}
