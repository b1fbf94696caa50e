package console

import (
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/management"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// userListPage is the users list.
type userListPage struct {
	Users  []store.User
	Query  string
	Paging paging
}

func (c *console) listUsers(w http.ResponseWriter, r *http.Request, s *session) error {
	p := userListPage{Query: strings.TrimSpace(r.URL.Query().Get("q"))}
	n := pageOf(r)
	f := store.UserFilter{Search: likeSearch(p.Query, "id", "username", "primaryEmail", "primaryPhone", "name"),
		Limit: pageSize, Offset: (n - 1) * pageSize}
	list, total, err := c.svc.ListUsers(r.Context(), f)
	if err != nil {
		return err
	}
	if c.pastEnd(w, r, n, total) {
		return nil
	}
	p.Users, p.Paging = list, newPaging(r, n, total)
	c.render(w, r, s, http.StatusOK, "users", view{Title: "Users", Nav: "users", D: p})
	return nil
}

func (c *console) newUserForm(w http.ResponseWriter, r *http.Request, s *session) error {
	c.render(w, r, s, http.StatusOK, "user-new", view{Title: "Create a user", Nav: "users"})
	return nil
}

// userFields are the profile fields of the user forms, with their limits
// (the users table's columns).
var userFields = []struct {
	name string
	max  int
}{{"username", 128}, {"primaryEmail", 128}, {"primaryPhone", 128}, {"name", 128}}

// userInput reads the profile fields; on create, empty ones are left unset.
func userInput(f *form, create bool) management.UserInput {
	var in management.UserInput
	dst := map[string]*management.UserField{
		"username": &in.Username, "primaryEmail": &in.PrimaryEmail, "primaryPhone": &in.PrimaryPhone, "name": &in.Name,
	}
	for _, uf := range userFields {
		v := f.get(uf.name)
		if len([]rune(v)) > uf.max {
			f.fail(uf.name, "Use at most 128 characters.")
			continue
		}
		if v == "" && create {
			continue
		}
		*dst[uf.name] = management.UserField{Set: true, Value: optional(v)}
		if v == "" && uf.name == "name" {
			*dst[uf.name] = management.UserField{Set: true}
		}
	}
	return in
}

func (c *console) createUser(w http.ResponseWriter, r *http.Request, s *session) error {
	f := newForm(r)
	in := userInput(f, true)
	if !in.Username.Set && !in.PrimaryEmail.Set && !in.PrimaryPhone.Set && !in.Name.Set && f.ok() {
		f.fail("username", "Enter at least a username, an email, a phone number or a name.")
	}
	if f.ok() {
		u, err := c.svc.CreateUser(r.Context(), in)
		if err == nil {
			return c.redirect(w, r, "/users/"+u.ID, "User created.")
		}
		if err := formError(f, err); err != nil {
			return err
		}
	}
	c.render(w, r, s, http.StatusUnprocessableEntity, "user-new", view{Title: "Create a user", Nav: "users", Forms: map[string]*form{"user": f}})
	return nil
}

// userPage is a user's page.
type userPage struct {
	User       *store.User
	Roles      []rbac.Role
	Available  []management.RoleWithUsage
	CustomData string
}

func (c *console) renderUser(w http.ResponseWriter, r *http.Request, s *session, status int, forms map[string]*form) error {
	ctx := r.Context()
	u, err := c.svc.GetUser(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	p := userPage{User: u, CustomData: prettyJSON(u.CustomData)}
	if p.Roles, _, err = c.svc.ListUserRoles(ctx, u.ID, store.Search{}, 0, 0); err != nil {
		return err
	}
	if p.Available, _, err = c.svc.ListRoles(ctx, store.RoleFilter{Type: rbac.RoleUser, ExcludeUserID: u.ID}, all); err != nil {
		return err
	}
	if f := forms["custom-data"]; f != nil {
		p.CustomData = f.Values.Get("customData")
	}
	c.render(w, r, s, status, "user", view{Title: userTitle(u), Nav: "users", Forms: forms, D: p})
	return nil
}

// userTitle names a user by the first identifier it has.
func userTitle(u *store.User) string {
	for _, v := range []*string{u.Name, u.Username, u.PrimaryEmail, u.PrimaryPhone} {
		if v != nil && *v != "" {
			return *v
		}
	}
	return u.ID
}

func (c *console) showUser(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.renderUser(w, r, s, http.StatusOK, nil)
}

func (c *console) againUser(w http.ResponseWriter, r *http.Request, s *session, name string, f *form, err error) error {
	if err != nil {
		if err := formError(f, err); err != nil {
			return err
		}
	}
	return c.renderUser(w, r, s, http.StatusUnprocessableEntity, map[string]*form{name: f})
}

func (c *console) updateUser(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	in := userInput(f, false)
	if !f.ok() {
		return c.againUser(w, r, s, "settings", f, nil)
	}
	if _, err := c.svc.UpdateUser(r.Context(), id, in); err != nil {
		return c.againUser(w, r, s, "settings", f, err)
	}
	return c.redirect(w, r, "/users/"+id, "Profile saved.")
}

func (c *console) updateUserCustomData(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	data := jsonObject(f, "customData")
	if !f.ok() {
		return c.againUser(w, r, s, "custom-data", f, nil)
	}
	if _, err := c.svc.UpdateUser(r.Context(), id, management.UserInput{CustomData: data}); err != nil {
		return c.againUser(w, r, s, "custom-data", f, err)
	}
	return c.redirect(w, r, "/users/"+id+"#custom-data", "Custom data saved.")
}

func (c *console) addUserRoles(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	ids := f.Values["roleId"]
	if len(ids) == 0 {
		f.fail("roleId", "Pick at least one role.")
		return c.againUser(w, r, s, "roles", f, nil)
	}
	if _, err := c.svc.AddUserRoles(r.Context(), id, ids); err != nil {
		return c.againUser(w, r, s, "roles", f, err)
	}
	return c.redirect(w, r, "/users/"+id+"#roles", plural(len(ids), "role", "roles")+" assigned.")
}

func (c *console) removeUserRole(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	if err := c.svc.RemoveUserRole(r.Context(), id, f.Values.Get("roleId")); err != nil {
		return c.againUser(w, r, s, "roles", f, err)
	}
	return c.redirect(w, r, "/users/"+id+"#roles", "Role removed.")
}

func (c *console) deleteUser(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	if f.get("confirm") != id {
		f.fail("confirm", "Type the user's ID, "+id+", to confirm.")
		return c.againUser(w, r, s, "delete", f, nil)
	}
	if err := c.svc.DeleteUser(r.Context(), id); err != nil {
		return c.againUser(w, r, s, "delete", f, err)
	}
	return c.redirect(w, r, "/users", "User deleted.")
}
