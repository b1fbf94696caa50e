package rbac

import (
	"slices"
	"strings"
)

// ScopeSet is a set of scope names, sorted and without duplicates: a
// compact form for sets held per application in memory (a map costs
// several times as much for the one to ten scopes an application holds).
type ScopeSet []string

// NewScopeSet returns the set of names (which it may reorder).
func NewScopeSet(names []string) ScopeSet {
	slices.Sort(names)
	return ScopeSet(slices.Compact(names))
}

// Has reports whether s holds name.
func (s ScopeSet) Has(name string) bool {
	_, ok := slices.BinarySearch(s, name)
	return ok
}

// GrantScopes returns the scopes a client-credentials request is issued:
// the distinct requested scopes (space separated, request order kept)
// that are in grantable. Unknown and ungranted scopes are dropped silently,
// as Logto does (spec §2.6): there is no invalid_scope for M2M apps.
// The result is empty when nothing matches.
func GrantScopes(requested string, grantable ScopeSet) []string {
	if requested == "" || len(grantable) == 0 {
		return nil
	}
	var out []string
	for requested != "" {
		var s string
		s, requested, _ = strings.Cut(requested, " ")
		if s == "" {
			continue
		}
		if !grantable.Has(s) {
			continue
		}
		dup := false
		for _, o := range out {
			if o == s {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, s)
		}
	}
	return out
}
