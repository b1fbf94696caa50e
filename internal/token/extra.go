package token

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ErrExtra is returned when Claims.Extra is not a JSON object.
var ErrExtra = errors.New("token: extra claims must be a JSON object")

// protectedClaim reports whether name is a claim an Extra member may not
// set: the claims Mint sets itself (spec §2.9: standard claims win over
// customizer output), and every registered claim that Gatehouse or a
// resource server checks or that changes what the token means, so that a
// script cannot forge an organization token, postpone validity, bind the
// token to a key or pose as a delegation: RFC 7519's registered claims,
// RFC 9068's (client_id, scope, auth_time, acr, amr), organization_id,
// typ, cnf (RFC 7800), act and may_act (RFC 8693), azp, sid, nonce.
func protectedClaim(name string) bool {
	switch name {
	case "jti", "sub", "iat", "exp", "nbf", "scope", "client_id", "iss", "aud",
		"organization_id", "typ", "cnf", "act", "may_act", "azp", "auth_time", "acr", "amr", "sid", "nonce":
		return true
	}
	return false
}

// extraMember is one top-level member of Extra: its name and its value,
// re-encoded, as text in a shared buffer.
type extraMember struct {
	name       string
	start, end int
}

// appendExtra appends the members of the JSON object raw, each followed by
// a comma, ready to precede the standard claims. It re-encodes every value
// with appendJSONString so the output is compact and escaped exactly like
// the standard claims (invalid UTF-8 becomes U+FFFD). A name repeated in raw
// keeps its first position and its last value, as JSON.parse does. This is
// the slow path: customizer claims are rare.
func appendExtra(dst []byte, raw []byte) (out []byte, err error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err == io.EOF {
		return dst, fmt.Errorf("%w: empty", ErrExtra)
	}
	if err != nil {
		return dst, fmt.Errorf("%w: %w", ErrExtra, err)
	}
	if tok == nil { // literal null: no extra claims
		if _, err := dec.Token(); err != io.EOF {
			return dst, fmt.Errorf("%w: trailing data", ErrExtra)
		}
		return dst, nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return dst, fmt.Errorf("%w: got %T", ErrExtra, tok)
	}

	var vals []byte
	var members []extraMember
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return dst, fmt.Errorf("%w: %w", ErrExtra, err)
		}
		name, ok := tok.(string)
		if !ok {
			return dst, fmt.Errorf("%w: member name %v", ErrExtra, tok)
		}
		start := len(vals)
		if vals, err = appendValue(vals, dec); err != nil {
			return dst, fmt.Errorf("%w: member %q: %w", ErrExtra, name, err)
		}
		if protectedClaim(name) {
			vals = vals[:start]
			continue
		}
		m := extraMember{name: name, start: start, end: len(vals)}
		if i := indexMember(members, name); i >= 0 {
			members[i].start, members[i].end = m.start, m.end
			continue
		}
		members = append(members, m)
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return dst, fmt.Errorf("%w: %w", ErrExtra, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return dst, fmt.Errorf("%w: trailing data", ErrExtra)
	}

	for _, m := range members {
		dst = appendJSONString(dst, m.name)
		dst = append(dst, ':')
		dst = append(dst, vals[m.start:m.end]...)
		dst = append(dst, ',')
	}
	return dst, nil
}

func indexMember(ms []extraMember, name string) int {
	for i := range ms {
		if ms[i].name == name {
			return i
		}
	}
	return -1
}

// appendValue re-encodes the next JSON value of dec, compact, with strings
// escaped by appendJSONString and numbers kept as written.
func appendValue(dst []byte, dec *json.Decoder) ([]byte, error) {
	// open holds, per enclosing container, whether it is an object and how
	// many names and values it has seen so far.
	type frame struct {
		object bool
		n      int
	}
	var open []frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return dst, err
		}
		if len(open) > 0 {
			f := &open[len(open)-1]
			if d, ok := tok.(json.Delim); !ok || (d != '}' && d != ']') {
				switch {
				case f.object && f.n%2 == 1: // a value after its name
					dst = append(dst, ':')
				case f.n > 0:
					dst = append(dst, ',')
				}
				f.n++
			}
		}
		switch v := tok.(type) {
		case json.Delim:
			dst = append(dst, byte(v))
			switch v {
			case '{', '[':
				open = append(open, frame{object: v == '{'})
				continue
			default:
				open = open[:len(open)-1]
			}
		case string:
			dst = appendJSONString(dst, v)
		case json.Number:
			dst = append(dst, v...)
		case bool:
			if v {
				dst = append(dst, "true"...)
			} else {
				dst = append(dst, "false"...)
			}
		case nil:
			dst = append(dst, "null"...)
		default:
			return dst, fmt.Errorf("unexpected token %T", tok)
		}
		if len(open) == 0 {
			return dst, nil
		}
	}
}
