package management_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/storetest"
)

// benchApps is how many applications the benchmarks store (issue 3, Speed).
const benchApps = 10_000

// seedApps starts a server on SQLite and writes benchApps applications to
// its store in one transaction; it returns the env and one app id.
func seedApps(b *testing.B) (*apptest.Env, string) {
	b.Helper()
	e := apptest.New(b, storetest.SQLite(b))
	ctx := context.Background()
	base := time.Now().UnixMilli()
	err := e.Server.Store().Tx(ctx, func(q *store.Queries) error {
		for i := range benchApps {
			desc := fmt.Sprintf("service number %d", i)
			a := &rbac.Application{TenantID: rbac.DefaultTenant, ID: fmt.Sprintf("bench%016d", i), Name: fmt.Sprintf("app %d", i),
				Description: &desc, Type: rbac.AppMachineToMachine, CreatedAt: base - int64(i)}
			if err := q.InsertApplication(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return e, fmt.Sprintf("bench%016d", benchApps/2)
}

// benchHandler calls the server's handler in process for path, b.N times,
// and reports the 50th and 99th percentile latency.
func benchHandler(b *testing.B, e *apptest.Env, path string) {
	h := e.Server.Handler()
	auth := "Bearer " + e.AdminToken()
	durations := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(rec, req)
		durations = append(durations, time.Since(start))
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
	}
	b.StopTimer()
	slices.Sort(durations)
	at := func(p float64) float64 {
		return float64(durations[int(p*float64(len(durations)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// BenchmarkListApplications10k measures GET /api/applications?page=1&page_size=20
// with 10,000 applications stored (the page and its Total-Number count).
func BenchmarkListApplications10k(b *testing.B) {
	e, _ := seedApps(b)
	benchHandler(b, e, "/api/applications?page=1&page_size=20")
}

// BenchmarkGetApplication10k measures GET /api/applications/{id} with
// 10,000 applications stored.
func BenchmarkGetApplication10k(b *testing.B) {
	e, id := seedApps(b)
	benchHandler(b, e, "/api/applications/"+id)
}
