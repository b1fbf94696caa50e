package store

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

func qSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO logs (` + logColumns + `) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?)")
	}
	return b.String()
}

func qnSQL(n int) string {
	return strings.ReplaceAll(logInsertSQL(n), "$", "?")
}

func args(entries []rbac.LogEntry) []any {
	a := make([]any, 0, len(entries)*7)
	for _, e := range entries {
		a = append(a, e.TenantID, e.ID, e.Key, string(e.Payload), nullString(e.ApplicationID), nullString(e.Result), e.CreatedAt)
	}
	return a
}

func BenchmarkExp(b *testing.B) {
	variants := map[string]func(s *Store, ctx context.Context, e []rbac.LogEntry) error{
		"dollar256": func(s *Store, ctx context.Context, e []rbac.LogEntry) error { return s.InsertLogs(ctx, e) },
		"qmark256": func(s *Store, ctx context.Context, e []rbac.LogEntry) error {
			_, err := s.db.ExecContext(ctx, qSQL(len(e)), args(e)...)
			return err
		},
		"qnum256": func(s *Store, ctx context.Context, e []rbac.LogEntry) error {
			_, err := s.db.ExecContext(ctx, qnSQL(len(e)), args(e)...)
			return err
		},
		"dollar32tx": func(s *Store, ctx context.Context, e []rbac.LogEntry) error {
			return s.Tx(ctx, func(q *Queries) error {
				for i := 0; i < len(e); i += 32 {
					if _, err := q.q.ExecContext(ctx, logInsertSQL(32), args(e[i:i+32])...); err != nil {
						return err
					}
				}
				return nil
			})
		},
		"prepared": func(s *Store, ctx context.Context, e []rbac.LogEntry) error {
			tx, err := s.db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			st, err := tx.PrepareContext(ctx, logInsertSQL(1))
			if err != nil {
				return err
			}
			for i := range e {
				if _, err := st.ExecContext(ctx, args(e[i:i+1])...); err != nil {
					return err
				}
			}
			return tx.Commit()
		},
	}
	for name, fn := range variants {
		b.Run(name, func(b *testing.B) {
			s := openTest(b, os.Getenv("EXP_DIALECT"))
			ctx := context.Background()
			entries := testLogs(256)
			seq := 0
			for b.Loop() {
				for i := range entries {
					seq++
					entries[i].ID = "b" + strconv.Itoa(seq)
				}
				if err := fn(s, ctx, entries); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*256)/b.Elapsed().Seconds(), "rows/s")
		})
	}
	_ = fmt.Sprint
}
