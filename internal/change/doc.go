// Package change names what a write changed, so that the grant cache can
// drop exactly the entries it touched and other instances sharing a
// PostgreSQL database can do the same.
//
// The management service builds one [Set] per write, sends its
// [Set.Encode]d form as the payload of a PostgreSQL notification inside the
// write's transaction (delivered when it commits), and after the commit
// hands it to its OnChange hook, with which the server applies it to the
// local grant cache. A receiving instance [Decode]s the payload and applies
// the same Set. A
// payload that cannot be read, or a Set too large for a notification, means
// "everything", the safe fallback.
//
// The package knows nothing of caches, stores or HTTP: it is the
// vocabulary both sides share.
package change
