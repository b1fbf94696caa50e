// Package prio lets requests that wait on the database go ahead of token
// signing for the CPU, within one Go process.
//
// Go's scheduler has no priorities. Under full token load (64 connections
// on 2 cores) about 60 token requests are runnable at any moment, and a
// goroutine that a network read wakes, such as a Management API request
// whose database answer has arrived, queues behind all of them; the
// scheduler also looks at the network only when a P runs out of work, or
// every 10 ms. Every database round trip of a write paid that queue twice:
// a PATCH that PostgreSQL answered in 1.4 ms (p50, seen on the wire) took
// 19 ms (p50) in the server, and a runtime trace put the difference in
// runnable and undelivered-read time.
//
// A Gate counts the latency-bound requests in flight (BeginUrgent,
// EndUrgent). While there is one, and for a linger after the last (one
// second by default, so that an administrator or automation at work finds
// it closed on arrival), at most GOMAXPROCS-1 goroutines run the gated
// CPU-bound section (a token's signature: EnterBulk, LeaveBulk) and the
// others wait for a slot parked, not runnable, so that the run queues stay
// short and one P is left to run what the network wakes. Otherwise the
// gate is open and costs an atomic load and a clock read: token throughput
// without Management API traffic is unchanged.
//
// The trade, measured with scripts/scale/writes.sh (100,000 apps on
// PostgreSQL, 50 PATCHes a second beside 64 token connections, 2 cores,
// 3,100 writes a run): PATCH p50 18.2 -> 9.4 ms, p99 129 -> 83 ms; tokens
// 11,800 -> 10,300 a second while the writes run, token p99 23.4 -> 20.3
// ms. The server closes its gate for token signatures only with
// GATEHOUSE_MANAGEMENT_PRIORITY=true. See docs/operations.md ("Figures
// (issue 9)").
package prio
