package rbac

import "testing"

func TestSubjectMatches(t *testing.T) {
	for _, tc := range []struct {
		pattern, sub string
		want         bool
	}{
		{"system:serviceaccount:shop:orders", "system:serviceaccount:shop:orders", true},
		{"system:serviceaccount:shop:orders", "system:serviceaccount:shop:orders2", false},
		{"repo:acme/shop:ref:refs/heads/*", "repo:acme/shop:ref:refs/heads/main", true},
		{"repo:acme/shop:ref:refs/heads/*", "repo:acme/shop:ref:refs/heads/", true},
		{"repo:acme/shop:ref:refs/heads/*", "repo:acme/shop:pull_request", false},
		{"repo:acme/*:environment:prod", "repo:acme/shop:environment:prod", true},
		{"repo:acme/*:environment:prod", "repo:acme/shop:environment:prod2", false},
		{"repo:acme/*:environment:prod", "repo:evil/x:repo:acme/y:environment:prod", false},
		{"*", "anything", true},
		{"a*b*c", "abc", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "acb", false},
		{"ab*ba", "aba", false}, // prefix and suffix must not overlap
		{"", "", true},
		{"", "x", false},
	} {
		if got := SubjectMatches(tc.pattern, tc.sub); got != tc.want {
			t.Errorf("SubjectMatches(%q, %q) = %v, want %v", tc.pattern, tc.sub, got, tc.want)
		}
	}
}
