package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// testLogs makes n entries: created_at 1000+i, apps alternating a0/a1,
// every third an error, every fifth of another key.
func testLogs(n int) []rbac.LogEntry {
	out := make([]rbac.LogEntry, n)
	for i := range out {
		e := rbac.LogEntry{
			TenantID: tenant, ID: fmt.Sprintf("log%05d", i), Key: rbac.LogKeyClientCredentials,
			Payload:       json.RawMessage(fmt.Sprintf(`{"i": %d, "applicationId": "a%d"}`, i, i%2)),
			CreatedAt:     int64(1000 + i),
			ApplicationID: fmt.Sprintf("a%d", i%2),
			Result:        rbac.ResultSuccess,
		}
		if i%3 == 0 {
			e.Result = rbac.ResultError
		}
		if i%5 == 0 {
			e.Key = "Other.Key"
		}
		out[i] = e
	}
	return out
}

func TestLogs(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		const n = 600 // more than one chunk
		entries := testLogs(n)
		wantErr(t, "insert", s.InsertLogs(ctx, entries[:1]), nil)
		wantErr(t, "insert", s.InsertLogs(ctx, entries[1:]), nil)
		wantErr(t, "insert none", s.InsertLogs(ctx, nil), nil)

		all, total, err := s.ListLogs(ctx, rbac.LogFilter{TenantID: tenant})
		wantErr(t, "list", err, nil)
		if total != n || len(all) != n {
			t.Fatalf("list: %d rows, total %d", len(all), total)
		}
		for i, e := range all { // newest first
			if want := entries[n-1-i].ID; e.ID != want {
				t.Fatalf("row %d: %s, want %s", i, e.ID, want)
			}
		}
		e := all[n-1]
		if e.TenantID != tenant || e.Key != "Other.Key" || e.CreatedAt != 1000 || e.ApplicationID != "a0" || e.Result != rbac.ResultError {
			t.Fatalf("round trip: %+v", e)
		}
		jsonEqual(t, "payload", e.Payload, `{"i":0,"applicationId":"a0"}`)

		count := func(keep func(rbac.LogEntry) bool) int {
			c := 0
			for _, e := range entries {
				if keep(e) {
					c++
				}
			}
			return c
		}
		for _, tc := range []struct {
			name string
			f    rbac.LogFilter
			keep func(rbac.LogEntry) bool
		}{
			{"key", rbac.LogFilter{Key: rbac.LogKeyClientCredentials}, func(e rbac.LogEntry) bool { return e.Key == rbac.LogKeyClientCredentials }},
			{"app", rbac.LogFilter{ApplicationID: "a1"}, func(e rbac.LogEntry) bool { return e.ApplicationID == "a1" }},
			{"result", rbac.LogFilter{Result: rbac.ResultError}, func(e rbac.LogEntry) bool { return e.Result == rbac.ResultError }},
			{"time", rbac.LogFilter{StartTime: 1100, EndTime: 1199}, func(e rbac.LogEntry) bool { return e.CreatedAt >= 1100 && e.CreatedAt <= 1199 }},
			{"start", rbac.LogFilter{StartTime: 1590}, func(e rbac.LogEntry) bool { return e.CreatedAt >= 1590 }},
			{"all filters", rbac.LogFilter{Key: rbac.LogKeyClientCredentials, ApplicationID: "a0", Result: rbac.ResultSuccess, EndTime: 1300},
				func(e rbac.LogEntry) bool {
					return e.Key == rbac.LogKeyClientCredentials && e.ApplicationID == "a0" && e.Result == rbac.ResultSuccess && e.CreatedAt <= 1300
				}},
			{"other tenant", rbac.LogFilter{TenantID: "t2"}, func(rbac.LogEntry) bool { return false }},
		} {
			if tc.f.TenantID == "" {
				tc.f.TenantID = tenant
			}
			got, total, err := s.ListLogs(ctx, tc.f)
			wantErr(t, tc.name, err, nil)
			want := count(tc.keep)
			if int(total) != want || len(got) != want {
				t.Fatalf("%s: %d rows, total %d, want %d", tc.name, len(got), total, want)
			}
			for i, e := range got {
				if !tc.keep(e) || (i > 0 && e.CreatedAt >= got[i-1].CreatedAt) {
					t.Fatalf("%s: row %d %+v out of filter or order", tc.name, i, e)
				}
			}
		}

		// Pagination: total ignores Limit and Offset.
		page, total, err := s.ListLogs(ctx, rbac.LogFilter{TenantID: tenant, ApplicationID: "a1", Limit: 10, Offset: 20})
		wantErr(t, "page", err, nil)
		if total != n/2 || len(page) != 10 || page[0].ID != entries[n-1-40].ID || page[9].ID != entries[n-1-58].ID {
			t.Fatalf("page: total %d, %d rows, first %s", total, len(page), page[0].ID)
		}
		page, total, _ = s.ListLogs(ctx, rbac.LogFilter{TenantID: tenant, Offset: n - 3})
		if total != n || len(page) != 3 || page[2].ID != entries[0].ID {
			t.Fatalf("offset without limit: total %d, %d rows", total, len(page))
		}
		page, total, _ = s.ListLogs(ctx, rbac.LogFilter{TenantID: tenant, Limit: 5, Offset: n})
		if total != n || len(page) != 0 {
			t.Fatalf("past the end: total %d, %d rows", total, len(page))
		}

		got, err := s.GetLog(ctx, tenant, "log00007")
		wantErr(t, "get", err, nil)
		if got.ID != "log00007" || got.CreatedAt != 1007 || got.ApplicationID != "a1" || got.Result != rbac.ResultSuccess {
			t.Fatalf("get: %+v", got)
		}
		_, err = s.GetLog(ctx, tenant, "nope")
		wantErr(t, "get missing", err, ErrNotFound)
		_, err = s.GetLog(ctx, "t2", "log00007")
		wantErr(t, "get other tenant", err, ErrNotFound)
	})
}

func TestLogsEdgeCases(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		// Empty payload, app id and result.
		wantErr(t, "bare", s.InsertLogs(ctx, []rbac.LogEntry{{TenantID: tenant, ID: "bare", Key: "K", CreatedAt: 1}}), nil)
		got, err := s.GetLog(ctx, tenant, "bare")
		wantErr(t, "get bare", err, nil)
		jsonEqual(t, "empty payload", got.Payload, `{}`)
		if got.ApplicationID != "" || got.Result != "" {
			t.Fatalf("bare: %+v", got)
		}
		var nulls int
		if err := s.logReader().q.QueryRowContext(ctx, `SELECT COUNT(*) FROM logs WHERE application_id IS NULL AND result IS NULL`).Scan(&nulls); err != nil || nulls != 1 {
			t.Fatalf("NULL columns: %d, %v", nulls, err)
		}
		// A long, attacker-chosen client id is kept as it is.
		long := strings.Repeat("x", 300)
		wantErr(t, "long app id", s.InsertLogs(ctx, []rbac.LogEntry{{TenantID: tenant, ID: "long", Key: "K", ApplicationID: long, CreatedAt: 2}}), nil)

		// A bad entry fails the whole batch, across chunks and statements.
		batch := testLogs(logChunk + 10)
		batch[logChunk+5].Payload = json.RawMessage(`{not json`)
		wantErr(t, "invalid payload", s.InsertLogs(ctx, batch), ErrCheck)
		if s.Dialect() == dialectPostgres {
			// SQLite keeps the log in a file of its own, without the
			// tenants table (tenant ids come from the server, never from
			// a request).
			batch = testLogs(3)
			batch[2].TenantID = "ghost"
			wantErr(t, "unknown tenant", s.InsertLogs(ctx, batch), ErrForeignKey)
		}
		_, total, err := s.ListLogs(ctx, rbac.LogFilter{TenantID: tenant})
		wantErr(t, "list", err, nil)
		if total != 2 {
			t.Fatalf("failed batches left rows: total %d, want 2", total)
		}
	})
}

// TestLogsIdempotent: a repeated batch (the audit writer's retry of a write
// whose commit it did not see, or a spool drained twice after a crash)
// stores each entry once, across chunks and in both engines; new entries of
// a partly repeated batch are appended in order.
func TestLogsIdempotent(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		entries := testLogs(logChunk + 40)
		wantErr(t, "first", s.InsertLogs(ctx, entries[:logChunk+10]), nil)
		wantErr(t, "repeat", s.InsertLogs(ctx, entries[:logChunk+10]), nil)
		wantErr(t, "overlap", s.InsertLogs(ctx, entries[logChunk:]), nil)
		// Within one batch, the first of two entries with one id is kept.
		dup := testLogs(2)
		dup[0].ID, dup[1].ID, dup[1].Key = "twice", "twice", "Second.Key"
		wantErr(t, "duplicate in batch", s.InsertLogs(ctx, dup), nil)

		all, total, err := s.ListLogs(ctx, rbac.LogFilter{TenantID: tenant})
		wantErr(t, "list", err, nil)
		if want := len(entries) + 1; total != int64(want) || len(all) != want {
			t.Fatalf("%d rows, total %d, want %d", len(all), total, want)
		}
		if all[0].ID != "twice" || all[0].Key != dup[0].Key {
			t.Fatalf("duplicate in batch: newest row %+v", all[0])
		}
		for i, e := range all[1:] { // newest first
			if want := entries[len(entries)-1-i].ID; e.ID != want {
				t.Fatalf("row %d: %s, want %s", i+1, e.ID, want)
			}
		}
	})
}

func TestLogInsertSQL(t *testing.T) {
	if got, want := logInsertSQL(2), `INSERT INTO logs (`+logColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7),($8,$9,$10,$11,$12,$13,$14) ON CONFLICT (tenant_id, id) DO NOTHING`; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func BenchmarkInsertLogs(b *testing.B) {
	for _, dialect := range []string{dialectSQLite, dialectPostgres} {
		b.Run(dialect, func(b *testing.B) {
			s := openTest(b, dialect)
			ctx := context.Background()
			const batch = 256
			entries := testLogs(batch)
			seq := 0
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				for i := range entries {
					seq++
					entries[i].ID = fmt.Sprintf("b%020d", seq)
				}
				if err := s.InsertLogs(ctx, entries); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
