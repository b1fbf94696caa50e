package token

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// Claims are the claims of an access token (spec §2.9). Mint writes them in
// Logto's order: jti sub iat exp [scope] client_id iss aud [organization_id] [cnf],
// preceded by the members of Extra.
type Claims struct {
	JTI      string // token id
	Subject  string // sub: the client id, as there is no user
	ClientID string // client_id
	Issuer   string // iss: <endpoint>/oidc
	Audience string // aud: a single string, the resource indicator

	IssuedAt int64 // iat, epoch seconds
	Expiry   int64 // exp, epoch seconds

	Scope    string // space-joined granted scopes
	HasScope bool   // false: no "scope" member; true with Scope == "": "scope":""

	OrganizationID string // organization_id; "" leaves it out

	// JKT binds the token to a DPoP key (RFC 9449 §6.1): the key's RFC 7638
	// thumbprint, base64url, written as "cnf":{"jkt":...}; "" leaves it out.
	JKT string

	// Extra is an optional JSON object of custom claims (the JWT
	// customizer's output). Its members come first. Members named like a
	// standard claim (jti sub iat exp scope client_id iss aud) are dropped;
	// its organization_id wins over OrganizationID. Null or empty means none.
	Extra json.RawMessage
}

// ErrSignature is returned when the signer produced a signature of an
// unexpected form.
var ErrSignature = errors.New("token: malformed signature")

// scratchSize is the stack buffer for the payload JSON; typical access
// tokens need about 250 bytes, and larger ones simply spill to the heap.
const scratchSize = 512

// Mint appends to dst the compact JWS of c, with the JOSE header
// {"alg":<alg>,"typ":"at+jwt","kid":<kid>}, signed by k, and returns the
// extended slice. On error it returns dst unchanged.
func (k *Key) Mint(dst []byte, c *Claims) ([]byte, error) {
	var scratch [scratchSize]byte
	payload, err := appendClaims(scratch[:0], c)
	if err != nil {
		return dst, err
	}

	b64 := base64.RawURLEncoding
	start := len(dst)
	dst = slices.Grow(dst, len(k.head)+b64.EncodedLen(len(payload))+1+b64.EncodedLen(k.sigLen))
	dst = append(dst, k.head...)
	dst = b64.AppendEncode(dst, payload)
	input := dst[start:]

	switch {
	case k.ec != nil:
		var sig [2 * 66]byte // R || S, room for P-521
		if err := k.signEC(sig[:k.sigLen], input); err != nil {
			return dst[:start], err
		}
		dst = append(dst, '.')
		dst = b64.AppendEncode(dst, sig[:k.sigLen])
	case k.ed != nil:
		sig := ed25519.Sign(k.ed, input)
		dst = append(dst, '.')
		dst = b64.AppendEncode(dst, sig)
	case k.rsa != nil:
		sum := sha256.Sum256(input)
		sig, err := rsa.SignPKCS1v15(nil, k.rsa, crypto.SHA256, sum[:])
		if err != nil {
			return dst[:start], fmt.Errorf("token: sign RS256: %w", err)
		}
		dst = append(dst, '.')
		dst = b64.AppendEncode(dst, sig)
	default:
		return dst[:start], fmt.Errorf("%w: key %q was not made by NewKey", ErrUnsupportedKey, k.ID)
	}
	return dst, nil
}

// signEC writes the JWS ECDSA signature of input (R || S, each padded to
// half of out, RFC 7518 §3.4) into out. The digest is SHA-256, SHA-384 or
// SHA-512 by curve size.
func (k *Key) signEC(out, input []byte) error {
	var digest []byte
	var hash crypto.Hash
	switch len(out) {
	case 64:
		sum := sha256.Sum256(input)
		digest, hash = sum[:], crypto.SHA256
	case 96:
		sum := sha512.Sum384(input)
		digest, hash = sum[:], crypto.SHA384
	default:
		sum := sha512.Sum512(input)
		digest, hash = sum[:], crypto.SHA512
	}
	// Deterministic ECDSA (RFC 6979: Sign with a nil random source): the
	// nonce is derived from the key and the message, so a weak or failing
	// random source can never leak the key, and it costs about a third less
	// than a randomized signature (BenchmarkMintES256). Every token carries
	// a fresh random jti, so no message is ever signed twice. Sign plus the
	// DER walk below is cheaper than ecdsa.Sign, which parses the same DER
	// into two big.Ints.
	der, err := k.ec.Sign(nil, digest, hash)
	if err != nil {
		return fmt.Errorf("token: sign %s: %w", k.Alg, err)
	}
	return derToJOSE(out, der)
}

// derToJOSE converts an ASN.1 DER ECDSA signature, SEQUENCE { INTEGER r,
// INTEGER s }, into fixed-size big-endian R || S in out.
func derToJOSE(out, der []byte) error {
	if len(der) < 2 || der[0] != 0x30 {
		return ErrSignature
	}
	n, rest := int(der[1]), der[2:]
	if n == 0x81 { // long form; P-521 signatures exceed 127 bytes
		if len(rest) < 1 || rest[0] < 0x80 {
			return ErrSignature
		}
		n, rest = int(rest[0]), rest[1:]
	} else if n > 0x7f {
		return ErrSignature
	}
	if n != len(rest) {
		return ErrSignature
	}
	size := len(out) / 2
	rest, err := derInt(out[:size], rest)
	if err != nil {
		return err
	}
	if rest, err = derInt(out[size:], rest); err != nil {
		return err
	}
	if len(rest) != 0 {
		return ErrSignature
	}
	return nil
}

// derInt reads one positive DER INTEGER (short-form length) from der into
// out, left-padded with zeros, and returns the remaining input.
func derInt(out, der []byte) ([]byte, error) {
	if len(der) < 2 || der[0] != 0x02 {
		return nil, ErrSignature
	}
	n := int(der[1])
	if n == 0 || n > 0x7f || len(der) < 2+n {
		return nil, ErrSignature
	}
	v, rest := der[2:2+n], der[2+n:]
	if v[0]&0x80 != 0 { // negative
		return nil, ErrSignature
	}
	if len(v) > 1 && v[0] == 0 {
		v = v[1:]
	}
	if len(v) > len(out) {
		return nil, ErrSignature
	}
	pad := len(out) - len(v)
	clear(out[:pad])
	copy(out[pad:], v)
	return rest, nil
}

// appendClaims appends the payload JSON of c.
func appendClaims(b []byte, c *Claims) ([]byte, error) {
	b = append(b, '{')
	if len(c.Extra) > 0 {
		var err error
		if b, err = appendExtra(b, c.Extra); err != nil {
			return b, err
		}
	}
	b = append(b, `"jti":`...)
	b = appendJSONString(b, c.JTI)
	b = append(b, `,"sub":`...)
	b = appendJSONString(b, c.Subject)
	b = append(b, `,"iat":`...)
	b = strconv.AppendInt(b, c.IssuedAt, 10)
	b = append(b, `,"exp":`...)
	b = strconv.AppendInt(b, c.Expiry, 10)
	if c.HasScope {
		b = append(b, `,"scope":`...)
		b = appendJSONString(b, c.Scope)
	}
	b = append(b, `,"client_id":`...)
	b = appendJSONString(b, c.ClientID)
	b = append(b, `,"iss":`...)
	b = appendJSONString(b, c.Issuer)
	b = append(b, `,"aud":`...)
	b = appendJSONString(b, c.Audience)
	if c.OrganizationID != "" {
		b = append(b, `,"organization_id":`...)
		b = appendJSONString(b, c.OrganizationID)
	}
	if c.JKT != "" {
		b = append(b, `,"cnf":{"jkt":`...)
		b = appendJSONString(b, c.JKT)
		b = append(b, '}')
	}
	return append(b, '}'), nil
}
