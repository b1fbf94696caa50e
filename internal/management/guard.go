package management

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// MaxBodyBytes bounds every Management API request body.
const MaxBodyBytes = 1 << 20

// issue is one guard failure, shaped like the Zod issues Logto returns in
// data.issues (spec §4.0).
type issue struct {
	Code     string `json:"code"`
	Expected string `json:"expected,omitempty"`
	Received string `json:"received,omitempty"`
	Minimum  *int   `json:"minimum,omitempty"`
	Maximum  *int   `json:"maximum,omitempty"`
	Path     []any  `json:"path"`
	Message  string `json:"message"`
}

// detail is the issue as one line of the "details" text.
func (i issue) detail() string {
	path := make([]string, len(i.Path))
	for n, p := range i.Path {
		path[n] = fmt.Sprint(p)
	}
	msg := i.Message
	if i.Code == "invalid_type" {
		msg = "Expected " + i.Expected + " but received " + i.Received
	}
	return fmt.Sprintf("Error in key path %q: (%s) %s.", strings.Join(path, "."), i.Code, strings.TrimSuffix(msg, "."))
}

// Guard reads one part of a request (a JSON body, or the query) and
// collects every problem, so that the answer lists them all. Keys it is not
// asked about are ignored: unknown body keys are stripped, as in Logto.
type Guard struct {
	where  string // body, query or params
	fields map[string]json.RawMessage
	issues []issue
}

// BodyGuard reads r's JSON body (at most MaxBodyBytes). A body that is not
// a JSON object gives a guard with one issue. An empty body is an empty
// object.
func BodyGuard(w http.ResponseWriter, r *http.Request) *Guard {
	g := &Guard{where: "body", fields: map[string]json.RawMessage{}}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		g.add(issue{Code: "too_big", Path: []any{}, Message: fmt.Sprintf("Request body must be at most %d bytes", MaxBodyBytes)})
		return g
	case err != nil:
		g.add(issue{Code: "custom", Path: []any{}, Message: "Request body could not be read"})
		return g
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return g
	}
	if err := json.Unmarshal(b, &g.fields); err != nil || g.fields == nil {
		g.fields = map[string]json.RawMessage{}
		got := "invalid JSON"
		if err == nil || json.Valid(b) {
			got = jsonType(b)
		}
		g.add(issue{Code: "invalid_type", Expected: "object", Received: got, Path: []any{}, Message: "Expected object, received " + got})
	}
	return g
}

// ObjectGuard reads a raw JSON object (a nested field).
func ObjectGuard(raw json.RawMessage, where string) *Guard {
	g := &Guard{where: where, fields: map[string]json.RawMessage{}}
	if json.Unmarshal(raw, &g.fields) != nil || g.fields == nil {
		g.fields = map[string]json.RawMessage{}
		g.add(issue{Code: "invalid_type", Expected: "object", Received: jsonType(raw), Path: []any{}, Message: "Expected object, received " + jsonType(raw)})
	}
	return g
}

// QueryGuard reads the first value of each query parameter.
func QueryGuard(r *http.Request) *Guard {
	g := &Guard{where: "query", fields: map[string]json.RawMessage{}}
	for k, vs := range r.URL.Query() {
		if len(vs) > 0 {
			v, _ := json.Marshal(vs[0])
			g.fields[k] = v
		}
	}
	return g
}

func (g *Guard) add(i issue) { g.issues = append(g.issues, i) }

// Has reports whether the key is present (null counts as present).
func (g *Guard) Has(name string) bool { _, ok := g.fields[name]; return ok }

// Keys returns the keys present.
func (g *Guard) Keys() map[string]json.RawMessage { return g.fields }

func jsonType(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "undefined"
	}
	switch raw[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

func (g *Guard) typeIssue(name, expected string, raw json.RawMessage) {
	got := "undefined"
	msg := "Required"
	if raw != nil {
		got = jsonType(raw)
		msg = "Expected " + expected + ", received " + got
	}
	g.add(issue{Code: "invalid_type", Expected: expected, Received: got, Path: []any{name}, Message: msg})
}

// StrRule limits a string field.
type StrRule struct {
	Required bool
	Min, Max int // in characters; Max 0: unlimited
	Nullable bool
}

// String returns the string field name. present is false when the key is
// absent (or null and Nullable). Problems are recorded.
func (g *Guard) String(name string, rule StrRule) (v string, present bool) {
	raw, ok := g.fields[name]
	if !ok {
		if rule.Required {
			g.typeIssue(name, "string", nil)
		}
		return "", false
	}
	if rule.Nullable && jsonType(raw) == "null" {
		return "", false
	}
	if json.Unmarshal(raw, &v) != nil || jsonType(raw) != "string" {
		g.typeIssue(name, "string", raw)
		return "", false
	}
	n := utf8.RuneCountInString(v)
	if n < rule.Min {
		m := rule.Min
		g.add(issue{Code: "too_small", Minimum: &m, Path: []any{name}, Message: fmt.Sprintf("String must contain at least %d character(s)", m)})
		return v, false
	}
	if rule.Max > 0 && n > rule.Max {
		m := rule.Max
		g.add(issue{Code: "too_big", Maximum: &m, Path: []any{name}, Message: fmt.Sprintf("String must contain at most %d character(s)", m)})
		return v, false
	}
	return v, true
}

// NullableString returns a string-or-null field as a pointer: set is true
// when the key is present, v nil when it is null.
func (g *Guard) NullableString(name string, max int) (v *string, set bool) {
	raw, ok := g.fields[name]
	if !ok {
		return nil, false
	}
	if jsonType(raw) == "null" {
		return nil, true
	}
	s, ok := g.String(name, StrRule{Max: max})
	if !ok {
		return nil, false
	}
	return &s, true
}

// Bool returns the boolean field name.
func (g *Guard) Bool(name string, required bool) (v, present bool) {
	raw, ok := g.fields[name]
	if !ok {
		if required {
			g.typeIssue(name, "boolean", nil)
		}
		return false, false
	}
	if jsonType(raw) != "boolean" || json.Unmarshal(raw, &v) != nil {
		g.typeIssue(name, "boolean", raw)
		return false, false
	}
	return v, true
}

// Number returns the numeric field name (any JSON number).
func (g *Guard) Number(name string, required bool) (v float64, present bool) {
	raw, ok := g.fields[name]
	if !ok {
		if required {
			g.typeIssue(name, "number", nil)
		}
		return 0, false
	}
	if jsonType(raw) != "number" || json.Unmarshal(raw, &v) != nil {
		g.typeIssue(name, "number", raw)
		return 0, false
	}
	return v, true
}

// Object returns the JSON object field name, compacted.
func (g *Guard) Object(name string, required bool) (v json.RawMessage, present bool) {
	raw, ok := g.fields[name]
	if !ok {
		if required {
			g.typeIssue(name, "object", nil)
		}
		return nil, false
	}
	if jsonType(raw) != "object" {
		g.typeIssue(name, "object", raw)
		return nil, false
	}
	if d := rbac.JSONDepth(raw); d > rbac.MaxJSONDepth {
		g.add(issue{Code: "custom", Path: []any{name}, Message: fmt.Sprintf("Objects may nest at most %d levels deep", rbac.MaxJSONDepth)})
		return nil, false
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		g.typeIssue(name, "object", raw)
		return nil, false
	}
	return buf.Bytes(), true
}

// Strings returns the array-of-strings field name; each element must have
// at least minEach characters, and the array at least minLen elements.
func (g *Guard) Strings(name string, required bool, minLen, minEach int) (v []string, present bool) {
	raw, ok := g.fields[name]
	if !ok {
		if required {
			g.typeIssue(name, "array", nil)
		}
		return nil, false
	}
	var items []json.RawMessage
	if jsonType(raw) != "array" || json.Unmarshal(raw, &items) != nil {
		g.typeIssue(name, "array", raw)
		return nil, false
	}
	okAll := true
	for i, it := range items {
		var s string
		if jsonType(it) != "string" || json.Unmarshal(it, &s) != nil {
			g.add(issue{Code: "invalid_type", Expected: "string", Received: jsonType(it), Path: []any{name, i}, Message: "Expected string, received " + jsonType(it)})
			okAll = false
			continue
		}
		if utf8.RuneCountInString(s) < minEach {
			m := minEach
			g.add(issue{Code: "too_small", Minimum: &m, Path: []any{name, i}, Message: fmt.Sprintf("String must contain at least %d character(s)", m)})
			okAll = false
			continue
		}
		v = append(v, s)
	}
	if len(items) < minLen {
		m := minLen
		g.add(issue{Code: "too_small", Minimum: &m, Path: []any{name}, Message: fmt.Sprintf("Array must contain at least %d element(s)", m)})
		return nil, false
	}
	if v == nil {
		v = []string{}
	}
	return v, okAll
}

// Custom records a problem found by the caller's own check.
func (g *Guard) Custom(name, message string) {
	g.add(issue{Code: "custom", Path: []any{name}, Message: message})
}

// Err returns 400 guard.invalid_input listing every problem, or nil.
func (g *Guard) Err() error {
	if len(g.issues) == 0 {
		return nil
	}
	lines := make([]string, len(g.issues))
	for i, is := range g.issues {
		lines[i] = is.detail()
	}
	return &Error{
		Status:  http.StatusBadRequest,
		Code:    "guard.invalid_input",
		Message: "The request " + g.where + " is invalid.",
		Details: strings.Join(lines, "\n"),
		Data:    map[string]any{"issues": g.issues, "name": "ZodError"},
	}
}
