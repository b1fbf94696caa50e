package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/storetest"
)

// TestOAuth2Client gets a token with golang.org/x/oauth2's client
// credentials flow, with a secret that URL escaping changes, in both auth
// styles, and verifies it against the JWKS fetched over HTTP.
func TestOAuth2Client(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
			cc := clientcredentials.Config{
				ClientID: bootID, ClientSecret: bootSecret, TokenURL: f.tokenURL(),
				Scopes:         []string{"all", "not-granted"},
				EndpointParams: map[string][]string{"resource": {mapi}},
				AuthStyle:      style,
			}
			tok, err := cc.Token(context.Background())
			if err != nil {
				t.Fatalf("style %d: %v", style, err)
			}
			if tok.TokenType != "Bearer" || tok.Extra("scope") != "all" || tok.Expiry.IsZero() {
				t.Fatalf("token %+v scope %v", tok, tok.Extra("scope"))
			}
			_, claims := f.verify(tok.AccessToken)
			if claims["sub"] != bootID || claims["aud"] != mapi || claims["scope"] != "all" {
				t.Fatalf("claims %v", claims)
			}
		}
		// A wrong secret surfaces as the library's RetrieveError.
		cc := clientcredentials.Config{ClientID: bootID, ClientSecret: "nope", TokenURL: f.tokenURL(),
			EndpointParams: map[string][]string{"resource": {mapi}}, AuthStyle: oauth2.AuthStyleInHeader}
		_, err := cc.Token(context.Background())
		re, ok := err.(*oauth2.RetrieveError)
		if !ok || re.Response.StatusCode != 401 || re.ErrorCode != "invalid_client" {
			t.Fatalf("wrong secret: %v", err)
		}
	})
}

// TestRestart: a token issued before a restart verifies after it, the
// bootstrap app is not duplicated and keeps its credentials, and a
// generated bootstrap app is announced only on the first start.
func TestRestart(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			dsn, dir := e.DSN(t), t.TempDir()
			start := func(env map[string]string) (*Server, *httptest.Server, string) {
				t.Helper()
				cfg := testConfig(t, dsn, dir)
				if env != nil {
					cfg.BootstrapAppID, cfg.BootstrapAppSecret = env["id"], env["secret"]
				}
				var notice bytes.Buffer
				srv, err := New(context.Background(), cfg, Options{Notice: &notice})
				if err != nil {
					t.Fatal(err)
				}
				return srv, httptest.NewServer(srv.Handler()), notice.String()
			}
			// First start without configured credentials: one generated app, announced.
			srv, hs, notice := start(map[string]string{})
			gen := srv.GeneratedBootstrap()
			if gen == nil || !strings.Contains(notice, gen.AppSecret) || !strings.Contains(notice, "ONLY THIS ONCE") {
				t.Fatalf("first start: bootstrap %+v, notice %q", gen, notice)
			}
			f := &fixture{t: t, srv: srv, http: hs, cfg: srv.cfg}
			resp := f.post("grant_type=client_credentials&resource="+mapi+"&scope=all", "Authorization", basic(gen.AppID, gen.AppSecret))
			m, raw := readJSON(t, resp)
			if resp.StatusCode != 200 {
				t.Fatalf("token: %s", raw)
			}
			before := m["access_token"].(string)
			hs.Close()
			srv.Close(context.Background())

			// Second start: nothing generated or printed, the old token verifies
			// against the new process's JWKS, the generated app still works.
			srv, hs, notice = start(map[string]string{})
			defer func() { hs.Close(); srv.Close(context.Background()) }()
			if srv.GeneratedBootstrap() != nil || notice != "" {
				t.Fatalf("second start generated again: %q", notice)
			}
			f = &fixture{t: t, srv: srv, http: hs, cfg: srv.cfg}
			if _, claims := f.verify(before); claims["sub"] != gen.AppID {
				t.Fatalf("claims %v", claims)
			}
			resp = f.post("grant_type=client_credentials&resource="+mapi+"&scope=all", "Authorization", basic(gen.AppID, gen.AppSecret))
			if resp.StatusCode != 200 {
				t.Fatalf("after restart: %d", resp.StatusCode)
			}
			hs.Close()
			srv.Close(context.Background())

			// Configured credentials, twice, then with a changed secret: one app,
			// and exactly the configured secret works.
			for i, sec := range []string{"first secret", "first secret", "second secret"} {
				srv, hs, _ = start(map[string]string{"id": "deployer", "secret": sec})
				f = &fixture{t: t, srv: srv, http: hs, cfg: srv.cfg}
				if resp := f.post("grant_type=client_credentials&resource="+mapi+"&scope=all", "Authorization", basic("deployer", sec)); resp.StatusCode != 200 {
					t.Fatalf("start %d: %d", i, resp.StatusCode)
				}
				secrets, err := srv.store.ListSecrets(context.Background(), rbac.DefaultTenant, "deployer")
				if err != nil || len(secrets) != 1 {
					t.Fatalf("start %d: %d secrets, %v", i, len(secrets), err)
				}
				roles, err := srv.store.ListApplicationRoleIDs(context.Background(), rbac.DefaultTenant, "deployer")
				if err != nil || len(roles) != 1 {
					t.Fatalf("start %d: roles %v, %v", i, roles, err)
				}
				hs.Close()
				srv.Close(context.Background())
			}
			srv, hs, _ = start(map[string]string{"id": "deployer", "secret": "second secret"})
			f = &fixture{t: t, srv: srv, http: hs, cfg: srv.cfg}
			if resp := f.post("grant_type=client_credentials&resource="+mapi, "Authorization", basic("deployer", "first secret")); resp.StatusCode != 401 {
				t.Fatalf("old configured secret still works: %d", resp.StatusCode)
			}
		})
	}
}

// TestMasterKey: a wrong key, or a missing key file for an existing
// database, stops the start with a clear error instead of a new key.
func TestMasterKey(t *testing.T) {
	dir := t.TempDir()
	dsn := filepath.Join(dir, "gatehouse.db")
	cfg := testConfig(t, dsn, dir)
	srv, err := New(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv.Close(context.Background())
	keyFile := cfg.MasterKeyPath()
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}

	wrong := cfg
	wrong.MasterKey = bytes.Repeat([]byte{7}, 32)
	if _, err := New(context.Background(), wrong, Options{}); err == nil || !strings.Contains(err.Error(), "not the key the database is sealed with") {
		t.Fatalf("wrong key: %v", err)
	}

	saved, _ := os.ReadFile(keyFile)
	os.Remove(keyFile)
	if _, err := New(context.Background(), cfg, Options{}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing key: %v", err)
	}
	if _, err := os.Stat(keyFile); !os.IsNotExist(err) {
		t.Fatal("a new key file was generated for an existing database")
	}

	// The same key given through the environment works.
	k, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(string(saved)))
	env := cfg
	env.MasterKey = k
	srv, err = New(context.Background(), env, Options{})
	if err != nil {
		t.Fatalf("key from env: %v", err)
	}
	srv.Close(context.Background())
}

// TestAuditEntries: every request, success or failure, is in the audit log
// once the answer is out and the log is flushed; no secret is written.
func TestAuditEntries(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		f.post(okRead, "User-Agent", "audit-test/1.0")
		f.post(shopGrant+"&client_id="+shopApp+"&client_secret=wrong-secret-value", "User-Agent", "audit-test/1.0")
		f.post(shopGrant, "Authorization", basic(shopApp, oldSecret))
		if err := f.srv.FlushAudit(context.Background()); err != nil {
			t.Fatal(err)
		}
		logs, total, err := f.srv.store.ListLogs(context.Background(), rbac.LogFilter{TenantID: "default", Key: rbac.LogKeyClientCredentials})
		if err != nil || total != 3 || len(logs) != 3 {
			t.Fatalf("%d logs (total %d): %v", len(logs), total, err)
		}
		var p []map[string]any
		for _, l := range logs {
			if strings.Contains(string(l.Payload), shopSecret) || strings.Contains(string(l.Payload), "wrong-secret-value") || strings.Contains(string(l.Payload), oldSecret) {
				t.Fatalf("secret in audit log: %s", l.Payload)
			}
			var m map[string]any
			if err := json.Unmarshal(l.Payload, &m); err != nil {
				t.Fatal(err)
			}
			p = append(p, m)
		}
		// Newest first: expired, wrong, success.
		if p[0]["result"] != "Error" || p[0]["applicationSecret"].(map[string]any)["name"] != "old one" ||
			p[0]["error"].(map[string]any)["error_description"] != "client secret has expired" {
			t.Errorf("expired entry %v", p[0])
		}
		if p[1]["result"] != "Error" || p[1]["error"].(map[string]any)["error"] != "invalid_client" || p[1]["params"].(map[string]any)["client_secret"] != "******" {
			t.Errorf("wrong secret entry %v", p[1])
		}
		ok := p[2]
		if ok["result"] != "Success" || ok["applicationId"] != shopApp || ok["scope"] != "read:products" || ok["ip"] != "127.0.0.1" ||
			ok["userAgent"] != "audit-test/1.0" || ok["applicationSecret"].(map[string]any)["name"] != "Default secret" ||
			ok["params"].(map[string]any)["resource"] != shopAPI || logs[2].ApplicationID != shopApp || logs[2].Result != "Success" {
			t.Errorf("success entry %v", ok)
		}
	})
}

func TestRunConfigErrors(t *testing.T) {
	var out, errb bytes.Buffer
	env := map[string]string{"GATEHOUSE_LISTEN": "nope", "GATEHOUSE_SIGNING_ALG": "HS256"}
	code := Run(context.Background(), []string{"serve"}, func(k string) string { return env[k] }, &out, &errb)
	if code != 2 || !strings.Contains(errb.String(), "GATEHOUSE_LISTEN") || !strings.Contains(errb.String(), "GATEHOUSE_SIGNING_ALG") {
		t.Fatalf("code %d, stderr %q", code, errb.String())
	}
	errb.Reset()
	if code := Run(context.Background(), nil, func(string) string { return "" }, &out, &errb); code != 2 || !strings.Contains(errb.String(), "Usage") {
		t.Fatalf("no args: %d %q", code, errb.String())
	}
	if code := Run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, &out, &errb); code != 2 {
		t.Fatalf("unknown command: %d", code)
	}
}

// TestAuditRetention: with GATEHOUSE_AUDIT_RETENTION set, entries older
// than it are deleted (at start, then periodically), newer ones kept.
func TestAuditRetention(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			dsn, dir := e.DSN(t), t.TempDir()
			cfg := testConfig(t, dsn, dir)
			srv, err := New(context.Background(), cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			var entries []rbac.LogEntry
			for i := range 12 {
				age := time.Duration(i) * 24 * time.Hour // 0 to 11 days old
				entries = append(entries, rbac.LogEntry{TenantID: rbac.DefaultTenant, ID: fmt.Sprintf("old%02d", i),
					Key: rbac.LogKeyClientCredentials, CreatedAt: now.Add(-age).UnixMilli()})
			}
			if err := srv.store.InsertLogs(context.Background(), entries); err != nil {
				t.Fatal(err)
			}
			srv.Close(context.Background())

			cfg.AuditRetention = 7*24*time.Hour - time.Minute // keeps 0..6 days old
			srv, err = New(context.Background(), cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close(context.Background())
			deadline := time.Now().Add(10 * time.Second)
			for {
				_, total, err := srv.store.ListLogs(context.Background(), rbac.LogFilter{TenantID: rbac.DefaultTenant})
				if err != nil {
					t.Fatal(err)
				}
				if total == 7 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d entries left, want the 7 of the last week", total)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if n, err := srv.pruneAudit(context.Background()); err != nil || n != 0 {
				t.Fatalf("second prune: %d %v", n, err)
			}
		})
	}
}
