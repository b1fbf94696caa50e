// Package revoke owns the revocation denylist: the ids (jti) of access
// tokens revoked before their expiry (RFC 7009), held in memory for the
// checks that honour it (token introspection and the Management API's own
// token check) and persisted in the store so that a restart, and every
// other instance sharing the database, sees the same list.
//
// An entry lives until the revoked token's exp and is pruned after it: a
// token past its exp fails every check anyway, so the list never holds more
// than the revocations of the last token lifetime. Entries are only ever
// added (until they expire), which makes reloading a merge rather than a
// replacement, so a reload can never lose a revocation made meanwhile.
//
// It deliberately does not parse or verify tokens (package oidc does), and
// does not listen for other instances itself: the app passes the
// Announcement that the store notifies on PostgreSQL's change channel in the
// transaction of each new entry (store.Store.RevokeToken), and calls
// [List.Load] when another instance announces one.
package revoke
