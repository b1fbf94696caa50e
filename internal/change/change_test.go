package change

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	sets := []Set{
		App("a1", "a2"),
		{Roles: []string{"r"}, Resources: []string{"x", "y"}},
		{Organizations: []string{"o"}, OrganizationRoles: []string{"or"}, OrganizationTemplate: true},
		{Keys: true}, {Customizer: true}, {Revoked: true},
	}
	for _, s := range sets {
		p := s.Encode()
		if got := Decode(p); !reflect.DeepEqual(got, s) {
			t.Errorf("Decode(%s) = %+v, want %+v", p, got, s)
		}
	}
}

func TestDecodeUnknownIsEverything(t *testing.T) {
	for _, p := range []string{"", "changed", "{not json", "[1]"} {
		if got := Decode(p); !reflect.DeepEqual(got, Everything()) {
			t.Errorf("Decode(%q) = %+v", p, got)
		}
	}
	if got := Decode("revoked"); !reflect.DeepEqual(got, Set{Revoked: true}) {
		t.Errorf("Decode(revoked) = %+v", got)
	}
}

func TestEncodeTooLargeBecomesAll(t *testing.T) {
	var s Set
	for i := range 1000 {
		s.Apps = append(s.Apps, fmt.Sprintf("app-%05d-%s", i, strings.Repeat("x", 10)))
	}
	s.Keys = true
	p := s.Encode()
	if len(p) > MaxPayload {
		t.Fatalf("payload of %d bytes", len(p))
	}
	if got := Decode(p); !got.All || !got.Keys || len(got.Apps) != 0 {
		t.Fatalf("got %+v", got)
	}
}

func TestMergeAndPredicates(t *testing.T) {
	s := App("a").Merge(App("a", "b")).Merge(Set{Keys: true})
	if !reflect.DeepEqual(s.Apps, []string{"a", "b"}) || !s.Keys {
		t.Fatalf("merge: %+v", s)
	}
	if (Set{}).Grants() || !(Set{}).Empty() || (Set{Keys: true}).Grants() || !s.Grants() {
		t.Fatal("predicates")
	}
}
