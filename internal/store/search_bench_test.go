package store

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkSearchSQLite compares a like search with the posix and
// similar_to searches SQLite runs through gatehouse_regexp (RE2), over
// 2,000 applications' names.
func BenchmarkSearchSQLite(b *testing.B) {
	s := openTest(b, dialectSQLite)
	ctx := context.Background()
	for i := range 2000 {
		app := m2mApp(fmt.Sprintf("bench%05d", i))
		app.Name = fmt.Sprintf("Worker %d of the stats service", i)
		if err := s.InsertApplication(ctx, app); err != nil {
			b.Fatal(err)
		}
	}
	cols := map[string]string{"name": "name"}
	for _, c := range []struct {
		name, mode, value string
	}{
		{"like", ModeLike, "%of the stat%"},
		{"posix", ModePosix, "^worker 1[0-9]+ of"},
		{"similar_to", ModeSimilarTo, "Worker 1[0-9]+ of%"},
	} {
		b.Run(c.name, func(b *testing.B) {
			se := Search{Matches: []Match{{Fields: []string{"name"}, Values: []string{c.value}, Mode: c.mode}}, CaseSensitive: c.mode == ModeSimilarTo}
			for b.Loop() {
				args := []any{tenant}
				w, err := s.where(se, cols, &args)
				if err != nil {
					b.Fatal(err)
				}
				var n int
				if err := s.q.QueryRowContext(ctx, "SELECT COUNT(*) FROM applications WHERE tenant_id = $1 AND "+w, args...).Scan(&n); err != nil || n == 0 {
					b.Fatal(n, err)
				}
			}
		})
	}
}
