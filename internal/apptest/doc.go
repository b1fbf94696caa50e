// Package apptest starts a whole Gatehouse server on loopback for tests
// outside package app: the Management API's route tests, end-to-end tests.
// Every test gets its own database (see storetest), a bootstrap app with
// Management API access, and helpers that get real tokens from the real
// token endpoint and call the API with them. It is for tests only.
package apptest
