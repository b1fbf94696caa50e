package rbac

import (
	"slices"
	"testing"
)

func TestGrantScopes(t *testing.T) {
	grantable := NewScopeSet([]string{"write", "read", "all", "read"})
	cases := []struct {
		requested string
		want      []string
	}{
		{"read", []string{"read"}},
		{"write read", []string{"write", "read"}},         // request order kept
		{"read unknown write", []string{"read", "write"}}, // unknown dropped silently
		{"read  read   write", []string{"read", "write"}}, // duplicates and empty pieces
		{"openid offline_access", nil},                    // OIDC scopes are never resource scopes
		{"", nil},                                         // no scope, no scopes
		{"READ", nil},                                     // case-sensitive
		{" read ", []string{"read"}},
	}
	for _, c := range cases {
		if got := GrantScopes(c.requested, grantable); !slices.Equal(got, c.want) {
			t.Errorf("GrantScopes(%q) = %q, want %q", c.requested, got, c.want)
		}
	}
	if !slices.Equal(grantable, ScopeSet{"all", "read", "write"}) {
		t.Errorf("NewScopeSet: %q", grantable)
	}
	if got := GrantScopes("read", nil); got != nil {
		t.Errorf("nothing grantable: %q", got)
	}
}

func TestSecretExpired(t *testing.T) {
	at := int64(1000)
	s := Secret{ExpiresAt: &at}
	if s.Expired(999) || !s.Expired(1000) || (&Secret{}).Expired(1<<62) {
		t.Fatal("expiry rule: expired from ExpiresAt on, never without one")
	}
}
