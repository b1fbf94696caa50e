package console

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
)

// inviteLifetime is how long an invitation link works.
const inviteLifetime = 72 * time.Hour

// limitPerAdmin bounds wrong current passwords per administrator and
// window (a stolen session must not guess the password it would need to
// change it).
const limitPerAdmin = 10

// adminRow is an administrator as the list shows it.
type adminRow struct {
	store.ConsoleAdmin
	Sessions int64
	You      bool
}

// adminsPage is the administrators page.
type adminsPage struct {
	Admins  []adminRow
	Invites []store.ConsoleInvite
	Link    string // a new invitation link, shown once
	Expires int64  // when Link stops working (epoch ms)
}

func (c *console) renderAdmins(w http.ResponseWriter, r *http.Request, s *session, status int, forms map[string]*form, p adminsPage) error {
	now := c.now().UnixMilli()
	admins, sessions, err := c.st.ListConsoleAdmins(r.Context(), now)
	if err != nil {
		return err
	}
	for i, a := range admins {
		p.Admins = append(p.Admins, adminRow{ConsoleAdmin: a, Sessions: sessions[i], You: a.ID == s.AdminID})
	}
	if p.Invites, err = c.st.ListConsoleInvites(r.Context(), now); err != nil {
		return err
	}
	c.render(w, r, s, status, "admins", view{Title: "Administrators", Nav: "admins", Forms: forms, D: p})
	return nil
}

func (c *console) listAdmins(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.renderAdmins(w, r, s, http.StatusOK, nil, adminsPage{})
}

// inviteAdmin makes a one-time invitation link and shows it once.
func (c *console) inviteAdmin(w http.ResponseWriter, r *http.Request, s *session) error {
	token, err := c.newToken()
	if err != nil {
		return err
	}
	now := c.now()
	exp := now.Add(inviteLifetime).UnixMilli()
	if err := c.st.DeleteExpiredConsoleInvites(r.Context(), now.UnixMilli()); err != nil {
		return err
	}
	if err := c.st.InsertConsoleInvite(r.Context(), &store.ConsoleInvite{Digest: digest(token), CreatedBy: s.Username,
		CreatedAt: now.UnixMilli(), ExpiresAt: exp}); err != nil {
		return err
	}
	c.log.InfoContext(r.Context(), "console administrator invited", "by", s.Username)
	return c.renderAdmins(w, r, s, http.StatusOK, nil, adminsPage{Link: c.cfg.Endpoint + "/console/invite?token=" + token, Expires: exp})
}

func (c *console) revokeInvite(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := c.st.DeleteConsoleInvite(r.Context(), newForm(r).get("digest")); err != nil {
		return err
	}
	return c.redirect(w, r, "/administrators", "Invitation revoked: its link no longer works.")
}

func (c *console) removeAdmin(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	if id == s.AdminID {
		f.fail("", "You cannot remove yourself. Another administrator can remove you.")
		return c.renderAdmins(w, r, s, http.StatusUnprocessableEntity, map[string]*form{"remove": f}, adminsPage{})
	}
	a, err := c.st.GetConsoleAdmin(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return errNotFound
	} else if err != nil {
		return err
	}
	switch err := c.st.DeleteConsoleAdmin(r.Context(), id); {
	case errors.Is(err, store.ErrLastConsoleAdmin):
		f.fail("", "“"+a.Username+"” is the only administrator left and cannot be removed.")
		return c.renderAdmins(w, r, s, http.StatusUnprocessableEntity, map[string]*form{"remove": f}, adminsPage{})
	case errors.Is(err, store.ErrNotFound):
		return errNotFound
	case err != nil:
		return err
	}
	c.log.InfoContext(r.Context(), "console administrator removed", "username", a.Username, "by", s.Username)
	return c.redirect(w, r, "/administrators", "Administrator “"+a.Username+"” removed and signed out.")
}

// accountPage is the own-account page.
type accountPage struct{ Sessions int64 }

func (c *console) renderAccount(w http.ResponseWriter, r *http.Request, s *session, status int, forms map[string]*form) error {
	admins, sessions, err := c.st.ListConsoleAdmins(r.Context(), c.now().UnixMilli())
	if err != nil {
		return err
	}
	var p accountPage
	for i, a := range admins {
		if a.ID == s.AdminID {
			p.Sessions = sessions[i]
		}
	}
	c.render(w, r, s, status, "account", view{Title: "Your account", Nav: "account", Forms: forms, D: p})
	return nil
}

func (c *console) showAccount(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.renderAccount(w, r, s, http.StatusOK, nil)
}

// changePassword replaces the signed-in administrator's password after
// checking the current one; every other session ends.
func (c *console) changePassword(w http.ResponseWriter, r *http.Request, s *session) error {
	f := newForm(r)
	current, pw := f.Values.Get("current"), f.Values.Get("password")
	again := func(status int) error {
		for _, k := range []string{"current", "password", "confirm"} {
			f.Values.Del(k)
		}
		return c.renderAccount(w, r, s, status, map[string]*form{"password": f})
	}
	if current == "" {
		f.fail("current", "Enter your current password.")
	}
	checkPassword(f, pw, f.Values.Get("confirm"))
	if f.ok() && pw == current {
		f.fail("password", "Choose a password different from the current one.")
	}
	if !f.ok() {
		return again(http.StatusUnprocessableEntity)
	}
	rules := []rule{{"c:" + s.AdminID, limitPerAdmin}}
	if wait := c.limiter.reserve(rules...); wait > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(int(wait/time.Second)+1))
		f.fail("", "Too many wrong passwords. Try again in "+minutes(wait)+".")
		return again(http.StatusTooManyRequests)
	}
	a, err := c.st.GetConsoleAdmin(r.Context(), s.AdminID)
	if err != nil {
		c.limiter.refund("", rules...)
		return err
	}
	select {
	case c.hashing <- struct{}{}:
	case <-r.Context().Done():
		return r.Context().Err()
	}
	ok, _ := verifyPassword(truncate(current, maxPasswordLength), a.PasswordHash)
	<-c.hashing
	if !ok {
		f.fail("current", "This is not your current password.")
		return again(http.StatusUnprocessableEntity)
	}
	c.limiter.refund(rules[0].key, rules...)
	hash, err := hashPassword(c.rand, pw)
	if err != nil {
		return err
	}
	// Every session ends, this one too; a new one keeps this browser in.
	if err := c.st.UpdateConsoleAdminPassword(r.Context(), a.ID, hash, c.now().UnixMilli()); err != nil {
		return err
	}
	if err := c.startSession(w, r, a.ID); err != nil {
		return err
	}
	c.log.InfoContext(r.Context(), "console administrator password changed", "username", a.Username)
	return c.redirect(w, r, "/account", "Password changed. Your other sessions were signed out.")
}

func (c *console) endOtherSessions(w http.ResponseWriter, r *http.Request, s *session) error {
	n, err := c.st.DeleteOtherConsoleSessions(r.Context(), s.AdminID, s.IDDigest)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("%d other sessions signed out.", n)
	switch n {
	case 0:
		msg = "There were no other sessions to sign out."
	case 1:
		msg = "1 other session signed out."
	}
	return c.redirect(w, r, "/account", msg)
}

// invitePage is the data of the invitation page.
type invitePage struct{ Token string }

// inviteValid tells whether an invitation token can be used.
func (c *console) inviteValid(r *http.Request, token string) (bool, error) {
	if token == "" || len(token) > 100 {
		return false, nil
	}
	return c.st.ConsoleInviteValid(r.Context(), digest(token), c.now().UnixMilli())
}

func (c *console) renderInviteInvalid(w http.ResponseWriter, r *http.Request) {
	c.renderError(w, r, nil, http.StatusNotFound, "This invitation link is not valid",
		"It may have been used, revoked or have expired (after 72 hours). Ask an administrator for a new one.")
}

func (c *console) inviteForm(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	ok, err := c.inviteValid(r, token)
	if err != nil {
		c.fail(w, r, nil, err)
		return
	}
	if !ok {
		c.renderInviteInvalid(w, r)
		return
	}
	t, err := c.preCSRF(w, r)
	if err != nil {
		c.fail(w, r, nil, err)
		return
	}
	c.render(w, r, nil, http.StatusOK, "invite", view{Title: "Join as administrator", CSRF: t, D: invitePage{Token: token}})
}

func (c *console) acceptInvite(w http.ResponseWriter, r *http.Request) {
	if !c.checkPreCSRF(w, r) {
		return
	}
	f := newForm(r)
	token, name, pw := f.Values.Get("token"), f.get("username"), f.Values.Get("password")
	again := func(status int) {
		t, _ := c.preCSRF(w, r)
		f.Values.Del("password")
		f.Values.Del("confirm")
		c.render(w, r, nil, status, "invite", view{Title: "Join as administrator", CSRF: t,
			Forms: map[string]*form{"invite": f}, D: invitePage{Token: token}})
	}
	ok, err := c.inviteValid(r, token)
	if err != nil {
		c.fail(w, r, nil, err)
		return
	}
	if !ok {
		c.renderInviteInvalid(w, r)
		return
	}
	checkUsername(f, name)
	checkPassword(f, pw, f.Values.Get("confirm"))
	if !f.ok() {
		again(http.StatusUnprocessableEntity)
		return
	}
	hash, err := hashPassword(c.rand, pw)
	if err != nil {
		c.fail(w, r, nil, err)
		return
	}
	id, err := secret.NewID(c.rand)
	if err != nil {
		c.fail(w, r, nil, err)
		return
	}
	now := c.now().UnixMilli()
	err = c.st.AcceptConsoleInvite(r.Context(), digest(token), now,
		&store.ConsoleAdmin{ID: id, Username: name, PasswordHash: hash, CreatedAt: now, UpdatedAt: now})
	switch {
	case errors.Is(err, store.ErrConflict):
		f.fail("username", "This username is taken. Choose another one.")
		again(http.StatusConflict)
		return
	case errors.Is(err, store.ErrNotFound):
		c.renderInviteInvalid(w, r)
		return
	case err == nil:
		err = c.startSession(w, r, id)
	}
	if err != nil {
		c.fail(w, r, nil, err)
		return
	}
	c.log.InfoContext(r.Context(), "console administrator created from an invitation", "username", name)
	c.redirect(w, r, "/get-started", "Welcome, "+name+". You are signed in.")
}
