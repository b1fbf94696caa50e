// Package audit writes the audit log off the request path. The token
// endpoint calls Writer.Log on every request; Log only appends the entry to
// an in-memory buffer under a mutex (no allocation, no I/O), and one
// background goroutine writes the buffer to a Sink (the store) in batches of
// up to Options.MaxBatch entries, in the order they were logged.
//
// # What a crash can lose
//
// An entry is durable only once the Sink has written it. Until then it is in
// memory, and a crash (kill -9, an OOM kill, power loss, a panic elsewhere in
// the process) loses it. That is at most Options.Buffer entries (16384 by
// default; Log blocks rather than hold more), and in normal operation at most
// Options.FlushInterval's worth (200ms by default): the entries logged in the
// last FlushInterval plus whatever batch the Sink was writing. A graceful
// shutdown (SIGTERM, then Close) writes everything logged before Close
// returns; Close's context bounds how long it may take, and entries still
// unwritten when it expires are dropped and counted.
//
// # What it guarantees
//
//   - Nothing is dropped while the writer is open: when the buffer is full,
//     Log blocks until the Sink catches up (backpressure), so a stalled
//     database slows the token endpoint instead of silently losing records.
//   - Flush returns once every entry logged before it was called is
//     written, so a handler can offer read-your-writes (GET /api/logs).
//   - A failed write is logged (counts and the error, never the payload),
//     retried a few times with exponential backoff starting at
//     FlushInterval, and then dropped and counted in Stats.Failed. While it
//     retries, the buffer fills and Log may block. A retry repeats the whole
//     batch: a Sink that inserts it in one transaction (as the store does)
//     never leaves half of it behind.
//
// It does not decide what an entry contains (ids, payloads and keys are made
// by the caller, see rbac.LogEntry), it does not read the log back (the
// store does), and it has no notion of tenants.
package audit
