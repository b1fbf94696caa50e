// Package metrics defines Gatehouse's Prometheus metrics and serves them
// (GATEHOUSE_METRICS_LISTEN). docs/operations.md lists every metric with
// the alerts worth setting.
//
// Two kinds of source feed it:
//
//   - Events the request path reports through small methods ([Metrics.Token],
//     [Metrics.SignIn], the [Metrics.API] wrapper). The token endpoint's
//     method is on the hot path: its label combinations are resolved once in
//     [New] into an array of counters, so a call is two switch statements,
//     two atomic adds and a histogram observation, with no allocation and
//     no lock.
//   - Counters other packages already keep (the grant cache's per-shard
//     counters, the audit log's Stats, database/sql's pool statistics, the
//     signing key in force), read only when Prometheus scrapes, through
//     collectors: they add no work to any request.
//
// Labels never carry client ids, addresses, paths or other values a client
// chooses: the token endpoint's grant type and error code are mapped onto
// fixed sets, the Management API is labelled by route pattern.
//
// The package does not open the listener (package app does) and keeps no
// global registry: each [Metrics] has its own, so tests and several
// servers in one process do not collide.
package metrics
