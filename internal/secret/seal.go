package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"
)

// KeySize is the master key size in bytes.
const KeySize = 32

// ErrOpen means a sealed value could not be opened: it was sealed under
// another master key, for another purpose, or it is damaged.
var ErrOpen = errors.New("secret: cannot open sealed value (wrong master key?)")

// Purposes bind a sealed value to what it is, so that one kind of sealed
// value cannot be passed off as another.
const (
	PurposeAppSecret  = "gatehouse/app-secret/v1"
	PurposeSigningKey = "gatehouse/signing-key/v1"
	PurposeCanary     = "gatehouse/canary/v1"
	// PurposeCustomizerEnv seals the JWT customizer's environment
	// variables (they often hold credentials).
	PurposeCustomizerEnv = "gatehouse/customizer-env/v1"
)

// Box seals and opens values under the master key and computes secret
// digests. It is safe for concurrent use.
type Box struct {
	aead cipher.AEAD
	rand io.Reader
	// macs holds keyed HMAC-SHA256 states: the token endpoint computes a
	// digest per request, and reusing a state (Reset restores the key)
	// saves setting the key up again and two allocations.
	macs sync.Pool
}

// NewBox returns a Box for the 32-byte master key; rand supplies nonces.
func NewBox(masterKey []byte, rand io.Reader) (*Box, error) {
	if len(masterKey) != KeySize {
		return nil, fmt.Errorf("secret: master key must be %d bytes, got %d", KeySize, len(masterKey))
	}
	encKey := derive(masterKey, "gatehouse seal key v1")
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	b := &Box{aead: aead, rand: rand}
	digestKey := derive(masterKey, "gatehouse digest key v1")
	b.macs.New = func() any { return hmac.New(sha256.New, digestKey) }
	return b, nil
}

func derive(key []byte, label string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// Seal encrypts plaintext for purpose; the result is nonce || ciphertext.
func (b *Box) Seal(purpose string, plaintext []byte) ([]byte, error) {
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(plaintext)+b.aead.Overhead())
	if _, err := io.ReadFull(b.rand, nonce); err != nil {
		return nil, fmt.Errorf("secret: read nonce: %w", err)
	}
	return b.aead.Seal(nonce, nonce, plaintext, []byte(purpose)), nil
}

// Open decrypts a value made by Seal with the same purpose.
func (b *Box) Open(purpose string, sealed []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n+b.aead.Overhead() {
		return nil, ErrOpen
	}
	out, err := b.aead.Open(nil, sealed[:n], sealed[n:], []byte(purpose))
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}

// DigestSize is the size of a secret digest.
const DigestSize = sha256.Size

// Digest returns the keyed SHA-256 digest (HMAC-SHA256) of a secret. Keyed,
// so that a copy of the database alone does not allow testing guesses of
// low-entropy secrets such as a hand-picked bootstrap secret.
func (b *Box) Digest(secret string) []byte {
	return b.AppendDigest(make([]byte, 0, DigestSize), secret)
}

// AppendDigest appends the digest of secret to dst.
func (b *Box) AppendDigest(dst []byte, secret string) []byte {
	m := b.macs.Get().(hash.Hash)
	m.Reset()
	io.WriteString(m, secret)
	dst = m.Sum(dst)
	b.macs.Put(m)
	return dst
}

// Equal compares two digests in constant time.
func Equal(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }
