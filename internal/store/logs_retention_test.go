package store

import (
	"context"
	"testing"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

func TestDeleteLogsBefore(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		var entries []rbac.LogEntry
		for i := range 25 {
			entries = append(entries, rbac.LogEntry{TenantID: tenant, ID: "l" + string(rune('a'+i)), Key: "K", CreatedAt: int64(1000 + i)})
		}
		if err := s.InsertLogs(ctx, entries); err != nil {
			t.Fatal(err)
		}
		// Older than 1020: 20 entries, deleted 8 at a time.
		var got []int64
		for {
			n, err := s.DeleteLogsBefore(ctx, tenant, 1020, 8)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, n)
			if n < 8 {
				break
			}
		}
		if len(got) != 3 || got[0] != 8 || got[1] != 8 || got[2] != 4 {
			t.Fatalf("batches %v, want [8 8 4]", got)
		}
		left, total, err := s.ListLogs(ctx, rbac.LogFilter{TenantID: tenant})
		if err != nil || total != 5 || left[len(left)-1].CreatedAt != 1020 {
			t.Fatalf("left %d (%v), oldest %+v", total, err, left[len(left)-1])
		}
		if n, err := s.DeleteLogsBefore(ctx, "other", 1<<62, 100); err != nil || n != 0 {
			t.Fatalf("another tenant's logs: %d %v", n, err)
		}
	})
}
