package app

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/change"
	"github.com/gatehouse/gatehouse/internal/storetest"
)

// scrape reads every sample the metrics handler serves, keyed by the
// series as the text format writes it (name{label="value",...}).
func scrape(t *testing.T, srv *Server) map[string]float64 {
	t.Helper()
	if srv.Metrics() == nil {
		t.Fatal("metrics are off")
	}
	w := httptest.NewRecorder()
	srv.Metrics().Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if w.Code != 200 {
		t.Fatalf("/metrics: %d", w.Code)
	}
	m := map[string]float64{}
	sc := bufio.NewScanner(w.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		m[line[:i]] = v
	}
	return m
}

// TestMetrics: every family the issue lists is served, and moves after
// the action it counts.
func TestMetrics(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			dsn := e.DSN(t)
			dataDir := t.TempDir()
			if !strings.HasPrefix(dsn, "postgres") {
				dataDir = strings.TrimSuffix(dsn, "/gatehouse.db")
			}
			cfg := testConfig(t, dsn, dataDir)
			cfg.MetricsListen = "127.0.0.1:0"
			cfg.GrantCacheSize = 1 // the second app evicts the first
			srv, f := startOn(t, cfg, Options{})
			f.seedShop()

			before := scrape(t, srv)
			for _, name := range []string{
				"gatehouse_build_info{", "gatehouse_signing_key_age_seconds",
				"gatehouse_grant_cache_entries", "gatehouse_grant_cache_hits_total", "gatehouse_grant_cache_misses_total",
				"gatehouse_grant_cache_evictions_total", "gatehouse_grant_cache_invalidations_total", "gatehouse_grant_cache_synced",
				"gatehouse_audit_entries_queued_total", "gatehouse_audit_entries_written_total", "gatehouse_audit_entries_spooled_total",
				"gatehouse_audit_entries_dropped_total", "gatehouse_audit_entries_buffered",
				`go_sql_in_use_connections{db_name="main"}`, `go_sql_idle_connections{db_name="reads"}`, `go_sql_wait_count_total{db_name="main"}`,
				`gatehouse_token_requests_total{grant="client_credentials",outcome="ok"}`,
				`gatehouse_token_request_duration_seconds_count{result="ok"}`,
				`gatehouse_console_sign_ins_total{outcome="wrong_credentials"}`,
				"go_goroutines", "process_resident_memory_bytes",
			} {
				if !hasSeries(before, name) {
					t.Errorf("no series %s", name)
				}
			}
			if age := before["gatehouse_signing_key_age_seconds"]; age < 0 || age > 600 {
				t.Errorf("signing key age %v s", age)
			}

			if resp := f.post(shopGrant, "Authorization", basic(shopApp, shopSecret)); resp.StatusCode != 200 {
				t.Fatalf("shop token: %d", resp.StatusCode)
			}
			f.post(shopGrant, "Authorization", basic(shopApp, "wrong secret"))
			f.post("grant_type=password", "Authorization", basic(shopApp, shopSecret))
			st, body, _ := tokenStatus(f, bootID, bootSecret, "all") // evicts the shop app: the cache holds one
			if st != 200 {
				t.Fatalf("token: %d %v", st, body)
			}
			admin := body["access_token"].(string)
			resp := f.do("GET", f.http.URL+"/api/applications/"+shopApp, "", "", "Authorization", "Bearer "+admin)
			resp.Body.Close()
			f.do("GET", f.http.URL+"/api/applications/nope", "", "", "Authorization", "Bearer "+admin).Body.Close()
			f.do("GET", f.http.URL+"/api/nothing-here", "", "", "Authorization", "Bearer "+admin).Body.Close()
			srv.cache.Apply(change.Set{All: true})
			if err := srv.FlushAudit(t.Context()); err != nil {
				t.Fatal(err)
			}

			after := scrape(t, srv)
			moved := func(series string, min float64) {
				t.Helper()
				if d := after[series] - before[series]; d < min {
					t.Errorf("%s moved by %v, want at least %v", series, d, min)
				}
			}
			moved(`gatehouse_token_requests_total{grant="client_credentials",outcome="invalid_client"}`, 1)
			moved(`gatehouse_token_requests_total{grant="client_credentials",outcome="ok"}`, 1)
			moved(`gatehouse_token_requests_total{grant="other",outcome="unsupported_grant_type"}`, 1)
			moved(`gatehouse_token_request_duration_seconds_count{result="ok"}`, 1)
			moved(`gatehouse_token_request_duration_seconds_count{result="error"}`, 2)
			moved("gatehouse_grant_cache_hits_total", 1)
			moved("gatehouse_grant_cache_misses_total", 1)
			moved("gatehouse_grant_cache_evictions_total", 1)
			moved("gatehouse_grant_cache_invalidations_total", 1)
			moved("gatehouse_audit_entries_queued_total", 4)
			moved("gatehouse_audit_entries_written_total", 4)
			moved(`gatehouse_management_requests_total{route="GET /api/applications/{id}",status="200"}`, 1)
			moved(`gatehouse_management_requests_total{route="GET /api/applications/{id}",status="404"}`, 1)
			moved(`gatehouse_management_requests_total{route="unmatched",status="404"}`, 1)
			for k := range after {
				if strings.Contains(k, shopApp) || strings.Contains(k, bootID) || strings.Contains(k, "nope") {
					t.Errorf("a label carries a client-chosen value: %s", k)
				}
			}
		})
	}
}

func hasSeries(m map[string]float64, prefix string) bool {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// Without GATEHOUSE_METRICS_LISTEN there is no registry, and the public
// listener serves no /metrics.
func TestMetricsOff(t *testing.T) {
	srv, f := startOn(t, testConfig(t, "", t.TempDir()), Options{})
	if srv.Metrics() != nil {
		t.Fatal("metrics on without GATEHOUSE_METRICS_LISTEN")
	}
	cfg := testConfig(t, "", t.TempDir())
	cfg.MetricsListen = "127.0.0.1:0"
	_, g := startOn(t, cfg, Options{})
	for _, x := range []*fixture{f, g} {
		resp, err := http.Get(x.http.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Fatal("/metrics on the public listener")
		}
	}
}
