package management

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/token"
)

// keyring holds the signing keys in force; the token endpoint reads it on
// every request, so it is swapped atomically, never locked.
type keyring struct{ set atomic.Pointer[token.Set] }

// Keys returns the signing keys in force (nil before LoadKeys).
func (s *Service) Keys() *token.Set { return s.keys.set.Load() }

// LoadKeys reads the signing keys from the store, unsealing the private
// keys with the master key, and puts them in force. A database without keys
// gets one Current key of the configured algorithm.
func (s *Service) LoadKeys(ctx context.Context) error {
	st, t := s.cfg.Store, s.cfg.Tenant
	list, err := st.ListSigningKeys(ctx, t)
	if err != nil {
		return fmt.Errorf("management: load signing keys: %w", err)
	}
	if len(list) == 0 {
		if err := s.createFirstKey(ctx); err != nil {
			return err
		}
		if list, err = st.ListSigningKeys(ctx, t); err != nil {
			return fmt.Errorf("management: load signing keys: %w", err)
		}
	}
	keys := make([]*token.Key, 0, len(list))
	for _, k := range list {
		der, err := s.cfg.Box.Open(secret.PurposeSigningKey, k.PrivateSealed)
		if err != nil {
			return fmt.Errorf("management: signing key %s: %w", k.ID, err)
		}
		signer, err := token.ParsePrivate(der)
		if err != nil {
			return fmt.Errorf("management: signing key %s: %w", k.ID, err)
		}
		key, err := token.NewKey(k.ID, signer, k.Status, k.CreatedAt, k.EffectiveAt)
		if err != nil {
			return fmt.Errorf("management: signing key %s: %w", k.ID, err)
		}
		keys = append(keys, key)
	}
	set, err := token.NewSet(keys)
	if err != nil {
		return fmt.Errorf("management: signing keys: %w", err)
	}
	s.keys.set.Store(set)
	return nil
}

func (s *Service) createFirstKey(ctx context.Context) error {
	k, err := s.newSigningKey(s.cfg.SigningAlg, rbac.KeyCurrent)
	if err != nil {
		return err
	}
	// Several instances may start on an empty database at once; only one
	// Current key can exist (a unique index), and the others use it.
	if err := s.cfg.Store.InsertSigningKey(ctx, k); err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("management: store signing key: %w", err)
	}
	return nil
}

// newSigningKey generates a key of alg and seals its PKCS#8 form.
func (s *Service) newSigningKey(alg string, status rbac.KeyStatus) (*rbac.SigningKey, error) {
	signer, err := token.Generate(alg, s.cfg.Rand)
	if err != nil {
		return nil, fmt.Errorf("management: generate %s key: %w", alg, err)
	}
	der, err := token.MarshalPrivate(signer)
	if err != nil {
		return nil, fmt.Errorf("management: encode key: %w", err)
	}
	sealed, err := s.cfg.Box.Seal(secret.PurposeSigningKey, der)
	if err != nil {
		return nil, err
	}
	id, err := s.newID()
	if err != nil {
		return nil, err
	}
	return &rbac.SigningKey{TenantID: s.cfg.Tenant, ID: id, Alg: alg, PrivateSealed: sealed, Status: status, CreatedAt: s.nowMs()}, nil
}
