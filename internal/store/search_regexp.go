package store

import (
	"database/sql/driver"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"

	"modernc.org/sqlite"
)

// SQLite has no regular expressions: the search modes posix and similar_to
// run there through sqliteRegexpFunc, a SQL function backed by Go's regexp
// package (RE2). RE2 runs in time linear in the text, so a hostile pattern
// cannot make a query slow; what RE2 cannot express (back-references,
// look-around) is refused as ErrInvalidInput, as PostgreSQL refuses a
// pattern it cannot compile.
const sqliteRegexpFunc = "gatehouse_regexp"

// maxCachedRegexps bounds the compiled patterns kept between rows and
// queries (a search compiles one pattern per match; rows reuse it).
const maxCachedRegexps = 16

// maxRegexpInsts bounds a pattern's compiled program. Matching costs up
// to the text's length times the program's size for every row, and a
// program takes memory in proportion: a 1,024-character pattern of
// nested repetitions compiles to hundreds of thousands of instructions
// (megabytes), where real searches need a few dozen.
const maxRegexpInsts = 2000

var (
	// The driver's function table is process-wide: the function is
	// registered once, before the first SQLite pool opens. It holds no
	// state but the bounded cache of compiled patterns below.
	registerRegexpOnce sync.Once
	regexps            = &regexpCache{m: map[string]*regexp.Regexp{}}
)

// registerSQLiteRegexp makes gatehouse_regexp(pattern, text) available to
// the SQLite connections opened from now on: 1 when text matches the RE2
// pattern, 0 when not, NULL when text is NULL.
func registerSQLiteRegexp() {
	registerRegexpOnce.Do(func() {
		sqlite.MustRegisterDeterministicScalarFunction(sqliteRegexpFunc, 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			pattern, ok := args[0].(string)
			if !ok {
				return nil, fmt.Errorf("%s: the pattern must be text", sqliteRegexpFunc)
			}
			var text string
			switch v := args[1].(type) {
			case nil:
				return nil, nil
			case string:
				text = v
			case []byte:
				text = string(v)
			default:
				text = fmt.Sprint(v)
			}
			re, err := regexps.get(pattern)
			if err != nil {
				return nil, err
			}
			if re.MatchString(text) {
				return int64(1), nil
			}
			return int64(0), nil
		})
	})
}

// regexpCache keeps compiled patterns, at most maxCachedRegexps of them
// (it empties when full: searches rarely repeat many distinct patterns).
type regexpCache struct {
	mu sync.Mutex
	m  map[string]*regexp.Regexp
}

func (c *regexpCache) get(pattern string) (*regexp.Regexp, error) {
	c.mu.Lock()
	re, ok := c.m[pattern]
	c.mu.Unlock()
	if ok {
		return re, nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.m) >= maxCachedRegexps {
		clear(c.m)
	}
	c.m[pattern] = re
	c.mu.Unlock()
	return re, nil
}

// posixToRE2 returns the RE2 form of a PostgreSQL POSIX pattern (the ~
// and ~* operators): an unanchored search where . matches a newline, as in
// PostgreSQL. ErrInvalidInput if RE2 cannot compile it.
func posixToRE2(pattern string, caseSensitive bool) (string, error) {
	flags := "(?s)"
	if !caseSensitive {
		flags = "(?is)"
	}
	return compileRE2(flags + pattern)
}

// similarToRE2 translates a SQL SIMILAR TO pattern into an anchored RE2
// pattern, as PostgreSQL's similar_to_escape does: % is .*, _ is ., ( )
// group without capturing, | * + ? { } and bracket expressions keep their
// regular-expression meaning, . ^ $ are literal, and \ escapes the next
// character (a trailing one is ignored). ErrInvalidInput for a pattern
// RE2 cannot compile.
func similarToRE2(pattern string, caseSensitive bool) (string, error) {
	var b strings.Builder
	b.WriteString("(?s")
	if !caseSensitive {
		b.WriteString("i")
	}
	b.WriteString(")^(?:")
	inClass := false
	classStart := false // just after [ or [^: a ] here is literal
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if r == '\\' {
			if i+1 == len(rs) {
				break // PostgreSQL ignores a trailing escape character
			}
			i++
			writeEscaped(&b, rs[i])
			classStart = false
			continue
		}
		if inClass {
			switch {
			case r == ']' && !classStart:
				inClass = false
				b.WriteRune(r)
			case r == '^' && classStart && rs[i-1] == '[':
				b.WriteRune(r)
				continue // ] may still come first
			case r == '[' && i+1 < len(rs) && rs[i+1] == ':':
				// A character class name, [:alpha:], copied whole.
				end := strings.Index(string(rs[i:]), ":]")
				if end < 0 {
					return "", fmt.Errorf("%w: unterminated character class", ErrInvalidInput)
				}
				seg := []rune(string(rs[i:])[:end+2])
				b.WriteString(string(seg))
				i += len(seg) - 1
			default:
				if r == '[' {
					b.WriteString(`\[`)
				} else {
					b.WriteRune(r)
				}
			}
			classStart = false
			continue
		}
		switch r {
		case '%':
			b.WriteString(".*")
		case '_':
			b.WriteByte('.')
		case '(':
			b.WriteString("(?:")
		case '.', '^', '$':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '[':
			inClass, classStart = true, true
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	if inClass {
		return "", fmt.Errorf("%w: unterminated bracket expression", ErrInvalidInput)
	}
	b.WriteString(")$")
	return compileRE2(b.String())
}

// writeEscaped writes r as an escaped character: a letter or digit keeps
// its backslash (PostgreSQL passes \d, \w and the like to its regular
// expressions), anything else is matched literally.
func writeEscaped(b *strings.Builder, r rune) {
	if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
		b.WriteByte('\\')
		b.WriteRune(r)
		return
	}
	b.WriteString(regexp.QuoteMeta(string(r)))
}

// compileRE2 checks that RE2 compiles p into a program of at most
// maxRegexpInsts instructions, and returns it.
func compileRE2(p string) (string, error) {
	re, err := syntax.Parse(p, syntax.Perl)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidInput, err)
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidInput, err)
	}
	if len(prog.Inst) > maxRegexpInsts {
		return "", fmt.Errorf("%w: the pattern is too complex (%d instructions, at most %d)", ErrInvalidInput, len(prog.Inst), maxRegexpInsts)
	}
	if _, err := regexps.get(p); err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidInput, err)
	}
	return p, nil
}
