// Package bench is the `gatehouse bench` load generator: it drives the OAuth
// 2.0 token endpoint (POST /oidc/token, client_credentials grant, RFC 6749
// §4.4) of any server — Gatehouse, Logto or another — and reports throughput,
// latency percentiles, status codes and errors, as wrk, hey or vegeta would.
//
// It is meant to run on the same small machine as the server it measures, so
// every request must cost the generator as little as possible:
//
//   - It does not use net/http's client. A minimal HTTP/1.1 keep-alive client
//     (conn.go) writes request bytes built once per run and parses responses
//     with a bufio.Reader: status line, the three headers it needs
//     (Content-Length, Transfer-Encoding: chunked, Connection), body
//     discarded. One goroutine per connection; nothing allocates per request
//     in steady state (BenchmarkClientRoundTrip holds that).
//   - Latencies go into per-connection log-linear histograms (histogram.go:
//     1 µs resolution at the low end, under 0.5% relative error, up to 67 s),
//     merged once at the end.
//
// Two load models (run.go): closed loop (default; each connection sends its
// next request as soon as the previous answer arrives) and open loop (-rate;
// requests are scheduled at fixed intended start times and latency is
// measured from the intended time, so a stalled server cannot hide its
// stalls through coordinated omission; late and dropped requests are
// reported instead of the generator silently slowing down). Go timers are
// only millisecond-precise when idle, so the open loop aims up to 1 ms early
// and measures such early requests from their real start: latencies neither
// include the timer's overshoot nor hide the server's queueing.
//
// Many apps (credentials.go): with -credentials each worker picks the app
// of every request from its own random stream (uniform, or Zipf with
// -zipf), and writes that app's request, encoded once per run like the
// single app's. Which apps were sent is noted in a per-worker bitmap, ORed
// together at the end, so the report's distinct-app count costs the hot
// path one OR and no lock.
//
// private_key_jwt (assertion.go): with -auth private_key_jwt no two
// requests are alike (each carries its own assertion, with a fresh jti), so
// they cannot be encoded once. They are signed ahead instead, into a
// buffered channel of complete requests filled on every core before the
// clock starts and topped up by background signers; a connection takes one
// without waiting, and signs its own only if the channel is empty, which the
// report counts. With -rate the channel holds the whole run (within the
// assertions' minute of life), so the measured phase signs nothing.
//
// Server CPU (servermetrics.go): -server-metrics reads the server's
// process_cpu_seconds_total (Prometheus text format, the one line parsed by
// hand) as the measured phase starts and after it ends, so the report gives
// the server's CPU per request, which the generator's own work on the same
// machine does not blur as it blurs requests/s.
//
// Baseline (baseline.go, served by "gatehouse bench baseline") is the lower
// bound to compare with: a bare handler that parses, checks a digest and
// signs ES256, nothing else. Figures are reported as ratios to it, measured
// in the same run on the same machine, because absolute figures say more
// about the machine than about the server.
//
// Two helpers (provision.go, writes.go) set the scene for a fleet-sized run
// through the Management API, with the public client package, as any
// operator could: "gatehouse bench provision" makes N apps each holding one
// M2M role and writes the -credentials file; "gatehouse bench writes" sends
// app PATCHes at a fixed rate while the bench runs, and with
// -role-scope-rate adds a permission to that role and removes it, in turn.
// They are not on the measured path and use net/http freely.
//
// The package owns flag parsing for the subcommands, the wire client, the
// schedule and the report (text and JSON). It does not own the server, does
// not validate tokens it receives (bodies of 2xx answers are discarded
// unread), speaks neither HTTP/2 nor proxies, and does not compare runs:
// that is left to whoever reads the JSON report.
package bench
