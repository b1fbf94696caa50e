package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// The application filter finds every entry of an app, whether its rows are
// in page ranges the index has summarized or not (PostgreSQL's BRIN bloom
// index), before and after SummarizeLogs, and with rows added to a range
// already summarized.
func TestLogsApplicationFilterSummaries(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		// 3,000 rows of about 500 bytes: six 32-page ranges; app
		// "rare" has one row in every 500, "hot" the rest.
		pad := strings.Repeat("x", 400)
		batch := func(from, n int) []rbac.LogEntry {
			out := make([]rbac.LogEntry, n)
			for i := range out {
				k := from + i
				app := "hot"
				if k%500 == 7 {
					app = "rare"
				}
				out[i] = rbac.LogEntry{TenantID: tenant, ID: fmt.Sprintf("sum%05d", k), Key: rbac.LogKeyClientCredentials,
					Payload: json.RawMessage(`{"pad": "` + pad + `"}`), CreatedAt: int64(k), ApplicationID: app, Result: rbac.ResultSuccess}
			}
			return out
		}
		count := func(step, app string, want int64) {
			t.Helper()
			got, total, err := s.ListLogs(ctx, rbac.LogFilter{TenantID: tenant, ApplicationID: app})
			wantErr(t, step, err, nil)
			if total != want || int64(len(got)) != want {
				t.Fatalf("%s: %d entries of %s, total %d; want %d", step, len(got), app, total, want)
			}
			for _, e := range got {
				if e.ApplicationID != app {
					t.Fatalf("%s: entry %s of %s in the list of %s", step, e.ID, e.ApplicationID, app)
				}
			}
		}

		wantErr(t, "insert", s.InsertLogs(ctx, batch(0, 3000)), nil)
		count("unsummarized", "rare", 6)
		n, err := s.SummarizeLogs(ctx)
		wantErr(t, "summarize", err, nil)
		if s.Dialect() == dialectPostgres {
			if n < 5 {
				t.Fatalf("summarize: %d ranges, want the six the rows fill", n)
			}
			var am string
			err := s.db.QueryRowContext(ctx, `SELECT a.amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam
WHERE c.oid = 'logs__application_id'::regclass`).Scan(&am)
			wantErr(t, "index method", err, nil)
			if am != "brin" {
				t.Fatalf("logs__application_id is a %s index, want brin", am)
			}
		} else if n != 0 {
			t.Fatalf("summarize on SQLite: %d", n)
		}
		count("summarized", "rare", 6)
		count("summarized, hot", "hot", 2994)
		count("unknown app", "nobody", 0)

		// Into the last (summarized, partly filled) range and new ones.
		wantErr(t, "insert more", s.InsertLogs(ctx, batch(3000, 1000)), nil)
		count("more, unsummarized", "rare", 8)
		n, err = s.SummarizeLogs(ctx)
		wantErr(t, "summarize again", err, nil)
		if s.Dialect() == dialectPostgres && n < 1 {
			t.Fatalf("summarize again: %d ranges", n)
		}
		count("more, summarized", "rare", 8)
		if n, err = s.SummarizeLogs(ctx); err != nil || n != 0 {
			t.Fatalf("summarize with nothing new: %d, %v", n, err)
		}
	})
}
