package rbac

import (
	"strings"
	"unicode/utf8"
)

// Storable reports whether s can be stored and compared as text by both
// engines: valid UTF-8 without NUL. PostgreSQL refuses both in text
// columns; SQLite would store them, and the two must answer alike.
func Storable(s string) bool {
	return strings.IndexByte(s, 0) < 0 && utf8.ValidString(s)
}

// StorableJSON reports whether the JSON text b can be stored by both
// engines: Storable as text, and with no \u0000 escape and no escape of a
// lone UTF-16 surrogate (PostgreSQL's jsonb refuses both; a Go decoder
// would turn them into other characters without a word).
func StorableJSON(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case 0:
			return false
		case '\\':
			if i+1 >= len(b) {
				return true // not JSON; its parser says so
			}
			if b[i+1] != 'u' {
				i++ // \" \\ and the like: skip the escaped byte
				continue
			}
			r, ok := hex4(b, i+2)
			if !ok {
				continue
			}
			switch {
			case r == 0:
				return false
			case r >= 0xD800 && r <= 0xDBFF: // high: a low must follow
				if i+7 >= len(b) || b[i+6] != '\\' || b[i+7] != 'u' {
					return false
				}
				lo, ok := hex4(b, i+8)
				if !ok || lo < 0xDC00 || lo > 0xDFFF {
					return false
				}
				i += 11
			case r >= 0xDC00 && r <= 0xDFFF: // a low alone
				return false
			default:
				i += 5
			}
		}
	}
	return true
}

// hex4 reads four hex digits at b[i:].
func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		r <<= 4
		switch {
		case '0' <= c && c <= '9':
			r |= rune(c - '0')
		case 'a' <= c && c <= 'f':
			r |= rune(c - 'a' + 10)
		case 'A' <= c && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}
