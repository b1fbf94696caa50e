package secret

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"strings"
	"sync"
	"testing"
)

func testBox(t *testing.T, key byte) *Box {
	t.Helper()
	b, err := NewBox(bytes.Repeat([]byte{key}, KeySize), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealOpen(t *testing.T) {
	b := testBox(t, 1)
	sealed, err := b.Seal(PurposeAppSecret, []byte("s3cret"))
	if err != nil || bytes.Contains(sealed, []byte("s3cret")) {
		t.Fatalf("seal: %v", err)
	}
	if got, err := b.Open(PurposeAppSecret, sealed); err != nil || string(got) != "s3cret" {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := b.Open(PurposeSigningKey, sealed); !errors.Is(err, ErrOpen) {
		t.Fatalf("other purpose opened: %v", err)
	}
	if _, err := testBox(t, 2).Open(PurposeAppSecret, sealed); !errors.Is(err, ErrOpen) {
		t.Fatalf("other key opened: %v", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := b.Open(PurposeAppSecret, sealed); !errors.Is(err, ErrOpen) {
		t.Fatalf("damaged value opened: %v", err)
	}
	if _, err := b.Open(PurposeAppSecret, []byte{1, 2}); !errors.Is(err, ErrOpen) {
		t.Fatalf("short value: %v", err)
	}
	if _, err := NewBox(make([]byte, 16), rand.Reader); err == nil {
		t.Fatal("16-byte master key accepted")
	}
}

// TestDigest: keyed (other master key, other digest), stable, and the same
// as a fresh HMAC-SHA256 however many goroutines share the pooled states.
func TestDigest(t *testing.T) {
	b1, b2 := testBox(t, 1), testBox(t, 2)
	if !Equal(b1.Digest("x"), b1.Digest("x")) || Equal(b1.Digest("x"), b2.Digest("x")) || Equal(b1.Digest("x"), b1.Digest("y")) {
		t.Fatal("digest is not a keyed function of the secret")
	}
	want := func(s string) []byte {
		m := hmac.New(sha256.New, derive(bytes.Repeat([]byte{1}, KeySize), "gatehouse digest key v1"))
		m.Write([]byte(s))
		return m.Sum(nil)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 500 {
				s := strings.Repeat("k", g*7+i%13)
				if !bytes.Equal(b1.Digest(s), want(s)) {
					t.Errorf("digest of %q differs from HMAC-SHA256", s)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestRandomFormats(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		id, _ := NewID(rand.Reader)
		sec, _ := NewSecret(rand.Reader)
		jti, _ := NewTokenID(rand.Reader)
		if len(id) != 21 || strings.Trim(id, lowerAlnum) != "" || len(sec) != 32 || strings.Trim(sec, alnum) != "" || len(jti) != 43 || seen[id] {
			t.Fatalf("id %q secret %q jti %q", id, sec, jti)
		}
		seen[id] = true
	}
	a, _ := NewTimeID(1_000, rand.Reader)
	b, _ := NewTimeID(1_001, rand.Reader)
	c, _ := NewTimeID(99_999_999_999_999, rand.Reader)
	if len(a) != 21 || strings.Trim(a, lowerAlnum) != "" || !(a < b && b < c) {
		t.Fatalf("time ids do not sort by time: %q %q %q", a, b, c)
	}
}

func TestKeyFile(t *testing.T) {
	p := t.TempDir() + "/k/master.key"
	k, err := CreateKeyFile(p, rand.Reader)
	if err != nil || len(k) != KeySize {
		t.Fatal(err)
	}
	if _, err := CreateKeyFile(p, rand.Reader); err == nil {
		t.Fatal("an existing key file was replaced")
	}
	got, err := ReadKeyFile(p)
	if err != nil || !bytes.Equal(got, k) {
		t.Fatalf("read back: %v", err)
	}
	if _, err := ParseKey("c2hvcnQ="); err == nil {
		t.Fatal("short key accepted")
	}
}
