package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// ErrKeyStatus is returned by NewKey for a status other than Next, Current
// or Previous.
var ErrKeyStatus = errors.New("token: invalid key status")

// Key is one signing key of a tenant, ready to mint. Everything that depends
// only on the key is computed by NewKey. A Key must not be modified after
// NewKey; it is safe for concurrent use.
type Key struct {
	ID          string         // store id, shown by the Management API; not the kid
	KID         string         // RFC 7638 thumbprint of the public key
	Alg         string         // JWS algorithm, see AlgOf
	Status      rbac.KeyStatus // rotation state
	CreatedAt   int64          // epoch ms
	EffectiveAt *int64         // epoch ms; when a Next key becomes Current
	Signer      crypto.Signer  // the private key

	head   string // base64url(JOSE header) + "."
	jwk    jwk    // public members for the JWKS entry
	pub    crypto.PublicKey
	sigLen int // raw JWS signature size in bytes

	ec  *ecdsa.PrivateKey // exactly one of ec, ed, rsa is set
	ed  ed25519.PrivateKey
	rsa *rsa.PrivateKey
}

// NewKey wraps signer as a signing key with the given store id and rotation
// state, computing its algorithm, kid and JOSE header.
func NewKey(id string, signer crypto.Signer, status rbac.KeyStatus, createdAt int64, effectiveAt *int64) (*Key, error) {
	switch status {
	case rbac.KeyNext, rbac.KeyCurrent, rbac.KeyPrevious:
	default:
		return nil, fmt.Errorf("%w: %q", ErrKeyStatus, status)
	}
	alg, err := AlgOf(signer)
	if err != nil {
		return nil, err
	}
	pub := signer.Public()
	j, err := publicJWK(pub)
	if err != nil {
		return nil, err
	}
	kid, err := Thumbprint(pub)
	if err != nil {
		return nil, err
	}
	k := &Key{
		ID:          id,
		KID:         kid,
		Alg:         alg,
		Status:      status,
		CreatedAt:   createdAt,
		EffectiveAt: effectiveAt,
		Signer:      signer,
		jwk:         j,
		pub:         pub,
	}
	switch s := signer.(type) {
	case *ecdsa.PrivateKey:
		k.ec = s
		k.sigLen = 2 * ((s.Curve.Params().BitSize + 7) / 8)
	case ed25519.PrivateKey:
		k.ed = s
		k.sigLen = ed25519.SignatureSize
	case *rsa.PrivateKey:
		k.rsa = s
		k.sigLen = s.Size()
	}
	// The kid is base64url and alg a constant, so neither needs escaping;
	// appendJSONString keeps that true should either ever change.
	h := []byte(`{"alg":`)
	h = appendJSONString(h, alg)
	h = append(h, `,"typ":"at+jwt","kid":`...)
	h = appendJSONString(h, kid)
	h = append(h, '}')
	k.head = base64.RawURLEncoding.EncodeToString(h) + "."
	return k, nil
}

// Public returns the public key.
func (k *Key) Public() crypto.PublicKey { return k.pub }
