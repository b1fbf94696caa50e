package bench

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fixedResponse is a realistic token response: the headers Gatehouse sends
// and a body the size of an ES256 access token answer.
func fixedResponse() []byte {
	body := `{"access_token":"` + strings.Repeat("x", 600) + `","token_type":"Bearer","expires_in":3600}`
	return []byte("HTTP/1.1 200 OK\r\n" +
		"Content-Type: application/json\r\n" +
		"Cache-Control: no-store\r\n" +
		"Pragma: no-cache\r\n" +
		"Date: Sun, 22 Nov 2026 00:00:00 GMT\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
}

// rawServer answers every request on ln with fixedResponse. It is written
// to allocate nothing per request, so that allocs/op measures the client.
func rawServer(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			br := bufio.NewReaderSize(c, readBufSize)
			resp := fixedResponse()
			for {
				length := int64(0)
				for {
					line, err := br.ReadSlice('\n')
					if err != nil {
						return
					}
					line = trimCRLF(line)
					if len(line) == 0 {
						break
					}
					if i := indexByte(line, ':'); i > 0 && foldEqual(line[:i], "content-length") {
						length, _ = parseLength(trimSpace(line[i+1:]))
					}
				}
				if _, err := br.Discard(int(length)); err != nil {
					return
				}
				if _, err := c.Write(resp); err != nil {
					return
				}
			}
		}()
	}
}

// BenchmarkClientRoundTrip measures one keep-alive request/response on
// loopback through the bench client (the server side is a raw loop that
// allocates nothing), recording latency as a run does.
func BenchmarkClientRoundTrip(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go rawServer(ln)

	o := options{
		url: "http://" + ln.Addr().String() + "/oidc/token", creds: []credential{{testID, testSecret}},
		auth: authBasic, resource: testRes, scope: testScope, conns: 1, timeout: 5 * time.Second,
	}
	u, _ := url.Parse(o.url)
	t := &target{addr: ln.Addr().String(), requests: buildRequests(u, o), timeout: o.timeout}
	w := newWorker(0, t)
	s := &schedule{timeout: o.timeout, conns: 1}
	ctx := context.Background()
	w.send(ctx, s, true, time.Now(), time.Now()) // connect outside the timing
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		now := time.Now()
		w.send(ctx, s, true, now, now)
	}
	b.StopTimer()
	if w.st.errs != [numKinds]uint64{} || w.st.status[200] != w.st.hist.count() {
		b.Fatalf("errors %v, status 200 %d of %d", w.st.errs, w.st.status[200], w.st.hist.count())
	}
	w.c.close()
}

// BenchmarkReadResponse is the client's parsing cost per token response,
// without the network.
func BenchmarkReadResponse(b *testing.B) {
	one := fixedResponse()
	r := bytes.NewReader(nil)
	stream := bytes.Repeat(one, 1000)
	br := bufio.NewReaderSize(r, readBufSize)
	body := make([]byte, 0, keepBody)
	b.SetBytes(int64(len(one)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i%1000 == 0 {
			r.Reset(stream)
			br.Reset(r)
		}
		i++
		if _, _, err := readResponse(br, &body); err != nil {
			b.Fatal(err)
		}
	}
}
