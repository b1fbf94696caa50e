package metrics

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/gatehouse/gatehouse/internal/version"
)

func TestTokenLabels(t *testing.T) {
	m := New(Sources{Version: version.Info{Version: "v1", Commit: "abc", GoVersion: "go1"}})
	m.Token("client_credentials", "", time.Millisecond)
	m.Token("client_credentials", "invalid_client", time.Millisecond)
	m.Token("password", "unsupported_grant_type", time.Millisecond)
	m.Token("evil\n{label}", "made_up_code", time.Millisecond)
	m.Token("", "invalid_request", time.Millisecond)
	for _, c := range []struct {
		g, o string
		n    float64
	}{
		{"client_credentials", "ok", 1}, {"client_credentials", "invalid_client", 1},
		{"other", "unsupported_grant_type", 1}, {"other", "other", 1}, {"none", "invalid_request", 1},
		{"client_credentials", "slow_down", 0},
	} {
		if got := value(t, m.tokens[slices.Index(grantLabels[:], c.g)][slices.Index(outcomeLabels[:], c.o)]); got != c.n {
			t.Errorf("%s/%s: %v, want %v", c.g, c.o, got, c.n)
		}
	}
	if got := len(family(t, m, "gatehouse_token_requests_total")); got != len(grantLabels)*len(outcomeLabels) {
		t.Errorf("%d token series, want every combination (%d) and no other", got, len(grantLabels)*len(outcomeLabels))
	}
}

// The token endpoint's call allocates nothing: its labels are resolved
// once, in New.
func TestTokenAllocs(t *testing.T) {
	m := New(Sources{})
	if n := testing.AllocsPerRun(1000, func() { m.Token("client_credentials", "invalid_client", 300*time.Microsecond) }); n != 0 {
		t.Fatalf("Token allocates %v times per call", n)
	}
	var off *Metrics
	off.Token("client_credentials", "", time.Millisecond) // a nil *Metrics records nothing
	off.SignIn(SignInSuccess)
}

func TestAPI(t *testing.T) {
	m := New(Sources{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/things/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "missing" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("ok"))
	})
	mux.HandleFunc("PATCH /api/things/{id}", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(30 * time.Millisecond) // a slow write: its time must land above the 25 ms bucket
		w.WriteHeader(http.StatusNoContent)
	})
	h := m.API(mux)
	for _, p := range []string{"/api/things/a", "/api/things/b", "/api/things/missing", "/api/else"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("PATCH", "/api/things/a", nil))
	var got []string
	for _, s := range family(t, m, "gatehouse_management_requests_total") {
		got = append(got, s.GetLabel()[0].GetValue()+" "+s.GetLabel()[1].GetValue()+" "+strconv.Itoa(int(s.GetCounter().GetValue())))
	}
	want := []string{"GET /api/things/{id} 200 2", "GET /api/things/{id} 404 1", "PATCH /api/things/{id} 204 1", "unmatched 404 1"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("series %q, want %q", got, want)
	}
	times := map[string]*dto.Histogram{}
	for _, s := range family(t, m, "gatehouse_management_request_duration_seconds") {
		times[s.GetLabel()[0].GetValue()] = s.GetHistogram()
	}
	if r, w := times["read"], times["write"]; r == nil || w == nil || r.GetSampleCount() != 4 || w.GetSampleCount() != 1 {
		t.Fatalf("durations: read %v, write %v; want 4 reads and 1 write", r, w)
	}
	if w := times["write"]; w.GetSampleSum() < 0.03 || w.GetBucket()[slices.IndexFunc(w.GetBucket(), func(b *dto.Bucket) bool {
		return b.GetUpperBound() == 0.025
	})].GetCumulativeCount() != 0 {
		t.Fatalf("the 30 ms write: sum %v, buckets %v", w.GetSampleSum(), w.GetBucket())
	}
}

// BenchmarkToken is the token endpoint's cost of metrics, alone.
func BenchmarkToken(b *testing.B) {
	m := New(Sources{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Token("client_credentials", "", 300*time.Microsecond)
		}
	})
}

// value reads a counter.
func value(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// family gathers the series of one metric.
func family(t *testing.T, m *Metrics, name string) []*dto.Metric {
	t.Helper()
	mfs, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()
		}
	}
	return nil
}
