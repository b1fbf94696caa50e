// Package storetest gives tests a fresh database on every engine Gatehouse
// supports: an SQLite file in a temporary directory always, and a
// PostgreSQL schema of its own when GATEHOUSE_TEST_POSTGRES_DSN is set
// (dropped when the test ends). It is for tests only.
//
// It deliberately holds no fixtures: each test seeds what it needs, through
// the store or the management service.
package storetest
