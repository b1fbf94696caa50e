package management

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Logto's search vocabulary, in the order its messages list them.
var (
	searchJointModes = []string{"and", "or"}
	searchMatchModes = []string{store.ModeExact, store.ModeLike, store.ModeSimilarTo, store.ModePosix}
)

// searchKey names the target of a search or mode query key: the general
// one (search, mode) or one field (search.<field>, mode.<field>; the field
// may be "" for search.).
type searchKey struct {
	field  string
	dotted bool
}

// parseSearch reads Logto's search query (spec §4.0, Logto's
// utils/search.ts) over fields (the API's names):
//
//   - keys starting with "search" give values: search=… over every field,
//     search.<field>=… over one (in camelCase or snake_case, as Logto
//     normalises it); several values for one key are allowed in exact mode;
//   - keys starting with "mode" give the match mode (exact, like,
//     similar_to, posix) of the general search or of one field, the last
//     one winning; a field without a mode takes the general one, else like;
//   - joint (or jointMode, when joint is absent) joins the conditions, or by
//     default; isCaseSensitive is true for 1, true, y, yes, yep, yeah.
//
// What Logto refuses is 400 request.invalid_input with Logto's message:
// an unknown mode or joint, a nested field (search.a.b), a field that is
// not searchable, an empty value, several values for a mode other than
// exact, similar_to without isCaseSensitive. Gatehouse also bounds the
// number and size of values.
func parseSearch(q url.Values, fields []string) (store.Search, error) {
	var s store.Search
	joint := q.Get("jointMode")
	if _, ok := q["joint"]; ok {
		joint = q.Get("joint")
	}
	switch joint {
	case "", "or":
	case "and":
		s.And = true
	default:
		return s, invalidInput(fmt.Sprintf("Search joint mode `%s` is not valid, expect one of %s.", joint, strings.Join(searchJointModes, ", ")))
	}
	if v, ok := q["isCaseSensitive"]; ok {
		s.CaseSensitive = slices.Contains([]string{"1", "true", "y", "yes", "yep", "yeah"}, v[0])
	}

	// url.Values has lost the order of the keys: take them sorted, so that
	// the same query always gives the same answer.
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	modes := map[searchKey]string{}
	values := map[searchKey][]string{}
	var order []searchKey
	n := 0
	for _, k := range keys {
		isMode := strings.HasPrefix(k, "mode")
		if !isMode && !strings.HasPrefix(k, "search") {
			continue
		}
		sk, err := searchField(k)
		if err != nil {
			return s, err
		}
		if isMode {
			for _, m := range q[k] {
				if !slices.Contains(searchMatchModes, m) {
					return s, invalidInput(fmt.Sprintf("Search match mode `%s`%s is not valid, expect one of %s.",
						m, forField(sk), strings.Join(searchMatchModes, ", ")))
				}
				modes[sk] = m
			}
			continue
		}
		// Bounded: each value is a condition of the query (exact search
		// with thousands of values cost seconds of database CPU).
		if n += len(q[k]); n > rbac.MaxSearchValues {
			return s, invalidInput(fmt.Sprintf("A search takes at most %d values.", rbac.MaxSearchValues))
		}
		for _, v := range q[k] {
			if utf8.RuneCountInString(v) > rbac.MaxSearchValueSize {
				return s, invalidInput(fmt.Sprintf("A search value has at most %d characters.", rbac.MaxSearchValueSize))
			}
		}
		if _, seen := values[sk]; !seen {
			order = append(order, sk)
		}
		values[sk] = append(values[sk], q[k]...)
	}

	byColumn := make(map[string]string, len(fields))
	columns := make([]string, len(fields))
	for i, f := range fields {
		columns[i] = snakeCase(f)
		byColumn[columns[i]] = f
	}
	for _, sk := range order {
		vs := values[sk]
		mode, ok := modes[sk]
		if !ok {
			if mode, ok = modes[searchKey{}]; !ok {
				mode = store.ModeLike
			}
		}
		if mode == store.ModeExact {
			if slices.Contains(vs, "") {
				return s, invalidInput("Search value cannot be empty.")
			}
		} else {
			if len(vs) != 1 {
				return s, invalidInput("Only one search value is allowed when search mode is not `exact`.")
			}
			if vs[0] == "" {
				return s, invalidInput("Search value cannot be empty.")
			}
		}
		m := store.Match{Fields: fields, Values: vs, Mode: mode}
		if sk.field != "" {
			f, ok := byColumn[snakeCase(sk.field)]
			if !ok {
				return s, invalidInput(fmt.Sprintf("Search field `%s` is not valid, expect one of %s.",
					snakeCase(sk.field), strings.Join(columns, ", ")))
			}
			m.Fields = []string{f}
		}
		if mode == store.ModeSimilarTo && !s.CaseSensitive {
			return s, invalidInput("Cannot use case-insensitive match for `similar to`.")
		}
		s.Matches = append(s.Matches, m)
	}
	return s, nil
}

// searchField reads the target of a search or mode key: Logto takes what
// follows the first dot as the field and refuses a second level.
func searchField(key string) (searchKey, error) {
	path := strings.Split(key, ".")
	if len(path) > 2 {
		return searchKey{}, invalidInput(fmt.Sprintf("Unsupported nested search field path `%s` detected. Only the first level field is supported.",
			strings.Join(path[1:], ".")))
	}
	if len(path) == 2 {
		return searchKey{field: path[1], dotted: true}, nil
	}
	return searchKey{}, nil
}

func forField(sk searchKey) string {
	if sk.field == "" {
		return ""
	}
	return " for field `" + sk.field + "`"
}

// snakeCase turns a field name into Logto's column form, as the snake-case
// package does: words split at case changes and at anything that is not a
// letter or digit, lowercased, joined by "_" (primaryEmail, PrimaryEmail
// and primary-email are all primary_email).
func snakeCase(s string) string {
	var words []string
	var cur []rune
	rs := []rune(s)
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush()
			continue
		}
		if i > 0 && unicode.IsUpper(r) && len(cur) > 0 {
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				flush()
			}
		}
		cur = append(cur, r)
	}
	flush()
	return strings.Join(words, "_")
}
