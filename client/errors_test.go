package client

import (
	"errors"
	"testing"
)

// Which Management API answers count as ErrConflict.
func TestErrorIsConflict(t *testing.T) {
	for _, c := range []struct {
		status int
		code   string
		want   bool
	}{
		{409, "", true},
		{422, "role.name_in_use", true},
		{422, "role.scope_exists", true},
		{422, "entity.unique_integrity_violation", true},
		{422, "entity.relation_foreign_key_not_found", false},
		{400, "entity.unique_integrity_violation", false},
	} {
		err := error(&Error{Status: c.status, Code: c.code})
		if got := errors.Is(err, ErrConflict); got != c.want {
			t.Errorf("%d %s: Is(ErrConflict) = %v, want %v", c.status, c.code, got, c.want)
		}
	}
}
