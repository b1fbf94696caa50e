package console

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/netx"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Cookies: the session, and the token of the anonymous forms (sign-in and
// setup), compared with the form's copy (double submit).
const (
	sessionCookie = "gatehouse_console"
	preCSRFCookie = "gatehouse_console_csrf"
)

// Administrator limits, as the configuration's.
const (
	maxUsernameLen    = 64
	minPasswordLength = 8
	maxPasswordLength = 1024
)

// session is a signed-in administrator.
type session = store.ConsoleSession

// newToken returns 32 random bytes, base64url.
func (c *console) newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(c.rand, b); err != nil {
		return "", fmt.Errorf("console: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// digest is the stored form of a token: SHA-256, hex.
func digest(token string) string {
	d := sha256.Sum256([]byte(token))
	return hex.EncodeToString(d[:])
}

// equalTokens compares two tokens in constant time; empty never matches.
func equalTokens(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// session returns the request's session, nil when there is none.
func (c *console) session(r *http.Request) (*session, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" || len(ck.Value) > 100 {
		return nil, nil
	}
	s, err := c.st.GetConsoleSession(r.Context(), digest(ck.Value), c.now().UnixMilli())
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return s, err
}

// bootstrap ensures the configured administrator or, when none is
// configured and none exists, prints a one-time setup link.
func (c *console) bootstrap(ctx context.Context) error {
	now := c.now().UnixMilli()
	if err := c.st.DeleteExpiredConsoleSessions(ctx, now); err != nil {
		return err
	}
	if err := c.st.DeleteExpiredConsoleInvites(ctx, now); err != nil {
		return err
	}
	if name, pw := c.cfg.AdminUsername, c.cfg.AdminPassword; name != "" {
		a, err := c.st.GetConsoleAdminByUsername(ctx, name)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return c.createAdmin(ctx, c.st.Queries, name, pw)
		case err != nil:
			return err
		}
		if ok, _ := verifyPassword(pw, a.PasswordHash); ok {
			return nil
		}
		hash, err := hashPassword(c.rand, pw)
		if err != nil {
			return err
		}
		if err := c.st.UpdateConsoleAdminPassword(ctx, a.ID, hash, now); err != nil {
			return err
		}
		c.log.Info("console administrator password replaced from configuration; its sessions ended", "username", name)
		return nil
	}
	n, err := c.st.CountConsoleAdmins(ctx)
	if err != nil || n > 0 {
		return err
	}
	// The link is printed once; later starts only remind, until it expires.
	at, err := c.st.ConsoleSetupTokenExpiry(ctx, now)
	if err == nil {
		c.log.Warn("no console administrator yet: open the setup link printed at first start, or set GATEHOUSE_ADMIN_USERNAME and GATEHOUSE_ADMIN_PASSWORD",
			"link_valid_until", time.UnixMilli(at).UTC().Format(time.RFC3339))
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	token, err := c.newToken()
	if err != nil {
		return err
	}
	if err := c.st.ReplaceConsoleSetupToken(ctx, digest(token), c.now().Add(setupLifetime).UnixMilli()); err != nil {
		return err
	}
	fmt.Fprintf(c.cfg.Notice, `
  No console administrator exists yet. Create the first one, within 24 hours,
  at this one-time link (or set GATEHOUSE_ADMIN_USERNAME and GATEHOUSE_ADMIN_PASSWORD;
  an expired link is replaced at the next start):

    %s/console/setup?token=%s

`, c.cfg.Endpoint, token)
	return nil
}

// createAdmin inserts an administrator with password pw.
func (c *console) createAdmin(ctx context.Context, q *store.Queries, name, pw string) error {
	hash, err := hashPassword(c.rand, pw)
	if err != nil {
		return err
	}
	id, err := secret.NewID(c.rand)
	if err != nil {
		return err
	}
	now := c.now().UnixMilli()
	if err := q.InsertConsoleAdmin(ctx, &store.ConsoleAdmin{ID: id, Username: name, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}); err != nil {
		return err
	}
	c.log.Info("console administrator created", "username", name)
	return nil
}

// startSession signs admin in: a new session row and its cookie.
func (c *console) startSession(w http.ResponseWriter, r *http.Request, adminID string) error {
	token, err := c.newToken()
	if err != nil {
		return err
	}
	csrf, err := c.newToken()
	if err != nil {
		return err
	}
	now := c.now()
	s := &store.ConsoleSession{IDDigest: digest(token), AdminID: adminID, CSRF: csrf,
		CreatedAt: now.UnixMilli(), ExpiresAt: now.Add(sessionLifetime).UnixMilli()}
	if err := c.st.InsertConsoleSession(r.Context(), s); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: c.base, MaxAge: int(sessionLifetime / time.Second),
		HttpOnly: true, Secure: c.secureFor(r), SameSite: http.SameSiteStrictMode})
	return nil
}

// preCSRF returns the anonymous forms' token, setting its cookie when the
// browser has none.
func (c *console) preCSRF(w http.ResponseWriter, r *http.Request) (string, error) {
	if ck, err := r.Cookie(preCSRFCookie); err == nil && len(ck.Value) == 43 {
		return ck.Value, nil
	}
	t, err := c.newToken()
	if err != nil {
		return "", err
	}
	http.SetCookie(w, &http.Cookie{Name: preCSRFCookie, Value: t, Path: c.base, HttpOnly: true,
		Secure: c.secureFor(r), SameSite: http.SameSiteStrictMode})
	return t, nil
}

// checkPreCSRF checks an anonymous form against its cookie.
func (c *console) checkPreCSRF(w http.ResponseWriter, r *http.Request) bool {
	want := ""
	if ck, err := r.Cookie(preCSRFCookie); err == nil {
		want = ck.Value
	}
	return c.checkPost(w, r, want)
}

// signInPage is the sign-in page's data.
type signInPage struct{ Next string }

// safeNext keeps a post-sign-in target only when it is a console path.
func (c *console) safeNext(next string) string {
	if strings.HasPrefix(next, c.base+"/") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return c.base + "/get-started"
}

func (c *console) signInForm(w http.ResponseWriter, r *http.Request) {
	if s, err := c.session(r); err == nil && s != nil {
		http.Redirect(w, r, c.safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	t, err := c.preCSRF(w, r)
	if err != nil {
		c.fail(w, r, nil, err)
		return
	}
	c.render(w, r, nil, http.StatusOK, "sign-in", view{Title: "Sign in", CSRF: t, D: signInPage{Next: r.URL.Query().Get("next")}})
}

func (c *console) signIn(w http.ResponseWriter, r *http.Request) {
	if !c.checkPreCSRF(w, r) {
		return
	}
	f := newForm(r)
	name, pw := f.get("username"), f.Values.Get("password")
	again := func(status int) {
		t, _ := c.preCSRF(w, r)
		f.Values.Del("password")
		c.render(w, r, nil, status, "sign-in", view{Title: "Sign in", CSRF: t, Forms: map[string]*form{"sign-in": f},
			D: signInPage{Next: f.get("next")}})
	}
	if name == "" {
		f.fail("username", "Enter your username.")
	}
	if pw == "" {
		f.fail("password", "Enter your password.")
	}
	if !f.ok() {
		c.cfg.SignIns.SignIn("incomplete")
		again(http.StatusUnprocessableEntity)
		return
	}
	user, addr := strings.ToLower(name), netx.ClientIP(r)
	rules := []rule{{"p:" + addr + "\x00" + user, limitPerPair}, {"a:" + addr, limitPerClient}, {"u:" + user, limitPerUser}}
	if wait := c.limiter.reserve(rules...); wait > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(int(wait/time.Second)+1))
		c.cfg.SignIns.SignIn("rate_limited")
		f.fail("", "Too many failed sign-ins. Try again in "+minutes(wait)+".")
		again(http.StatusTooManyRequests)
		return
	}
	// From here the attempt counts as a failure unless it succeeds.
	a, err := c.st.GetConsoleAdminByUsername(r.Context(), name)
	hash := c.dummy // the same work whether or not the name exists
	if err == nil {
		hash = a.PasswordHash
	} else if !errors.Is(err, store.ErrNotFound) {
		c.limiter.refund("", rules...) // not the client's failure
		c.fail(w, r, nil, err)
		return
	}
	select {
	case c.hashing <- struct{}{}:
	case <-r.Context().Done():
		return
	}
	ok, verr := verifyPassword(truncate(pw, maxPasswordLength), hash)
	<-c.hashing
	if verr != nil {
		c.log.ErrorContext(r.Context(), "console: stored password hash", "username", name, "err", verr)
	}
	if err != nil || !ok {
		c.cfg.SignIns.SignIn("wrong_credentials")
		f.fail("", "The username or password is wrong.")
		again(http.StatusUnauthorized)
		return
	}
	c.limiter.refund(rules[0].key, rules...)
	if err := c.startSession(w, r, a.ID); err != nil {
		c.fail(w, r, nil, err)
		return
	}
	c.cfg.SignIns.SignIn("success")
	http.Redirect(w, r, c.safeNext(f.get("next")), http.StatusSeeOther)
}

// minutes says d in whole minutes, rounded up: "15 minutes", "1 minute".
func minutes(d time.Duration) string {
	m := int((d + time.Minute - 1) / time.Minute)
	if m == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", m)
}

// truncate cuts s to at most n runes (a longer password cannot match).
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

func (c *console) signOut(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := c.st.DeleteConsoleSession(r.Context(), s.IDDigest); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: c.base, MaxAge: -1,
		HttpOnly: true, Secure: c.secureFor(r), SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, c.base+"/sign-in", http.StatusSeeOther)
	return nil
}

// setupPage is the setup page's data.
type setupPage struct{ Token string }

// setupState tells whether the setup link token can be used.
func (c *console) setupState(ctx context.Context, token string) (ok bool, done bool, err error) {
	n, err := c.st.CountConsoleAdmins(ctx)
	if err != nil || n > 0 {
		return false, n > 0, err
	}
	if token == "" || len(token) > 100 {
		return false, false, nil
	}
	ok, err = c.st.ConsoleSetupTokenValid(ctx, digest(token), c.now().UnixMilli())
	return ok, false, err
}

func (c *console) setupForm(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	ok, done, err := c.setupState(r.Context(), token)
	switch {
	case err != nil:
		c.fail(w, r, nil, err)
		return
	case done:
		c.renderError(w, r, nil, http.StatusGone, "Already set up", "An administrator exists: sign in instead.")
		return
	case !ok:
		c.renderError(w, r, nil, http.StatusNotFound, "This setup link is not valid",
			"It may have expired (after 24 hours) or been replaced by a newer one: restart the server to print a new link.")
		return
	}
	t, err := c.preCSRF(w, r)
	if err != nil {
		c.fail(w, r, nil, err)
		return
	}
	c.render(w, r, nil, http.StatusOK, "setup", view{Title: "Create the first administrator", CSRF: t, D: setupPage{Token: token}})
}

func (c *console) setup(w http.ResponseWriter, r *http.Request) {
	if !c.checkPreCSRF(w, r) {
		return
	}
	f := newForm(r)
	token, name, pw := f.Values.Get("token"), f.get("username"), f.Values.Get("password")
	ok, done, err := c.setupState(r.Context(), token)
	switch {
	case err != nil:
		c.fail(w, r, nil, err)
		return
	case done || !ok:
		c.renderError(w, r, nil, http.StatusNotFound, "This setup link is not valid", "It was used or has expired.")
		return
	}
	checkUsername(f, name)
	checkPassword(f, pw, f.Values.Get("confirm"))
	if !f.ok() {
		t, _ := c.preCSRF(w, r)
		f.Values.Del("password")
		f.Values.Del("confirm")
		c.render(w, r, nil, http.StatusUnprocessableEntity, "setup", view{Title: "Create the first administrator", CSRF: t,
			Forms: map[string]*form{"setup": f}, D: setupPage{Token: token}})
		return
	}
	var adminID string
	err = c.st.Tx(r.Context(), func(q *store.Queries) error {
		valid, err := q.ConsoleSetupTokenValid(r.Context(), digest(token), c.now().UnixMilli())
		if err != nil {
			return err
		}
		n, err := q.CountConsoleAdmins(r.Context())
		if err != nil {
			return err
		}
		if !valid || n > 0 {
			return errSetupUsed
		}
		if err := c.createAdmin(r.Context(), q, name, pw); err != nil {
			return err
		}
		a, err := q.GetConsoleAdminByUsername(r.Context(), name)
		if err != nil {
			return err
		}
		adminID = a.ID
		return q.DeleteConsoleSetupTokens(r.Context())
	})
	if errors.Is(err, errSetupUsed) {
		c.renderError(w, r, nil, http.StatusNotFound, "This setup link is not valid", "It was used or has expired.")
		return
	}
	if err == nil {
		err = c.startSession(w, r, adminID)
	}
	if err != nil {
		c.fail(w, r, nil, err)
		return
	}
	c.redirect(w, r, "/get-started", "Welcome, "+name+". You are signed in.")
}

var errSetupUsed = errors.New("console: setup link used")

// checkUsername records what is wrong with an administrator's username.
func checkUsername(f *form, name string) {
	switch {
	case name == "":
		f.fail("username", "Choose a username.")
	case utf8.RuneCountInString(name) > maxUsernameLen:
		f.fail("username", fmt.Sprintf("Use at most %d characters.", maxUsernameLen))
	case strings.IndexFunc(name, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0:
		f.fail("username", "Use no spaces.")
	}
}

// checkPassword records what is wrong with a new password.
func checkPassword(f *form, pw, confirm string) {
	switch n := utf8.RuneCountInString(pw); {
	case n < minPasswordLength:
		f.fail("password", fmt.Sprintf("Use at least %d characters.", minPasswordLength))
	case n > maxPasswordLength:
		f.fail("password", fmt.Sprintf("Use at most %d characters.", maxPasswordLength))
	case pw != confirm:
		f.fail("confirm", "The passwords do not match.")
	}
}
