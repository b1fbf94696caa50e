package token

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAppendJSONString(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", `""`},
		{"plain ascii ~!@#$%^&*()", `"plain ascii ~!@#$%^&*()"`},
		{`a"b`, `"a\"b"`},
		{`back\slash`, `"back\\slash"`},
		{"\n\r\t\b\f", `"\n\r\t\b\f"`},
		{"\x00\x01\x1f", `"\u0000\u0001\u001f"`},
		{"\x7f", "\"\x7f\""},
		{"<>&", `"<>&"`},
		{"é日本語🙂", `"é日本語🙂"`},
		{"a\u2028b\u2029c", `"a\u2028b\u2029c"`},
		{"\u2027\u202a", "\"\u2027\u202a\""},
		{"\xff", `"\ufffd"`},
		{"a\xc3", `"a\ufffd"`},
		{"\xed\xa0\x80", `"\ufffd\ufffd\ufffd"`}, // an encoded surrogate
		{"\xf4\x90\x80\x80", `"\ufffd\ufffd\ufffd\ufffd"`},
		{"\ufffd", "\"\ufffd\""},
		{"x\"\\\x00é\xffy", `"x\"\\\u0000é\ufffdy"`},
	} {
		got := string(appendJSONString([]byte("pre"), c.in))
		if got != "pre"+c.want {
			t.Errorf("appendJSONString(%q) = %s, want %s", c.in, got, c.want)
		}
		checkLikeEncodingJSON(t, c.in)
	}
}

// TestAppendJSONStringRandom compares with encoding/json on random strings
// drawn from the characters that need care.
func TestAppendJSONStringRandom(t *testing.T) {
	pieces := []string{"a", "Z", " ", "\"", "\\", "/", "\x00", "\x08", "\x1f", "\x7f", "<", "&",
		"é", "€", "🙂", "\u2028", "\u2029", "\ufffd", "\xff", "\xc3", "\xe2\x82", "\xed\xa0\x80", "\xf0\x9f"}
	r := rand.New(rand.NewPCG(1, 2))
	var sb strings.Builder
	for range 5000 {
		sb.Reset()
		for range r.IntN(24) {
			sb.WriteString(pieces[r.IntN(len(pieces))])
		}
		checkLikeEncodingJSON(t, sb.String())
	}
}

// checkLikeEncodingJSON checks that appendJSONString(s) is valid JSON,
// valid UTF-8 without raw control characters or U+2028/9, and decodes to
// what json.Marshal(s) decodes to.
func checkLikeEncodingJSON(t *testing.T, s string) {
	t.Helper()
	got := appendJSONString(nil, s)
	if !json.Valid(got) || !utf8.Valid(got) {
		t.Fatalf("appendJSONString(%q) = %q: not valid JSON / UTF-8", s, got)
	}
	if bytes.ContainsFunc(got, func(r rune) bool { return r < 0x20 || r == '\u2028' || r == '\u2029' }) {
		t.Fatalf("appendJSONString(%q) = %q: raw control or line separator", s, got)
	}
	var ours, theirs string
	if err := json.Unmarshal(got, &ours); err != nil {
		t.Fatal(err)
	}
	std, _ := json.Marshal(s)
	if err := json.Unmarshal(std, &theirs); err != nil {
		t.Fatal(err)
	}
	if ours != theirs {
		t.Fatalf("appendJSONString(%q) decodes to %q, encoding/json's to %q", s, ours, theirs)
	}
}

func TestAppendJSONStringNoAllocs(t *testing.T) {
	buf := make([]byte, 0, 256)
	n := testing.AllocsPerRun(100, func() {
		buf = appendJSONString(buf[:0], "read:orders write:orders \"é\" \u2028 \xff")
	})
	if n != 0 {
		t.Errorf("appendJSONString allocates %v times into a big enough buffer", n)
	}
}
