package oidc

import (
	"crypto/rand"
	"encoding/base64"
	"net/url"
	"testing"

	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/token"
)

// fixedKeys serves one key set.
type fixedKeys struct{ set *token.Set }

func (k fixedKeys) Keys() *token.Set { return k.set }

// oneKey returns a new current ES256 key and the set holding only it.
func oneKey(tb testing.TB) (*token.Key, *token.Set) {
	tb.Helper()
	signer, err := token.Generate("ES256", rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	key, err := token.NewKey("k", signer, rbac.KeyCurrent, 0, nil)
	if err != nil {
		tb.Fatal(err)
	}
	set, err := token.NewSet([]*token.Key{key})
	if err != nil {
		tb.Fatal(err)
	}
	return key, set
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// formEscape is how clients (golang.org/x/oauth2 among them) encode Basic
// credentials: application/x-www-form-urlencoded.
func formEscape(s string) string { return url.QueryEscape(s) }
