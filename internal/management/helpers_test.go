package management_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// decodeClaims returns a JWT's claims without verifying it (the token
// endpoint's tests verify signatures; these tests look at grants).
func decodeClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
