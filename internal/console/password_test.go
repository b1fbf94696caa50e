package console

import (
	"crypto/rand"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/management"
)

func TestPasswordHash(t *testing.T) {
	h, err := hashPassword(rand.Reader, "s3cret passphrase")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q", h)
	}
	if h2, _ := hashPassword(rand.Reader, "s3cret passphrase"); h2 == h {
		t.Fatal("same salt twice")
	}
	for _, c := range []struct {
		pw   string
		want bool
	}{{"s3cret passphrase", true}, {"s3cret passphrasE", false}, {"", false}} {
		if ok, err := verifyPassword(c.pw, h); err != nil || ok != c.want {
			t.Errorf("verify %q = %v, %v", c.pw, ok, err)
		}
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$AAAA$AAAA", "$argon2id$v=18$m=1,t=1,p=1$AAAA$AAAA",
		"$argon2id$v=19$m=0,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=99999999,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=8,t=1,p=1$!!$AAAA",
		"$argon2id$v=19$m=8,t=1,p=1$AAAA$"} {
		if ok, err := verifyPassword("x", bad); ok || !errors.Is(err, errBadHash) {
			t.Errorf("verify against %q = %v, %v", bad, ok, err)
		}
	}
}

func TestLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newLimiter(func() time.Time { return now })
	u := rule{"u", 5}
	for range 5 {
		if d := l.reserve(u); d != 0 {
			t.Fatalf("refused before 5: %v", d)
		}
	}
	if d := l.reserve(u); d != limitWindow {
		t.Fatalf("refused after 5: %v", d)
	}
	now = now.Add(limitWindow - time.Minute)
	if d := l.reserve(u); d != time.Minute {
		t.Fatalf("later: %v", d)
	}
	now = now.Add(time.Minute)
	if d := l.reserve(u); d != 0 {
		t.Fatalf("after the window: %v", d)
	}
	// A refused reservation counts against no rule; a refunded one is
	// given back, and the pair forgotten.
	a, b := rule{"a", 1}, rule{"b", 3}
	l.reserve(a, b)
	if d := l.reserve(a, b); d == 0 || l.seen["b"].failures != 1 {
		t.Fatalf("refusal counted: %v %d", d, l.seen["b"].failures)
	}
	l.refund("a", a, b)
	if _, ok := l.seen["a"]; ok || l.seen["b"].failures != 0 {
		t.Fatalf("after refund: %v", l.seen)
	}
	if d := l.reserve(a, b); d != 0 {
		t.Fatalf("after refund: %v", d)
	}
	// The map stays bounded: expired windows are swept when it is full.
	for i := range limitMaxKeys + 10 {
		l.reserve(rule{string(rune(i)), 5})
	}
	if len(l.seen) > limitMaxKeys {
		t.Fatalf("%d entries", len(l.seen))
	}
}

func TestFormError(t *testing.T) {
	f := &form{Errors: map[string]string{}}
	if err := formError(f, &management.Error{Status: 422, Code: "role.name_in_use", Message: "taken"}); err != nil || f.Errors["name"] != "taken." {
		t.Fatalf("field code: %v %v", err, f.Errors)
	}
	f = &form{Errors: map[string]string{}}
	g := &management.Error{Status: 400, Code: "guard.invalid_input", Data: map[string]any{
		"issues": []map[string]any{{"path": []any{"primaryEmail"}, "message": "Invalid"}}}}
	if err := formError(f, g); err != nil || f.Errors["primaryEmail"] != "Enter an email address, like ada@example.com." {
		t.Fatalf("guard issue: %v %v", err, f.Errors)
	}
	f = &form{Errors: map[string]string{}}
	if err := formError(f, &management.Error{Status: 404, Code: "entity.not_found", Message: "gone"}); err != nil || f.Error != "gone." {
		t.Fatalf("general: %v %+v", err, f)
	}
	boom := errors.New("boom")
	if err := formError(f, boom); err != boom {
		t.Fatalf("unexpected error kept: %v", err)
	}
	if err := formError(f, &management.Error{Status: http.StatusInternalServerError, Code: "x"}); err == nil {
		t.Fatal("a 500 is not the form's fault")
	}
}

// BenchmarkVerifyPassword is the cost of one sign-in's hash (and so what a
// guessed password costs the server).
func BenchmarkVerifyPassword(b *testing.B) {
	h, _ := hashPassword(rand.Reader, "s3cret passphrase")
	b.ReportAllocs()
	for b.Loop() {
		verifyPassword("s3cret passphrase", h)
	}
}

// TestUnknownAdminHash: the fixed hash checked for unknown usernames has the
// parameters of hashPassword's hashes, so it costs the same to verify.
func TestUnknownAdminHash(t *testing.T) {
	h, err := hashPassword(rand.Reader, "x")
	if err != nil {
		t.Fatal(err)
	}
	params := func(s string) string { return s[:strings.LastIndex(s[:strings.LastIndex(s, "$")], "$")] }
	if params(unknownAdminHash) != params(h) {
		t.Fatalf("parameters differ: %s vs %s", params(unknownAdminHash), params(h))
	}
	if ok, err := verifyPassword("x", unknownAdminHash); err != nil || ok {
		t.Fatalf("verify: %v %v", ok, err)
	}
}
