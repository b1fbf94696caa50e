package config

import (
	"bytes"
	"fmt"
	"strconv"
	"text/tabwriter"
)

// setting describes one configuration setting for the help text and the
// flag declarations.
type setting struct {
	env   string // environment variable
	flag  string // flag name without the dash; "" when there is none
	def   string // default, as the operator would write it
	usage string
	file  bool // a VARIABLE_FILE variant exists
}

// settings lists every setting, in the order the help text shows them.
func settings() []setting {
	return []setting{
		{"GATEHOUSE_LISTEN", "listen", DefaultListen, "address to listen on, host:port", false},
		{"GATEHOUSE_ENDPOINT", "endpoint", DefaultEndpoint, "public base URL; the issuer is <endpoint>/oidc", false},
		{"GATEHOUSE_DATA_DIR", "data-dir", DefaultDataDir, "directory of the SQLite database and the generated master key", false},
		{"GATEHOUSE_DATABASE_URL", "database-url", "", "postgres:// URL; empty means SQLite in the data directory", true},
		{"GATEHOUSE_MASTER_KEY", "", "", "base64 32-byte master key; conflicts with the master key file", false},
		{"GATEHOUSE_MASTER_KEY_FILE", "master-key-file", "", "file holding the master key; default <data-dir>/master.key, generated on first start", false},
		{"GATEHOUSE_SIGNING_ALG", "signing-alg", DefaultSigningAlg, "algorithm of new signing keys: ES256, ES384, ES512, EdDSA, RS256", false},
		{"GATEHOUSE_MANAGEMENT_API_INDICATOR", "", DefaultManagementAPIIndicator, "resource indicator of the Management API", false},
		{"GATEHOUSE_BOOTSTRAP_APP_ID", "", "", "id of an M2M app with Management API access created at startup", false},
		{"GATEHOUSE_BOOTSTRAP_APP_SECRET", "", "", "its secret (16 to 64 characters); set both or neither", true},
		{"GATEHOUSE_ADMIN_USERNAME", "", "", "console administrator created at startup", false},
		{"GATEHOUSE_ADMIN_PASSWORD", "", "", "its password (8 to 1024 characters); unset: a setup link is printed", true},
		{"GATEHOUSE_LOG_FORMAT", "", DefaultLogFormat, "log format: text or json", false},
		{"GATEHOUSE_LOG_LEVEL", "", DefaultLogLevel, "log level: debug, info, warn, error", false},
		{"GATEHOUSE_SHUTDOWN_TIMEOUT", "", DefaultShutdownTimeout.String(), "graceful shutdown limit", false},
		{"GATEHOUSE_AUDIT_FLUSH_INTERVAL", "", DefaultAuditFlushInterval.String(), "longest time an audit entry waits in memory", false},
		{"GATEHOUSE_AUDIT_RETENTION", "", "", "how long audit log entries are kept, e.g. 720h; unset: forever", false},
		{"GATEHOUSE_CUSTOMIZER_TIMEOUT", "", DefaultCustomizerTimeout.String(), "wall clock of one JWT customizer script run (at most 1m)", false},
		{"GATEHOUSE_AUDIT_SPOOL_MAX", "", "256MB", "disk the audit spool may take while the database is unreachable (at least 1MB)", false},
		{"GATEHOUSE_CUSTOMIZER_MEMORY", "", "128MB", "memory a JWT customizer worker may take for scripts (at least 16MB)", false},
		{"GATEHOUSE_GRANT_CACHE_SIZE", "", strconv.Itoa(DefaultGrantCacheSize), "most apps the grant cache holds; least recently used evicted", false},
		{"GATEHOUSE_STALE_GRANTS_MAX", "", "15m", "how long cached grants serve while the database is unreachable", false},
		{"GATEHOUSE_TOKEN_FAILURE_LIMIT", "", "30/1m", "failed client authentications allowed per address and per client id (N/DURATION, or off)", false},
		{"GATEHOUSE_METRICS_LISTEN", "", "", "address serving Prometheus /metrics (production: 127.0.0.1:3002); unset: off", false},
		{"GATEHOUSE_TLS_CERT_FILE", "", "", "PEM certificate chain: serve HTTPS (TLS 1.2+, HTTP/2), reloaded when the file changes", false},
		{"GATEHOUSE_TLS_KEY_FILE", "", "", "PEM private key of that certificate; set both or neither", false},
		{"GATEHOUSE_TRUSTED_PROXIES", "", "", "CIDRs of reverse proxies whose X-Forwarded-For/Forwarded/X-Forwarded-Proto are believed", false},
		{"GATEHOUSE_DEBUG_LISTEN", "", "", "address serving net/http/pprof (keep on loopback); unset: off", false},
	}
}

// Usage is the help text of "gatehouse serve": its flags and the environment
// variables they override.
func Usage() string {
	var b bytes.Buffer
	b.WriteString("Usage: gatehouse serve [flags]\n\nFlags (override the environment):\n")
	fs := newFlagSet(new(flagValues))
	fs.SetOutput(&b)
	fs.PrintDefaults()
	b.WriteString("\nEnvironment:\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  VARIABLE\tFLAG\tDEFAULT\tMEANING")
	for _, s := range settings() {
		fl, def := "-", s.def
		if s.flag != "" {
			fl = "-" + s.flag
		}
		if def == "" {
			def = "-"
		}
		env := s.env
		if s.file {
			env += "[_FILE]"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", env, fl, def, s.usage)
	}
	tw.Flush()
	b.WriteString("\nVARIABLE[_FILE]: set VARIABLE_FILE to a file's path instead of VARIABLE to read the\nvalue from that file (one trailing newline is removed).\n")
	return b.String()
}
