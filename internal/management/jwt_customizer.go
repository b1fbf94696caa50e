package management

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/gatehouse/gatehouse/internal/change"
	"github.com/gatehouse/gatehouse/internal/customizer"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
)

// JWTCustomizerKey is the configuration key of the client-credentials JWT
// customizer, Logto's LogtoJwtTokenKey.ClientCredentials (spec §4.12).
const JWTCustomizerKey = "jwt.clientCredentials"

// jwtConfigTable is the table Logto names in its 404 for a missing
// customizer ("The logto_config with ID `jwt.clientCredentials` ...").
const jwtConfigTable = "logto_config"

// JWTCustomizer is the client-credentials JWT customizer configuration, in
// the member order Logto answers with. Absent members are nil.
type JWTCustomizer struct {
	Script               string          `json:"script"`
	EnvironmentVariables json.RawMessage `json:"environmentVariables,omitempty"` // object of strings
	ContextSample        json.RawMessage `json:"contextSample,omitempty"`        // object
	TokenSample          json.RawMessage `json:"tokenSample,omitempty"`          // object
	BlockIssuanceOnError *bool           `json:"blockIssuanceOnError,omitempty"`
}

// JWTCustomizerEntry is one configured customizer of
// GET /api/configs/jwt-customizer.
type JWTCustomizerEntry struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

// jwtCustomizers holds the client-credentials customizer in force. The
// token endpoint reads it with one atomic load; writes swap it.
type jwtCustomizers struct {
	cur atomic.Pointer[customizer.Config]
	src string // the script of cur, to keep its compiled form (and warm runtimes) when only other members change
	// mu orders the writes and reloads, so that an older value never
	// replaces a newer one.
	mu sync.Mutex
}

// ClientCredentialsCustomizer returns the client-credentials JWT customizer
// in force, or nil when none is configured. It is one atomic load: tokens
// of a tenant without a customizer pay nothing more.
func (s *Service) ClientCredentialsCustomizer() *customizer.Config { return s.jwt.cur.Load() }

// LoadJWTCustomizer reads the customizer from the store and puts it in
// force. Call it at start and whenever another instance announces a change.
func (s *Service) LoadJWTCustomizer(ctx context.Context) error {
	s.jwt.mu.Lock()
	defer s.jwt.mu.Unlock()
	raw, err := s.cfg.Store.GetConfig(ctx, s.cfg.Tenant, JWTCustomizerKey)
	if errors.Is(err, store.ErrNotFound) {
		s.install(nil)
		return nil
	}
	if err != nil {
		return fmt.Errorf("management: load jwt customizer: %w", err)
	}
	v, err := s.openJWTCustomizer(raw)
	if err != nil {
		return fmt.Errorf("management: load jwt customizer: %w", err)
	}
	s.install(v)
	return nil
}

// sealedJWTCustomizer is a customizer as stored: its environment variables
// sealed under the master key, like app secrets. A row written before they
// were sealed has them in EnvironmentVariables; the next write seals them.
type sealedJWTCustomizer struct {
	JWTCustomizer
	SealedEnvironmentVariables []byte `json:"sealedEnvironmentVariables,omitempty"` // base64 in JSON
}

// sealJWTCustomizer returns the stored form of v.
func (s *Service) sealJWTCustomizer(v *JWTCustomizer) ([]byte, error) {
	st := sealedJWTCustomizer{JWTCustomizer: *v}
	if len(v.EnvironmentVariables) > 0 {
		sealed, err := s.cfg.Box.Seal(secret.PurposeCustomizerEnv, v.EnvironmentVariables)
		if err != nil {
			return nil, err
		}
		st.EnvironmentVariables, st.SealedEnvironmentVariables = nil, sealed
	}
	return json.Marshal(st)
}

// openJWTCustomizer reads a stored customizer, opening its environment
// variables.
func (s *Service) openJWTCustomizer(raw []byte) (*JWTCustomizer, error) {
	var st sealedJWTCustomizer
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, err
	}
	v := st.JWTCustomizer
	if len(st.SealedEnvironmentVariables) > 0 {
		env, err := s.cfg.Box.Open(secret.PurposeCustomizerEnv, st.SealedEnvironmentVariables)
		if err != nil {
			return nil, fmt.Errorf("environment variables: %w", err)
		}
		v.EnvironmentVariables = env
	}
	return &v, nil
}

// storedJWTCustomizer reads the customizer as the API shows it.
func (s *Service) storedJWTCustomizer(raw []byte) (json.RawMessage, error) {
	v, err := s.openJWTCustomizer(raw)
	if err != nil {
		return nil, fmt.Errorf("management: stored jwt customizer: %w", err)
	}
	return json.Marshal(v)
}

// install puts v in force; nil (or an empty script) removes the customizer,
// as Logto runs none for an empty script. The caller holds s.jwt.mu.
func (s *Service) install(v *JWTCustomizer) {
	if v == nil || v.Script == "" {
		s.jwt.cur.Store(nil)
		s.jwt.src = ""
		return
	}
	c := &customizer.Config{EnvironmentVariables: []byte("{}")}
	if len(v.EnvironmentVariables) > 0 {
		c.EnvironmentVariables = v.EnvironmentVariables
	}
	if v.BlockIssuanceOnError != nil {
		c.BlockIssuanceOnError = *v.BlockIssuanceOnError
	}
	if old := s.jwt.cur.Load(); old != nil && s.jwt.src == v.Script {
		c.Script = old.Script
	} else {
		c.Script = s.cfg.Customizer.Compile(v.Script)
		if err := c.Script.Err(); err != nil {
			// Saved anyway, as Logto does; every token then meets the error.
			s.cfg.Logger.Warn("jwt customizer script does not compile", "err", err)
		}
	}
	s.jwt.cur.Store(c)
	s.jwt.src = v.Script
}

// JWTCustomizer returns the stored customizer: 404 when there is none.
func (s *Service) JWTCustomizer(ctx context.Context) (json.RawMessage, error) {
	raw, err := s.cfg.Store.GetConfig(ctx, s.cfg.Tenant, JWTCustomizerKey)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notExistsWithID(jwtConfigTable, JWTCustomizerKey)
	}
	if err != nil {
		return nil, err
	}
	return s.storedJWTCustomizer(raw)
}

// JWTCustomizers lists the configured customizers (at most the one for
// client credentials: Gatehouse has no user tokens).
func (s *Service) JWTCustomizers(ctx context.Context) ([]JWTCustomizerEntry, error) {
	out := []JWTCustomizerEntry{}
	raw, err := s.cfg.Store.GetConfig(ctx, s.cfg.Tenant, JWTCustomizerKey)
	if errors.Is(err, store.ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	value, err := s.storedJWTCustomizer(raw)
	if err != nil {
		return nil, err
	}
	return append(out, JWTCustomizerEntry{Key: JWTCustomizerKey, Value: value}), nil
}

// PutJWTCustomizer stores v, replacing any customizer, and puts it in
// force. created reports that there was none.
func (s *Service) PutJWTCustomizer(ctx context.Context, v *JWTCustomizer) (value json.RawMessage, created bool, err error) {
	return s.writeJWTCustomizer(ctx, func(*JWTCustomizer) (*JWTCustomizer, error) { return v, nil })
}

// PatchJWTCustomizer merges the members patch sets into the stored
// customizer (shallow, as Logto): 404 when there is none.
func (s *Service) PatchJWTCustomizer(ctx context.Context, patch *JWTCustomizer) (json.RawMessage, error) {
	value, _, err := s.writeJWTCustomizer(ctx, func(old *JWTCustomizer) (*JWTCustomizer, error) {
		if old == nil {
			return nil, notExistsWithID(jwtConfigTable, JWTCustomizerKey)
		}
		v := *old
		v.Script = patch.Script
		if patch.EnvironmentVariables != nil {
			v.EnvironmentVariables = patch.EnvironmentVariables
		}
		if patch.ContextSample != nil {
			v.ContextSample = patch.ContextSample
		}
		if patch.TokenSample != nil {
			v.TokenSample = patch.TokenSample
		}
		if patch.BlockIssuanceOnError != nil {
			v.BlockIssuanceOnError = patch.BlockIssuanceOnError
		}
		return &v, nil
	})
	return value, err
}

// writeJWTCustomizer replaces the stored customizer with what next makes
// of it (old is nil when there is none), in one transaction, then puts the
// new one in force here and announces the change to the other instances.
func (s *Service) writeJWTCustomizer(ctx context.Context, next func(old *JWTCustomizer) (*JWTCustomizer, error)) (value json.RawMessage, created bool, err error) {
	s.jwt.mu.Lock()
	defer s.jwt.mu.Unlock()
	var v *JWTCustomizer
	set, err := s.commit(ctx, func(q *store.Queries, c *change.Set) error {
		*c = change.Set{Customizer: true}
		var old *JWTCustomizer
		raw, err := q.GetConfig(ctx, s.cfg.Tenant, JWTCustomizerKey)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		default:
			if old, err = s.openJWTCustomizer(raw); err != nil {
				return fmt.Errorf("management: stored jwt customizer: %w", err)
			}
		}
		if v, err = next(old); err != nil {
			return err
		}
		if value, err = json.Marshal(v); err != nil {
			return err
		}
		sealed, err := s.sealJWTCustomizer(v)
		if err != nil {
			return err
		}
		created, err = q.PutConfig(ctx, s.cfg.Tenant, JWTCustomizerKey, sealed, s.nowMs())
		return storeError(err)
	})
	if !set.Empty() {
		s.install(v)
		s.announce(set)
	}
	if err != nil {
		return nil, false, err
	}
	return value, created, nil
}

// DeleteJWTCustomizer removes the customizer: 404 entity.not_found when
// there is none.
func (s *Service) DeleteJWTCustomizer(ctx context.Context) error {
	s.jwt.mu.Lock()
	defer s.jwt.mu.Unlock()
	set, err := s.commit(ctx, func(q *store.Queries, c *change.Set) error {
		*c = change.Set{Customizer: true}
		return q.DeleteConfig(ctx, s.cfg.Tenant, JWTCustomizerKey)
	})
	if !set.Empty() {
		s.install(nil)
		s.announce(set)
	}
	if errors.Is(err, store.ErrNotFound) {
		return notFound()
	}
	return err
}

// TestJWTCustomizer runs script once on input (the JSON object
// {token, context?, environmentVariables?}) under the engine's limits and
// returns the claims it made. A denial is 403 jwt_customizer.general, any
// other failure 422 with data {message, error} (spec §4.12).
func (s *Service) TestJWTCustomizer(script string, input []byte) (json.RawMessage, error) {
	out, err := s.cfg.Customizer.Compile(script).Run(string(input))
	var denied *customizer.Denied
	var failed *customizer.Error
	switch {
	case err == nil:
		return out, nil
	case errors.As(err, &denied):
		return nil, &Error{Status: http.StatusForbidden, Code: "jwt_customizer.general", Message: denied.Message,
			Data: map[string]string{"message": denied.Message}}
	case errors.As(err, &failed):
		detail := failed.Detail
		if detail == "" {
			detail = failed.Message
		}
		return nil, &Error{Status: http.StatusUnprocessableEntity, Code: "jwt_customizer.general", Message: failed.Message,
			Data: map[string]string{"message": failed.Message, "error": detail}}
	}
	return nil, err
}
