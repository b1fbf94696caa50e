package console

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	// argon2id (RFC 9106) is the password hash OWASP recommends; the
	// standard library has none, and x/crypto is the Go team's own.
	"golang.org/x/crypto/argon2"
)

// argon2id parameters: OWASP's first recommended set (19 MiB, 2 passes, 1
// lane), which keeps a sign-in near 30 ms on a small server.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// unknownAdminHash is verified against when a sign-in names no
// administrator, so that the answer costs the same work either way. It is
// a fixed hash (of a password nobody uses) with hashPassword's parameters:
// computing one at every start would cost a start 19 MiB and tens of
// milliseconds. TestUnknownAdminHash holds its parameters to hashPassword's.
const unknownAdminHash = "$argon2id$v=19$m=19456,t=2,p=1$E+H9x2UKGnAti2s/bGkrkA$HeMv8EeQuFuyUYroHZjDZnKdRlfaLqBQs/zQfbddjsE"

// hashPassword returns password's argon2id hash as a PHC string
// ($argon2id$v=19$m=…,t=…,p=…$salt$hash), with a random salt from rnd.
func hashPassword(rnd io.Reader, password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := io.ReadFull(rnd, salt); err != nil {
		return "", fmt.Errorf("console: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// errBadHash is a stored hash that cannot be read.
var errBadHash = errors.New("console: unreadable password hash")

// verifyPassword reports whether password matches the PHC string encoded,
// using the parameters stored in it (so stronger ones can come later).
func verifyPassword(password, encoded string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<22 || t > 64 {
		return false, errBadHash
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
