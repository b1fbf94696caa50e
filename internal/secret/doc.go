// Package secret makes and protects Gatehouse's secrets: random entity ids,
// application secrets and token ids; sealing (AES-256-GCM under the 32-byte
// master key) of everything that must not rest in plaintext, application
// secrets and private signing keys; and the keyed SHA-256 digest
// (HMAC-SHA256 under a key derived from the master key) by which a presented
// secret is found and compared in constant time.
//
// It does not decide where the master key comes from; config does, and the
// app refuses to start when the key does not open what the store holds.
package secret
