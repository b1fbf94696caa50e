// Package limit counts failures per key in bounded memory, for the token
// endpoint's failure limit (GATEHOUSE_TOKEN_FAILURE_LIMIT).
//
// A Rate is "N failures per window". A Table applies it to each key with the
// generic cell rate algorithm (GCRA): one timestamp per key, the time at
// which the key's failures will have been "paid off". A key may fail N times
// in a burst; after that it is over the limit until one failure's worth of
// time (window/N) has passed, and then it may fail once more, and so on: in
// the long run at most N failures per window. A key that stops failing is
// no longer over the limit after window/N, and forgotten (clean) after one
// to two windows.
//
// A Table is a fixed array allocated once: buckets of 8 slots, each a
// 64-bit key hash (under a per-table random seed, so a key's bytes are never
// retained and an entry has the same size whatever the key) and a
// timestamp. A lookup hashes the key and reads one bucket under a sequence
// lock: no lock taken, no write, no allocation, so lookups from many cores
// do not contend. A new key in a full bucket replaces the entry that will
// be clean soonest: under a flood of one-time keys the keys that failed
// most stay.
//
// The package knows nothing about HTTP, addresses or clients; package oidc
// decides what a failure is and what to answer.
package limit
