package console_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// browser returns a second browser on the same server: its own cookies,
// signed in as nobody.
func (e *env) browser() *env {
	jar, _ := cookiejar.New(nil)
	b := *e
	b.client = &http.Client{Jar: jar, CheckRedirect: e.client.CheckRedirect}
	b.csrf = ""
	return &b
}

// signInAs signs name in with password and keeps the session's form token.
func (e *env) signInAs(name, password string) resp {
	e.t.Helper()
	page := e.get("/console/sign-in")
	r := e.postRaw("/console/sign-in", url.Values{"csrf": {csrfOf(e.t, page.body)}, "username": {name}, "password": {password}})
	if r.status == http.StatusSeeOther {
		e.csrf = csrfOf(e.t, e.get("/console/get-started").body)
	}
	return r
}

var inviteLink = regexp.MustCompile(`value="(http[^"]+/console/invite\?token=[^"]+)"`)

func TestAdministrators(t *testing.T) {
	engines(t, nil, func(t *testing.T, e *env) {
		e.signIn()
		must(t, "list", e.get("/console/administrators"), 200, "Administrators", adminName, "You", "No pending invitations.")
		self := regexp.MustCompile(`/console/administrators/([^/"]+)/remove`)

		// Invite: a one-time link, shown once, listed as pending.
		page := e.post("/console/administrators/invite", nil)
		must(t, "invite", page, 200, "Invitation link", "shown only once")
		m := inviteLink.FindStringSubmatch(page.body)
		if m == nil {
			t.Fatalf("no link in %.3000s", page.body)
		}
		link, _ := url.Parse(strings.ReplaceAll(m[1], "&amp;", "&"))
		must(t, "pending", e.get("/console/administrators"), 200, "Revoke", "Invited by")
		if strings.Contains(e.get("/console/administrators").body, link.Query().Get("token")) {
			t.Fatal("the list shows the token")
		}

		// The invitee chooses a name and password and is signed in.
		b := e.browser()
		join := "/console/invite?token=" + url.QueryEscape(link.Query().Get("token"))
		form := b.get(join)
		must(t, "invite page", form, 200, "Join as administrator")
		vals := url.Values{"csrf": {csrfOf(t, form.body)}, "token": {link.Query().Get("token")}, "username": {adminName},
			"password": {"second password"}, "confirm": {"second password"}}
		must(t, "taken name", b.postRaw("/console/invite", vals), http.StatusConflict, "This username is taken")
		vals.Set("username", "second")
		vals.Set("confirm", "typo")
		must(t, "mismatch", b.postRaw("/console/invite", vals), http.StatusUnprocessableEntity, "The passwords do not match.")
		vals.Set("confirm", "second password")
		b.redirected("join", b.postRaw("/console/invite", vals), "/console/get-started")
		must(t, "used link", b.browser().get(join), http.StatusNotFound, "This invitation link is not valid")
		must(t, "bad link", b.get("/console/invite?token=nope"), http.StatusNotFound, "This invitation link is not valid")
		b.csrf = csrfOf(t, b.get("/console/get-started").body)
		list := b.get("/console/administrators")
		must(t, "second sees both", list, 200, adminName, "second")

		// Nobody removes themselves; the first removes the second, whose
		// session ends.
		ids := self.FindAllStringSubmatch(list.body, -1)
		if len(ids) != 1 {
			t.Fatalf("remove buttons: %v", ids)
		}
		firstID := ids[0][1]
		list = e.get("/console/administrators")
		ids = self.FindAllStringSubmatch(list.body, -1)
		if len(ids) != 1 || ids[0][1] == firstID {
			t.Fatalf("remove buttons: %v", ids)
		}
		secondID := ids[0][1]
		must(t, "remove self", e.post("/console/administrators/"+firstID+"/remove", nil), http.StatusUnprocessableEntity, "You cannot remove yourself.")
		must(t, "removed", e.redirected("remove", e.post("/console/administrators/"+secondID+"/remove", nil), "/console/administrators"),
			200, "Administrator “second” removed and signed out.")
		if r := b.get("/console/administrators"); r.status != http.StatusSeeOther || !strings.Contains(r.location(), "/console/sign-in") {
			t.Fatalf("removed admin still in: %d %s", r.status, r.location())
		}
		if r := b.browser().signInAs("second", "second password"); r.status != http.StatusUnauthorized {
			t.Fatalf("removed admin signs in: %d", r.status)
		}
		must(t, "unknown admin", e.post("/console/administrators/nope/remove", nil), http.StatusNotFound, "Not found")

		// A revoked invitation stops working.
		page = e.post("/console/administrators/invite", nil)
		token := url.Values{}
		if m := inviteLink.FindStringSubmatch(page.body); m != nil {
			u, _ := url.Parse(strings.ReplaceAll(m[1], "&amp;", "&"))
			token = u.Query()
		}
		dg := regexp.MustCompile(`name="digest" value="([0-9a-f]{64})"`).FindStringSubmatch(e.get("/console/administrators").body)
		if dg == nil {
			t.Fatal("no pending invitation")
		}
		e.redirected("revoke", e.post("/console/administrators/invites/revoke", url.Values{"digest": {dg[1]}}), "/console/administrators")
		must(t, "revoked link", e.browser().get("/console/invite?token="+url.QueryEscape(token.Get("token"))), http.StatusNotFound, "not valid")

		// Anonymous: no list, no invitation.
		if r := e.browser().get("/console/administrators"); r.status != http.StatusSeeOther {
			t.Fatalf("anonymous list: %d", r.status)
		}
	})
}

func TestAccountPassword(t *testing.T) {
	engines(t, nil, func(t *testing.T, e *env) {
		e.signIn()
		other := e.browser()
		if r := other.signInAs(adminName, adminPassword); r.status != http.StatusSeeOther {
			t.Fatalf("second session: %d", r.status)
		}
		must(t, "account", e.get("/console/account"), 200, "Change password", "2 active sessions")

		must(t, "empty", e.post("/console/account/password", url.Values{}), http.StatusUnprocessableEntity, "Enter your current password.", "Use at least 8 characters.")
		must(t, "wrong current", e.post("/console/account/password", url.Values{"current": {"not it at all"}, "password": {"new passphrase"}, "confirm": {"new passphrase"}}),
			http.StatusUnprocessableEntity, "This is not your current password.")
		must(t, "same", e.post("/console/account/password", url.Values{"current": {adminPassword}, "password": {adminPassword}, "confirm": {adminPassword}}),
			http.StatusUnprocessableEntity, "Choose a password different")
		r := e.post("/console/account/password", url.Values{"current": {adminPassword}, "password": {"new passphrase"}, "confirm": {"new passphrase"}})
		page := e.redirected("change", r, "/console/account")
		must(t, "changed", page, 200, "Password changed.", "1 active session")
		if strings.Contains(page.body, "new passphrase") {
			t.Fatal("the page echoes the password")
		}
		e.csrf = csrfOf(t, page.body)
		if r := other.get("/console/get-started"); r.status != http.StatusSeeOther {
			t.Fatalf("other session still in: %d", r.status)
		}
		if r := e.browser().signInAs(adminName, adminPassword); r.status != http.StatusUnauthorized {
			t.Fatalf("old password: %d", r.status)
		}
		if r := other.signInAs(adminName, "new passphrase"); r.status != http.StatusSeeOther {
			t.Fatalf("new password: %d", r.status)
		}

		// Signing out the other sessions keeps this one.
		must(t, "ended", e.redirected("end", e.post("/console/account/sessions/end", nil), "/console/account"), 200, "1 other session signed out.")
		if r := other.get("/console/get-started"); r.status != http.StatusSeeOther {
			t.Fatalf("other session still in: %d", r.status)
		}
		must(t, "still in", e.get("/console/account"), 200, "1 active session")
		must(t, "none left", e.redirected("end again", e.post("/console/account/sessions/end", nil), "/console/account"), 200, "There were no other sessions to sign out.")
	})
}

var kidCell = regexp.MustCompile(`<span data-kid>([^<]+)</span>`)

func TestSigningKeysKidAndPending(t *testing.T) {
	engines(t, nil, func(t *testing.T, e *env) {
		e.signIn()
		jwksKids := func() []string {
			res, err := http.Get(e.url + "/oidc/jwks")
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			var set struct {
				Keys []struct {
					Kid string `json:"kid"`
				} `json:"keys"`
			}
			json.Unmarshal(b, &set)
			var out []string
			for _, k := range set.Keys {
				out = append(out, k.Kid)
			}
			return out
		}
		pageKids := func(body string) []string {
			var out []string
			for _, m := range kidCell.FindAllStringSubmatch(body, -1) {
				out = append(out, m[1])
			}
			return out
		}
		page := e.get("/console/signing-keys")
		if got, want := pageKids(page.body), jwksKids(); len(got) != 1 || len(want) != 1 || got[0] != want[0] {
			t.Fatalf("kids %v, JWKS %v", got, want)
		}

		// A rotation with a grace period leaves a pending key; another one
		// replaces it, an immediate one explains what to do.
		e.redirected("staged", e.post("/console/signing-keys/rotate", url.Values{"kind": {"EC"}, "grace": {"3600"}}), "/console/signing-keys")
		e.redirected("staged again", e.post("/console/signing-keys/rotate", url.Values{"kind": {"EC"}, "grace": {"7200"}}), "/console/signing-keys")
		page = e.get("/console/signing-keys")
		must(t, "pending", page, 200, "Pending, signs from", "Cancel pending key")
		if got, want := pageKids(page.body), jwksKids(); len(got) != 2 || !sameSet(got, want) {
			t.Fatalf("kids %v, JWKS %v", got, want)
		}
		must(t, "immediate", e.post("/console/signing-keys/rotate", url.Values{"kind": {"EC"}}), http.StatusUnprocessableEntity,
			"A new key is already pending", "Cancel the pending key")
		id := regexp.MustCompile(`signing-keys/cancel" class="inline"><input type="hidden" name="csrf" value="[^"]+"><input type="hidden" name="id" value="([^"]+)"`).FindStringSubmatch(page.body)
		if id == nil {
			t.Fatalf("no cancel form: %.4000s", page.body)
		}
		must(t, "cancelled", e.redirected("cancel", e.post("/console/signing-keys/cancel", url.Values{"id": {id[1]}}), "/console/signing-keys"),
			200, "Pending key cancelled")
		if k := jwksKids(); len(k) != 1 {
			t.Fatalf("JWKS after cancel: %v", k)
		}
		must(t, "cancel again", e.post("/console/signing-keys/cancel", url.Values{"id": {id[1]}}), http.StatusUnprocessableEntity, "is not found")
		e.redirected("rotate now", e.post("/console/signing-keys/rotate", url.Values{"kind": {"EC"}}), "/console/signing-keys")
		if got, want := pageKids(e.get("/console/signing-keys").body), jwksKids(); len(got) != 2 || !sameSet(got, want) {
			t.Fatalf("kids %v, JWKS %v", got, want)
		}
	})
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
