package rbac

import "strings"

// GrantScopes returns the scopes a client-credentials request is issued:
// the distinct requested scopes (space separated, request order kept)
// that are in grantable. Unknown and ungranted scopes are dropped silently,
// as Logto does (spec §2.6): there is no invalid_scope for M2M apps.
// The result is empty when nothing matches.
func GrantScopes(requested string, grantable map[string]struct{}) []string {
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
		if _, ok := grantable[s]; !ok {
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
