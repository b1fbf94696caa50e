package management_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/storetest"
)

// BenchmarkPatchApplicationWrite is one whole Management API write, in
// process (token check, transaction with its change notification, grant
// cache invalidation, admin audit entry), on each engine: the scale
// against which BenchmarkWriteAudit's overhead is read.
func BenchmarkPatchApplicationWrite(b *testing.B) {
	for _, eng := range storetest.Engines(b) {
		b.Run(eng.Name, func(b *testing.B) { benchmarkPatch(b, eng.DSN(b)) })
	}
}

func benchmarkPatch(b *testing.B, dsn string) {
	e := apptest.New(b, dsn)
	h := e.Server.Handler()
	auth := "Bearer " + e.AdminToken()
	path := "/api/applications/" + apptest.BootstrapID
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		body := `{"description":"run ` + strings.Repeat("x", i%7) + `"}`
		req := httptest.NewRequest("PATCH", path, strings.NewReader(body))
		req.Header.Set("Authorization", auth)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}
