package store

import (
	"context"
	"errors"
	"slices"
	"strings"
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
		// posix and similar_to: PostgreSQL's operators, RE2 on SQLite.
		re := func(mode, v string, sensitive bool) Search {
			return Search{Matches: []Match{{Fields: []string{"name"}, Values: []string{v}, Mode: mode}}, CaseSensitive: sensitive}
		}
		for _, c := range []struct {
			name string
			s    Search
			want []string
		}{
			{"posix, any case", re(ModePosix, "^stat", false), []string{"a1", "a2"}},
			{"posix, case-sensitive", re(ModePosix, "^stat", true), []string{"a2"}},
			{"posix is unanchored", re(ModePosix, "ill", true), []string{"a3"}},
			{"posix classes", re(ModePosix, "^[[:digit:]]+%", true), []string{"a4"}},
			{"posix alternation", re(ModePosix, "^(Bill|stats-)", true), []string{"a2", "a3"}},
			{"similar_to is anchored", re(ModeSimilarTo, "Bill", true), nil},
			{"similar_to %", re(ModeSimilarTo, "%ill%", true), []string{"a3"}},
			{"similar_to _ and |", re(ModeSimilarTo, "(B_lling|stats-%)", true), []string{"a2", "a3"}},
			{"similar_to . is literal", re(ModeSimilarTo, "Billin.", true), nil},
			{"similar_to ignores a trailing escape", re(ModeSimilarTo, "Billing\\", true), []string{"a3"}},
			{"similar_to repetition and classes", re(ModeSimilarTo, "[0-9]+\\%\\_off%", true), []string{"a4"}},
		} {
			got, err := find(c.s)
			if err != nil || !slices.Equal(got, c.want) {
				t.Errorf("%s: %v %v, want %v", c.name, got, err, c.want)
			}
		}
		// Patterns neither engine compiles: ErrInvalidInput, never a 500.
		for _, s := range []Search{re(ModePosix, "(", true), re(ModePosix, "[z-a]", false), re(ModeSimilarTo, "a**", true)} {
			if _, err := find(s); !errors.Is(wrap("find", err), ErrInvalidInput) {
				t.Errorf("%+v: %v", s.Matches[0], err)
			}
		}
		// SQLite (RE2) bounds a pattern's program; PostgreSQL has limits of
		// its own.
		if s.Dialect() == dialectSQLite {
			if _, err := find(re(ModePosix, strings.Repeat("[a-z]{999}", 3), true)); !errors.Is(err, ErrInvalidInput) {
				t.Errorf("a pattern too complex: %v", err)
			}
		}
		if _, err := find(Search{Matches: []Match{like("x", "secret")}}); err == nil {
			t.Error("unknown field accepted")
		}
	})
}
