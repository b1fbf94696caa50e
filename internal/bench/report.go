package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

const (
	// maxSamples is how many distinct error samples the report shows.
	maxSamples = 5
	// maxStatus bounds the status codes counted (the parser only accepts 100-999).
	maxStatus = 1000
)

// stats is what one connection records; merged into one at the end.
type stats struct {
	hist    histogram // latency of every answered request, any status
	status  [maxStatus]uint64
	errs    [numKinds]uint64
	late    uint64 // open loop: sent more than lateAfter after the intended time
	apps    appSet // the apps (indices into target.requests) of counted requests that were sent
	samples []sample
}

// sample is one distinct error for the report.
type sample struct {
	Kind    string `json:"kind"`
	Status  int    `json:"status,omitempty"`
	Message string `json:"message"`
	Count   uint64 `json:"count"`
}

// addError counts a failed request and keeps a sample of it if it is new.
// Allocation happens only for a new distinct sample, at most maxSamples
// times per connection.
func (s *stats) addError(k errKind, status int, msg []byte) {
	s.errs[k]++
	for i := range s.samples {
		if sm := &s.samples[i]; sm.Kind == k.String() && sm.Status == status && sm.Message == string(msg) {
			sm.Count++
			return
		}
	}
	if len(s.samples) < maxSamples {
		s.samples = append(s.samples, sample{Kind: k.String(), Status: status, Message: string(msg), Count: 1})
	}
}

// merge adds o into s.
func (s *stats) merge(o *stats) {
	s.hist.merge(&o.hist)
	for i, c := range o.status {
		s.status[i] += c
	}
	for i, c := range o.errs {
		s.errs[i] += c
	}
	s.late += o.late
	s.apps = s.apps.union(o.apps)
next:
	for _, os := range o.samples {
		for i := range s.samples {
			if sm := &s.samples[i]; sm.Kind == os.Kind && sm.Status == os.Status && sm.Message == os.Message {
				sm.Count += os.Count
				continue next
			}
		}
		if len(s.samples) < maxSamples {
			s.samples = append(s.samples, os)
		}
	}
}

// report is the result of a run, rendered as text or JSON. Durations are in
// microseconds.
type report struct {
	Target         string            `json:"target"`
	Auth           string            `json:"auth"`
	Credentials    string            `json:"credentials,omitempty"` // -credentials file
	Spread         string            `json:"spread"`                // uniform or zipf
	Zipf           float64           `json:"zipf,omitempty"`        // Zipf exponent
	AppsGiven      int               `json:"apps_given"`            // apps requests could go to
	AppsUsed       int               `json:"apps_used"`             // distinct apps of the measured requests sent
	Connections    int               `json:"connections"`
	DurationUS     float64           `json:"duration_us"` // measured window (shorter if interrupted)
	WarmupUS       float64           `json:"warmup_us"`
	Rate           float64           `json:"rate,omitempty"` // open loop target, requests/s
	Interrupted    bool              `json:"interrupted,omitempty"`
	Requests       uint64            `json:"requests"` // answered, any status
	OK             uint64            `json:"ok"`       // answered 2xx
	RequestsPerSec float64           `json:"requests_per_sec"`
	Latency        latencyReport     `json:"latency_us"`
	Status         map[string]uint64 `json:"status"`
	Errors         errorReport       `json:"errors"`
	Late           uint64            `json:"late,omitempty"`
	ErrorSamples   []sample          `json:"error_samples,omitempty"`
	Assertions     *assertionReport  `json:"assertions,omitempty"` // -auth private_key_jwt
	Server         *serverReport     `json:"server,omitempty"`     // -server-metrics
}

type latencyReport struct {
	Min  float64 `json:"min"`
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
}

// errorReport counts failed requests by kind. Status counts answers that
// were not 2xx (they are also in Requests); the others got no answer.
type errorReport struct {
	Total    uint64 `json:"total"`
	Status   uint64 `json:"status"`
	Connect  uint64 `json:"connect"`
	Write    uint64 `json:"write"`
	Read     uint64 `json:"read"`
	Timeout  uint64 `json:"timeout"`
	Protocol uint64 `json:"protocol"`
	Dropped  uint64 `json:"dropped"`
}

func newReport(o options, s *stats, measured time.Duration, interrupted bool) report {
	r := report{
		Target:      o.url,
		Auth:        o.auth,
		Credentials: o.credentials,
		Spread:      "uniform",
		Zipf:        o.zipf,
		AppsGiven:   len(o.creds),
		AppsUsed:    s.apps.count(),
		Connections: o.conns,
		DurationUS:  us(measured),
		WarmupUS:    us(o.warmup),
		Rate:        o.rate,
		Interrupted: interrupted,
		Requests:    s.hist.count(),
		Status:      map[string]uint64{},
		Late:        s.late,
		Latency: latencyReport{
			Min:  s.hist.quantile(0),
			Mean: s.hist.mean(),
			P50:  s.hist.quantile(0.50),
			P90:  s.hist.quantile(0.90),
			P99:  s.hist.quantile(0.99),
			P999: s.hist.quantile(0.999),
			Max:  float64(s.hist.maxUS),
		},
		Errors: errorReport{
			Status:   s.errs[kindStatus],
			Connect:  s.errs[kindConnect],
			Write:    s.errs[kindWrite],
			Read:     s.errs[kindRead],
			Timeout:  s.errs[kindTimeout],
			Protocol: s.errs[kindProtocol],
			Dropped:  s.errs[kindDropped],
		},
		ErrorSamples: s.samples,
	}
	if o.zipf > 0 {
		r.Spread = "zipf"
	}
	for _, c := range s.errs {
		r.Errors.Total += c
	}
	for code, c := range s.status {
		if c > 0 {
			r.Status[strconv.Itoa(code)] = c
			if code >= 200 && code <= 299 {
				r.OK += c
			}
		}
	}
	if measured > 0 {
		r.RequestsPerSec = float64(r.Requests) / measured.Seconds()
	}
	return r
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// writeJSON prints the report as one JSON object.
func (r report) writeJSON(w io.Writer) error { return writeJSONTo(w, r) }

// writeJSONTo prints v as one indented JSON object.
func writeJSONTo(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeText prints the report for people.
func (r report) writeText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Target       %s (auth %s)\n", r.Target, r.Auth)
	load := "closed loop"
	if r.Rate > 0 {
		load = fmt.Sprintf("open loop at %s req/s", strconv.FormatFloat(r.Rate, 'f', -1, 64))
	}
	fmt.Fprintf(&b, "Load         %d connections, %s, %s measured after %s warm-up",
		r.Connections, load, humanUS(r.DurationUS), humanUS(r.WarmupUS))
	if r.Interrupted {
		b.WriteString(" (interrupted)")
	}
	b.WriteString("\n")
	if r.Credentials != "" {
		spread := "uniform"
		if r.Spread == "zipf" {
			spread = "zipf s=" + strconv.FormatFloat(r.Zipf, 'g', -1, 64)
		}
		fmt.Fprintf(&b, "Apps         %d used of %d given (%s, %s)\n", r.AppsUsed, r.AppsGiven, r.Credentials, spread)
	}
	fmt.Fprintf(&b, "Requests     %d answered (%d 2xx), %.1f req/s\n", r.Requests, r.OK, r.RequestsPerSec)
	l := r.Latency
	if r.Requests > 0 {
		fmt.Fprintf(&b, "Latency      p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (min %s, mean %s)\n",
			humanUS(l.P50), humanUS(l.P90), humanUS(l.P99), humanUS(l.P999), humanUS(l.Max),
			humanUS(l.Min), humanUS(l.Mean))
	}
	if r.Rate > 0 {
		fmt.Fprintf(&b, "Schedule     latency from intended start times; %d sent late (>%s behind), %d dropped\n",
			r.Late, lateAfter, r.Errors.Dropped)
	}
	codes := make([]string, 0, len(r.Status))
	for c := range r.Status {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	b.WriteString("Status       ")
	if len(codes) == 0 {
		b.WriteString("none")
	}
	for i, c := range codes {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s: %d", c, r.Status[c])
	}
	b.WriteString("\n")
	e := r.Errors
	if e.Total == 0 {
		b.WriteString("Errors       none\n")
	} else {
		fmt.Fprintf(&b, "Errors       %d (", e.Total)
		sep := ""
		for _, k := range []struct {
			name string
			n    uint64
		}{{"status", e.Status}, {"connect", e.Connect}, {"write", e.Write}, {"read", e.Read},
			{"timeout", e.Timeout}, {"protocol", e.Protocol}, {"dropped", e.Dropped}} {
			if k.n > 0 {
				fmt.Fprintf(&b, "%s%s %d", sep, k.name, k.n)
				sep = ", "
			}
		}
		b.WriteString(")\n")
	}
	for _, s := range r.ErrorSamples {
		what := s.Kind
		if s.Status != 0 {
			what = "HTTP " + strconv.Itoa(s.Status)
		}
		fmt.Fprintf(&b, "  %s ×%d: %s\n", what, s.Count, oneLine(s.Message))
	}
	if a := r.Assertions; a != nil {
		kid := ""
		if a.KeyID != "" {
			kid = " kid " + a.KeyID
		}
		fmt.Fprintf(&b, "Assertions   %s%s, aud %s: %d signed, %d ahead (in %s, pool %d), %d in the background during the run; ",
			a.Alg, kid, a.Audience, a.Signed, a.Presigned, humanUS(a.PresignUS), a.Pool, a.DuringRun)
		if a.Inline == 0 {
			b.WriteString("the signers never fell behind\n")
		} else {
			fmt.Fprintf(&b, "the signers FELL BEHIND: %d requests signed their own\n", a.Inline)
		}
	}
	if s := r.Server; s != nil {
		if s.Error != "" {
			fmt.Fprintf(&b, "Server CPU   unknown: %s\n", s.Error)
		} else {
			fmt.Fprintf(&b, "Server CPU   %s per request; %.3f s in %s, %.2f cores busy (%s at %s)\n",
				humanUS(s.CPUPerRequestUS), s.CPUSeconds, humanUS(s.WindowUS), s.CPUUtilisation, cpuMetric, s.MetricsURL)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// humanUS renders microseconds as µs, ms or s with three significant digits.
func humanUS(v float64) string {
	switch {
	case v == 0:
		return "0s"
	case v < 1000:
		return strconv.FormatFloat(v, 'f', 0, 64) + "µs"
	case v < 1e6:
		return strconv.FormatFloat(v/1e3, 'f', decimals(v/1e3), 64) + "ms"
	}
	return strconv.FormatFloat(v/1e6, 'f', decimals(v/1e6), 64) + "s"
}

func decimals(v float64) int {
	switch {
	case v < 10:
		return 2
	case v < 100:
		return 1
	}
	return 0
}

// oneLine makes a response body printable on one line.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "(empty body)"
	}
	return strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return '?'
		}
		return r
	}, s)
}
