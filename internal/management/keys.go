package management

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/internal/change"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/token"
)

// keyring holds the signing keys in force; the token endpoint reads it on
// every request, so it is swapped atomically, never locked.
type keyring struct {
	set atomic.Pointer[token.Set]
	// due is when the staged Next key of set becomes Current (epoch ms),
	// 0 when there is none: the one number Keys checks on the hot path.
	due atomic.Int64
	// promoting is held by the one caller of Keys that promotes a due key;
	// the others keep answering with the set in force meanwhile.
	promoting sync.Mutex
}

// Keys returns the signing keys in force (nil before LoadKeys). When a
// staged Next key has become due, the first caller to notice promotes it
// (spec §3.4) and gets the new set; concurrent callers get the old one,
// whose keys all stay valid. A failed promotion is logged and retried a
// second later, so a database outage does not slow every token request.
func (s *Service) Keys() *token.Set {
	if due := s.keys.due.Load(); due != 0 && s.nowMs() >= due && s.keys.promoting.TryLock() {
		defer s.keys.promoting.Unlock()
		if due := s.keys.due.Load(); due != 0 && s.nowMs() >= due { // not done meanwhile
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := s.LoadKeys(ctx); err != nil {
				s.cfg.Logger.Error("promote signing key", "err", err)
				s.keys.due.Store(s.nowMs() + 1000)
			}
		}
	}
	return s.keys.set.Load()
}

// LoadKeys reads the signing keys from the store, unsealing the private
// keys with the master key, and puts them in force. A database without keys
// gets one Current key of the configured algorithm. A staged Next key whose
// time has come is promoted first (spec §3.4).
func (s *Service) LoadKeys(ctx context.Context) error {
	st, t := s.cfg.Store, s.cfg.Tenant
	list, err := st.ListSigningKeys(ctx, t)
	if err != nil {
		return fmt.Errorf("management: load signing keys: %w", err)
	}
	if dueNext(list, s.nowMs()) != nil {
		if list, err = s.promoteDue(ctx); err != nil {
			return err
		}
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
	var due int64
	for _, k := range list {
		if k.Status == rbac.KeyNext && k.EffectiveAt != nil {
			due = max(*k.EffectiveAt, 1)
		}
	}
	s.keys.due.Store(due)
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

// Key kinds, as the Management API names a key's family (its JWK "kty",
// the signingKeyAlgorithm field of spec §3.4).
const (
	KeyKindEC  = "EC"
	KeyKindRSA = "RSA"
	// KeyKindOKP is reported for Ed25519 (EdDSA) keys, which Logto cannot
	// make; a rotation never asks for it.
	KeyKindOKP = "OKP"
)

// MaxRotationGracePeriod is the largest rotationGracePeriod, in seconds
// (about 68 years): Logto sets no bound, but the effective time must fit
// an int64 of milliseconds.
const MaxRotationGracePeriod = 1<<31 - 1

// KeyKind reports the kind of a key of JWS algorithm alg.
func KeyKind(alg string) string {
	switch alg {
	case token.AlgRS256:
		return KeyKindRSA
	case token.AlgEdDSA:
		return KeyKindOKP
	}
	return KeyKindEC // ES256, ES384, ES512, and "" (the default, ES256)
}

// The errors of the signing key routes (spec §3.4), worded as Logto does.
func errKeyRequired() *Error {
	return errorf(http.StatusUnprocessableEntity, "oidc.key_required", "At least one key is required.")
}

func errKeyNotFound(id string) *Error {
	return errorf(http.StatusNotFound, "oidc.key_not_found", "Key with ID %s is not found.", id)
}

func errOnlyPreviousKey() *Error {
	return errorf(http.StatusUnprocessableEntity, "oidc.only_previous_key_can_be_deleted", "Only a previous key can be deleted.")
}

func errRotationPending() *Error {
	return errorf(http.StatusUnprocessableEntity, "oidc.invalid_request", "Request is invalid.")
}

// SigningKeys returns the tenant's signing keys, private parts included
// (sealed), in the order the Management API lists them: Next, Current,
// Previous. A due Next key is promoted first.
func (s *Service) SigningKeys(ctx context.Context) ([]rbac.SigningKey, error) {
	list, err := s.cfg.Store.ListSigningKeys(ctx, s.cfg.Tenant)
	if err != nil {
		return nil, fmt.Errorf("management: signing keys: %w", err)
	}
	if dueNext(list, s.nowMs()) != nil {
		// LoadKeys promotes it and puts the new set in force.
		if err := s.LoadKeys(ctx); err != nil {
			return nil, err
		}
		if list, err = s.cfg.Store.ListSigningKeys(ctx, s.cfg.Tenant); err != nil {
			return nil, fmt.Errorf("management: signing keys: %w", err)
		}
	}
	return byRotationOrder(list), nil
}

// RotateSigningKeys makes a new signing key (spec §3.4) and returns the
// keys as SigningKeys does. kind RSA makes an RS256 key of
// token.DefaultRSABits bits; anything else an EC key of the configured
// algorithm when that is an ES algorithm, else ES256.
//
// grace 0 is an immediate rotation: the new key becomes Current, the
// Current key Previous, and an older Previous key is dropped; a staged Next
// key makes it fail with 422 oidc.invalid_request. grace > 0 (seconds)
// stages the new key as Next, published at once and promoted when due (see
// Keys); it replaces any Next key staged before.
func (s *Service) RotateSigningKeys(ctx context.Context, kind string, grace int64) ([]rbac.SigningKey, error) {
	alg := token.AlgRS256
	if kind != KeyKindRSA {
		alg = s.cfg.SigningAlg
		if !strings.HasPrefix(alg, "ES") {
			alg = token.AlgES256
		}
	}
	status := rbac.KeyCurrent
	if grace > 0 {
		status = rbac.KeyNext
	}
	// Generated outside the transaction: an RSA key takes a while.
	k, err := s.newSigningKey(alg, status)
	if err != nil {
		return nil, err
	}
	if grace > 0 {
		at := k.CreatedAt + grace*1000
		k.EffectiveAt = &at
	}
	var list []rbac.SigningKey
	set, err := s.commit(ctx, func(q *store.Queries, c *change.Set) error {
		*c = change.Set{Keys: true}
		var err error
		if list, _, err = s.lockedKeys(ctx, q); err != nil {
			return err
		}
		for _, o := range list {
			switch {
			case grace == 0 && o.Status == rbac.KeyNext:
				return errRotationPending()
			case grace == 0 && o.Status == rbac.KeyPrevious, grace > 0 && o.Status == rbac.KeyNext:
				err = q.DeleteSigningKey(ctx, o.TenantID, o.ID)
			case grace == 0 && o.Status == rbac.KeyCurrent:
				err = q.UpdateSigningKeyStatus(ctx, o.TenantID, o.ID, rbac.KeyPrevious, nil)
			}
			if err != nil {
				return err
			}
		}
		if err := q.InsertSigningKey(ctx, k); err != nil {
			return err
		}
		list, err = q.ListSigningKeys(ctx, s.cfg.Tenant)
		return err
	})
	kerr := s.keysChanged(ctx, set)
	if err != nil {
		return nil, fmt.Errorf("management: rotate signing keys: %w", err)
	}
	if kerr != nil {
		return nil, kerr
	}
	return byRotationOrder(list), nil
}

// DeleteSigningKey deletes the Previous key id (spec §3.4): 422
// oidc.key_required when at most one key exists, 404 oidc.key_not_found for
// an unknown id, 422 oidc.only_previous_key_can_be_deleted for a Current or
// Next key. Tokens it signed stop verifying at once.
func (s *Service) DeleteSigningKey(ctx context.Context, id string) error {
	set, err := s.commit(ctx, func(q *store.Queries, c *change.Set) error {
		*c = change.Set{Keys: true}
		list, _, err := s.lockedKeys(ctx, q)
		if err != nil {
			return err
		}
		if len(list) <= 1 {
			return errKeyRequired()
		}
		for _, k := range list {
			if k.ID != id {
				continue
			}
			if k.Status != rbac.KeyPrevious {
				return errOnlyPreviousKey()
			}
			return q.DeleteSigningKey(ctx, k.TenantID, k.ID)
		}
		return errKeyNotFound(id)
	})
	kerr := s.keysChanged(ctx, set)
	if err != nil {
		return fmt.Errorf("management: delete signing key: %w", err)
	}
	return kerr
}

// keysChanged puts the stored keys in force at once (discovery and JWKS
// follow the set in force) and hands the committed change c to OnChange,
// also when this instance could not load it (the other instances were told
// at the commit). An empty c (nothing committed) does nothing.
func (s *Service) keysChanged(ctx context.Context, c change.Set) error {
	if c.Empty() {
		return nil
	}
	err := s.LoadKeys(ctx)
	s.announce(c)
	return err
}

// promoteDue promotes a due Next key in a transaction of its own and
// returns the keys after it.
func (s *Service) promoteDue(ctx context.Context) ([]rbac.SigningKey, error) {
	var list []rbac.SigningKey
	set, err := s.commit(ctx, func(q *store.Queries, c *change.Set) error {
		var (
			changed bool
			err     error
		)
		list, changed, err = s.lockedKeys(ctx, q)
		if changed {
			*c = change.Set{Keys: true}
		}
		return err
	})
	if !set.Empty() {
		s.cfg.Logger.Info("signing key promoted", "tenant", s.cfg.Tenant)
		s.announce(set)
	}
	if err != nil {
		return nil, fmt.Errorf("management: promote signing key: %w", err)
	}
	return list, nil
}

// lockedKeys locks the tenant's keys for the rest of q's transaction, reads
// them and promotes a due Next key (Next → Current, Current → Previous, the
// old Previous dropped), reporting whether it did. Several instances may
// notice the same due key; the lock and the re-read make one promote it.
func (s *Service) lockedKeys(ctx context.Context, q *store.Queries) ([]rbac.SigningKey, bool, error) {
	t := s.cfg.Tenant
	if err := q.LockSigningKeys(ctx, t); err != nil {
		return nil, false, err
	}
	list, err := q.ListSigningKeys(ctx, t)
	if err != nil {
		return nil, false, err
	}
	next := dueNext(list, s.nowMs())
	if next == nil {
		return list, false, nil
	}
	for _, k := range list {
		switch k.Status {
		case rbac.KeyPrevious:
			err = q.DeleteSigningKey(ctx, t, k.ID)
		case rbac.KeyCurrent:
			err = q.UpdateSigningKeyStatus(ctx, t, k.ID, rbac.KeyPrevious, nil)
		}
		if err != nil {
			return nil, false, err
		}
	}
	if err := q.UpdateSigningKeyStatus(ctx, t, next.ID, rbac.KeyCurrent, nil); err != nil {
		return nil, false, err
	}
	list, err = q.ListSigningKeys(ctx, t)
	return list, true, err
}

// dueNext returns the staged Next key of list if its time has come.
func dueNext(list []rbac.SigningKey, nowMs int64) *rbac.SigningKey {
	for i := range list {
		if k := &list[i]; k.Status == rbac.KeyNext && k.EffectiveAt != nil && nowMs >= *k.EffectiveAt {
			return k
		}
	}
	return nil
}

// byRotationOrder sorts keys Next, Current, Previous (Logto's order: the
// newest key first), newest first within a status.
func byRotationOrder(list []rbac.SigningKey) []rbac.SigningKey {
	rank := func(st rbac.KeyStatus) int {
		switch st {
		case rbac.KeyNext:
			return 0
		case rbac.KeyCurrent:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(list, func(a, b rbac.SigningKey) int {
		if c := rank(a.Status) - rank(b.Status); c != 0 {
			return c
		}
		return cmp.Compare(b.CreatedAt, a.CreatedAt)
	})
	return list
}

// CancelNextSigningKey deletes the staged Next key id before it takes
// over (it may have been promoted meanwhile): 404 oidc.key_not_found for
// an unknown id, 422 oidc.invalid_request for a key that is not Next. The
// Current key stays in force.
func (s *Service) CancelNextSigningKey(ctx context.Context, id string) error {
	set, err := s.commit(ctx, func(q *store.Queries, c *change.Set) error {
		*c = change.Set{Keys: true}
		list, _, err := s.lockedKeys(ctx, q)
		if err != nil {
			return err
		}
		for _, k := range list {
			if k.ID != id {
				continue
			}
			if k.Status != rbac.KeyNext {
				return errorf(http.StatusUnprocessableEntity, "oidc.invalid_request", "Only a pending (Next) key can be cancelled.")
			}
			return q.DeleteSigningKey(ctx, k.TenantID, k.ID)
		}
		return errKeyNotFound(id)
	})
	kerr := s.keysChanged(ctx, set)
	if err != nil {
		return fmt.Errorf("management: cancel signing key: %w", err)
	}
	return kerr
}
