package oidc

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxBodyBytes is the token endpoint's body limit, Logto's 56 kB.
const MaxBodyBytes = 56 << 10

// param is one recognised parameter: its first value and how often it came.
type param struct {
	val string
	n   int
}

// tokenParams holds the parameters the token endpoint recognises. Others
// are dropped silently, as Logto drops them (spec §2.2). Parameters come
// only from the body.
type tokenParams struct {
	grantType, clientID, clientSecret, clientAssertion, clientAssertionType param
	scope, organizationID, audience                                         param
	token, tokenTypeHint                                                    param // introspection and revocation
	resources                                                               []string
	resourceN                                                               int
	nul                                                                     bool // a recognised value holds a NUL (decoded)
}

func (p *tokenParams) set(name, value string) {
	var dst *param
	switch name {
	case "grant_type":
		dst = &p.grantType
	case "client_id":
		dst = &p.clientID
	case "client_secret":
		dst = &p.clientSecret
	case "client_assertion":
		dst = &p.clientAssertion
	case "client_assertion_type":
		dst = &p.clientAssertionType
	case "scope":
		dst = &p.scope
	case "organization_id":
		dst = &p.organizationID
	case "audience":
		dst = &p.audience
	case "token":
		dst = &p.token
	case "token_type_hint":
		dst = &p.tokenTypeHint
	case "resource":
		p.nul = p.nul || strings.IndexByte(value, 0) >= 0
		p.resourceN++
		if value != "" {
			p.resources = append(p.resources, value)
		}
		return
	default:
		return
	}
	if dst.n == 0 {
		dst.val = value
	}
	dst.n++
	p.nul = p.nul || strings.IndexByte(value, 0) >= 0
}

// authDuplicate and grantDuplicate name the first parameter given more than
// once, among the client authentication parameters and the others.
func (p *tokenParams) authDuplicate() string {
	switch {
	case p.clientID.n > 1:
		return "client_id"
	case p.clientSecret.n > 1:
		return "client_secret"
	case p.clientAssertion.n > 1:
		return "client_assertion"
	case p.clientAssertionType.n > 1:
		return "client_assertion_type"
	}
	return ""
}

func (p *tokenParams) grantDuplicate() string {
	switch {
	case p.scope.n > 1:
		return "scope"
	case p.organizationID.n > 1:
		return "organization_id"
	case p.audience.n > 1:
		return "audience"
	}
	return ""
}

func duplicateError(name string) *Error {
	return badRequest("'" + name + "' parameter must not be provided twice")
}

var bodyPool = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 1024)) }}

// readParams reads and parses the request body into p (spec §2.1): form or
// JSON bodies in UTF-8, UTF-16LE or Latin-1, at most MaxBodyBytes, no NUL
// bytes. A request without a body has no parameters. path names the
// endpoint in the content-type error.
func readParams(r *http.Request, path string, p *tokenParams) *Error {
	if r.ContentLength == 0 && len(r.TransferEncoding) == 0 {
		return nil
	}
	mediaType, charset := contentType(r.Header.Get("Content-Type"))
	isJSON := mediaType == "application/json"
	if mediaType != "application/x-www-form-urlencoded" && !isJSON {
		return badRequest("only application/x-www-form-urlencoded content-type bodies are supported on POST " + path)
	}
	if r.ContentLength > MaxBodyBytes {
		return badRequest("request body exceeds the " + strconv.Itoa(MaxBodyBytes>>10) + "kb limit")
	}
	buf := bodyPool.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 64<<10 {
			buf.Reset()
			bodyPool.Put(buf)
		}
	}()
	buf.Reset()
	if _, err := buf.ReadFrom(io.LimitReader(r.Body, MaxBodyBytes+1)); err != nil {
		return badRequest("failed to parse the request body")
	}
	if buf.Len() > MaxBodyBytes {
		return badRequest("request body exceeds the " + strconv.Itoa(MaxBodyBytes>>10) + "kb limit")
	}
	body, ok := decodeCharset(buf.Bytes(), charset)
	if !ok {
		return badRequest("unsupported charset \"" + charset + "\"")
	}
	if strings.IndexByte(body, 0) >= 0 {
		return badRequest("null bytes are not allowed in the request body")
	}
	if !utf8.ValidString(body) {
		// As Node decodes a body: each invalid sequence becomes U+FFFD, so
		// no parameter ever carries invalid UTF-8 on into the server.
		body = strings.ToValidUTF8(body, "\uFFFD")
	}
	if isJSON {
		parseJSON(body, p)
	} else {
		parseForm(body, p)
	}
	if p.nul {
		// Decoded from %00 or \u0000: no identifier, secret or scope holds
		// one, and PostgreSQL cannot store or compare one.
		return badRequest("null bytes are not allowed in the request body")
	}
	return nil
}

func contentType(v string) (mediaType, charset string) {
	if v == "application/x-www-form-urlencoded" { // the common case, without allocation
		return v, ""
	}
	mt, ps, err := mime.ParseMediaType(v)
	if err != nil {
		// A malformed parameter still leaves a usable media type.
		mt, _, _ = strings.Cut(v, ";")
		return strings.ToLower(strings.TrimSpace(mt)), ""
	}
	return mt, strings.ToLower(ps["charset"])
}

// decodeCharset turns the body into a Go (UTF-8) string.
func decodeCharset(b []byte, charset string) (string, bool) {
	switch charset {
	case "", "utf-8", "utf8":
		return string(b), true
	case "us-ascii", "ascii":
		return string(b), true
	case "latin1", "iso-8859-1", "binary":
		var sb strings.Builder
		sb.Grow(len(b))
		for _, c := range b {
			sb.WriteRune(rune(c))
		}
		return sb.String(), true
	case "utf-16le", "utf16le", "ucs2", "ucs-2", "utf-16", "utf16":
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
		}
		return string(utf16.Decode(u)), true
	}
	return "", false
}

// parseForm parses an application/x-www-form-urlencoded body as Node's
// querystring does: '+' is a space, malformed escapes are kept literally.
func parseForm(body string, p *tokenParams) {
	for body != "" {
		var pair string
		pair, body, _ = strings.Cut(body, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		p.set(formUnescape(k), formUnescape(v))
	}
}

// formUnescape decodes one form-urlencoded component leniently, as Node's
// querystring does: '+' becomes a space, valid %XX escapes their byte,
// anything else stays as it is, and invalid UTF-8 becomes U+FFFD.
func formUnescape(s string) string {
	out, _ := unescape(s, false)
	return out
}

// strictUnescape decodes a form-urlencoded component and fails on a
// malformed escape or invalid UTF-8, as decodeURIComponent does. Used for
// Basic credentials.
func strictUnescape(s string) (string, bool) { return unescape(s, true) }

// unescape decodes s, without allocating when there is nothing to decode.
func unescape(s string, strict bool) (string, bool) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && ishex(s[i+1]) && ishex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		case c == '%' && strict:
			return "", false
		default:
			b = append(b, c)
		}
	}
	if !utf8.Valid(b) {
		if strict {
			return "", false
		}
		return strings.ToValidUTF8(string(b), "\uFFFD"), true
	}
	return string(b), true
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// parseJSON takes the parameters from a JSON object body. Malformed JSON is
// an empty body, as in Logto (spec §2.1). Strings are taken as they are,
// arrays give repeated parameters, other scalars their JSON text.
func parseJSON(body string, p *tokenParams) {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(body), &m) != nil {
		return
	}
	for k, raw := range m {
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) == nil {
			for _, item := range list {
				p.set(k, jsonScalar(item))
			}
			continue
		}
		if string(raw) == "null" {
			continue
		}
		p.set(k, jsonScalar(raw))
	}
}

func jsonScalar(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}
