package rbac

import "testing"

func TestStorable(t *testing.T) {
	for s, want := range map[string]bool{"": true, "plain é 😀": true, "a\x00b": false, "\xff": false, "\xed\xa0\x80": false} {
		if got := Storable(s); got != want {
			t.Errorf("Storable(%q) = %v", s, got)
		}
	}
	for s, want := range map[string]bool{
		`{"a":"b"}`:                   true,
		`{"a":"\"\\u0000 is text"}`:   true,
		`{"a":"\u00e9 \ud83d\ude00"}`: true,
		`{"a":"\\"}`:                  true,
		`{"a":"\u0000"}`:              false,
		`{"a":"\ud800"}`:              false,
		`{"a":"\ud800x"}`:             false,
		`{"a":"\ud800\u0041"}`:        false,
		`{"a":"\udc00"}`:              false,
		`{"\uDFFF":1}`:                false,
		"{\"a\":\"\x00\"}":            false,
		"{\"a\":\"\xff\"}":            false,
	} {
		if got := StorableJSON([]byte(s)); got != want {
			t.Errorf("StorableJSON(%s) = %v", s, got)
		}
	}
}
