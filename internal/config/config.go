package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/limit"
	"github.com/gatehouse/gatehouse/internal/netx"
	"github.com/gatehouse/gatehouse/internal/secret"
)

// Defaults of the settings that have one.
const (
	DefaultListen                 = "127.0.0.1:3001"
	DefaultEndpoint               = "http://localhost:3001"
	DefaultDataDir                = "./data"
	DefaultSigningAlg             = "ES256"
	DefaultManagementAPIIndicator = "https://default.logto.app/api"
	DefaultLogFormat              = "text"
	DefaultLogLevel               = "info"
	DefaultShutdownTimeout        = 15 * time.Second
	DefaultAuditFlushInterval     = 200 * time.Millisecond
	// DefaultCustomizerTimeout is Logto's wall clock for a JWT customizer
	// script (spec §5).
	DefaultCustomizerTimeout = 5 * time.Second
	// MaxCustomizerTimeout bounds GATEHOUSE_CUSTOMIZER_TIMEOUT: a token
	// request waits for the script, and clients give up long before.
	MaxCustomizerTimeout = time.Minute
	// DefaultCustomizerMemory is the memory a JWT customizer worker may
	// take beyond its own start-up size; MinCustomizerMemory is the least
	// GATEHOUSE_CUSTOMIZER_MEMORY accepts (a script needs room to run).
	DefaultCustomizerMemory = 128 << 20
	MinCustomizerMemory     = 16 << 20
	// DefaultAuditSpoolMax is the most disk the audit spool may take while
	// the database is unreachable (audit.DefaultSpoolMax): about 500,000
	// entries of about 500 bytes, a minute at 10,000 token requests a
	// second. MinAuditSpoolMax is
	// the least GATEHOUSE_AUDIT_SPOOL_MAX accepts.
	DefaultAuditSpoolMax = 256 << 20
	MinAuditSpoolMax     = 1 << 20
	// DefaultGrantCacheSize is how many apps the grant cache holds: the
	// fleet size the token endpoint is meant to serve from memory.
	DefaultGrantCacheSize = 100_000
	// DefaultStaleGrantsMax is how long cached grants keep serving while
	// the database is unreachable.
	DefaultStaleGrantsMax = 15 * time.Minute
	// DefaultTokenFailures per DefaultTokenFailureWindow is the default
	// GATEHOUSE_TOKEN_FAILURE_LIMIT, per source address and per client
	// id: far above what a misconfigured client retrying with backoff
	// makes, far below guessing speed.
	DefaultTokenFailures      = 30
	DefaultTokenFailureWindow = time.Minute
)

// Config is Gatehouse's whole configuration. Load fills it; the zero value is
// not valid, Load with an empty environment gives the defaults.
type Config struct {
	// Listen is the TCP address the HTTP server binds, host:port.
	Listen string
	// Endpoint is the public base URL clients use to reach the server, with
	// an optional path prefix and without a trailing slash.
	Endpoint string
	// DataDir holds the SQLite database, the generated master key file and
	// the audit log's outage spool.
	DataDir string
	// DatabaseURL selects the store: "" is SQLite at SQLitePath, a
	// postgres:// or postgresql:// URL is PostgreSQL. It may hold a password:
	// never log it.
	DatabaseURL string
	// MasterKey is the decoded 32-byte master key from GATEHOUSE_MASTER_KEY
	// or the file GATEHOUSE_MASTER_KEY_FILE; nil when neither is set, in
	// which case the app reads or creates MasterKeyPath at startup.
	MasterKey []byte
	// MasterKeyFile is the explicitly configured master key file, "" when
	// unset.
	MasterKeyFile string
	// SigningAlg is the JWS algorithm of new signing keys: ES256, ES384,
	// ES512, EdDSA or RS256.
	SigningAlg string
	// ManagementAPIIndicator is the resource indicator (audience) of the
	// Management API, Logto's by default so that Logto SDKs work unchanged.
	ManagementAPIIndicator string
	// BootstrapAppID and BootstrapAppSecret, when set, name an M2M
	// application with Management API access that the app creates (or
	// updates) at startup. Either both are set or neither.
	BootstrapAppID     string
	BootstrapAppSecret string
	// AdminUsername and AdminPassword, when set, name the console
	// administrator that the app creates at startup (or whose password it
	// resets to this one). Either both are set or neither; with neither, a
	// one-time setup link is printed while no administrator exists.
	AdminUsername string
	AdminPassword string
	// LogFormat is "text" or "json".
	LogFormat string
	// LogLevel is "debug", "info", "warn" or "error".
	LogLevel string
	// ShutdownTimeout bounds graceful shutdown: draining requests and
	// flushing the audit log.
	ShutdownTimeout time.Duration
	// AuditFlushInterval is how long an audit entry may wait in memory
	// before it is written.
	AuditFlushInterval time.Duration
	// AuditRetention is how long audit log entries are kept; 0 (unset)
	// keeps them forever, as Logto does.
	AuditRetention time.Duration
	// CustomizerTimeout is the wall clock of one JWT customizer script
	// run; the script is interrupted when it runs out.
	CustomizerTimeout time.Duration
	// CustomizerMemory is how many bytes of memory a JWT customizer worker
	// process may take beyond its start-up size; past it the worker is
	// killed and the run fails.
	CustomizerMemory int64
	// AuditSpoolMax is the most bytes the audit spool (<data dir>/audit-spool)
	// holds while the database is unreachable; entries beyond it are dropped
	// and counted.
	AuditSpoolMax int64
	// GrantCacheSize is the most apps the grant cache holds; beyond it the
	// least recently used are evicted. At least 1.
	GrantCacheSize int
	// StaleGrantsMax is how long cached grants keep serving tokens while
	// the database is unreachable; after it they are refused too. 0 refuses
	// them as soon as the database is unreachable.
	StaleGrantsMax time.Duration
	// TokenFailureLimit is how many failed client authentications the
	// token endpoint (and introspection and revocation) allow per source
	// address and per client id before answering 429. Off (the zero
	// Rate) limits nothing.
	TokenFailureLimit limit.Rate
	// FederationAllowInsecure lets the fetcher of jwksUri key sets and
	// federated issuers' keys use http URLs and loopback, private and
	// link-local addresses. For tests and labs only: it opens the server's
	// own network to anyone who can register a URL.
	FederationAllowInsecure bool
	// ManagementPriority makes token signatures make way for Management API
	// and console requests while they run and for a second after (package
	// prio): admin writes about twice as fast under full token load, token
	// throughput lower while they run. Off by default.
	ManagementPriority bool
	// DebugListen, when set, is a second address serving net/http/pprof
	// (profiles of a running server). Keep it on loopback: it is not
	// authenticated.
	DebugListen string
	// MetricsListen, when set, is a second address serving Prometheus
	// metrics at /metrics, never on the public listener. Not
	// authenticated: keep it on loopback or a private network.
	MetricsListen string
	// TLSCertFile and TLSKeyFile, when set (both or neither), make the
	// public listener serve HTTPS (TLS 1.2 or later, HTTP/2) with this PEM
	// certificate chain and key; files written over are picked up at the
	// next handshake, without a restart.
	TLSCertFile, TLSKeyFile string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For,
	// Forwarded and X-Forwarded-Proto headers name the client (see package
	// netx); nil trusts no one.
	TrustedProxies *netx.Proxies
}

// TLS reports whether the public listener serves HTTPS.
func (c Config) TLS() bool { return c.TLSCertFile != "" }

// Issuer is the OAuth issuer identifier: the endpoint followed by /oidc.
func (c Config) Issuer() string { return c.Endpoint + "/oidc" }

// SQLitePath is the SQLite database file used when DatabaseURL is empty.
func (c Config) SQLitePath() string { return filepath.Join(c.DataDir, "gatehouse.db") }

// AuditSpoolDir is where audit entries wait while the database is
// unreachable (see package audit).
func (c Config) AuditSpoolDir() string { return filepath.Join(c.DataDir, "audit-spool") }

// MasterKeyPath is where the master key is read from, or generated into when
// no key is configured: MasterKeyFile if set, else DataDir/master.key.
func (c Config) MasterKeyPath() string {
	if c.MasterKeyFile != "" {
		return c.MasterKeyFile
	}
	return filepath.Join(c.DataDir, "master.key")
}

// Error is Load's validation error. It lists every problem found, not just
// the first.
type Error struct {
	Problems []string
}

// Error formats the problems one per line.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("invalid configuration:")
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p)
	}
	return b.String()
}

// flagValues are the raw values of the serve flags.
type flagValues struct {
	listen, endpoint, dataDir, databaseURL, masterKeyFile, signingAlg string
}

// newFlagSet declares the flags of "gatehouse serve". Their defaults are the
// real defaults, for the help text only: Load asks the set which flags were
// given, and only those override the environment.
func newFlagSet(v *flagValues) *flag.FlagSet {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.Usage = func() {} // the caller prints Usage() on flag.ErrHelp
	for _, s := range settings() {
		if s.flag == "" {
			continue
		}
		var p *string
		switch s.flag {
		case "listen":
			p = &v.listen
		case "endpoint":
			p = &v.endpoint
		case "data-dir":
			p = &v.dataDir
		case "database-url":
			p = &v.databaseURL
		case "master-key-file":
			p = &v.masterKeyFile
		case "signing-alg":
			p = &v.signingAlg
		default:
			panic("config: no field for flag " + s.flag)
		}
		fs.StringVar(p, s.flag, s.def, s.usage+" (env "+s.env+")")
	}
	return fs
}

// Load builds the configuration from the environment (read through getenv,
// so tests need not touch the process environment) and args, the words after
// "gatehouse serve". A flag given in args overrides its environment variable.
//
// It returns an error wrapping flag.ErrHelp for -h or -help (print Usage()),
// a wrapped flag error for an unknown or malformed flag or a stray argument,
// and an *Error listing every invalid setting otherwise.
func Load(getenv func(string) string, args []string) (Config, error) {
	var fv flagValues
	fs := newFlagSet(&fv)
	fs.SetOutput(new(bytes.Buffer))
	if err := fs.Parse(args); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("config: unexpected argument %q", fs.Arg(0))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })

	l := loader{getenv: getenv}
	// pick returns the flag value if the flag was given, else the
	// environment variable if set, else def.
	pick := func(flagName string, flagVal *string, env, def string) string {
		if given[flagName] {
			return *flagVal
		}
		if v := getenv(env); v != "" {
			return v
		}
		return def
	}

	var c Config
	c.Listen = pick("listen", &fv.listen, "GATEHOUSE_LISTEN", DefaultListen)
	c.Endpoint = pick("endpoint", &fv.endpoint, "GATEHOUSE_ENDPOINT", DefaultEndpoint)
	c.DataDir = pick("data-dir", &fv.dataDir, "GATEHOUSE_DATA_DIR", DefaultDataDir)
	c.SigningAlg = pick("signing-alg", &fv.signingAlg, "GATEHOUSE_SIGNING_ALG", DefaultSigningAlg)
	if given["database-url"] {
		c.DatabaseURL = fv.databaseURL
	} else {
		c.DatabaseURL, _ = l.secret("GATEHOUSE_DATABASE_URL")
		c.DatabaseURL = strings.TrimSpace(c.DatabaseURL)
	}
	c.ManagementAPIIndicator = pick("", nil, "GATEHOUSE_MANAGEMENT_API_INDICATOR", DefaultManagementAPIIndicator)
	c.BootstrapAppID = getenv("GATEHOUSE_BOOTSTRAP_APP_ID")
	bootstrapSecret, bootstrapSecretState := l.secret("GATEHOUSE_BOOTSTRAP_APP_SECRET")
	c.BootstrapAppSecret = bootstrapSecret
	c.AdminUsername = getenv("GATEHOUSE_ADMIN_USERNAME")
	adminPassword, adminPasswordState := l.secret("GATEHOUSE_ADMIN_PASSWORD")
	c.AdminPassword = adminPassword
	c.LogFormat = strings.ToLower(pick("", nil, "GATEHOUSE_LOG_FORMAT", DefaultLogFormat))
	c.LogLevel = strings.ToLower(pick("", nil, "GATEHOUSE_LOG_LEVEL", DefaultLogLevel))
	c.ShutdownTimeout = l.duration("GATEHOUSE_SHUTDOWN_TIMEOUT", DefaultShutdownTimeout)
	c.AuditFlushInterval = l.duration("GATEHOUSE_AUDIT_FLUSH_INTERVAL", DefaultAuditFlushInterval)
	c.CustomizerTimeout = l.duration("GATEHOUSE_CUSTOMIZER_TIMEOUT", DefaultCustomizerTimeout)
	c.CustomizerMemory = l.size("GATEHOUSE_CUSTOMIZER_MEMORY", DefaultCustomizerMemory, MinCustomizerMemory)
	c.AuditRetention = l.duration("GATEHOUSE_AUDIT_RETENTION", 0)
	c.AuditSpoolMax = l.size("GATEHOUSE_AUDIT_SPOOL_MAX", DefaultAuditSpoolMax, MinAuditSpoolMax)
	c.GrantCacheSize = l.count("GATEHOUSE_GRANT_CACHE_SIZE", DefaultGrantCacheSize, 1)
	c.StaleGrantsMax = l.durationOrZero("GATEHOUSE_STALE_GRANTS_MAX", DefaultStaleGrantsMax)
	c.TokenFailureLimit = l.rate("GATEHOUSE_TOKEN_FAILURE_LIMIT", limit.Rate{N: DefaultTokenFailures, Per: DefaultTokenFailureWindow})
	c.FederationAllowInsecure = l.boolean("GATEHOUSE_FEDERATION_ALLOW_INSECURE")
	c.ManagementPriority = l.boolean("GATEHOUSE_MANAGEMENT_PRIORITY")
	c.DebugListen = getenv("GATEHOUSE_DEBUG_LISTEN")
	c.MetricsListen = getenv("GATEHOUSE_METRICS_LISTEN")
	c.TLSCertFile = getenv("GATEHOUSE_TLS_CERT_FILE")
	c.TLSKeyFile = getenv("GATEHOUSE_TLS_KEY_FILE")
	c.TrustedProxies = l.proxies("GATEHOUSE_TRUSTED_PROXIES")

	l.masterKey(&c, given["master-key-file"], fv.masterKeyFile)
	l.validate(&c, bootstrapSecretState)
	l.checkAdmin(c.AdminUsername, c.AdminPassword, adminPasswordState)
	if len(l.problems) > 0 {
		return Config{}, &Error{Problems: l.problems}
	}
	return c, nil
}

// loader collects problems while Load reads and checks settings.
type loader struct {
	getenv   func(string) string
	problems []string
}

func (l *loader) problemf(format string, args ...any) {
	l.problems = append(l.problems, fmt.Sprintf(format, args...))
}

// boolean reads a true/false setting; unset is false.
func (l *loader) boolean(env string) bool {
	v := l.getenv(env)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		l.problemf("%s: %q is not true or false", env, v)
	}
	return b
}

// secretState tells whether a secret setting was given and could be read.
type secretState int

const (
	unset   secretState = iota // neither VAR nor VAR_FILE is set
	valid                      // read; the value still has to be checked
	invalid                    // set, but a problem was already reported
)

// secret reads a secret setting from env or from the file named by
// env+"_FILE"; setting both is a problem. A file's content loses one trailing
// newline ("\n" or "\r\n", as editors and echo add one), nothing else.
func (l *loader) secret(env string) (string, secretState) {
	plain, file := l.getenv(env), l.getenv(env+"_FILE")
	switch {
	case plain != "" && file != "":
		l.problemf("%s and %s_FILE are both set; set one", env, env)
		return "", invalid
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			l.problemf("%s_FILE: %v", env, err)
			return "", invalid
		}
		s := string(b)
		if t, ok := strings.CutSuffix(s, "\n"); ok {
			s = strings.TrimSuffix(t, "\r")
		}
		return s, valid
	case plain != "":
		return plain, valid
	default:
		return "", unset
	}
}

// duration reads a positive duration.
func (l *loader) duration(env string, def time.Duration) time.Duration {
	d, ok := l.parseDuration(env, def)
	if ok && d <= 0 {
		l.problemf("%s: must be positive, got %s", env, l.getenv(env))
		return def
	}
	return d
}

// durationOrZero reads a duration that may be 0 but not negative.
func (l *loader) durationOrZero(env string, def time.Duration) time.Duration {
	d, ok := l.parseDuration(env, def)
	if ok && d < 0 {
		l.problemf("%s: must not be negative, got %s", env, l.getenv(env))
		return def
	}
	return d
}

// parseDuration reads env as a Go duration; ok is false when it is unset
// (def is returned) or invalid (a problem is reported).
func (l *loader) parseDuration(env string, def time.Duration) (d time.Duration, ok bool) {
	s := l.getenv(env)
	if s == "" {
		return def, false
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		l.problemf("%s: %q is not a duration (like 15s or 200ms)", env, s)
		return def, false
	}
	return d, true
}

// count reads a whole number of at least min.
func (l *loader) count(env string, def, min int) int {
	s := l.getenv(env)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		l.problemf("%s: %q is not a whole number", env, s)
		return def
	}
	if n < min {
		l.problemf("%s: must be at least %d, got %d", env, min, n)
		return def
	}
	return n
}

// size reads a byte count: a whole number with an optional unit, KB, MB
// or GB (powers of 1024), of at least min.
func (l *loader) size(env string, def, min int64) int64 {
	s := strings.TrimSpace(l.getenv(env))
	if s == "" {
		return def
	}
	num, mult := strings.ToUpper(s), int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n > (1<<50)/mult {
		l.problemf("%s: %q is not a size (like 128MB or 1GB)", env, s)
		return def
	}
	if n*mult < min {
		l.problemf("%s: must be at least %s, got %s", env, sizeString(min), s)
		return def
	}
	return n * mult
}

// sizeString writes n bytes as the largest unit that divides it.
func sizeString(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "GB"
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "KB"
	}
	return strconv.FormatInt(n, 10) + "B"
}

// rate reads a limit.Rate: N/DURATION, or 0 or off.
func (l *loader) rate(env string, def limit.Rate) limit.Rate {
	s := l.getenv(env)
	if s == "" {
		return def
	}
	r, err := limit.ParseRate(s)
	if err != nil {
		l.problemf("%s: %q: %v", env, s, err)
		return def
	}
	return r
}

// proxies reads a list of trusted proxy networks.
// It is nil when none are.
func (l *loader) proxies(env string) *netx.Proxies {
	p, err := netx.ParseProxies(l.getenv(env))
	if err != nil {
		l.problemf("%s: %v", env, err)
		return nil
	}
	if p.Empty() {
		return nil
	}
	return p
}

// masterKey resolves the master key from GATEHOUSE_MASTER_KEY or a key file
// (the -master-key-file flag overriding GATEHOUSE_MASTER_KEY_FILE). An
// explicitly named file must exist and hold a valid key; the default path is
// left to the app.
func (l *loader) masterKey(c *Config, flagGiven bool, flagVal string) {
	plain := l.getenv("GATEHOUSE_MASTER_KEY")
	c.MasterKeyFile = l.getenv("GATEHOUSE_MASTER_KEY_FILE")
	if flagGiven {
		c.MasterKeyFile = flagVal
	}
	switch {
	case plain != "" && c.MasterKeyFile != "":
		l.problemf("GATEHOUSE_MASTER_KEY and the master key file (GATEHOUSE_MASTER_KEY_FILE or -master-key-file) are both set; set one")
	case plain != "":
		k, err := secret.ParseKey(plain)
		if err != nil {
			l.problemf("GATEHOUSE_MASTER_KEY: %v", err)
			return
		}
		c.MasterKey = k
	case c.MasterKeyFile != "":
		k, err := secret.ReadKeyFile(c.MasterKeyFile)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				l.problemf("master key file %s does not exist (leave GATEHOUSE_MASTER_KEY_FILE unset to generate one in the data directory)", c.MasterKeyFile)
				return
			}
			l.problemf("master key file: %v", err)
			return
		}
		c.MasterKey = k
	}
}
