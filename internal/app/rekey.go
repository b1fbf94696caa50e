package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
)

const rekeyUsage = `Usage: gatehouse rekey -old-key-file OLD -new-key-file NEW [-data-dir DIR] [-database-url URL]

Re-seals every value sealed under the master key (application secrets and
their digests, private signing keys, the key check) under a new master key,
in one transaction: either everything moves to the new key or nothing does.

  -old-key-file OLD   the key the database is sealed with now (given explicitly,
                      never taken from the environment)
  -new-key-file NEW   the new key (32 bytes, base64); created (mode 0600) if it
                      does not exist
  -data-dir DIR       as for serve (GATEHOUSE_DATA_DIR): the SQLite database
  -database-url URL   as for serve (GATEHOUSE_DATABASE_URL): PostgreSQL

Stop every server on the database first: on SQLite, rekey takes the data
dir's lock and exits 2 while a server holds it; on PostgreSQL it exits 2 while
any server is connected. If some sealed value does not open with OLD, nothing
is changed. Then start the servers with GATEHOUSE_MASTER_KEY_FILE=NEW; a server
given OLD refuses to start. See docs/operations.md, "Rotating the master key".

Exit codes: 0 done, 1 failure (nothing changed), 2 usage, a server running,
or OLD is not this database's key.
`

// errNotOldKey means the old key given to rekey is not the database's.
var errNotOldKey = errors.New("the old key does not open this database's sealed values: it is not the database's current master key")

// rekey runs "gatehouse rekey".
func rekey(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rekey", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	oldFile := fs.String("old-key-file", "", "")
	newFile := fs.String("new-key-file", "", "")
	dataDir := fs.String("data-dir", "", "")
	databaseURL := fs.String("database-url", "", "")
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "gatehouse rekey: %s\n\n%s", fmt.Sprintf(format, a...), rekeyUsage)
		return 2
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, rekeyUsage)
			return 0
		}
		return usage("%v", err)
	}
	if fs.NArg() != 0 {
		return usage("unexpected argument %q", fs.Arg(0))
	}
	if *oldFile == "" || *newFile == "" {
		return usage("both -old-key-file and -new-key-file are needed")
	}
	cfg, code := databaseConfig("rekey", getenv, *dataDir, *databaseURL, stderr)
	if code >= 0 {
		return code
	}
	dsn := cfg.DatabaseURL
	if dsn == "" {
		dsn = cfg.SQLitePath()
		lock, err := lockDataDir(cfg.DataDir)
		if err != nil {
			fmt.Fprintf(stderr, "gatehouse rekey: %v\n", err)
			if errors.Is(err, ErrDataDirLocked) {
				return 2
			}
			return 1
		}
		defer lock.release()
	}
	oldKey, err := secret.ReadKeyFile(*oldFile)
	if err != nil {
		return usage("old key: %v", err)
	}
	newKey, err := secret.ReadKeyFile(*newFile)
	if secret.IsNotExist(err) {
		newKey, err = secret.CreateKeyFile(*newFile, rand.Reader)
		if err == nil {
			fmt.Fprintf(stdout, "a new master key was written to %s\n", *newFile)
		}
	}
	if err != nil {
		return usage("new key: %v", err)
	}
	if bytes.Equal(oldKey, newKey) {
		return usage("the new key is the old key")
	}

	st, err := store.Open(ctx, dsn)
	if err != nil {
		fmt.Fprintf(stderr, "gatehouse rekey: %v\n", err)
		return 1
	}
	defer st.Close()
	n, err := reseal(ctx, st, oldKey, newKey, rand.Reader)
	switch {
	case errors.Is(err, store.ErrInUse), errors.Is(err, errNotOldKey):
		fmt.Fprintf(stderr, "gatehouse rekey: %v; nothing was changed\n", err)
		return 2
	case err != nil:
		fmt.Fprintf(stderr, "gatehouse rekey: %v; nothing was changed\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "re-sealed %d application secrets, %d signing keys and %d customizer environments under the new key.\n"+
		"Start the servers with GATEHOUSE_MASTER_KEY_FILE=%s; the old key no longer opens this database.\n",
		n[store.SealedAppSecret], n[store.SealedSigningKey], n[store.SealedConfigField], *newFile)
	return 0
}

// purposes are the sealing purposes of the kinds of sealed values.
var purposes = map[string]string{
	store.SealedAppSecret:  secret.PurposeAppSecret,
	store.SealedSigningKey: secret.PurposeSigningKey,
	// The JWT customizer's environment variables.
	store.SealedConfigField: secret.PurposeCustomizerEnv,
}

// reseal moves every sealed value of st from oldKey to newKey in one
// transaction, and counts them by kind. It refuses (changing nothing) when
// oldKey does not open the canary, when any value does not open with it
// (values under two keys: an ambiguous state no key can serve), or, on
// PostgreSQL, while a server is connected (it would go on sealing new
// values under the old key).
func reseal(ctx context.Context, st *store.Store, oldKey, newKey []byte, rnd io.Reader) (map[string]int, error) {
	oldBox, err := secret.NewBox(oldKey, rnd)
	if err != nil {
		return nil, err
	}
	newBox, err := secret.NewBox(newKey, rnd)
	if err != nil {
		return nil, err
	}
	n := map[string]int{}
	err = st.Exclusive(ctx, func(q *store.Queries) error {
		v, err := q.GetMeta(ctx, canaryMetaKey)
		if errors.Is(err, store.ErrNotFound) {
			return errors.New("this database has no master key check yet: start the server on it once first")
		}
		if err != nil {
			return err
		}
		sealed, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return errNotOldKey
		}
		if _, err := oldBox.Open(secret.PurposeCanary, sealed); err != nil {
			return errNotOldKey
		}
		vals, err := q.SealedValues(ctx)
		if err != nil {
			return err
		}
		for _, v := range vals {
			purpose, ok := purposes[v.Kind]
			if !ok {
				return fmt.Errorf("rekey: no purpose for sealed values of kind %q", v.Kind)
			}
			plain, err := oldBox.Open(purpose, v.Sealed)
			if err != nil {
				return fmt.Errorf("%s %s %s of tenant %s does not open with the old key: the database holds values sealed under another key", v.Kind, v.ID, v.Name, v.Tenant)
			}
			if v.Sealed, err = newBox.Seal(purpose, plain); err != nil {
				return err
			}
			if v.Kind == store.SealedAppSecret {
				v.Digest = newBox.Digest(string(plain))
			}
			clear(plain)
			if err := q.UpdateSealed(ctx, v); err != nil {
				return err
			}
			n[v.Kind]++
		}
		canary, err := newBox.Seal(secret.PurposeCanary, []byte("gatehouse"))
		if err != nil {
			return err
		}
		return q.UpdateSealed(ctx, store.SealedValue{Kind: store.SealedMeta, ID: canaryMetaKey,
			Sealed: []byte(base64.StdEncoding.EncodeToString(canary))})
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}
