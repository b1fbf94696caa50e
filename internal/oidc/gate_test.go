package oidc

import (
	"context"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/grant"
	"github.com/gatehouse/gatehouse/internal/prio"
)

// gateGrants is one app and one resource.
type gateGrants struct{ countingGrants }

func (g *gateGrants) Resource(_ context.Context, _, indicator string) (*grant.Resource, bool, error) {
	if indicator == "https://api.test" {
		return &grant.Resource{ID: "r", Indicator: indicator, TTL: 3600}, true, nil
	}
	return nil, false, nil
}

// TestSignatureWaitsForGate: while a database-bound request is in flight
// (the gate closed) and the gate's only slot is taken, a token request
// waits before its signature and is answered once the slot is given
// back; with the gate open nothing waits.
func TestSignatureWaitsForGate(t *testing.T) {
	_, set := oneKey(t)
	sum := sha256.Sum256([]byte("the-right-secret"))
	grants := &gateGrants{countingGrants{app: &grant.Client{ID: "app", Secrets: []grant.Secret{{Name: "s", Digest: sum[:]}}}}}
	gate := prio.NewGate(2, time.Hour) // one slot while closed
	h := Handler(Config{
		Issuer: "http://localhost:3001/oidc", Grants: grants, Digest: &countingDigest{}, Audit: &limitAudit{},
		Keys: fixedKeys{set}, Gate: gate,
	})
	request := func() <-chan int {
		done := make(chan int, 1)
		go func() {
			req := httptest.NewRequest("POST", "/oidc/token", strings.NewReader(
				"grant_type=client_credentials&client_id=app&client_secret=the-right-secret&resource=https%3A%2F%2Fapi.test"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				t.Errorf("token request: %d %s", w.Code, w.Body)
			}
			done <- w.Code
		}()
		return done
	}
	select {
	case <-request():
	case <-time.After(10 * time.Second):
		t.Fatal("a token request with the gate open did not finish")
	}

	gate.BeginUrgent()
	defer gate.EndUrgent()
	if !gate.EnterBulk() {
		t.Fatal("the closed gate gave no slot")
	}
	done := request()
	select {
	case <-done:
		t.Fatal("a token was signed while the gate's only slot was held")
	case <-time.After(100 * time.Millisecond):
	}
	gate.LeaveBulk()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the token request did not finish after the slot was given back")
	}
}
