package token

import (
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// ErrKeySet is returned by NewSet when the keys do not form a valid set.
var ErrKeySet = errors.New("token: invalid key set")

// Set is an immutable view of one tenant's signing keys: exactly one
// Current key, at most one Next and at most one Previous (spec §3.4), with
// the JWKS body and its ETag computed once. A Set is safe for concurrent
// use; rotating keys means building a new Set.
type Set struct {
	keys []*Key // Current, Next, Previous
	jwks []byte
	etag string
	algs []string
}

// NewSet builds the view of keys. It fails unless there is exactly one
// Current key, at most one key of each other status and no kid twice.
func NewSet(keys []*Key) (*Set, error) {
	var byStatus [3]*Key // Current, Next, Previous: the published order
	for _, k := range keys {
		if k == nil {
			return nil, fmt.Errorf("%w: nil key", ErrKeySet)
		}
		var i int
		switch k.Status {
		case rbac.KeyCurrent:
			i = 0
		case rbac.KeyNext:
			i = 1
		case rbac.KeyPrevious:
			i = 2
		default:
			return nil, fmt.Errorf("%w: key %q has status %q", ErrKeySet, k.ID, k.Status)
		}
		if byStatus[i] != nil {
			return nil, fmt.Errorf("%w: two %s keys (%q, %q)", ErrKeySet, k.Status, byStatus[i].ID, k.ID)
		}
		if k.head == "" {
			return nil, fmt.Errorf("%w: key %q was not made by NewKey", ErrKeySet, k.ID)
		}
		byStatus[i] = k
	}
	if byStatus[0] == nil {
		return nil, fmt.Errorf("%w: no Current key", ErrKeySet)
	}

	s := &Set{}
	for _, k := range byStatus {
		if k == nil {
			continue
		}
		for _, o := range s.keys {
			if o.KID == k.KID {
				return nil, fmt.Errorf("%w: keys %q and %q have the same kid", ErrKeySet, o.ID, k.ID)
			}
		}
		s.keys = append(s.keys, k)
	}

	b := []byte(`{"keys":[`)
	for i, k := range s.keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJWK(b, k.jwk, k.KID, k.Alg)
		s.algs = append(s.algs, advertisedAlgs(k.Alg)...)
	}
	s.jwks = append(b, "]}"...)
	sum := sha256.Sum256(s.jwks)
	s.etag = `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
	slices.Sort(s.algs)
	s.algs = slices.Compact(s.algs)
	return s, nil
}

// advertisedAlgs lists the algorithms a key of JWS algorithm alg can verify,
// as discovery's id_token_signing_alg_values_supported shows them (spec
// §3.1): an RSA key fits both PS256 and RS256.
func advertisedAlgs(alg string) []string {
	if alg == AlgRS256 {
		return []string{AlgPS256, AlgRS256}
	}
	return []string{alg}
}

// Current returns the key that signs new tokens.
func (s *Set) Current() *Key { return s.keys[0] }

// Keys returns the keys in the order Current, Next, Previous. The slice is
// the caller's; the Keys are shared and must not be modified.
func (s *Set) Keys() []*Key { return slices.Clone(s.keys) }

// JWKS returns the {"keys":[...]} body published at /oidc/jwks, public
// members only, in the order Current, Next, Previous. It is shared by every
// caller and must not be modified.
func (s *Set) JWKS() []byte { return s.jwks }

// ETag returns the strong, quoted entity tag of JWKS.
func (s *Set) ETag() string { return s.etag }

// Algs returns the sorted, distinct algorithms of the published keys for
// discovery's id_token_signing_alg_values_supported: an EC key's ES
// algorithm, PS256 and RS256 for RSA, EdDSA for Ed25519.
func (s *Set) Algs() []string { return slices.Clone(s.algs) }

// PublicKey returns the public key and JWS algorithm of the key whose kid is
// kid, and whether there is one.
func (s *Set) PublicKey(kid string) (crypto.PublicKey, string, bool) {
	for _, k := range s.keys {
		if k.KID == kid {
			return k.pub, k.Alg, true
		}
	}
	return nil, "", false
}
