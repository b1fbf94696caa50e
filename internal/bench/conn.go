package bench

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"math"
	"net"
	"os"
	"sync"
	"time"
)

const (
	// readBufSize holds a whole token response (a JWT of a kilobyte or two
	// plus headers) so one read syscall usually serves one request.
	readBufSize = 16 << 10
	// keepBody is how much of a non-2xx body is kept for the error report.
	keepBody = 256
	// maxChunk bounds a chunk-size line so a hostile peer cannot overflow it.
	maxChunk = 1 << 40
)

// protoError is a malformed or unsupported response. It is a string type so
// that its values can be constants (the package keeps no variables).
type protoError string

// Error names the protocol problem.
func (e protoError) Error() string { return "bench: " + string(e) }

const (
	errStatusLine protoError = "malformed status line"
	errHeaderLine protoError = "malformed header line"
	errHeaderLong protoError = "header line longer than the read buffer"
	errLength     protoError = "malformed Content-Length"
	errChunk      protoError = "malformed chunked body"
	errUpgrade    protoError = "unexpected 101 Switching Protocols"
)

// closedError: the peer closed the connection without starting a response
// (a crash, or an idle keep-alive connection the server timed out). It is a
// read error, not a protocol one.
type closedError struct{}

// Error describes the early close.
func (closedError) Error() string { return "bench: connection closed before the response" }

// errKind classifies a failed request for the report.
type errKind uint8

const (
	kindNone     errKind = iota
	kindConnect          // dial or TLS handshake failed
	kindWrite            // writing the request failed
	kindRead             // reading the response failed (reset, EOF)
	kindTimeout          // the per-request deadline passed
	kindProtocol         // the response was not HTTP/1.x we understand
	kindStatus           // a response arrived, but not 2xx
	kindDropped          // open loop: an intended request was never sent
	numKinds
)

// String returns the kind's name as used in both reports.
func (k errKind) String() string {
	switch k {
	case kindConnect:
		return "connect"
	case kindWrite:
		return "write"
	case kindRead:
		return "read"
	case kindTimeout:
		return "timeout"
	case kindProtocol:
		return "protocol"
	case kindStatus:
		return "status"
	case kindDropped:
		return "dropped"
	}
	return "none"
}

// target is everything a connection needs to reach the endpoint; it is built
// once per run and shared read-only by all connections.
type target struct {
	addr     string      // host:port to dial
	tls      *tls.Config // nil for http
	requests [][]byte    // each app's complete request, headers and body
	timeout  time.Duration
	// assertions, with -auth private_key_jwt, hands out each request
	// instead (requests[0] is never sent).
	assertions *assertionPool
}

// client is one keep-alive HTTP/1.1 connection, used by one goroutine.
//
// Nothing in a token request varies between requests of one app, so each
// app's request bytes are built once for the whole run (target.requests) and
// written as they are: no per-connection copy, no rewriting, one write
// syscall per request.
type client struct {
	t      *target
	dialer net.Dialer
	br     *bufio.Reader
	body   []byte // the last non-2xx body, truncated to keepBody
	sent   bool   // the last roundTrip wrote its request

	// conn is written only by the owning goroutine, under mu, so that abort
	// (called from another goroutine when the run is cancelled) can close it.
	// The owner reads it without the lock.
	mu      sync.Mutex
	conn    net.Conn
	aborted bool
}

func newClient(t *target) *client {
	return &client{
		t:      t,
		dialer: net.Dialer{Timeout: t.timeout},
		br:     bufio.NewReaderSize(nil, readBufSize),
		body:   make([]byte, 0, keepBody),
	}
}

// connect dials (and for https, handshakes) unless a connection is open.
func (c *client) connect(ctx context.Context) error {
	if c.conn != nil {
		return nil
	}
	nc, err := c.dialer.DialContext(ctx, "tcp", c.t.addr)
	if err != nil {
		return err
	}
	if c.t.tls != nil {
		tc := tls.Client(nc, c.t.tls)
		hctx, cancel := context.WithTimeout(ctx, c.t.timeout)
		err = tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			nc.Close()
			return err
		}
		nc = tc
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.aborted {
		nc.Close()
		return context.Canceled
	}
	c.conn = nc
	c.br.Reset(nc)
	return nil
}

// close drops the current connection; the next request reconnects.
func (c *client) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// abort closes the connection from another goroutine and stops reconnects;
// a blocked read or write returns at once.
func (c *client) abort() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.aborted = true
	if c.conn != nil {
		c.conn.Close()
	}
}

// roundTrip sends req and reads one response, reconnecting first if needed.
// On success it returns the status code (the body of a non-2xx answer is in
// c.body). On failure it closes the connection and says what failed.
// c.sent tells whether the request was written whole, answered or not.
func (c *client) roundTrip(ctx context.Context, deadline time.Time, req []byte) (int, errKind, error) {
	c.sent = false
	if err := c.connect(ctx); err != nil {
		return 0, classify(err, kindConnect), err
	}
	if err := c.conn.SetDeadline(deadline); err != nil {
		c.close()
		return 0, kindWrite, err
	}
	if _, err := c.conn.Write(req); err != nil {
		c.close()
		return 0, classify(err, kindWrite), err
	}
	c.sent = true
	status, closeConn, err := readResponse(c.br, &c.body)
	if err != nil {
		c.close()
		return 0, classify(err, kindRead), err
	}
	if closeConn {
		c.close()
	}
	return status, kindNone, nil
}

// classify names a network error: timeouts and protocol errors are told
// apart from the plain failure of the step (fallback).
func classify(err error, fallback errKind) errKind {
	var pe protoError
	var ne net.Error
	switch {
	case errors.As(err, &pe):
		return kindProtocol
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return kindTimeout
	}
	return fallback
}

// readResponse reads one HTTP/1.x response from br. It returns the status
// code and whether the connection must be closed afterwards. The body is
// discarded, except that for a non-2xx status up to cap(*body) bytes of it
// are kept in *body. Interim 1xx responses are skipped.
func readResponse(br *bufio.Reader, body *[]byte) (status int, closeConn bool, err error) {
	for first := true; ; first = false {
		line, err := br.ReadSlice('\n')
		if err != nil {
			if err == io.EOF && first && len(line) == 0 {
				return 0, true, closedError{}
			}
			return 0, true, lineErr(err)
		}
		status, http10, err := parseStatusLine(line)
		if err != nil {
			return 0, true, err
		}
		closeConn = http10
		length := int64(-1)
		chunked, otherCoding := false, false
		for {
			line, err = br.ReadSlice('\n')
			if err != nil {
				return 0, true, lineErr(err)
			}
			line = trimCRLF(line)
			if len(line) == 0 {
				break
			}
			colon := indexByte(line, ':')
			if colon <= 0 {
				return 0, true, errHeaderLine
			}
			name, value := line[:colon], trimSpace(line[colon+1:])
			switch {
			case foldEqual(name, "content-length"):
				if length, err = parseLength(value); err != nil {
					return 0, true, err
				}
			case foldEqual(name, "transfer-encoding"):
				// Transfer codings other than chunked end in chunked
				// (RFC 9112 §6.1); anything else reads to EOF.
				chunked = hasToken(value, "chunked")
				otherCoding = !chunked
			case foldEqual(name, "connection"):
				if hasToken(value, "close") {
					closeConn = true
				} else if http10 && hasToken(value, "keep-alive") {
					closeConn = false
				}
			}
		}
		switch {
		case status == 101:
			return status, true, errUpgrade
		case status < 200:
			continue // 100 Continue, 103 Early Hints: the real answer follows
		}
		if otherCoding {
			length = -1 // Transfer-Encoding overrides Content-Length
		}
		keep := status > 299
		*body = (*body)[:0]
		switch {
		case status == 204 || status == 304:
		case chunked:
			err = readChunked(br, body, keep)
		case length >= 0:
			err = readBody(br, length, body, keep)
		default: // no framing: the body runs to the end of the connection
			closeConn = true
			err = readBody(br, math.MaxInt64, body, keep)
			if err == io.EOF {
				err = nil
			}
		}
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return status, closeConn || err != nil, err
	}
}

// lineErr turns a ReadSlice error into the error to report.
func lineErr(err error) error {
	switch err {
	case bufio.ErrBufferFull:
		return errHeaderLong
	case io.EOF:
		return io.ErrUnexpectedEOF
	}
	return err
}

// parseStatusLine parses "HTTP/1.x NNN reason".
func parseStatusLine(line []byte) (status int, http10 bool, err error) {
	line = trimCRLF(line)
	if len(line) < 12 || string(line[:7]) != "HTTP/1." || line[8] != ' ' ||
		(len(line) > 12 && line[12] != ' ') {
		return 0, false, errStatusLine
	}
	for _, b := range line[9:12] {
		if b < '0' || b > '9' {
			return 0, false, errStatusLine
		}
		status = status*10 + int(b-'0')
	}
	if status < 100 {
		return 0, false, errStatusLine
	}
	return status, line[7] == '0', nil
}

// parseLength parses a Content-Length value.
func parseLength(v []byte) (int64, error) {
	if len(v) == 0 || len(v) > 18 {
		return 0, errLength
	}
	var n int64
	for _, b := range v {
		if b < '0' || b > '9' {
			return 0, errLength
		}
		n = n*10 + int64(b-'0')
	}
	return n, nil
}

// readBody consumes n bytes (or up to EOF), keeping the first cap(*body)
// of them in *body when keep is set.
func readBody(br *bufio.Reader, n int64, body *[]byte, keep bool) error {
	if keep {
		b := *body
		for n > 0 && len(b) < cap(b) {
			room := b[len(b) : len(b)+int(min(int64(cap(b)-len(b)), n))]
			m, err := br.Read(room)
			b = b[:len(b)+m]
			n -= int64(m)
			if err != nil {
				*body = b
				return err
			}
		}
		*body = b
	}
	for n > 0 {
		step := int(min(n, math.MaxInt32))
		m, err := br.Discard(step)
		n -= int64(m)
		if err != nil {
			return err
		}
	}
	return nil
}

// readChunked consumes a chunked body (RFC 9112 §7.1), trailers included.
func readChunked(br *bufio.Reader, body *[]byte, keep bool) error {
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return lineErr(err)
		}
		line = trimCRLF(line)
		if i := indexByte(line, ';'); i >= 0 {
			line = line[:i] // chunk extensions
		}
		line = trimSpace(line)
		if len(line) == 0 {
			return errChunk
		}
		var size int64
		for _, b := range line {
			d := unhex(b)
			if d < 0 || size > maxChunk {
				return errChunk
			}
			size = size*16 + int64(d)
		}
		if size == 0 {
			break
		}
		if err := readBody(br, size, body, keep); err != nil {
			return err
		}
		if line, err = br.ReadSlice('\n'); err != nil {
			return lineErr(err)
		}
		if len(trimCRLF(line)) != 0 {
			return errChunk
		}
	}
	for { // trailer section, ended by an empty line
		line, err := br.ReadSlice('\n')
		if err != nil {
			return lineErr(err)
		}
		if len(trimCRLF(line)) == 0 {
			return nil
		}
	}
}

func unhex(b byte) int {
	switch {
	case '0' <= b && b <= '9':
		return int(b - '0')
	case 'a' <= b && b <= 'f':
		return int(b-'a') + 10
	case 'A' <= b && b <= 'F':
		return int(b-'A') + 10
	}
	return -1
}

func trimCRLF(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// foldEqual reports whether b equals the lower-case ASCII string s, ignoring
// ASCII case, without allocating.
func foldEqual(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// hasToken reports whether the comma-separated list v holds token (lower
// case), ignoring ASCII case and surrounding whitespace.
func hasToken(v []byte, token string) bool {
	for len(v) > 0 {
		i := indexByte(v, ',')
		item := v
		if i >= 0 {
			item, v = v[:i], v[i+1:]
		} else {
			v = nil
		}
		if foldEqual(trimSpace(item), token) {
			return true
		}
	}
	return false
}
