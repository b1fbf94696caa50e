// Package console is the admin console at /console: server-rendered pages
// (html/template) and static files embedded in the binary (go:embed), for
// people who manage Gatehouse from a browser.
//
// Every page reads and writes through the same *management.Service the
// Management API uses, so the console and the API can never disagree: the
// console adds forms, not rules. Service errors (*management.Error) are
// shown next to the field they concern, never as a JSON page.
//
// It owns the console administrators' sign-in: the first administrator from
// the configuration or a one-time setup link, argon2id password hashes,
// database-backed sessions in an HttpOnly, SameSite=Strict cookie (Secure
// when the endpoint is https), a CSRF token on every form, rate-limited
// sign-in, and a strict Content-Security-Policy. Nothing is loaded from
// outside the binary; every page works without JavaScript (console.js only
// adds copy buttons, reveal toggles and live checks).
//
// Organizations (organizations.go, organization_template.go) and the JWT
// customizer (customizer.go) have their pages too. The customizer's
// environment variables are write-only there: the service seals them, and
// the page never renders a saved value (an empty value keeps it).
//
// Every form post of a signed-in administrator is an admin audit entry
// (rbac.AdminAction, key Admin.Console), shown on the audit page beside the
// token requests.
//
// Administrators invite others through one-time links (like the setup
// link, stored as digests), remove them (never the last one), change their
// own password and sign out their other sessions.
//
// Layout: one layout template (skip link, a navigation that is a menu at
// narrow widths, visible focus rings), tables that become stacked rows on
// phones, and inline popovers fixed inside the viewport; the e2e suite
// checks every page with axe-core at 1440 and 390 pixels.
//
// It deliberately does not: sign in tenant users (users are data, not
// accounts), or serve the Management API (package management).
package console
