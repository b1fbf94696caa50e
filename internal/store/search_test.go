package store

import (
	"context"
	"errors"
	"slices"
	"testing"
)

func TestSearch(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for id, name := range map[string]string{"a1": "Stats service", "a2": "stats-worker", "a3": "Billing", "a4": "100%_off*[x]"} {
			app := m2mApp(id)
			app.Name = name
			if err := s.InsertApplication(ctx, app); err != nil {
				t.Fatal(err)
			}
		}
		cols := map[string]string{"id": "id", "name": "name"}
		find := func(se Search) ([]string, error) {
			args := []any{tenant}
			w, err := s.where(se, cols, &args)
			if err != nil {
				return nil, err
			}
			rows, err := s.q.QueryContext(ctx, "SELECT id FROM applications WHERE tenant_id = $1 AND "+w+" ORDER BY id", args...)
			if err != nil {
				return nil, err
			}
			defer rows.Close()
			var ids []string
			for rows.Next() {
				var id string
				rows.Scan(&id)
				ids = append(ids, id)
			}
			return ids, rows.Err()
		}
		like := func(v string, fields ...string) Match {
			return Match{Fields: fields, Values: []string{v}, Mode: ModeLike}
		}
		cases := []struct {
			name string
			s    Search
			want []string
		}{
			{"like, any case", Search{Matches: []Match{like("%stats%", "id", "name")}}, []string{"a1", "a2"}},
			{"like, case-sensitive", Search{Matches: []Match{like("%stats%", "name")}, CaseSensitive: true}, []string{"a2"}},
			{"like needs wildcards", Search{Matches: []Match{like("stats", "name")}}, nil},
			{"glob characters are literal", Search{Matches: []Match{like("100%*[x]", "name")}, CaseSensitive: true}, []string{"a4"}},
			{"exact, several values", Search{Matches: []Match{{Fields: []string{"id"}, Values: []string{"a1", "a3"}, Mode: ModeExact}}}, []string{"a1", "a3"}},
			{"exact ignores case unless asked", Search{Matches: []Match{{Fields: []string{"name"}, Values: []string{"billing"}, Mode: ModeExact}}}, []string{"a3"}},
			{"or", Search{Matches: []Match{like("%bill%", "name"), like("a2", "id")}}, []string{"a2", "a3"}},
			{"and", Search{Matches: []Match{like("%stat%", "name"), like("a2", "id")}, And: true}, []string{"a2"}},
		}
		for _, c := range cases {
			got, err := find(c.s)
			if err != nil || !slices.Equal(got, c.want) {
				t.Errorf("%s: %v %v, want %v", c.name, got, err, c.want)
			}
		}
		posix := Search{Matches: []Match{{Fields: []string{"name"}, Values: []string{"^stat"}, Mode: ModePosix}}}
		got, err := find(posix)
		if s.Dialect() == dialectPostgres {
			if err != nil || !slices.Equal(got, []string{"a1", "a2"}) {
				t.Errorf("posix: %v %v", got, err)
			}
		} else if !errors.Is(err, ErrSearchMode) {
			t.Errorf("posix on SQLite: %v", err)
		}
		if _, err := find(Search{Matches: []Match{like("x", "secret")}}); err == nil {
			t.Error("unknown field accepted")
		}
	})
}
