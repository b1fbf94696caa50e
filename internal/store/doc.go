// Package store owns every SQL statement of Gatehouse and the database
// schema: one concrete [Store] over database/sql that runs the same
// hand-written SQL on SQLite (modernc.org/sqlite) and PostgreSQL
// (pgx/v5 stdlib), and the embedded, forward-only migrations under
// migrations/{sqlite,postgres} that [Open] applies.
//
// The SQL is written once for both engines: $N placeholders, and only syntax
// both share (RETURNING, ON CONFLICT, partial indexes). Timestamps are
// integer epoch milliseconds; JSON columns are TEXT on SQLite and JSONB on
// PostgreSQL and travel as raw JSON; binary values are BLOB or BYTEA. Every
// row carries a tenant id and child rows refer to their parents by
// (tenant_id, id), so no link can cross tenants. The one place the engines
// are treated differently is how InsertLogs batches (measured: see
// BenchmarkInsertLogs), never the SQL text.
//
// Maintenance is engine-specific by nature: [BackupSQLite] (VACUUM INTO;
// PostgreSQL has pg_dump), and the instance lock, an advisory lock every
// PostgreSQL server holds shared ([Store.HoldInstance]) so that
// [Store.Exclusive] (rekeying, over [Queries.SealedValues]) can refuse to
// run beside one.
//
// Driver errors are mapped in one place ([ErrNotFound], [ErrConflict],
// [ErrForeignKey], [ErrCheck], [ErrTooLong], and [ErrUnavailable] for a
// database that cannot be reached) so that callers never look at driver
// types. Connecting to PostgreSQL is bounded by [ConnectTimeout] unless the
// DSN says otherwise; every other wait is bounded by the caller's context.
//
// The package deliberately does not validate input beyond what the schema
// enforces (name lengths, allowed characters, which app types may hold
// secrets: that is rbac and management), never sees plaintext secrets or
// private keys (callers hand it sealed bytes and digests), keeps no cache
// (the grant cache lives above it), and has no opinion on signing key
// rotation beyond storing each key's status.
package store
