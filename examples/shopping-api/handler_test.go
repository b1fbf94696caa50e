package main

import (
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/protect/protecttest"
)

// TestHandler tests the API's routes the way an API author would, with
// package protecttest standing in for Gatehouse: real signed tokens with
// chosen scopes and claims, no authorization server running.
func TestHandler(t *testing.T) {
	const aud = "https://shopping.api"
	is := protecttest.NewIssuer(t)
	h := newHandler(is.Validator(t, aud), newStore(), slog.New(slog.DiscardHandler))
	token := func(c protecttest.Claims) string {
		if c.Audience == nil {
			c.Audience = []string{aud}
		}
		return is.Token(c)
	}
	reader := token(protecttest.Claims{ClientID: "daily-orders", Scopes: []string{"read:products"}})
	writer := token(protecttest.Claims{ClientID: "catalog-sync", Scopes: []string{"read:products", "write:products"}})

	tests := []struct {
		name, method, token, body string
		status                    int
		challenge                 string // a part of WWW-Authenticate
		response                  string // a part of the body
	}{
		{"reader lists", "GET", reader, "", 200, "", `"Espresso beans, 1 kg"`},
		{"reader cannot add", "POST", reader, `{"name":"Grinder","price":99}`, 403, `scope="write:products"`, ""},
		{"writer adds", "POST", writer, `{"name":"Grinder","price":99}`, 201, "", `"createdBy":"catalog-sync"`},
		{"writer's bad product", "POST", writer, `{"name":"","price":1}`, 400, "", "name must be"},
		{"no scope", "GET", token(protecttest.Claims{}), "", 403, `scope="read:products"`, ""},
		{"expired", "GET", token(protecttest.Claims{Scopes: []string{"read:products"}, Expiry: time.Now().Add(-time.Hour)}),
			"", 401, `error_description="token expired"`, ""},
		{"other API", "GET", token(protecttest.Claims{Audience: []string{"https://billing.api"}, Scopes: []string{"read:products"}}),
			"", 401, `error_description="audience mismatch"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := protecttest.Request(tt.method, "/products", tt.token)
			if tt.body != "" {
				r = httptest.NewRequest(tt.method, "/products", strings.NewReader(tt.body))
				r.Header.Set("Authorization", "Bearer "+tt.token)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			ch := w.Header().Get("WWW-Authenticate")
			if w.Code != tt.status || (tt.challenge == "") != (ch == "") || !strings.Contains(ch, tt.challenge) ||
				!strings.Contains(w.Body.String(), tt.response) {
				t.Fatalf("%d %q %s", w.Code, ch, w.Body)
			}
		})
	}
	// The product added above is listed, with its author.
	w := httptest.NewRecorder()
	h.ServeHTTP(w, protecttest.Request("GET", "/products", reader))
	var list []Product
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil || len(list) != 3 || list[2].CreatedBy != "catalog-sync" {
		t.Fatalf("list %s %v", w.Body, err)
	}
}
