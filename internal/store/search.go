package store

import (
	"errors"
	"strconv"
	"strings"
)

// Search modes of the Management API's search (spec §4.0).
const (
	ModeLike      = "like"
	ModeExact     = "exact"
	ModeSimilarTo = "similar_to"
	ModePosix     = "posix"
)

// Match is one search condition: the values, tried against each of the
// fields (any field may match).
type Match struct {
	Fields []string // field names as the caller's columns map names them
	Values []string // like, similar_to, posix: exactly one; exact: one or more
	Mode   string   // ModeLike (default), ModeExact, ModeSimilarTo, ModePosix
}

// Search is a parsed search: matches joined by AND or OR.
type Search struct {
	Matches       []Match
	And           bool
	CaseSensitive bool
}

// Empty reports whether the search selects everything.
func (s Search) Empty() bool { return len(s.Matches) == 0 }

// where returns the SQL condition of s (or "" when empty), appending its
// arguments to args; columns maps field names to SQL expressions. Logto's
// "like" is SQL LIKE with the caller's own % wildcards, case-insensitive
// unless asked otherwise; "posix" and "similar_to" are PostgreSQL's
// operators, and on SQLite gatehouse_regexp (search_regexp.go). A pattern
// that does not compile is ErrInvalidInput (on PostgreSQL when the query
// runs).
func (q *Queries) where(s Search, columns map[string]string, args *[]any) (string, error) {
	if s.Empty() {
		return "", nil
	}
	param := func(v string) string {
		*args = append(*args, v)
		return "$" + strconv.Itoa(len(*args))
	}
	var conds []string
	for _, m := range s.Matches {
		var alts []string
		for _, f := range m.Fields {
			col, ok := columns[f]
			if !ok {
				return "", errors.New("store: unknown search field " + f)
			}
			c, err := q.matchSQL(col, m, s.CaseSensitive, param)
			if err != nil {
				return "", err
			}
			alts = append(alts, c)
		}
		conds = append(conds, "("+strings.Join(alts, " OR ")+")")
	}
	joint := " OR "
	if s.And {
		joint = " AND "
	}
	return "(" + strings.Join(conds, joint) + ")", nil
}

func (q *Queries) matchSQL(col string, m Match, sensitive bool, param func(string) string) (string, error) {
	pg := q.dialect == dialectPostgres
	switch m.Mode {
	case ModeExact:
		ps := make([]string, len(m.Values))
		for i, v := range m.Values {
			ps[i] = param(v)
		}
		if !sensitive {
			for i := range ps {
				ps[i] = "lower(" + ps[i] + ")"
			}
			return "lower(" + col + ") IN (" + strings.Join(ps, ", ") + ")", nil
		}
		return col + " IN (" + strings.Join(ps, ", ") + ")", nil
	case ModeSimilarTo:
		if !pg {
			re, err := similarToRE2(m.Values[0], sensitive)
			if err != nil {
				return "", err
			}
			return sqliteRegexpFunc + "(" + param(re) + ", " + col + ")", nil
		}
		if sensitive {
			return col + " SIMILAR TO " + param(m.Values[0]), nil
		}
		return "lower(" + col + ") SIMILAR TO lower(" + param(m.Values[0]) + ")", nil
	case ModePosix:
		if !pg {
			re, err := posixToRE2(m.Values[0], sensitive)
			if err != nil {
				return "", err
			}
			return sqliteRegexpFunc + "(" + param(re) + ", " + col + ")", nil
		}
		if sensitive {
			return col + " ~ " + param(m.Values[0]), nil
		}
		return col + " ~* " + param(m.Values[0]), nil
	}
	// like
	v := m.Values[0]
	switch {
	case pg && sensitive:
		return col + " LIKE " + param(v), nil
	case pg:
		return col + " ILIKE " + param(v), nil
	case sensitive:
		// SQLite's LIKE ignores ASCII case; GLOB does not, so the LIKE
		// pattern is translated to GLOB syntax.
		return col + " GLOB " + param(likeToGlob(v)), nil
	}
	// Backslash escapes % and _, as it does in PostgreSQL's LIKE.
	return col + " LIKE " + param(v) + ` ESCAPE '\'`, nil
}

// likeToGlob turns a LIKE pattern into a GLOB pattern: % is *, _ is ?, and
// GLOB's own special characters are matched literally.
func likeToGlob(p string) string {
	var b strings.Builder
	for _, r := range p {
		switch r {
		case '%':
			b.WriteByte('*')
		case '_':
			b.WriteByte('?')
		case '*', '?', '[':
			b.WriteByte('[')
			b.WriteRune(r)
			b.WriteByte(']')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
