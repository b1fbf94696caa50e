// Package audit writes the audit log off the request path, and keeps it
// through database outages. The token endpoint calls Writer.Log on every
// request; Log only appends the entry to an in-memory buffer under a mutex
// (no allocation, no I/O) and never waits for the database.
//
// Two goroutines move entries on. The sink goroutine writes the buffer to
// a Sink (the store) in batches of up to Options.MaxBatch entries, in the
// order they were logged. The spool goroutine moves the buffer to a spool
// on disk when the sink goroutine cannot take it: during an outage, while
// a backlog drains, or when the buffer is nearly full while a write is
// still in progress (a stalled database). Entries queue behind the spool while it
// holds any, so the log keeps its order.
//
// # During a database outage
//
// A failed write (or one slower than Options.WriteTimeout) puts its batch
// in the spool, and everything logged after it follows. The sink goroutine
// then pings the database, again and again with a backoff from 250ms to 5s,
// and once it answers drains the spool into it, oldest entry first, in
// batches, before it returns to direct writes. Entries already in the spool
// when New runs (left by a process that died or stopped during an outage)
// are drained the same way, before the new Writer's own.
//
// The spool is a directory (Options.SpoolDir) of append-only JSON-lines
// files, mode 0600 in directories of mode 0700, fsynced at most once a
// second; see spool.go for the layout. It holds at most Options.SpoolMax
// bytes (256 MiB by default). When it is full further entries are dropped
// and counted (Stats.Dropped), and the running count is logged at most
// once a minute. Nothing is lost unless the spool is full (or the disk
// fails); a file is deleted only once the database has committed every
// entry in it.
//
// A database that answers Ping but refuses a batch is not an outage: the
// batch is retried, then tried one entry at a time, and an entry refused
// every time is dropped, logged and counted in Stats.Failed.
//
// # What a crash can lose, or repeat
//
// An entry is durable once the Sink has written it, or once it is in the
// spool (a process crash loses nothing the kernel has; a power loss can
// take the last second of spool writes). Until then it is in memory, and a
// crash (kill -9, an OOM kill, power loss, a panic elsewhere in the
// process) loses it: normally the entries of the last Options.FlushInterval
// (200ms by default), never more than about three buffers' worth. A
// graceful shutdown (SIGTERM, then Close) writes everything logged before
// Close, or spools it if the database is unreachable or Close's context
// ends first.
//
// The writer prefers writing an entry twice to losing it: a batch whose
// write timed out, or that was drained from the spool just before a crash
// that kept the spool from recording it, is written again. The store's
// InsertLogs ignores entries it already holds (same tenant and id), so with
// it a repeat stores nothing twice.
//
// # What it guarantees
//
//   - Log never waits for a database that is down or stalled. It waits
//     only when the memory buffer is full: while its callers outrun a
//     database that works (backpressure, as long as the write in progress
//     is younger than Options.FlushInterval; an older one counts as
//     stalled and the buffer goes to the spool), or the spool's disk.
//   - Flush returns once every entry logged before it was called is written,
//     so a handler can offer read-your-writes (GET /api/logs); right after
//     an outage that includes draining the spool up to those entries.
//     While the database is unreachable, entries in the spool count as
//     handled and Flush returns without waiting for it.
//   - Failures are logged with counts and errors, never payloads.
//
// It does not decide what an entry contains (ids, payloads and keys are made
// by the caller, see rbac.LogEntry), it does not read the log back (the
// store does), and it has no notion of tenants.
package audit
