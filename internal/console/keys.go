package console

import (
	"net/http"
	"strconv"

	"github.com/gatehouse/gatehouse/internal/management"
	"github.com/gatehouse/gatehouse/internal/rbac"
)

// keyRow is a signing key as the console lists it.
type keyRow struct {
	rbac.SigningKey
	Kind string
	KID  string // the kid of JWKS and token headers ("" if not in force yet)
}

// keysPage is the signing keys page.
type keysPage struct {
	Keys  []keyRow
	JWKS  string
	Alg   string // the configured algorithm of EC rotations
	Extra bool   // more than one key: the previous one can be deleted
	Next  bool   // a key is pending: an immediate rotation must wait
}

func (c *console) renderKeys(w http.ResponseWriter, r *http.Request, s *session, status int, forms map[string]*form) error {
	keys, err := c.svc.SigningKeys(r.Context())
	if err != nil {
		return err
	}
	p := keysPage{JWKS: c.urls().JWKS, Extra: len(keys) > 1}
	kids := map[string]string{}
	if set := c.svc.Keys(); set != nil {
		for _, k := range set.Keys() {
			kids[k.ID] = k.KID
		}
	}
	for _, k := range keys {
		p.Keys = append(p.Keys, keyRow{SigningKey: k, Kind: management.KeyKind(k.Alg), KID: kids[k.ID]})
		p.Next = p.Next || k.Status == rbac.KeyNext
	}
	c.render(w, r, s, status, "keys", view{Title: "Signing keys", Nav: "keys", Forms: forms, D: p})
	return nil
}

func (c *console) listKeys(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.renderKeys(w, r, s, http.StatusOK, nil)
}

func (c *console) againKeys(w http.ResponseWriter, r *http.Request, s *session, name string, f *form, err error) error {
	if err != nil {
		if err := formError(f, err); err != nil {
			return err
		}
	}
	return c.renderKeys(w, r, s, http.StatusUnprocessableEntity, map[string]*form{name: f})
}

func (c *console) rotateKeys(w http.ResponseWriter, r *http.Request, s *session) error {
	f := newForm(r)
	kind := f.get("kind")
	if kind != management.KeyKindEC && kind != management.KeyKindRSA {
		f.fail("kind", "Choose EC or RSA.")
	}
	var grace int64
	if v := f.get("grace"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > management.MaxRotationGracePeriod {
			f.fail("grace", "Enter a number of seconds (0 rotates at once).")
		}
		grace = n
	}
	if !f.ok() {
		return c.againKeys(w, r, s, "rotate", f, nil)
	}
	if grace == 0 {
		keys, err := c.svc.SigningKeys(r.Context())
		if err != nil {
			return err
		}
		for _, k := range keys {
			if k.Status == rbac.KeyNext {
				f.fail("", "A new key is already pending: it takes over on "+formatMsPtr(k.EffectiveAt, "its due date")+
					". Cancel the pending key to rotate at once, or rotate with a grace period to replace it.")
				return c.againKeys(w, r, s, "rotate", f, nil)
			}
		}
	}
	if _, err := c.svc.RotateSigningKeys(r.Context(), kind, grace); err != nil {
		return c.againKeys(w, r, s, "rotate", f, err)
	}
	msg := "Keys rotated: new tokens are signed with the new key; the previous key still verifies older tokens."
	if grace > 0 {
		msg = "A new key is published now and starts signing after the grace period (any key pending before was replaced)."
	}
	return c.redirect(w, r, "/signing-keys", msg)
}

func (c *console) deleteKey(w http.ResponseWriter, r *http.Request, s *session) error {
	f := newForm(r)
	if err := c.svc.DeleteSigningKey(r.Context(), f.get("id")); err != nil {
		return c.againKeys(w, r, s, "delete", f, err)
	}
	return c.redirect(w, r, "/signing-keys", "Previous key deleted: tokens it signed no longer verify.")
}

func (c *console) cancelKey(w http.ResponseWriter, r *http.Request, s *session) error {
	f := newForm(r)
	if err := c.svc.CancelNextSigningKey(r.Context(), f.get("id")); err != nil {
		return c.againKeys(w, r, s, "delete", f, err)
	}
	return c.redirect(w, r, "/signing-keys", "Pending key cancelled: the current key keeps signing.")
}
