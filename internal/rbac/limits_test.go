package rbac

import "testing"

func TestCheckIndicator(t *testing.T) {
	for s, want := range map[string]error{
		"https://shopping.api":         nil,
		"https://api.example.com/v1/":  nil,
		"urn:example:orders":           nil,
		"api://orders":                 nil,
		"javascript:alert(1)":          ErrIndicatorScheme,
		"data:text/html,x":             ErrIndicatorScheme,
		"not a url":                    ErrIndicatorNotAbsolute,
		"#frag":                        ErrIndicatorNotAbsolute,
		"/relative":                    ErrIndicatorNotAbsolute,
		"https://shopping.api/#frag":   ErrIndicatorFragment,
		"https:///nohost":              ErrIndicatorNotAbsolute,
		"urn:logto:organization:org_1": ErrIndicatorReserved,
		"URN:LOGTO:organization:org_1": ErrIndicatorReserved,
	} {
		if got := CheckIndicator(s); got != want {
			t.Errorf("CheckIndicator(%q) = %v, want %v", s, got, want)
		}
	}
	a, b, c := IndicatorKey("https://shopping.api/"), IndicatorKey("HTTPS://SHOPPING.API"), IndicatorKey("https://shopping.api")
	if a != b || b != c {
		t.Errorf("keys differ: %q %q %q", a, b, c)
	}
	// ASCII case only, as the migration's SQL folds it; one slash.
	for in, want := range map[string]string{"HTTPS://Élan.EXAMPLE//": "https://Élan.example/", "urn:X": "urn:x", "https://a.b": "https://a.b"} {
		if got := IndicatorKey(in); got != want {
			t.Errorf("IndicatorKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestJSONDepth(t *testing.T) {
	for s, want := range map[string]int{`1`: 0, `{}`: 1, `{"a":[{"b":"]]]{{{"}]}`: 3, `[[[[]]]]`: 4, `{"a":"\"{"}`: 1} {
		if got := JSONDepth([]byte(s)); got != want {
			t.Errorf("JSONDepth(%s) = %d, want %d", s, got, want)
		}
	}
}
