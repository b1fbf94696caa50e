package app

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestMiddlewarePanicAndRequestID(t *testing.T) {
	var logs bytes.Buffer
	log := NewLogger(&logs, "json", "info")
	mux := http.NewServeMux()
	mux.HandleFunc("/boom", func(w http.ResponseWriter, r *http.Request) { panic("kaboom") })
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		log.InfoContext(r.Context(), "handled")
		w.WriteHeader(204)
	})
	h := withMiddleware(mux, log)

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/boom", nil))
	if w.Code != 500 || w.Body.String() != `{"message":"Internal server error."}` || strings.Contains(w.Body.String(), "kaboom") {
		t.Fatalf("panic answer %d %q", w.Code, w.Body)
	}
	id := w.Header().Get(RequestIDHeader)
	if len(id) != 16 || !strings.Contains(logs.String(), `"request_id":"`+id+`"`) || !strings.Contains(logs.String(), "kaboom") {
		t.Fatalf("request id %q, logs %s", id, logs.String())
	}

	seen := map[string]bool{id: true}
	for range 100 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/ok", nil))
		id := w.Header().Get(RequestIDHeader)
		if len(id) != 16 || seen[id] || w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("request id %q (seen %v)", id, seen[id])
		}
		seen[id] = true
	}
	if strings.Count(logs.String(), `"msg":"handled"`) != 100 {
		t.Fatal("handler logs missing")
	}
}
