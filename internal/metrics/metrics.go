package metrics

import (
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/grant"
	"github.com/gatehouse/gatehouse/internal/version"
)

// Sources are the counters other packages keep, read at scrape time. A nil
// field leaves its metrics out.
type Sources struct {
	Grants func() grant.Stats
	Audit  func() AuditStats
	// Pools are the database connection pools by name (db_name label).
	Pools map[string]*sql.DB
	// SigningKeyCreated is when the signing key in force was made.
	SigningKeyCreated func() time.Time
	Version           version.Info
	Now               func() time.Time // time.Now when nil
}

// AuditStats are the audit log writer's counters and queue.
type AuditStats struct {
	audit.Stats
	Queued   uint64 // entries accepted
	Buffered int    // entries waiting in memory now
}

// Grant type labels of gatehouse_token_requests_total: the grant_type
// parameter is the client's to choose, so anything but the one grant the
// endpoint serves is "other".
var grantLabels = [...]string{"client_credentials", "none", "other"}

func grantIndex(g string) int {
	switch g {
	case "client_credentials":
		return 0
	case "":
		return 1
	}
	return 2
}

// Outcome labels: "ok", or the OAuth error code of the answer (RFC 6749
// §5.2, RFC 8707 §2 and the ones package oidc adds).
var outcomeLabels = [...]string{
	"ok", "invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
	"unsupported_grant_type", "invalid_scope", "invalid_target", "access_denied",
	"server_error", "temporarily_unavailable", "slow_down", "other",
}

func outcomeIndex(o string) int {
	switch o {
	case "", "ok":
		return 0
	case "invalid_request":
		return 1
	case "invalid_client":
		return 2
	case "invalid_grant":
		return 3
	case "unauthorized_client":
		return 4
	case "unsupported_grant_type":
		return 5
	case "invalid_scope":
		return 6
	case "invalid_target":
		return 7
	case "access_denied":
		return 8
	case "server_error":
		return 9
	case "temporarily_unavailable":
		return 10
	case "slow_down":
		return 11
	}
	return len(outcomeLabels) - 1
}

// Console sign-in outcomes, the labels of gatehouse_console_sign_ins_total.
const (
	SignInSuccess    = "success"           // signed in
	SignInWrong      = "wrong_credentials" // unknown username or wrong password
	SignInLimited    = "rate_limited"      // refused: too many failures for the username or the address
	SignInIncomplete = "incomplete"        // a field was empty
)

var signInLabels = [...]string{SignInSuccess, SignInWrong, SignInLimited, SignInIncomplete}

// tokenBuckets span a cached answer (about 100 µs) to a cache miss on a
// slow database or a JWT customizer run (seconds).
var tokenBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}

// Metrics is one server's metrics and their registry. A nil *Metrics is
// valid and records nothing.
type Metrics struct {
	reg          *prometheus.Registry
	tokens       [len(grantLabels)][len(outcomeLabels)]prometheus.Counter
	tokenSeconds [2]prometheus.Observer // ok, error
	signIns      [len(signInLabels)]prometheus.Counter
	api          *prometheus.CounterVec
	apiSeconds   [2]prometheus.Observer // read, write
}

// New registers every metric, those of src and the Go runtime's and
// process's.
func New(src Sources) *Metrics {
	if src.Now == nil {
		src.Now = time.Now
	}
	m := &Metrics{reg: prometheus.NewRegistry()}
	tokens := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gatehouse_token_requests_total",
		Help: "Token endpoint requests by grant type and outcome (ok, or the OAuth error code answered).",
	}, []string{"grant", "outcome"})
	for g, gl := range grantLabels {
		for o, ol := range outcomeLabels {
			m.tokens[g][o] = tokens.WithLabelValues(gl, ol)
		}
	}
	seconds := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gatehouse_token_request_duration_seconds",
		Help:    "Time to answer a token request, from its routing to the written answer, by result (ok or error).",
		Buckets: tokenBuckets,
	}, []string{"result"})
	m.tokenSeconds[0] = seconds.WithLabelValues("ok")
	m.tokenSeconds[1] = seconds.WithLabelValues("error")
	signIns := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gatehouse_console_sign_ins_total",
		Help: "Console sign-in attempts by outcome.",
	}, []string{"outcome"})
	for i, l := range signInLabels {
		m.signIns[i] = signIns.WithLabelValues(l)
	}
	m.api = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gatehouse_management_requests_total",
		Help: "Management API requests by route pattern (METHOD /api/path/{param}, or unmatched) and HTTP status.",
	}, []string{"route", "status"})
	apiSeconds := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "gatehouse_management_request_duration_seconds",
		Help: "Time to answer a Management API request, from its routing to the written answer, " +
			"by kind: read (GET, HEAD) or write (every other method).",
		Buckets: tokenBuckets,
	}, []string{"kind"})
	m.apiSeconds[0] = apiSeconds.WithLabelValues("read")
	m.apiSeconds[1] = apiSeconds.WithLabelValues("write")
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "gatehouse_build_info",
		Help:        "Always 1; the labels say which build is running.",
		ConstLabels: prometheus.Labels{"version": src.Version.Version, "commit": src.Version.Commit, "goversion": src.Version.GoVersion},
	})
	build.Set(1)
	m.reg.MustRegister(tokens, seconds, signIns, m.api, apiSeconds, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if src.SigningKeyCreated != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "gatehouse_signing_key_age_seconds",
			Help: "Seconds since the signing key in force was made.",
		}, func() float64 { return src.Now().Sub(src.SigningKeyCreated()).Seconds() }))
	}
	if src.Grants != nil {
		m.reg.MustRegister(grantCollector(src.Grants))
	}
	if src.Audit != nil {
		m.reg.MustRegister(auditCollector(src.Audit))
	}
	for name, db := range src.Pools {
		m.reg.MustRegister(collectors.NewDBStatsCollector(db, name))
	}
	return m
}

// Handler serves the metrics in Prometheus's text (or OpenMetrics) format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Registry is the registry of m's metrics, for tests and for packages
// that add collectors of their own.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Token records one token request: its grant_type parameter, its OAuth
// error code ("" when a token was issued) and how long it took. It does
// not allocate.
func (m *Metrics) Token(grantType, errCode string, d time.Duration) {
	if m == nil {
		return
	}
	o := outcomeIndex(errCode)
	m.tokens[grantIndex(grantType)][o].Inc()
	res := 0
	if o != 0 {
		res = 1
	}
	m.tokenSeconds[res].Observe(d.Seconds())
}

// SignIn records one console sign-in attempt's outcome (SignInSuccess,
// ...); an unknown outcome is ignored.
func (m *Metrics) SignIn(outcome string) {
	if m == nil {
		return
	}
	for i, l := range signInLabels {
		if l == outcome {
			m.signIns[i].Inc()
			return
		}
	}
}

// API wraps the Management API's handler (a *http.ServeMux), counts its
// requests by the pattern the mux matched, which it records in the request
// it was given, and times them as reads or writes.
func (m *Metrics) API(next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		r.Pattern = ""
		next.ServeHTTP(sw, r)
		kind := 1
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			kind = 0
		}
		m.apiSeconds[kind].Observe(time.Since(start).Seconds())
		route := r.Pattern
		if route == "" || route == "/api/" {
			route = "unmatched"
		}
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		m.api.WithLabelValues(route, strconv.Itoa(sw.status)).Inc()
	})
}

// statusWriter remembers the status of the answer.
type statusWriter struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the status.
func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200.
func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
