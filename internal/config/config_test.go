package config

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/limit"
	"github.com/gatehouse/gatehouse/internal/netx"
)

// env is a fake environment for Load.
type env map[string]string

func (e env) get(k string) string { return e[k] }

// testKey is a valid master key and its base64 form.
var testKey = bytes.Repeat([]byte{7}, 32)

func testKeyB64() string { return base64.StdEncoding.EncodeToString(testKey) }

func defaults() Config {
	return Config{
		Listen:                 "127.0.0.1:3001",
		Endpoint:               "http://localhost:3001",
		DataDir:                "./data",
		SigningAlg:             "ES256",
		ManagementAPIIndicator: "https://default.logto.app/api",
		LogFormat:              "text",
		LogLevel:               "info",
		ShutdownTimeout:        15 * time.Second,
		AuditFlushInterval:     200 * time.Millisecond,
		CustomizerTimeout:      5 * time.Second,
		CustomizerMemory:       128 << 20,
		AuditSpoolMax:          256 << 20,
		GrantCacheSize:         100_000,
		StaleGrantsMax:         15 * time.Minute,
		TokenFailureLimit:      limit.Rate{N: 30, Per: time.Minute},
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadDefaults(t *testing.T) {
	for _, args := range [][]string{nil, {}} {
		c, err := Load(env{}.get, args)
		if err != nil {
			t.Fatalf("Load(empty): %v", err)
		}
		if !reflect.DeepEqual(c, defaults()) {
			t.Errorf("Load(empty) = %+v\nwant %+v", c, defaults())
		}
		if got, want := c.Issuer(), "http://localhost:3001/oidc"; got != want {
			t.Errorf("Issuer() = %q, want %q", got, want)
		}
		if got, want := c.SQLitePath(), filepath.Join("data", "gatehouse.db"); got != want {
			t.Errorf("SQLitePath() = %q, want %q", got, want)
		}
		if got, want := c.MasterKeyPath(), filepath.Join("data", "master.key"); got != want {
			t.Errorf("MasterKeyPath() = %q, want %q", got, want)
		}
		if got, want := c.AuditSpoolDir(), filepath.Join("data", "audit-spool"); got != want {
			t.Errorf("AuditSpoolDir() = %q, want %q", got, want)
		}
	}
}

func TestLoadEnv(t *testing.T) {
	keyFile := writeFile(t, "master.key", testKeyB64()+"\n")
	tlsCert, tlsKey := tlsPair(t)
	tests := []struct {
		name string
		env  env
		want func(*Config)
	}{
		{"listen", env{"GATEHOUSE_LISTEN": ":8080"}, func(c *Config) { c.Listen = ":8080" }},
		{"listen ipv6", env{"GATEHOUSE_LISTEN": "[::1]:0"}, func(c *Config) { c.Listen = "[::1]:0" }},
		{"endpoint", env{"GATEHOUSE_ENDPOINT": "https://auth.example.com"}, func(c *Config) { c.Endpoint = "https://auth.example.com" }},
		{"endpoint trailing slash", env{"GATEHOUSE_ENDPOINT": "https://auth.example.com/"}, func(c *Config) { c.Endpoint = "https://auth.example.com" }},
		{"endpoint path prefix", env{"GATEHOUSE_ENDPOINT": "https://example.com/auth/"}, func(c *Config) { c.Endpoint = "https://example.com/auth" }},
		{"data dir", env{"GATEHOUSE_DATA_DIR": "/var/lib/gatehouse"}, func(c *Config) { c.DataDir = "/var/lib/gatehouse" }},
		{"database url postgres", env{"GATEHOUSE_DATABASE_URL": "postgres://u:p@db:5432/gh?sslmode=disable"}, func(c *Config) { c.DatabaseURL = "postgres://u:p@db:5432/gh?sslmode=disable" }},
		{"database url postgresql", env{"GATEHOUSE_DATABASE_URL": "postgresql:///gh?host=/run/postgresql"}, func(c *Config) { c.DatabaseURL = "postgresql:///gh?host=/run/postgresql" }},
		{"master key", env{"GATEHOUSE_MASTER_KEY": testKeyB64()}, func(c *Config) { c.MasterKey = testKey }},
		{"master key url alphabet unpadded", env{"GATEHOUSE_MASTER_KEY": base64.RawURLEncoding.EncodeToString(testKey)}, func(c *Config) { c.MasterKey = testKey }},
		{"master key file", env{"GATEHOUSE_MASTER_KEY_FILE": keyFile}, func(c *Config) { c.MasterKey, c.MasterKeyFile = testKey, keyFile }},
		{"signing alg ES384", env{"GATEHOUSE_SIGNING_ALG": "ES384"}, func(c *Config) { c.SigningAlg = "ES384" }},
		{"signing alg ES512", env{"GATEHOUSE_SIGNING_ALG": "ES512"}, func(c *Config) { c.SigningAlg = "ES512" }},
		{"signing alg RS256", env{"GATEHOUSE_SIGNING_ALG": "RS256"}, func(c *Config) { c.SigningAlg = "RS256" }},
		{"signing alg EdDSA", env{"GATEHOUSE_SIGNING_ALG": "EdDSA"}, func(c *Config) { c.SigningAlg = "EdDSA" }},
		{"signing alg lower case", env{"GATEHOUSE_SIGNING_ALG": "es256"}, func(c *Config) { c.SigningAlg = "ES256" }},
		{"signing alg eddsa", env{"GATEHOUSE_SIGNING_ALG": "eddsa"}, func(c *Config) { c.SigningAlg = "EdDSA" }},
		{"signing alg ed25519", env{"GATEHOUSE_SIGNING_ALG": "Ed25519"}, func(c *Config) { c.SigningAlg = "EdDSA" }},
		{"management api indicator", env{"GATEHOUSE_MANAGEMENT_API_INDICATOR": "https://gatehouse.internal/api"}, func(c *Config) { c.ManagementAPIIndicator = "https://gatehouse.internal/api" }},
		{"management api indicator urn", env{"GATEHOUSE_MANAGEMENT_API_INDICATOR": "urn:gatehouse:api"}, func(c *Config) { c.ManagementAPIIndicator = "urn:gatehouse:api" }},
		{"bootstrap", env{"GATEHOUSE_BOOTSTRAP_APP_ID": "admin_app-1", "GATEHOUSE_BOOTSTRAP_APP_SECRET": "s3cret with space~"}, func(c *Config) {
			c.BootstrapAppID, c.BootstrapAppSecret = "admin_app-1", "s3cret with space~"
		}},
		{"bootstrap max lengths", env{"GATEHOUSE_BOOTSTRAP_APP_ID": strings.Repeat("a", 21), "GATEHOUSE_BOOTSTRAP_APP_SECRET": strings.Repeat("!", 64)}, func(c *Config) {
			c.BootstrapAppID, c.BootstrapAppSecret = strings.Repeat("a", 21), strings.Repeat("!", 64)
		}},
		{"log format json", env{"GATEHOUSE_LOG_FORMAT": "json"}, func(c *Config) { c.LogFormat = "json" }},
		{"log format upper case", env{"GATEHOUSE_LOG_FORMAT": "JSON"}, func(c *Config) { c.LogFormat = "json" }},
		{"log level debug", env{"GATEHOUSE_LOG_LEVEL": "debug"}, func(c *Config) { c.LogLevel = "debug" }},
		{"log level warn", env{"GATEHOUSE_LOG_LEVEL": "warn"}, func(c *Config) { c.LogLevel = "warn" }},
		{"log level error", env{"GATEHOUSE_LOG_LEVEL": "ERROR"}, func(c *Config) { c.LogLevel = "error" }},
		{"shutdown timeout", env{"GATEHOUSE_SHUTDOWN_TIMEOUT": "1m30s"}, func(c *Config) { c.ShutdownTimeout = 90 * time.Second }},
		{"audit flush interval", env{"GATEHOUSE_AUDIT_FLUSH_INTERVAL": "1s"}, func(c *Config) { c.AuditFlushInterval = time.Second }},
		{"customizer timeout", env{"GATEHOUSE_CUSTOMIZER_TIMEOUT": "250ms"}, func(c *Config) { c.CustomizerTimeout = 250 * time.Millisecond }},
		{"audit spool max", env{"GATEHOUSE_AUDIT_SPOOL_MAX": "2GB"}, func(c *Config) { c.AuditSpoolMax = 2 << 30 }},
		{"customizer memory", env{"GATEHOUSE_CUSTOMIZER_MEMORY": "64MB"}, func(c *Config) { c.CustomizerMemory = 64 << 20 }},
		{"customizer memory in bytes", env{"GATEHOUSE_CUSTOMIZER_MEMORY": "33554432"}, func(c *Config) { c.CustomizerMemory = 32 << 20 }},
		{"audit retention", env{"GATEHOUSE_AUDIT_RETENTION": "720h"}, func(c *Config) { c.AuditRetention = 720 * time.Hour }},
		{"grant cache size", env{"GATEHOUSE_GRANT_CACHE_SIZE": "250000"}, func(c *Config) { c.GrantCacheSize = 250_000 }},
		{"grant cache size one", env{"GATEHOUSE_GRANT_CACHE_SIZE": "1"}, func(c *Config) { c.GrantCacheSize = 1 }},
		{"stale grants max", env{"GATEHOUSE_STALE_GRANTS_MAX": "1h30m"}, func(c *Config) { c.StaleGrantsMax = 90 * time.Minute }},
		{"stale grants max zero", env{"GATEHOUSE_STALE_GRANTS_MAX": "0s"}, func(c *Config) { c.StaleGrantsMax = 0 }},
		{"stale grants max bare zero", env{"GATEHOUSE_STALE_GRANTS_MAX": "0"}, func(c *Config) { c.StaleGrantsMax = 0 }},
		{"token failure limit", env{"GATEHOUSE_TOKEN_FAILURE_LIMIT": "100/1h"}, func(c *Config) { c.TokenFailureLimit = limit.Rate{N: 100, Per: time.Hour} }},
		{"token failure limit seconds", env{"GATEHOUSE_TOKEN_FAILURE_LIMIT": "5/30s"}, func(c *Config) { c.TokenFailureLimit = limit.Rate{N: 5, Per: 30 * time.Second} }},
		{"federation insecure", env{"GATEHOUSE_FEDERATION_ALLOW_INSECURE": "true"}, func(c *Config) { c.FederationAllowInsecure = true }},
		{"management priority", env{"GATEHOUSE_MANAGEMENT_PRIORITY": "true"}, func(c *Config) { c.ManagementPriority = true }},
		{"token failure limit off", env{"GATEHOUSE_TOKEN_FAILURE_LIMIT": "off"}, func(c *Config) { c.TokenFailureLimit = limit.Rate{} }},
		{"token failure limit zero", env{"GATEHOUSE_TOKEN_FAILURE_LIMIT": "0"}, func(c *Config) { c.TokenFailureLimit = limit.Rate{} }},
		{"metrics listen", env{"GATEHOUSE_METRICS_LISTEN": "127.0.0.1:3002"}, func(c *Config) { c.MetricsListen = "127.0.0.1:3002" }},
		{"tls", env{"GATEHOUSE_TLS_CERT_FILE": tlsCert, "GATEHOUSE_TLS_KEY_FILE": tlsKey}, func(c *Config) { c.TLSCertFile, c.TLSKeyFile = tlsCert, tlsKey }},
		{"trusted proxies", env{"GATEHOUSE_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1"}, func(c *Config) { c.TrustedProxies = mustProxies(t, "10.0.0.0/8,127.0.0.1/32") }},
		{"bootstrap min secret length", env{"GATEHOUSE_BOOTSTRAP_APP_ID": "a", "GATEHOUSE_BOOTSTRAP_APP_SECRET": strings.Repeat("s", 16)}, func(c *Config) {
			c.BootstrapAppID, c.BootstrapAppSecret = "a", strings.Repeat("s", 16)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.env.get, nil)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := defaults()
			tt.want(&want)
			if !reflect.DeepEqual(c, want) {
				t.Errorf("got  %+v\nwant %+v", c, want)
			}
		})
	}
}

func TestLoadFlags(t *testing.T) {
	keyFile := writeFile(t, "flag.key", testKeyB64())
	envKeyFile := writeFile(t, "env.key", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32)))
	full := env{
		"GATEHOUSE_LISTEN":          ":1",
		"GATEHOUSE_ENDPOINT":        "https://env.example",
		"GATEHOUSE_DATA_DIR":        "/env",
		"GATEHOUSE_DATABASE_URL":    "postgres://env/db",
		"GATEHOUSE_MASTER_KEY_FILE": envKeyFile,
		"GATEHOUSE_SIGNING_ALG":     "RS256",
	}
	tests := []struct {
		name string
		env  env
		args []string
		want func(*Config)
	}{
		{"all flags, no env", env{}, []string{
			"-listen", ":9000", "-endpoint=https://flag.example/", "-data-dir", "/flag",
			"-database-url", "postgres://flag/db", "-master-key-file", keyFile, "-signing-alg", "eddsa",
		}, func(c *Config) {
			c.Listen, c.Endpoint, c.DataDir, c.DatabaseURL = ":9000", "https://flag.example", "/flag", "postgres://flag/db"
			c.MasterKeyFile, c.MasterKey, c.SigningAlg = keyFile, testKey, "EdDSA"
		}},
		{"flags override env", full, []string{
			"--listen", ":9000", "-endpoint", "https://flag.example", "-data-dir", "/flag",
			"-database-url", "postgres://flag/db", "-master-key-file", keyFile, "-signing-alg", "ES512",
		}, func(c *Config) {
			c.Listen, c.Endpoint, c.DataDir, c.DatabaseURL = ":9000", "https://flag.example", "/flag", "postgres://flag/db"
			c.MasterKeyFile, c.MasterKey, c.SigningAlg = keyFile, testKey, "ES512"
		}},
		{"env where no flag given", full, []string{"-listen", ":9000"}, func(c *Config) {
			c.Listen, c.Endpoint, c.DataDir, c.DatabaseURL = ":9000", "https://env.example", "/env", "postgres://env/db"
			c.MasterKeyFile, c.MasterKey, c.SigningAlg = envKeyFile, bytes.Repeat([]byte{9}, 32), "RS256"
		}},
		{"empty flag overrides env", full, []string{"-database-url=", "-master-key-file="}, func(c *Config) {
			c.Listen, c.Endpoint, c.DataDir, c.SigningAlg = ":1", "https://env.example", "/env", "RS256"
		}},
		{"master key file path", env{}, []string{"-data-dir", "/d"}, func(c *Config) { c.DataDir = "/d" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.env.get, tt.args)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := defaults()
			tt.want(&want)
			if !reflect.DeepEqual(c, want) {
				t.Errorf("got  %+v\nwant %+v", c, want)
			}
		})
	}
}

func TestMasterKeyPath(t *testing.T) {
	c := Config{DataDir: "/var/lib/gatehouse"}
	if got, want := c.MasterKeyPath(), "/var/lib/gatehouse/master.key"; got != want {
		t.Errorf("MasterKeyPath() = %q, want %q", got, want)
	}
	c.MasterKeyFile = "/run/secrets/key"
	if got, want := c.MasterKeyPath(), "/run/secrets/key"; got != want {
		t.Errorf("MasterKeyPath() = %q, want %q", got, want)
	}
	c = Config{Endpoint: "https://example.com/auth"}
	if got, want := c.Issuer(), "https://example.com/auth/oidc"; got != want {
		t.Errorf("Issuer() = %q, want %q", got, want)
	}
}

func TestLoadFileVariants(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"no newline", "s3cret", "s3cret"},
		{"one newline stripped", "s3cret\n", "s3cret"},
		{"crlf stripped", "s3cret\r\n", "s3cret"},
		{"only one newline stripped", "s3cret\n\n", "s3cret\n"}, // then invalid: see TestLoadProblems
		{"spaces kept", " s3cret \n", " s3cret "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "secret", tt.content)
			l := loader{getenv: env{"X_FILE": p}.get}
			got, state := l.secret("X")
			if got != tt.want || state != valid || len(l.problems) > 0 {
				t.Errorf("secret = %q, %v, %v; want %q", got, state, l.problems, tt.want)
			}
		})
	}

	t.Run("bootstrap secret file", func(t *testing.T) {
		p := writeFile(t, "secret", "file-secret-0123456789\n")
		c, err := Load(env{"GATEHOUSE_BOOTSTRAP_APP_ID": "admin", "GATEHOUSE_BOOTSTRAP_APP_SECRET_FILE": p}.get, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.BootstrapAppSecret != "file-secret-0123456789" {
			t.Errorf("BootstrapAppSecret = %q", c.BootstrapAppSecret)
		}
	})
	t.Run("database url file", func(t *testing.T) {
		p := writeFile(t, "dsn", "postgres://u:p@db/gh\n")
		c, err := Load(env{"GATEHOUSE_DATABASE_URL_FILE": p}.get, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.DatabaseURL != "postgres://u:p@db/gh" {
			t.Errorf("DatabaseURL = %q", c.DatabaseURL)
		}
	})
	t.Run("master key file with whitespace", func(t *testing.T) {
		p := writeFile(t, "key", "  "+testKeyB64()+"\n\n")
		c, err := Load(env{"GATEHOUSE_MASTER_KEY_FILE": p}.get, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(c.MasterKey, testKey) || c.MasterKeyFile != p || c.MasterKeyPath() != p {
			t.Errorf("MasterKey = %x, MasterKeyFile = %q", c.MasterKey, c.MasterKeyFile)
		}
	})
	t.Run("default master key file is not read", func(t *testing.T) {
		dir := t.TempDir() // no master.key in it
		c, err := Load(env{"GATEHOUSE_DATA_DIR": dir}.get, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.MasterKey != nil || c.MasterKeyFile != "" || c.MasterKeyPath() != filepath.Join(dir, "master.key") {
			t.Errorf("got MasterKey %x, MasterKeyFile %q, MasterKeyPath %q", c.MasterKey, c.MasterKeyFile, c.MasterKeyPath())
		}
	})
}

func TestLoadProblems(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	badKey := writeFile(t, "bad.key", "not base64!\n")
	shortKey := writeFile(t, "short.key", base64.StdEncoding.EncodeToString(make([]byte, 16)))
	twoNewlines := writeFile(t, "secret", "abc\n\n")
	const longSecret = "sixteen chars ok"
	longTwoNewlines := writeFile(t, "long-secret", longSecret+"\n\n")
	tests := []struct {
		name string
		env  env
		args []string
		want []string // substrings, one per expected problem, in order
	}{
		{"listen no port", env{"GATEHOUSE_LISTEN": "localhost"}, nil, []string{"must be host:port"}},
		{"listen port name", env{"GATEHOUSE_LISTEN": "localhost:http"}, nil, []string{"port must be a number"}},
		{"listen port too big", env{"GATEHOUSE_LISTEN": ":65536"}, nil, []string{"port must be a number"}},
		{"listen port negative", env{"GATEHOUSE_LISTEN": ":-1"}, nil, []string{"port must be a number"}},
		{"listen empty port", env{"GATEHOUSE_LISTEN": "localhost:"}, nil, []string{"port must be a number"}},
		{"listen flag empty", nil, []string{"-listen="}, []string{"must be host:port"}},
		{"endpoint relative", env{"GATEHOUSE_ENDPOINT": "localhost:3001"}, nil, []string{"absolute http:// or https://"}},
		{"endpoint ftp", env{"GATEHOUSE_ENDPOINT": "ftp://example.com"}, nil, []string{"absolute http:// or https://"}},
		{"endpoint no host", env{"GATEHOUSE_ENDPOINT": "https:///path"}, nil, []string{"has no host"}},
		{"endpoint query", env{"GATEHOUSE_ENDPOINT": "https://example.com/?a=b"}, nil, []string{"must not have a query"}},
		{"endpoint empty query", env{"GATEHOUSE_ENDPOINT": "https://example.com/?"}, nil, []string{"must not have a query"}},
		{"endpoint fragment", env{"GATEHOUSE_ENDPOINT": "https://example.com/#x"}, nil, []string{"must not have a fragment"}},
		{"endpoint empty fragment", env{"GATEHOUSE_ENDPOINT": "https://example.com#"}, nil, []string{"must not have a fragment"}},
		{"endpoint user info", env{"GATEHOUSE_ENDPOINT": "https://u:p@example.com"}, nil, []string{"user information"}},
		{"endpoint unparseable", env{"GATEHOUSE_ENDPOINT": "http://[::1"}, nil, []string{"is not a URL"}},
		{"data dir flag empty", nil, []string{"-data-dir", ""}, []string{"data directory"}},
		{"database url mysql", env{"GATEHOUSE_DATABASE_URL": "mysql://u:hunter2@db/x"}, nil, []string{"postgres://"}},
		{"database url bare path", env{"GATEHOUSE_DATABASE_URL": "/var/db.sqlite"}, nil, []string{"postgres://"}},
		{"database url unparseable", env{"GATEHOUSE_DATABASE_URL": "postgres://u:hunter2@[db/x"}, nil, []string{"cannot be parsed"}},
		{"database url and file", env{"GATEHOUSE_DATABASE_URL": "postgres://a/b", "GATEHOUSE_DATABASE_URL_FILE": twoNewlines}, nil, []string{"GATEHOUSE_DATABASE_URL and GATEHOUSE_DATABASE_URL_FILE are both set"}},
		{"master key and file", env{"GATEHOUSE_MASTER_KEY": testKeyB64(), "GATEHOUSE_MASTER_KEY_FILE": badKey}, nil, []string{"both set"}},
		{"master key and file flag", env{"GATEHOUSE_MASTER_KEY": testKeyB64()}, []string{"-master-key-file", badKey}, []string{"both set"}},
		{"master key not base64", env{"GATEHOUSE_MASTER_KEY": "not base64!"}, nil, []string{"not valid base64"}},
		{"master key too short", env{"GATEHOUSE_MASTER_KEY": base64.StdEncoding.EncodeToString(make([]byte, 16))}, nil, []string{"32 bytes"}},
		{"master key file missing", env{"GATEHOUSE_MASTER_KEY_FILE": missing}, nil, []string{"does not exist"}},
		{"master key file is a directory", env{"GATEHOUSE_MASTER_KEY_FILE": dir}, nil, []string{"master key file"}},
		{"master key file bad", env{"GATEHOUSE_MASTER_KEY_FILE": badKey}, nil, []string{"not valid base64"}},
		{"master key file short", env{"GATEHOUSE_MASTER_KEY_FILE": shortKey}, nil, []string{"32 bytes"}},
		{"signing alg", env{"GATEHOUSE_SIGNING_ALG": "HS256"}, nil, []string{`"HS256" is not one of`}},
		{"signing alg flag", nil, []string{"-signing-alg", "PS256"}, []string{`"PS256" is not one of`}},
		{"management indicator relative", env{"GATEHOUSE_MANAGEMENT_API_INDICATOR": "/api"}, nil, []string{"absolute URI"}},
		{"management indicator fragment", env{"GATEHOUSE_MANAGEMENT_API_INDICATOR": "https://x/api#f"}, nil, []string{"absolute URI without a fragment"}},
		{"bootstrap id only", env{"GATEHOUSE_BOOTSTRAP_APP_ID": "admin"}, nil, []string{"SECRET is not; set both"}},
		{"metrics listen", env{"GATEHOUSE_METRICS_LISTEN": "9090"}, nil, []string{"metrics address (GATEHOUSE_METRICS_LISTEN) \"9090\" must be host:port"}},
		{"tls cert only", env{"GATEHOUSE_TLS_CERT_FILE": badKey}, nil, []string{"GATEHOUSE_TLS_KEY_FILE is not; set both"}},
		{"tls key only", env{"GATEHOUSE_TLS_KEY_FILE": badKey}, nil, []string{"GATEHOUSE_TLS_CERT_FILE is not; set both"}},
		{"tls not a pair", env{"GATEHOUSE_TLS_CERT_FILE": badKey, "GATEHOUSE_TLS_KEY_FILE": missing}, nil, []string{"GATEHOUSE_TLS_CERT_FILE, GATEHOUSE_TLS_KEY_FILE: open"}},
		{"trusted proxies", env{"GATEHOUSE_TRUSTED_PROXIES": "10.0.0.0/8,proxy.internal"}, nil, []string{`GATEHOUSE_TRUSTED_PROXIES: "proxy.internal" is not a CIDR`}},
		{"bootstrap secret only", env{"GATEHOUSE_BOOTSTRAP_APP_SECRET": "x"}, nil, []string{"ID is not; set both"}},
		{"bootstrap id too long", env{"GATEHOUSE_BOOTSTRAP_APP_ID": strings.Repeat("a", 22), "GATEHOUSE_BOOTSTRAP_APP_SECRET": longSecret}, nil, []string{"1 to 21 characters"}},
		{"bootstrap id bad char", env{"GATEHOUSE_BOOTSTRAP_APP_ID": "a.b", "GATEHOUSE_BOOTSTRAP_APP_SECRET": longSecret}, nil, []string{"1 to 21 characters"}},
		{"bootstrap secret too long", env{"GATEHOUSE_BOOTSTRAP_APP_ID": "a", "GATEHOUSE_BOOTSTRAP_APP_SECRET": strings.Repeat("x", 65)}, nil, []string{"16 to 64 characters, got 65"}},
		{"bootstrap secret too short", env{"GATEHOUSE_BOOTSTRAP_APP_ID": "a", "GATEHOUSE_BOOTSTRAP_APP_SECRET": "7"}, nil, []string{"GATEHOUSE_BOOTSTRAP_APP_SECRET must be 16 to 64 characters, got 1"}},
		{"bootstrap secret 15 characters", env{"GATEHOUSE_BOOTSTRAP_APP_ID": "a", "GATEHOUSE_BOOTSTRAP_APP_SECRET": strings.Repeat("x", 15)}, nil, []string{"16 to 64 characters, got 15"}},
		{"bootstrap secret file too short", env{"GATEHOUSE_BOOTSTRAP_APP_ID": "a", "GATEHOUSE_BOOTSTRAP_APP_SECRET_FILE": writeFile(t, "short", "hunter2\n")}, nil, []string{"16 to 64 characters, got 7"}},
		{"bootstrap secret non-ascii", env{"GATEHOUSE_BOOTSTRAP_APP_ID": "a", "GATEHOUSE_BOOTSTRAP_APP_SECRET": "pässword pässword"}, nil, []string{"printable ASCII"}},
		{"bootstrap secret control", env{"GATEHOUSE_BOOTSTRAP_APP_ID": "a", "GATEHOUSE_BOOTSTRAP_APP_SECRET": "a\tb" + longSecret}, nil, []string{"printable ASCII"}},
		{"bootstrap secret file keeps second newline", env{"GATEHOUSE_BOOTSTRAP_APP_ID": "a", "GATEHOUSE_BOOTSTRAP_APP_SECRET_FILE": longTwoNewlines}, nil, []string{"printable ASCII"}},
		{"bootstrap secret file empty", env{"GATEHOUSE_BOOTSTRAP_APP_ID": "a", "GATEHOUSE_BOOTSTRAP_APP_SECRET_FILE": writeFile(t, "empty", "\n")}, nil, []string{"16 to 64 characters, got 0"}},
		{"bootstrap secret file missing", env{"GATEHOUSE_BOOTSTRAP_APP_ID": "a", "GATEHOUSE_BOOTSTRAP_APP_SECRET_FILE": missing}, nil, []string{"GATEHOUSE_BOOTSTRAP_APP_SECRET_FILE"}},
		{"bootstrap secret and file", env{"GATEHOUSE_BOOTSTRAP_APP_ID": "a", "GATEHOUSE_BOOTSTRAP_APP_SECRET": "x", "GATEHOUSE_BOOTSTRAP_APP_SECRET_FILE": twoNewlines}, nil, []string{"both set"}},
		{"log format", env{"GATEHOUSE_LOG_FORMAT": "logfmt"}, nil, []string{"GATEHOUSE_LOG_FORMAT"}},
		{"log level", env{"GATEHOUSE_LOG_LEVEL": "trace"}, nil, []string{"GATEHOUSE_LOG_LEVEL"}},
		{"shutdown timeout unparseable", env{"GATEHOUSE_SHUTDOWN_TIMEOUT": "15"}, nil, []string{"GATEHOUSE_SHUTDOWN_TIMEOUT: \"15\" is not a duration"}},
		{"shutdown timeout zero", env{"GATEHOUSE_SHUTDOWN_TIMEOUT": "0s"}, nil, []string{"must be positive"}},
		{"audit flush interval negative", env{"GATEHOUSE_AUDIT_FLUSH_INTERVAL": "-1ms"}, nil, []string{"GATEHOUSE_AUDIT_FLUSH_INTERVAL: must be positive"}},
		{"customizer timeout zero", env{"GATEHOUSE_CUSTOMIZER_TIMEOUT": "0s"}, nil, []string{"GATEHOUSE_CUSTOMIZER_TIMEOUT: must be positive"}},
		{"customizer timeout too long", env{"GATEHOUSE_CUSTOMIZER_TIMEOUT": "2m"}, nil, []string{"GATEHOUSE_CUSTOMIZER_TIMEOUT: must be at most 1m0s"}},
		{"audit spool max too small", env{"GATEHOUSE_AUDIT_SPOOL_MAX": "512KB"}, nil, []string{"GATEHOUSE_AUDIT_SPOOL_MAX: must be at least 1MB, got 512KB"}},
		{"customizer memory too small", env{"GATEHOUSE_CUSTOMIZER_MEMORY": "1MB"}, nil, []string{"GATEHOUSE_CUSTOMIZER_MEMORY: must be at least 16MB, got 1MB"}},
		{"customizer memory not a size", env{"GATEHOUSE_CUSTOMIZER_MEMORY": "lots"}, nil, []string{`GATEHOUSE_CUSTOMIZER_MEMORY: "lots" is not a size (like 128MB or 1GB)`}},
		{"grant cache size zero", env{"GATEHOUSE_GRANT_CACHE_SIZE": "0"}, nil, []string{"GATEHOUSE_GRANT_CACHE_SIZE: must be at least 1, got 0"}},
		{"grant cache size negative", env{"GATEHOUSE_GRANT_CACHE_SIZE": "-5"}, nil, []string{"GATEHOUSE_GRANT_CACHE_SIZE: must be at least 1, got -5"}},
		{"grant cache size not a number", env{"GATEHOUSE_GRANT_CACHE_SIZE": "100k"}, nil, []string{`GATEHOUSE_GRANT_CACHE_SIZE: "100k" is not a whole number`}},
		{"stale grants max negative", env{"GATEHOUSE_STALE_GRANTS_MAX": "-1m"}, nil, []string{"GATEHOUSE_STALE_GRANTS_MAX: must not be negative, got -1m"}},
		{"stale grants max unparseable", env{"GATEHOUSE_STALE_GRANTS_MAX": "15"}, nil, []string{`GATEHOUSE_STALE_GRANTS_MAX: "15" is not a duration`}},
		{"federation insecure unparseable", env{"GATEHOUSE_FEDERATION_ALLOW_INSECURE": "yes please"}, nil, []string{`GATEHOUSE_FEDERATION_ALLOW_INSECURE: "yes please" is not true or false`}},
		{"token failure limit no window", env{"GATEHOUSE_TOKEN_FAILURE_LIMIT": "30"}, nil, []string{`GATEHOUSE_TOKEN_FAILURE_LIMIT: "30": must be N/DURATION`}},
		{"token failure limit bad count", env{"GATEHOUSE_TOKEN_FAILURE_LIMIT": "many/1m"}, nil, []string{"the count before / must be a whole number"}},
		{"token failure limit bad window", env{"GATEHOUSE_TOKEN_FAILURE_LIMIT": "30/minute"}, nil, []string{"the window after / must be a duration"}},
		{"token failure limit window too short", env{"GATEHOUSE_TOKEN_FAILURE_LIMIT": "30/100ms"}, nil, []string{"the window must be from 1s to 24h"}},
		{"many at once", env{
			"GATEHOUSE_LISTEN":               "nope",
			"GATEHOUSE_ENDPOINT":             "ftp://x",
			"GATEHOUSE_DATABASE_URL":         "mysql://x",
			"GATEHOUSE_SIGNING_ALG":          "none",
			"GATEHOUSE_BOOTSTRAP_APP_ID":     "x",
			"GATEHOUSE_LOG_FORMAT":           "xml",
			"GATEHOUSE_LOG_LEVEL":            "loud",
			"GATEHOUSE_SHUTDOWN_TIMEOUT":     "soon",
			"GATEHOUSE_AUDIT_FLUSH_INTERVAL": "0",
			"GATEHOUSE_MASTER_KEY":           "short",
			"GATEHOUSE_GRANT_CACHE_SIZE":     "0",
			"GATEHOUSE_STALE_GRANTS_MAX":     "-1s",
			"GATEHOUSE_TOKEN_FAILURE_LIMIT":  "lots",
			"GATEHOUSE_BOOTSTRAP_APP_SECRET": "7",
		}, nil, []string{
			"GATEHOUSE_SHUTDOWN_TIMEOUT", "GATEHOUSE_AUDIT_FLUSH_INTERVAL",
			"GATEHOUSE_GRANT_CACHE_SIZE", "GATEHOUSE_STALE_GRANTS_MAX", "GATEHOUSE_TOKEN_FAILURE_LIMIT",
			"GATEHOUSE_MASTER_KEY", "listen address", "endpoint", "database URL", "signing algorithm",
			"GATEHOUSE_BOOTSTRAP_APP_SECRET must be 16 to 64 characters", "GATEHOUSE_LOG_FORMAT", "GATEHOUSE_LOG_LEVEL",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := tt.env.get
			if tt.env == nil {
				getenv = env{}.get
			}
			c, err := Load(getenv, tt.args)
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Load = %+v, %v; want *Error", c, err)
			}
			if len(ce.Problems) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(ce.Problems), len(tt.want), err)
			}
			for i, w := range tt.want {
				if !strings.Contains(ce.Problems[i], w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, ce.Problems[i], w)
				}
			}
			for _, leak := range []string{"hunter2", testKeyB64(), "pässword", longSecret} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error leaks a secret %q: %v", leak, err)
				}
			}
			if !reflect.DeepEqual(c, Config{}) {
				t.Errorf("Load returned a config with its error: %+v", c)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	err := &Error{Problems: []string{"problem 1", "problem 2"}}
	if got, want := err.Error(), "invalid configuration:\n  - problem 1\n  - problem 2"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestLoadFlagErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		help bool
	}{
		{"-h", []string{"-h"}, true},
		{"-help", []string{"-help"}, true},
		{"--help after flags", []string{"-listen", ":1", "--help"}, true},
		{"unknown flag", []string{"-port", "80"}, false},
		{"env-only setting as flag", []string{"-log-level", "debug"}, false},
		{"missing value", []string{"-listen"}, false},
		{"stray argument", []string{"extra"}, false},
		{"argument after flags", []string{"-listen", ":1", "extra"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env{}.get, tt.args)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if got := errors.Is(err, flag.ErrHelp); got != tt.help {
				t.Errorf("errors.Is(%v, flag.ErrHelp) = %v, want %v", err, got, tt.help)
			}
			var ce *Error
			if errors.As(err, &ce) {
				t.Errorf("flag error is a *Error: %v", err)
			}
		})
	}
}

func TestUsage(t *testing.T) {
	u := Usage()
	for _, s := range settings() {
		if !strings.Contains(u, s.env) {
			t.Errorf("Usage() does not mention %s", s.env)
		}
		if s.flag != "" && !strings.Contains(u, "-"+s.flag) {
			t.Errorf("Usage() does not mention -%s", s.flag)
		}
	}
	for _, want := range []string{"Usage: gatehouse serve", DefaultListen, DefaultEndpoint, "GATEHOUSE_BOOTSTRAP_APP_SECRET[_FILE]"} {
		if !strings.Contains(u, want) {
			t.Errorf("Usage() does not contain %q:\n%s", want, u)
		}
	}
}

// TestDocsCoverEverySetting keeps docs/configuration.md in step with the code.
func TestDocsCoverEverySetting(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "configuration.md"))
	if err != nil {
		t.Skipf("docs/configuration.md: %v", err)
	}
	for _, s := range settings() {
		if !bytes.Contains(b, []byte(s.env)) {
			t.Errorf("docs/configuration.md does not mention %s", s.env)
		}
		if s.flag != "" && !bytes.Contains(b, []byte("-"+s.flag)) {
			t.Errorf("docs/configuration.md does not mention -%s", s.flag)
		}
	}
}

// TestUsageDefaults keeps the help text's defaults the real ones: setting
// each variable to the default it shows changes nothing.
func TestUsageDefaults(t *testing.T) {
	for _, s := range settings() {
		if s.def == "" {
			continue
		}
		c, err := Load(env{s.env: s.def}.get, nil)
		if err != nil {
			t.Errorf("%s=%s: %v", s.env, s.def, err)
			continue
		}
		if !reflect.DeepEqual(c, defaults()) {
			t.Errorf("%s=%s gives %+v\nwant the defaults %+v", s.env, s.def, c, defaults())
		}
	}
}

func mustProxies(t *testing.T, s string) *netx.Proxies {
	t.Helper()
	p, err := netx.ParseProxies(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// tlsPair writes a self-signed certificate and its key.
func tlsPair(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "tls.crt", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))),
		writeFile(t, "tls.key", string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})))
}
