package bench

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// TestBaselineSigns: the baseline does the real work it stands for, a
// valid ES256 signature per token, and refuses a wrong secret.
func TestBaselineSigns(t *testing.T) {
	h, err := Baseline("id", "secret")
	if err != nil {
		t.Fatal(err)
	}
	do := func(secret string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/oidc/token", strings.NewReader("resource=https://api&scope=read"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("id", secret)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	if w := do("wrong"); w.Code != http.StatusUnauthorized {
		t.Fatalf("wrong secret: %d", w.Code)
	}
	w := do("secret")
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &body) != nil {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	jws, err := jose.ParseSigned(body.AccessToken, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	payload, err := jws.Verify(h.(*baseline).key.Public())
	if err != nil || !strings.Contains(string(payload), `"aud":"https://api"`) {
		t.Fatalf("verify: %v %s", err, payload)
	}
}
