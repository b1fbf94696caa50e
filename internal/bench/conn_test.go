package bench

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
)

// resp is one expected outcome of readResponse.
type resp struct {
	status    int
	closeConn bool
	body      string // kept body (non-2xx only)
	err       bool
}

func TestReadResponse(t *testing.T) {
	tests := []struct {
		name   string
		stream string
		want   []resp // responses read one after another from the stream
	}{
		{
			name: "content-length keep-alive, two in a row",
			stream: "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"a\":\"token\"}" +
				"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}",
			want: []resp{{status: 200}, {status: 200}},
		},
		{
			name: "chunked with extensions and trailers, then next response",
			stream: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
				"4;ext=1\r\nabcd\r\nA\r\n0123456789\r\n0\r\nX-Trailer: yes\r\n\r\n" +
				"HTTP/1.1 204 No Content\r\n\r\n",
			want: []resp{{status: 200}, {status: 204}},
		},
		{
			name: "chunked error body is kept across chunks",
			stream: "HTTP/1.1 401 Unauthorized\r\nTRANSFER-ENCODING: Chunked\r\n\r\n" +
				"9\r\n{\"error\":\r\n11\r\n\"invalid_client\"}\r\n0\r\n\r\n",
			want: []resp{{status: 401, body: `{"error":"invalid_client"}`}},
		},
		{
			name:   "long error body truncated",
			stream: "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 1000\r\n\r\n" + strings.Repeat("x", 1000),
			want:   []resp{{status: 500, body: strings.Repeat("x", keepBody)}},
		},
		{
			name:   "connection close header",
			stream: "HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n",
			want:   []resp{{status: 200, closeConn: true}},
		},
		{
			name:   "http/1.0 closes unless keep-alive",
			stream: "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
			want:   []resp{{status: 200, closeConn: true}, {status: 200}},
		},
		{
			name:   "no framing reads to EOF",
			stream: "HTTP/1.1 503 Service Unavailable\r\n\r\nbusy",
			want:   []resp{{status: 503, closeConn: true, body: "busy"}},
		},
		{
			name:   "interim 100 continue skipped",
			stream: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
			want:   []resp{{status: 200}},
		},
		{
			name:   "status line without reason",
			stream: "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
			want:   []resp{{status: 200}},
		},
		{name: "garbage status line", stream: "HTTP/2 200 OK\r\n\r\n", want: []resp{{err: true}}},
		{name: "bad content-length", stream: "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", want: []resp{{err: true}}},
		{name: "header without colon", stream: "HTTP/1.1 200 OK\r\nnope\r\n\r\n", want: []resp{{err: true}}},
		{name: "bad chunk size", stream: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", want: []resp{{err: true}}},
		{name: "truncated body", stream: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", want: []resp{{err: true}}},
		{name: "empty stream", stream: "", want: []resp{{err: true}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			br := bufio.NewReaderSize(strings.NewReader(tc.stream), readBufSize)
			body := make([]byte, 0, keepBody)
			for i, want := range tc.want {
				status, closeConn, err := readResponse(br, &body)
				if want.err {
					if err == nil {
						t.Fatalf("response %d: no error, status %d", i, status)
					}
					return
				}
				if err != nil {
					t.Fatalf("response %d: %v", i, err)
				}
				if status != want.status || closeConn != want.closeConn {
					t.Errorf("response %d: status %d close %v, want %d %v", i, status, closeConn, want.status, want.closeConn)
				}
				if want.status > 299 && string(body) != want.body {
					t.Errorf("response %d: body %q, want %q", i, body, want.body)
				}
			}
			if rest, _ := io.ReadAll(br); len(rest) != 0 {
				t.Errorf("unread bytes left: %q", rest)
			}
		})
	}
}

func TestReadResponseErrorKinds(t *testing.T) {
	body := make([]byte, 0, keepBody)
	_, _, err := readResponse(bufio.NewReader(strings.NewReader("HTTP/1.1 2x0 OK\r\n\r\n")), &body)
	if classify(err, kindRead) != kindProtocol {
		t.Errorf("malformed status: kind %v, want protocol", classify(err, kindRead))
	}
	_, _, err = readResponse(bufio.NewReader(strings.NewReader("")), &body)
	if !errors.Is(err, closedError{}) || classify(err, kindRead) != kindRead {
		t.Errorf("EOF before the answer: %v", err)
	}
	long := "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("a", 100) + "\r\n\r\n"
	_, _, err = readResponse(bufio.NewReaderSize(strings.NewReader(long), 32), &body)
	if !errors.Is(err, errHeaderLong) {
		t.Errorf("long header: %v", err)
	}
}

func TestHasTokenAndFold(t *testing.T) {
	if !hasToken([]byte("gzip, Chunked "), "chunked") || hasToken([]byte("chunkedx"), "chunked") {
		t.Error("hasToken")
	}
	if !foldEqual([]byte("Content-LENGTH"), "content-length") || foldEqual([]byte("content-lengths"), "content-length") {
		t.Error("foldEqual")
	}
}

func TestReadResponseAllocs(t *testing.T) {
	stream := strings.Repeat("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 20\r\nCache-Control: no-store\r\n\r\n{\"access_token\":\"x\"}"+
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 200)
	r := strings.NewReader(stream)
	br := bufio.NewReaderSize(r, readBufSize)
	body := make([]byte, 0, keepBody)
	allocs := testing.AllocsPerRun(100, func() {
		for range 2 {
			if _, _, err := readResponse(br, &body); err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs != 0 {
		t.Errorf("readResponse allocates %v times per pair", allocs)
	}
}
