package app

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync/atomic"
)

// RequestIDHeader carries each response's request id, under the name Logto
// uses (spec §4.13), so that log lines and client reports can be matched.
const RequestIDHeader = "Logto-Core-Request-Id"

type ctxKey struct{}

// RequestID returns the id of the request ctx belongs to.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// idSource makes 16-character request ids: a random per-process prefix and
// a counter, unique without a random read per request.
type idSource struct {
	prefix [8]byte
	n      atomic.Uint64
}

func newIDSource() *idSource {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
	var s idSource
	var b [8]byte
	rand.Read(b[:])
	v := binary.LittleEndian.Uint64(b[:])
	for i := range s.prefix {
		s.prefix[i] = alphabet[v%36]
		v /= 36
	}
	return &s
}

func (s *idSource) next() string {
	var b [16]byte
	copy(b[:8], s.prefix[:])
	n := s.n.Add(1)
	d := strconv.AppendUint(make([]byte, 0, 13), n%(36*36*36*36*36*36*36*36), 36)
	for i := range 8 - len(d) {
		b[8+i] = '0'
	}
	copy(b[16-len(d):], d)
	return string(b[:])
}

// withMiddleware adds to every response a request id and baseline security
// headers, and turns a panic into a logged, generic 500.
func withMiddleware(next http.Handler, log *slog.Logger) http.Handler {
	ids := newIDSource()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := ids.next()
		h := w.Header()
		h[RequestIDHeader] = []string{id}
		h["X-Content-Type-Options"] = []string{"nosniff"}
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, id))
		rw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.ErrorContext(r.Context(), "panic serving request", "method", r.Method, "path", r.URL.Path,
					"panic", p, "stack", string(debug.Stack()))
				if !rw.wrote {
					w.Header().Set("Content-Type", "application/json; charset=utf-8")
					w.WriteHeader(http.StatusInternalServerError)
					w.Write([]byte(`{"message":"Internal server error."}`))
				}
			}
		}()
		next.ServeHTTP(rw, r)
	})
}

// statusWriter remembers whether the response has started.
type statusWriter struct {
	http.ResponseWriter
	wrote bool
}

// WriteHeader records that the response has started.
func (w *statusWriter) WriteHeader(code int) {
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

// Write records that the response has started.
func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
