package customizer

import (
	"encoding/json"
	"errors"
	"strconv"

	"github.com/dop251/goja"
)

// errInput is input that is not one JSON object.
var errInput = errors.New("customizer: the input is not a JSON object")

// decodeInput turns the JSON text of the script's argument into a goja
// object: what JSON.parse makes, in a quarter of its time (goja's parses
// token by token with encoding/json, and the argument is most of a run's
// work). Member order is kept. Members are assigned (the fast path), but a
// name that Object.prototype has (shadowed, given in inherited) is defined
// instead, as JSON.parse does: "__proto__" stays an own member, and the
// frozen prototype's read-only members do not make the assignment fail.
func decodeInput(rt *goja.Runtime, inherited map[string]bool, s string) (*goja.Object, error) {
	d := inputDecoder{rt: rt, s: s, inherited: inherited}
	d.space()
	if d.i >= len(s) || s[d.i] != '{' {
		return nil, errInput
	}
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.space()
	if d.i != len(s) {
		return nil, errInput
	}
	return v.(*goja.Object), nil
}

type inputDecoder struct {
	rt        *goja.Runtime
	s         string
	i         int
	inherited map[string]bool // Object.prototype's member names
}

// maxDepth bounds nesting (custom data is stored bounded; this keeps the
// decoder's own stack small whatever it is given).
const maxDepth = 512

func (d *inputDecoder) space() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *inputDecoder) value(depth int) (goja.Value, error) {
	if depth > maxDepth {
		return nil, errInput
	}
	d.space()
	if d.i >= len(d.s) {
		return nil, errInput
	}
	switch c := d.s[d.i]; {
	case c == '{':
		d.i++
		o := d.rt.NewObject()
		d.space()
		if d.i < len(d.s) && d.s[d.i] == '}' {
			d.i++
			return o, nil
		}
		for {
			d.space()
			k, err := d.str()
			if err != nil {
				return nil, err
			}
			d.space()
			if d.i >= len(d.s) || d.s[d.i] != ':' {
				return nil, errInput
			}
			d.i++
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			if d.inherited[k] {
				err = o.DefineDataProperty(k, v, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE)
			} else {
				err = o.Set(k, v)
			}
			if err != nil {
				return nil, err
			}
			d.space()
			if d.i >= len(d.s) {
				return nil, errInput
			}
			if d.s[d.i] == '}' {
				d.i++
				return o, nil
			}
			if d.s[d.i] != ',' {
				return nil, errInput
			}
			d.i++
		}
	case c == '[':
		d.i++
		var items []any
		d.space()
		if d.i < len(d.s) && d.s[d.i] == ']' {
			d.i++
			return d.rt.NewArray(), nil
		}
		for {
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			items = append(items, v)
			d.space()
			if d.i >= len(d.s) {
				return nil, errInput
			}
			if d.s[d.i] == ']' {
				d.i++
				return d.rt.NewArray(items...), nil
			}
			if d.s[d.i] != ',' {
				return nil, errInput
			}
			d.i++
		}
	case c == '"':
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		return d.rt.ToValue(s), nil
	case c == 't' && len(d.s)-d.i >= 4 && d.s[d.i:d.i+4] == "true":
		d.i += 4
		return d.rt.ToValue(true), nil
	case c == 'f' && len(d.s)-d.i >= 5 && d.s[d.i:d.i+5] == "false":
		d.i += 5
		return d.rt.ToValue(false), nil
	case c == 'n' && len(d.s)-d.i >= 4 && d.s[d.i:d.i+4] == "null":
		d.i += 4
		return goja.Null(), nil
	case c == '-' || (c >= '0' && c <= '9'):
		j := d.i + 1
		for j < len(d.s) && (d.s[j] >= '0' && d.s[j] <= '9' || d.s[j] == '.' || d.s[j] == 'e' || d.s[j] == 'E' || d.s[j] == '+' || d.s[j] == '-') {
			j++
		}
		lit := d.s[d.i:j]
		d.i = j
		if n, err := strconv.ParseInt(lit, 10, 64); err == nil && n > -1<<53 && n < 1<<53 && lit != "-0" {
			return d.rt.ToValue(n), nil
		}
		f, err := strconv.ParseFloat(lit, 64)
		if err != nil {
			return nil, errInput
		}
		return d.rt.ToValue(f), nil
	}
	return nil, errInput
}

// str reads a JSON string at d.i; escapes go through encoding/json.
func (d *inputDecoder) str() (string, error) {
	if d.i >= len(d.s) || d.s[d.i] != '"' {
		return "", errInput
	}
	start := d.i
	escaped := false
	for j := d.i + 1; j < len(d.s); j++ {
		switch d.s[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			d.i = j + 1
			if !escaped {
				return d.s[start+1 : j], nil
			}
			var out string
			if err := json.Unmarshal([]byte(d.s[start:j+1]), &out); err != nil {
				return "", errInput
			}
			return out, nil
		}
	}
	return "", errInput
}
