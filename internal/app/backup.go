package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/store"
)

const backupUsage = `Usage: gatehouse backup [-data-dir DIR] FILE

Writes a consistent copy of the SQLite database of DIR (GATEHOUSE_DATA_DIR,
default ./data), its audit log included, to the new file FILE, while the
server runs: an online backup (VACUUM INTO), not a file copy. FILE must not exist; it is created
with mode 0600.

The backup does not hold the master key: keep the key (GATEHOUSE_MASTER_KEY_FILE,
or <data dir>/master.key) safe on its own; without it the backup's secrets
and signing keys cannot be read. To restore, put FILE as gatehouse.db in an
empty data dir and start the server with the same master key
(docs/operations.md, "Backups").

For PostgreSQL (GATEHOUSE_DATABASE_URL set) use pg_dump instead.
`

// backup runs "gatehouse backup".
func backup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dataDir := fs.String("data-dir", "", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, backupUsage)
			return 0
		}
		fmt.Fprintf(stderr, "gatehouse backup: %v\n\n%s", err, backupUsage)
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "gatehouse backup: want one FILE to write\n\n%s", backupUsage)
		return 2
	}
	cfg, code := databaseConfig("backup", getenv, *dataDir, "", stderr)
	if code >= 0 {
		return code
	}
	if cfg.DatabaseURL != "" {
		fmt.Fprintln(stderr, "gatehouse backup: the database is PostgreSQL (GATEHOUSE_DATABASE_URL): back it up with pg_dump (docs/operations.md, \"Backups\")")
		return 2
	}
	dst := fs.Arg(0)
	if err := store.BackupSQLite(ctx, cfg.SQLitePath(), dst); err != nil {
		fmt.Fprintf(stderr, "gatehouse backup: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "backup of %s written to %s\nkeep the master key apart from it: the backup cannot be read without it\n", cfg.SQLitePath(), dst)
	return 0
}

// databaseConfig is the server's configuration (from the environment, as
// serve reads it) with the database flags of a maintenance command
// applied: dataDir and databaseURL override when not empty. It returns an
// exit code (-1 to go on) after reporting a bad configuration.
func databaseConfig(cmd string, getenv func(string) string, dataDir, databaseURL string, stderr io.Writer) (config.Config, int) {
	var args []string
	if dataDir != "" {
		args = append(args, "-data-dir", dataDir)
	}
	if databaseURL != "" {
		args = append(args, "-database-url", databaseURL)
	}
	cfg, err := config.Load(getenv, args)
	if err != nil {
		fmt.Fprintf(stderr, "gatehouse %s: %v\n", cmd, err)
		return cfg, 2
	}
	return cfg, -1
}
