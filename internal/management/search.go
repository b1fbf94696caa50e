package management

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// parseSearch reads Logto's search query (spec §4.0): search=… over every
// field in fields, or search.<field>=… for one; mode / mode.<field> (like,
// exact, similar_to, posix; like by default); joint or jointMode (or, and);
// isCaseSensitive. Invalid input is 400 request.invalid_input.
func parseSearch(q url.Values, fields []string) (store.Search, error) {
	var s store.Search
	switch j := firstOf(q, "joint", "jointMode"); j {
	case "", "or":
	case "and":
		s.And = true
	default:
		return s, invalidInput("joint must be `or` or `and`.")
	}
	switch c := q.Get("isCaseSensitive"); c {
	case "", "false":
	case "true":
		s.CaseSensitive = true
	default:
		return s, invalidInput("isCaseSensitive must be `true` or `false`.")
	}
	known := make(map[string]bool, len(fields))
	for _, f := range fields {
		known[f] = true
	}
	// Keys are taken in a stable order: "search" first, then the fields.
	keys := []string{"search"}
	for _, f := range fields {
		keys = append(keys, "search."+f)
	}
	for k := range q {
		if strings.HasPrefix(k, "search.") && !known[strings.TrimPrefix(k, "search.")] {
			return s, invalidInput("Unknown search field `" + strings.TrimPrefix(k, "search.") + "`.")
		}
	}
	n := 0
	for _, k := range keys {
		values, ok := q[k]
		if !ok {
			continue
		}
		// Bounded: each value is a condition of the query (exact search
		// with thousands of values cost seconds of database CPU).
		if n += len(values); n > rbac.MaxSearchValues {
			return s, invalidInput(fmt.Sprintf("A search takes at most %d values.", rbac.MaxSearchValues))
		}
		for _, v := range values {
			if utf8.RuneCountInString(v) > rbac.MaxSearchValueSize {
				return s, invalidInput(fmt.Sprintf("A search value has at most %d characters.", rbac.MaxSearchValueSize))
			}
		}
		m := store.Match{Fields: fields, Values: values}
		modeKey := "mode"
		if f, one := strings.CutPrefix(k, "search."); one {
			m.Fields = []string{f}
			modeKey = "mode." + f
		}
		m.Mode = q.Get(modeKey)
		if m.Mode == "" {
			m.Mode = q.Get("mode")
		}
		if m.Mode == "" {
			m.Mode = store.ModeLike
		}
		switch m.Mode {
		case store.ModeLike, store.ModeSimilarTo, store.ModePosix:
			if len(values) != 1 || values[0] == "" {
				return s, invalidInput("Search mode `" + m.Mode + "` takes exactly one non-empty value.")
			}
		case store.ModeExact:
			if len(values) == 0 {
				return s, invalidInput("Search needs a value.")
			}
		default:
			return s, invalidInput("Unknown search mode `" + m.Mode + "`.")
		}
		s.Matches = append(s.Matches, m)
	}
	return s, nil
}

func firstOf(q url.Values, keys ...string) string {
	for _, k := range keys {
		if v := q.Get(k); v != "" {
			return v
		}
	}
	return ""
}
