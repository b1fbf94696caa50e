package store

import (
	"context"
	"testing"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// A key prefix selects exactly the keys that start with it: case counts
// (SQLite's LIKE would ignore it), and % and _ are plain characters.
func TestLogsKeyPrefix(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		keys := []string{rbac.LogKeyAdminAPI, rbac.LogKeyAdminConsole, "admin.lower", "AdminX", rbac.LogKeyClientCredentials, "A%_b", "Ünïcode.Key"}
		var entries []rbac.LogEntry
		for i, k := range keys {
			entries = append(entries, rbac.LogEntry{TenantID: tenant, ID: "p" + string(rune('a'+i)), Key: k, CreatedAt: int64(i + 1)})
		}
		wantErr(t, "insert", s.InsertLogs(ctx, entries), nil)
		for prefix, want := range map[string]int{"Admin.": 2, "Admin": 3, "admin.": 1, "ExchangeTokenBy.": 1, "A%": 1, "A_": 0, "Admin.Console": 1, "Ünï": 1} {
			list, total, err := s.ListLogs(ctx, rbac.LogFilter{TenantID: tenant, KeyPrefix: prefix})
			wantErr(t, "list "+prefix, err, nil)
			if total != int64(want) || len(list) != want {
				t.Errorf("prefix %q: %d rows (total %d), want %d", prefix, len(list), total, want)
			}
		}
		list, _, err := s.ListLogs(ctx, rbac.LogFilter{TenantID: tenant, KeyPrefix: "Admin.", Key: rbac.LogKeyAdminConsole})
		wantErr(t, "list both", err, nil)
		if len(list) != 1 || list[0].Key != rbac.LogKeyAdminConsole {
			t.Errorf("prefix and key: %v", list)
		}
	})
}
