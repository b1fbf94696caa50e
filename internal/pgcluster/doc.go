// Package pgcluster gives a test a PostgreSQL server of its own, which it
// may stop and start to provoke a real outage: a private cluster made with
// Debian's postgresql-common tools (pg_createcluster, pg_ctlcluster,
// pg_dropcluster) on a free loopback port, trust authentication for local
// TCP, dropped when the test ends. It is for tests only.
//
// It runs only where the shared test server runs (GATEHOUSE_TEST_POSTGRES_DSN
// is set, as .ci/run sets it), as root, with pg_createcluster installed;
// elsewhere [New] skips the test and says why. It never touches another
// cluster: every command names the test's own cluster, and a cluster on
// port 5432 or named "main" is refused.
//
// It is a package of its own, not part of apptest, so that package app's
// internal tests can use it (apptest imports app).
//
// A test killed before its cleanup (a timeout, a panic in another
// goroutine) leaves its cluster behind; `pg_lsclusters` lists leftovers by
// their "gh_test_" names and `pg_dropcluster --stop VERSION NAME` removes one.
package pgcluster
