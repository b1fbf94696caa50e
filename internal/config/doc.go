// Package config owns Gatehouse's settings: one typed Config, read by Load
// from GATEHOUSE_* environment variables with the command-line flags of
// "gatehouse serve" overriding them, and *_FILE variants for the values that
// are secrets (so that they can come from Docker or Kubernetes secret files
// rather than the process environment). Every setting has a default, so an
// empty environment and no flags give a working server: SQLite and a
// generated master key under ./data, listening on 127.0.0.1:3001.
//
// Load validates everything and reports every problem at once in an *Error,
// so an operator fixes a deployment in one round trip. It never includes a
// secret's value (master key, bootstrap secret, database password) in an
// error message.
//
// Load reads the files named by GATEHOUSE_MASTER_KEY_FILE and
// GATEHOUSE_BOOTSTRAP_APP_SECRET_FILE (and GATEHOUSE_DATABASE_URL_FILE), but
// it deliberately does not touch the data directory: whether the default
// master key file (DataDir/master.key) exists, must be generated, or opens
// what the store holds is decided by the app at startup, and so is creating
// the directory and opening the database. Config does not hold live
// resources, loggers or clocks; it is plain data.
package config
