package oidc

import "net/http"

// ClientIP is the client address the audit log records for a request: the
// token endpoint's entries and, through the app's wiring, the admin audit
// entries of the Management API and the console, so that all of them agree
// on who the client was.
func ClientIP(r *http.Request) string { return clientIP(r) }
