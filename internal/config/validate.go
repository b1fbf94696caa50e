package config

import (
	"crypto/tls"
	"net"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// signingAlgs maps the accepted spellings (lower case) of each signing
// algorithm to its JWS name.
func signingAlgs() map[string]string {
	return map[string]string{
		"es256":   "ES256",
		"es384":   "ES384",
		"es512":   "ES512",
		"eddsa":   "EdDSA",
		"ed25519": "EdDSA",
		"rs256":   "RS256",
	}
}

// Bootstrap credential limits. The id alphabet and length are those of the
// ids Gatehouse generates (and Logto accepts); the secret is an RFC 6749
// client_secret, VSCHAR = %x20-7E (Appendix A.2), long enough that guessing
// it, even from many addresses under GATEHOUSE_TOKEN_FAILURE_LIMIT, is
// hopeless (16 characters from a 95-character alphabet are over 100 bits
// when random; generated secrets have 32).
const (
	maxBootstrapIDLen     = 21
	minBootstrapSecretLen = 16
	maxBootstrapSecretLen = 64
)

// validate checks and normalizes c, adding a problem for every invalid
// setting.
func (l *loader) validate(c *Config, bootstrapSecret secretState) {
	l.checkListen("listen address (GATEHOUSE_LISTEN, -listen)", c.Listen)
	if c.DebugListen != "" {
		l.checkListen("debug address (GATEHOUSE_DEBUG_LISTEN)", c.DebugListen)
	}
	if c.MetricsListen != "" {
		l.checkListen("metrics address (GATEHOUSE_METRICS_LISTEN)", c.MetricsListen)
	}
	l.checkTLS(c.TLSCertFile, c.TLSKeyFile)
	c.Endpoint = l.checkEndpoint(c.Endpoint)
	if c.DataDir == "" {
		l.problemf("data directory (GATEHOUSE_DATA_DIR, -data-dir) must not be empty")
	}
	l.checkDatabaseURL(c.DatabaseURL)

	if alg, ok := signingAlgs()[strings.ToLower(c.SigningAlg)]; ok {
		c.SigningAlg = alg
	} else {
		l.problemf("signing algorithm (GATEHOUSE_SIGNING_ALG, -signing-alg) %q is not one of ES256, ES384, ES512, EdDSA, RS256", c.SigningAlg)
	}

	if u, err := url.Parse(c.ManagementAPIIndicator); err != nil || !u.IsAbs() || strings.Contains(c.ManagementAPIIndicator, "#") {
		l.problemf("GATEHOUSE_MANAGEMENT_API_INDICATOR %q must be an absolute URI without a fragment", c.ManagementAPIIndicator)
	}

	l.checkBootstrap(c.BootstrapAppID, c.BootstrapAppSecret, bootstrapSecret)

	switch c.LogFormat {
	case "text", "json":
	default:
		l.problemf("GATEHOUSE_LOG_FORMAT %q is not one of text, json", c.LogFormat)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		l.problemf("GATEHOUSE_LOG_LEVEL %q is not one of debug, info, warn, error", c.LogLevel)
	}
	if c.CustomizerTimeout > MaxCustomizerTimeout {
		l.problemf("GATEHOUSE_CUSTOMIZER_TIMEOUT: must be at most %s, got %s", MaxCustomizerTimeout, c.CustomizerTimeout)
	}
}

// checkTLS checks that the certificate and key are set together and
// form a pair now; the server reads them again at every change.
func (l *loader) checkTLS(cert, key string) {
	switch {
	case cert == "" && key == "":
		return
	case cert == "":
		l.problemf("GATEHOUSE_TLS_KEY_FILE is set but GATEHOUSE_TLS_CERT_FILE is not; set both or neither")
		return
	case key == "":
		l.problemf("GATEHOUSE_TLS_CERT_FILE is set but GATEHOUSE_TLS_KEY_FILE is not; set both or neither")
		return
	}
	if _, err := tls.LoadX509KeyPair(cert, key); err != nil {
		l.problemf("GATEHOUSE_TLS_CERT_FILE, GATEHOUSE_TLS_KEY_FILE: %v", err)
	}
}

func (l *loader) checkListen(what, addr string) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		l.problemf("%s %q must be host:port, like 127.0.0.1:3001 or :3001", what, addr)
		return
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		l.problemf("%s %q: port must be a number from 0 to 65535", what, addr)
	}
}

// checkEndpoint returns the endpoint without trailing slashes.
func (l *loader) checkEndpoint(s string) string {
	const what = "endpoint (GATEHOUSE_ENDPOINT, -endpoint)"
	u, err := url.Parse(s)
	switch {
	case err != nil:
		l.problemf("%s %q is not a URL", what, s)
	case u.Scheme != "http" && u.Scheme != "https":
		l.problemf("%s %q must be an absolute http:// or https:// URL", what, s)
	case u.Host == "" || u.Hostname() == "":
		l.problemf("%s %q has no host", what, s)
	case u.User != nil:
		l.problemf("%s %q must not contain user information", what, s)
	case u.RawQuery != "" || u.ForceQuery:
		l.problemf("%s %q must not have a query", what, s)
	case strings.Contains(s, "#"):
		l.problemf("%s %q must not have a fragment", what, s)
	}
	return strings.TrimRight(s, "/")
}

// checkDatabaseURL never quotes the URL: it may hold a password.
func (l *loader) checkDatabaseURL(s string) {
	if s == "" {
		return
	}
	const what = "database URL (GATEHOUSE_DATABASE_URL, -database-url)"
	scheme, _, ok := strings.Cut(s, "://")
	if !ok || (!strings.EqualFold(scheme, "postgres") && !strings.EqualFold(scheme, "postgresql")) {
		l.problemf("%s must be empty (SQLite in the data directory) or start with postgres:// or postgresql://", what)
		return
	}
	if _, err := url.Parse(s); err != nil {
		// url.Parse's error quotes the input; say only what kind it was.
		var kind string
		if ue, ok := err.(*url.Error); ok {
			kind = ue.Err.Error()
		}
		l.problemf("%s cannot be parsed as a URL: %s", what, kind)
	}
}

// checkBootstrap checks the bootstrap credentials. state tells whether the
// secret was set and, if read from a file, whether reading it worked.
func (l *loader) checkBootstrap(id, secret string, state secretState) {
	secretSet := state != unset
	switch {
	case id == "" && !secretSet:
		return
	case id == "":
		l.problemf("GATEHOUSE_BOOTSTRAP_APP_SECRET is set but GATEHOUSE_BOOTSTRAP_APP_ID is not; set both or neither")
		return
	case !secretSet:
		l.problemf("GATEHOUSE_BOOTSTRAP_APP_ID is set but GATEHOUSE_BOOTSTRAP_APP_SECRET is not; set both or neither")
	}
	if len(id) > maxBootstrapIDLen || strings.IndexFunc(id, func(r rune) bool { return !isIDChar(r) }) >= 0 {
		l.problemf("GATEHOUSE_BOOTSTRAP_APP_ID %q must be 1 to %d characters of A-Z a-z 0-9 _ -", id, maxBootstrapIDLen)
	}
	if state != valid {
		return
	}
	if len(secret) < minBootstrapSecretLen || len(secret) > maxBootstrapSecretLen {
		l.problemf("GATEHOUSE_BOOTSTRAP_APP_SECRET must be %d to %d characters, got %d (a short secret can be guessed)", minBootstrapSecretLen, maxBootstrapSecretLen, len(secret))
	}
	for i := 0; i < len(secret); i++ {
		if secret[i] < 0x20 || secret[i] > 0x7e {
			l.problemf("GATEHOUSE_BOOTSTRAP_APP_SECRET may contain only printable ASCII (%%x20-7E); byte %d is not", i+1)
			break
		}
	}
}

func isIDChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-'
}

// Console administrator limits: a username is what an operator types, a
// password at least a passphrase's minimum (NIST SP 800-63B §5.1.1.2).
const (
	maxAdminUsernameLen = 64
	minAdminPasswordLen = 8
	maxAdminPasswordLen = 1024
)

// checkAdmin checks the console administrator settings. state tells
// whether the password was set and, if read from a file, whether reading
// it worked.
func (l *loader) checkAdmin(username, password string, state secretState) {
	switch {
	case username == "" && state == unset:
		return
	case username == "":
		l.problemf("GATEHOUSE_ADMIN_PASSWORD is set but GATEHOUSE_ADMIN_USERNAME is not; set both or neither")
		return
	case state == unset:
		l.problemf("GATEHOUSE_ADMIN_USERNAME is set but GATEHOUSE_ADMIN_PASSWORD is not; set both or neither")
	}
	if utf8.RuneCountInString(username) > maxAdminUsernameLen || strings.IndexFunc(username, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
		l.problemf("GATEHOUSE_ADMIN_USERNAME must be 1 to %d characters without spaces or control characters", maxAdminUsernameLen)
	}
	if state != valid {
		return
	}
	if n := utf8.RuneCountInString(password); n < minAdminPasswordLen || n > maxAdminPasswordLen {
		l.problemf("GATEHOUSE_ADMIN_PASSWORD must be %d to %d characters, got %d", minAdminPasswordLen, maxAdminPasswordLen, n)
	}
}
