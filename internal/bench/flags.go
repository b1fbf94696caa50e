package bench

import (
	"crypto"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	gh "github.com/gatehouse/gatehouse/client"
)

const (
	defaultURL = "http://127.0.0.1:3001/oidc/token"

	envURL          = "GATEHOUSE_BENCH_URL"
	envClientID     = "GATEHOUSE_CLIENT_ID"
	envClientSecret = "GATEHOUSE_CLIENT_SECRET"

	authBasic = "basic"
	authPost  = "post"

	usageHead = `Usage: gatehouse bench [flags]

Drive an OAuth 2.0 token endpoint (client_credentials grant) and report
requests/s, latency percentiles, status codes and errors. Works against
Gatehouse, Logto or any RFC 6749 server over HTTP/1.1 (http or https).

Without -rate the load is closed loop: each connection sends its next request
as soon as the previous answer arrives (maximum throughput). With -rate it is
open loop: requests start at fixed intended times and latency counts from the
intended time, so server stalls are not hidden (no coordinated omission).
Requests that could not start on time are sent late and reported as late;
those more than -timeout behind are dropped and reported as errors.

One app (-client-id, -client-secret) is the hot-cache case. To see a server
as a fleet uses it, give -credentials FILE instead: lines "id secret" (blank
lines and # comments skipped), one per app; each request goes to an app
picked at random, uniformly, or with -zipf S (S > 1) so that a few apps are
hot (P(k) ~ 1/(k+1)^S for the app on the k-th line, 0-based: larger S, more
skew). Each app's request is encoded once, so many apps cost the generator
nothing more per request. The report counts the distinct apps requested.
"gatehouse bench provision" creates such apps and writes such a file;
"gatehouse bench writes" adds Management API writes at a fixed rate.

-auth private_key_jwt authenticates one app (-client-id) with client
assertions (RFC 7523) signed with -key instead of a secret: each request
carries its own (random jti, exp one minute ahead, aud -aud). They are
signed ahead, before the clock starts (with -rate, the whole run's, up to
30 s of it and 100,000; in closed loop 10,000; -presign N), and topped up in
the background; the report says how many were signed and whether a connection
ever had to sign its own. "gatehouse bench jwks -key FILE" prints the JWK
Set to register ("gatehouse apps auth ID --jwks FILE").

-server-metrics URL (the server's GATEHOUSE_METRICS_LISTEN /metrics) reads
process_cpu_seconds_total as the measured phase starts and ends, and reports
the server's CPU time per request and its CPU utilisation: the server's own
cost, whatever the generator on the same machine spends.

Example:
  GATEHOUSE_CLIENT_SECRET=... gatehouse bench -client-id m2m-app \
      -resource https://api.example.com -c 64 -d 10s
  gatehouse bench -client-id m2m-app -client-secret s3cret -rate 20000 -json
  gatehouse bench -credentials apps.txt -zipf 1.1 -resource https://scale.api -scope read
  gatehouse bench -auth private_key_jwt -client-id m2m-app -key bench.pem -key-id bench \
      -rate 1000 -server-metrics http://127.0.0.1:3002/metrics

Subcommands (each has -h):
  gatehouse bench baseline    serve a bare token endpoint, the lower bound to compare with
  gatehouse bench provision   create N apps through the Management API, write their credentials
  gatehouse bench writes      send Management API writes at a fixed rate, report their latency
  gatehouse bench jwks        print the JWK Set of a -key's public half, to register it

Flags:
`
)

// options are the parsed command line.
type options struct {
	url          string
	clientID     string
	clientSecret string
	credentials  string       // -credentials file name; "" = the one app of -client-id
	zipf         float64      // Zipf exponent of the spread over apps; 0 = uniform
	creds        []credential // the apps requests are spread over; at least one after parseArgs
	auth         string
	resource     string
	scope        string
	conns        int
	duration     time.Duration
	warmup       time.Duration
	rate         float64
	timeout      time.Duration
	json         bool
	insecure     bool

	// private_key_jwt
	keyFile string
	keyID   string
	aud     string        // the assertions' aud; default the -url
	presign int           // assertions to sign before the run; 0 = by the rules of assertionPool
	key     crypto.Signer // loaded from keyFile
	alg     string        // its JWS algorithm

	serverMetrics string // -server-metrics URL; "" = none
}

// parseArgs parses the command line, falling back to the environment for
// the URL and the credentials. It returns flag.ErrHelp after writing the
// help text to stdout for -h.
func parseArgs(args []string, getenv func(string) string, stdout io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("gatehouse bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported by Run, help goes to stdout
	fs.StringVar(&o.url, "url", defaultURL, "token endpoint `URL` ["+envURL+"]")
	fs.StringVar(&o.clientID, "client-id", "", "client (application) `id`, required unless -credentials ["+envClientID+"]")
	fs.StringVar(&o.clientSecret, "client-secret", "", "client `secret`, required unless -credentials ["+envClientSecret+"]")
	fs.StringVar(&o.credentials, "credentials", "", "`file` of lines \"id secret\" (# comments); spread requests over these apps instead of -client-id")
	fs.Float64Var(&o.zipf, "zipf", 0, "with -credentials: pick apps with Zipf exponent `S` > 1 (the first lines hottest); default uniform")
	fs.StringVar(&o.auth, "auth", authBasic, "client authentication: `basic` (Authorization header, RFC 6749 §2.3.1), post (form body) or private_key_jwt (-key)")
	fs.StringVar(&o.keyFile, "key", "", "private_key_jwt: PEM private key `file` (PKCS#8 EC P-256/P-384, Ed25519 or RSA; the algorithm follows the key)")
	fs.StringVar(&o.keyID, "key-id", "", "private_key_jwt: the key's `kid`, sent in the assertions' header (optional)")
	fs.StringVar(&o.aud, "aud", "", "private_key_jwt: the assertions' aud, the server's issuer or token endpoint `URL` (default -url)")
	fs.IntVar(&o.presign, "presign", 0, "private_key_jwt: assertions to sign before the run (`N`); default the open-loop run's, up to 30 s of -rate, or 10,000")
	fs.StringVar(&o.serverMetrics, "server-metrics", "", "the server's Prometheus `URL` (http://127.0.0.1:3002/metrics): report its CPU per request")
	fs.StringVar(&o.resource, "resource", "", "resource indicator `URI` to request (RFC 8707), optional")
	fs.StringVar(&o.scope, "scope", "", "space-separated `scopes` to request, optional")
	fs.IntVar(&o.conns, "c", 64, "concurrent keep-alive `connections`")
	fs.DurationVar(&o.duration, "d", 10*time.Second, "measured `duration`")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "warm-up `duration` before measuring (not counted)")
	fs.Float64Var(&o.rate, "rate", 0, "total `requests/s`, open loop; 0 = closed loop, as fast as possible")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Second, "per-request `timeout` (also for connecting)")
	fs.BoolVar(&o.json, "json", false, "print the report as one JSON object")
	fs.BoolVar(&o.insecure, "insecure", false, "https: do not verify the server certificate")
	fs.Usage = func() {} // flag calls it on every parse error; Run prints the error
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usageHead)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
		}
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if v := getenv(envURL); v != "" && !set["url"] {
		o.url = v
	}
	var errs []error
	if o.auth == authPrivateKeyJWT {
		if o.credentials != "" {
			errs = append(errs, errors.New("-auth private_key_jwt takes one app (-client-id), not -credentials"))
		}
		if set["client-secret"] {
			errs = append(errs, errors.New("-auth private_key_jwt takes no -client-secret (it signs with -key)"))
		}
		if o.keyFile == "" {
			errs = append(errs, errors.New("-auth private_key_jwt needs -key FILE, the PEM private key whose public half the app registered"))
		} else {
			key, alg, err := loadKey(o.keyFile)
			if err != nil {
				errs = append(errs, err)
			}
			o.key, o.alg = key, alg
		}
		if o.aud == "" {
			o.aud = o.url
		}
		if o.presign < 0 {
			errs = append(errs, errors.New("-presign must not be negative"))
		}
	} else {
		for _, name := range []string{"key", "key-id", "aud", "presign"} {
			if set[name] {
				errs = append(errs, fmt.Errorf("-%s is only for -auth private_key_jwt", name))
			}
		}
	}
	if o.credentials != "" {
		// The environment may well hold one app's credentials; only the
		// flags conflict.
		if set["client-id"] || set["client-secret"] {
			errs = append(errs, errors.New("-credentials and -client-id/-client-secret are mutually exclusive"))
		}
		creds, err := readCredentials(o.credentials)
		if err != nil {
			errs = append(errs, err)
		}
		o.creds = creds
	} else {
		if o.clientID == "" {
			o.clientID = getenv(envClientID)
		}
		if o.clientSecret == "" && o.auth != authPrivateKeyJWT {
			o.clientSecret = getenv(envClientSecret)
		}
		o.creds = []credential{{id: o.clientID, secret: o.clientSecret}}
	}
	if set["zipf"] && o.credentials == "" {
		errs = append(errs, errors.New("-zipf needs -credentials (a spread over several apps)"))
	}
	if set["zipf"] && !(o.zipf > 1 && o.zipf <= 1e6) { // also refuses NaN
		errs = append(errs, fmt.Errorf("-zipf must be greater than 1 (a Zipf exponent), not %v", o.zipf))
	}
	return o, errors.Join(append(errs, o.validate())...)
}

// validate reports every problem at once.
func (o options) validate() error {
	var errs []error
	if o.credentials == "" && o.clientID == "" {
		errs = append(errs, errors.New("-client-id is required (or "+envClientID+"), or -credentials"))
	}
	if o.credentials == "" && o.clientSecret == "" && o.auth != authPrivateKeyJWT {
		errs = append(errs, errors.New("-client-secret is required (or "+envClientSecret+")"))
	}
	if o.auth != authBasic && o.auth != authPost && o.auth != authPrivateKeyJWT {
		errs = append(errs, fmt.Errorf("-auth must be basic, post or private_key_jwt, not %q", o.auth))
	}
	if o.conns < 1 {
		errs = append(errs, errors.New("-c must be at least 1"))
	}
	if o.duration <= 0 {
		errs = append(errs, errors.New("-d must be positive"))
	}
	if o.warmup < 0 {
		errs = append(errs, errors.New("-warmup must not be negative"))
	}
	if o.rate < 0 || o.rate != o.rate || o.rate > 1e9 {
		errs = append(errs, errors.New("-rate must be between 0 and 1e9"))
	}
	if o.timeout <= 0 {
		errs = append(errs, errors.New("-timeout must be positive"))
	}
	if _, err := parseTarget(o.url); err != nil {
		errs = append(errs, err)
	}
	if o.serverMetrics != "" {
		if u, err := url.Parse(o.serverMetrics); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("-server-metrics %q: want an http or https URL such as http://127.0.0.1:3002/metrics", o.serverMetrics))
		}
	}
	return errors.Join(errs...)
}

// parseTarget checks the endpoint URL.
func parseTarget(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("-url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("-url %q: scheme must be http or https", raw)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("-url %q: no host", raw)
	}
	if u.User != nil || u.Fragment != "" {
		return nil, fmt.Errorf("-url %q: user info and fragments are not allowed", raw)
	}
	return u, nil
}

// newTarget builds the dial address, TLS config and request bytes.
func newTarget(o options) (*target, error) {
	u, err := parseTarget(o.url)
	if err != nil {
		return nil, err
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	t := &target{
		addr:     net.JoinHostPort(u.Hostname(), port),
		requests: buildRequests(u, o),
		timeout:  o.timeout,
	}
	if u.Scheme == "https" {
		t.tls = &tls.Config{
			ServerName:         u.Hostname(),
			InsecureSkipVerify: o.insecure,
			MinVersion:         tls.VersionTLS12,
			NextProtos:         []string{"http/1.1"},
			// Resumption makes reconnects (after Connection: close) cheap.
			ClientSessionCache: tls.NewLRUClientSessionCache(o.conns),
		}
	}
	return t, nil
}

// buildRequests renders every app's whole token request once, into one
// buffer (one allocation for the GC to track, however many apps).
func buildRequests(u *url.URL, o options) [][]byte {
	var buf []byte
	ends := make([]int, len(o.creds))
	for i, c := range o.creds {
		buf = append(buf, buildRequest(u, o, c)...)
		ends[i] = len(buf)
	}
	reqs := make([][]byte, len(o.creds))
	start := 0
	for i, end := range ends {
		reqs[i] = buf[start:end:end]
		start = end
	}
	return reqs
}

// buildRequest renders one app's whole token request. With -auth
// private_key_jwt, whose requests each carry their own assertion, it is the
// request without one, never sent.
func buildRequest(u *url.URL, o options, c credential) []byte {
	return []byte(renderRequest(u, o, c, ""))
}

// renderRequest renders a token request, carrying assertion as the
// client_assertion with -auth private_key_jwt.
func renderRequest(u *url.URL, o options, c credential, assertion string) string {
	form := "grant_type=client_credentials"
	switch o.auth {
	case authPost:
		form += "&client_id=" + url.QueryEscape(c.id) + "&client_secret=" + url.QueryEscape(c.secret)
	case authPrivateKeyJWT:
		form += "&client_id=" + url.QueryEscape(c.id) + "&client_assertion_type=" + url.QueryEscape(gh.AssertionType) +
			"&client_assertion=" + url.QueryEscape(assertion)
	}
	if o.resource != "" {
		form += "&resource=" + url.QueryEscape(o.resource)
	}
	if o.scope != "" {
		form += "&scope=" + url.QueryEscape(o.scope)
	}
	var b strings.Builder
	b.WriteString("POST " + u.RequestURI() + " HTTP/1.1\r\n")
	b.WriteString("Host: " + u.Host + "\r\n")
	b.WriteString("User-Agent: gatehouse-bench\r\n")
	b.WriteString("Accept: application/json\r\n")
	b.WriteString("Content-Type: application/x-www-form-urlencoded\r\n")
	if o.auth == authBasic {
		b.WriteString("Authorization: " + basicAuth(c.id, c.secret) + "\r\n")
	}
	b.WriteString("Content-Length: " + strconv.Itoa(len(form)) + "\r\n\r\n")
	b.WriteString(form)
	return b.String()
}

// basicAuth renders client_secret_basic credentials: RFC 6749 §2.3.1 has
// the id and secret form-urlencoded before they are joined and base64-coded,
// which matters for secrets holding characters such as ':', '+' or '%'.
func basicAuth(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}
