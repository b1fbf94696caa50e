package secret

import (
	"encoding/base64"
	"fmt"
	"io"
)

const (
	lowerAlnum = "0123456789abcdefghijklmnopqrstuvwxyz"
	alnum      = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)

// IDLength and SecretLength are Logto's "standard id" and "standard secret"
// lengths (spec §1.1).
const (
	IDLength     = 21
	SecretLength = 32
)

// NewID returns a 21-character id over [0-9a-z], as Logto makes entity ids.
func NewID(r io.Reader) (string, error) { return randomString(r, lowerAlnum, IDLength) }

// NewSecret returns a 32-character application secret over [0-9a-zA-Z].
func NewSecret(r io.Reader) (string, error) { return randomString(r, alnum, SecretLength) }

// NewTokenID returns a 43-character URL-safe token id (256 random bits), the
// shape of the jti Logto puts in access tokens.
func NewTokenID(r io.Reader) (string, error) {
	var b [32]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("secret: read random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// AppendTokenID appends a new token id to dst without allocating beyond dst's growth.
func AppendTokenID(dst []byte, r io.Reader) ([]byte, error) {
	var b [32]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return dst, fmt.Errorf("secret: read random: %w", err)
	}
	return base64.RawURLEncoding.AppendEncode(dst, b[:]), nil
}

// randomString draws n characters uniformly from alphabet by rejection
// sampling, so that no character is more likely than another.
func randomString(r io.Reader, alphabet string, n int) (string, error) {
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/2)
	for len(out) < n {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("secret: read random: %w", err)
		}
		for _, c := range buf {
			if int(c) < limit {
				out = append(out, alphabet[int(c)%len(alphabet)])
				if len(out) == n {
					break
				}
			}
		}
	}
	return string(out), nil
}

// NewTimeID returns a 21-character id over [0-9a-z] that sorts by time: 9
// base-36 digits of the epoch milliseconds (good until the year 5138), then
// 12 random characters (62 bits). Audit log entries use it, so that their
// index grows at its end instead of at random places, which keeps inserts
// cheap as the log grows.
func NewTimeID(nowMs int64, r io.Reader) (string, error) {
	var b [IDLength]byte
	v := uint64(max(nowMs, 0))
	for i := 8; i >= 0; i-- {
		b[i] = lowerAlnum[v%36]
		v /= 36
	}
	rnd, err := randomString(r, lowerAlnum, IDLength-9)
	if err != nil {
		return "", err
	}
	copy(b[9:], rnd)
	return string(b[:]), nil
}
