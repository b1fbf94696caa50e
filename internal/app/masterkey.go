package app

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"

	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
)

const canaryMetaKey = "master_key.canary"

var errCanary = errors.New("the master key does not open this database's sealed values: it is not the key the database is sealed with (check GATEHOUSE_MASTER_KEY / GATEHOUSE_MASTER_KEY_FILE; after a gatehouse rekey, give the new key)")

// masterKey returns the configured master key, or the one in the data dir,
// or, for a database that has never been sealed, a new one written to the
// data dir. An existing database without its key is an error: a silently
// regenerated key would make every sealed secret unreadable.
func masterKey(ctx context.Context, cfg config.Config, st *store.Store, rand io.Reader) ([]byte, error) {
	if cfg.MasterKey != nil {
		return cfg.MasterKey, nil
	}
	path := cfg.MasterKeyPath()
	k, err := secret.ReadKeyFile(path)
	if err == nil {
		return k, nil
	}
	if !secret.IsNotExist(err) || cfg.MasterKeyFile != "" {
		return nil, fmt.Errorf("master key: %w", err)
	}
	if _, err := st.GetMeta(ctx, canaryMetaKey); err == nil {
		return nil, fmt.Errorf("master key: the database holds values sealed with a master key, but none is configured and %s does not exist; restore that file or set GATEHOUSE_MASTER_KEY or GATEHOUSE_MASTER_KEY_FILE", path)
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("master key: %w", err)
	}
	k, err = secret.CreateKeyFile(path, rand)
	if err != nil {
		return nil, fmt.Errorf("master key: create %s: %w", path, err)
	}
	return k, nil
}

// checkCanary proves the master key is the database's: a value sealed at
// the first start must open. A new database gets its canary now.
func checkCanary(ctx context.Context, st *store.Store, box *secret.Box) error {
	v, err := st.GetMeta(ctx, canaryMetaKey)
	if errors.Is(err, store.ErrNotFound) {
		sealed, err := box.Seal(secret.PurposeCanary, []byte("gatehouse"))
		if err != nil {
			return err
		}
		err = st.InsertMeta(ctx, canaryMetaKey, base64.StdEncoding.EncodeToString(sealed))
		if !errors.Is(err, store.ErrConflict) {
			return err
		}
		// Another instance sealed it first: check against its value.
		v, err = st.GetMeta(ctx, canaryMetaKey)
	}
	if err != nil {
		return fmt.Errorf("master key check: %w", err)
	}
	sealed, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return errCanary
	}
	if _, err := box.Open(secret.PurposeCanary, sealed); err != nil {
		return errCanary
	}
	return nil
}
