package console

import (
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/management"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// roleListPage is the roles list.
type roleListPage struct {
	Roles  []management.RoleWithUsage
	Query  string
	Type   string
	Paging paging
}

func (c *console) listRoles(w http.ResponseWriter, r *http.Request, s *session) error {
	q := r.URL.Query()
	p := roleListPage{Query: strings.TrimSpace(q.Get("q")), Type: q.Get("type")}
	f := store.RoleFilter{Search: likeSearch(p.Query, "id", "name", "description")}
	switch rbac.RoleType(p.Type) {
	case rbac.RoleUser, rbac.RoleMachineToMachine:
		f.Type = rbac.RoleType(p.Type)
	default:
		p.Type = ""
	}
	n := pageOf(r)
	list, total, err := c.svc.ListRoles(r.Context(), f, pager(n))
	if err != nil {
		return err
	}
	if c.pastEnd(w, r, n, total) {
		return nil
	}
	p.Roles, p.Paging = list, newPaging(r, n, total)
	c.render(w, r, s, http.StatusOK, "roles", view{Title: "Roles", Nav: "roles", D: p})
	return nil
}

// scopeGroup is a resource with the scopes offered from it.
type scopeGroup struct {
	Resource   rbac.Resource
	Management bool
	Scopes     []rbac.Scope
}

// scopeGroups lists every resource's scopes, leaving out held ones and
// resources with nothing left to offer.
func (c *console) scopeGroups(r *http.Request, held map[string]bool) ([]scopeGroup, error) {
	list, _, err := c.svc.ListResources(r.Context(), all, true)
	if err != nil {
		return nil, err
	}
	var out []scopeGroup
	for _, res := range list {
		g := scopeGroup{Resource: res.Resource, Management: c.isManagement(&res.Resource)}
		for _, sc := range res.Scopes {
			if !held[sc.ID] {
				g.Scopes = append(g.Scopes, sc)
			}
		}
		if len(g.Scopes) > 0 {
			out = append(out, g)
		}
	}
	return out, nil
}

// roleNewPage is the role creation form.
type roleNewPage struct {
	Groups []scopeGroup
	Type   string
}

func (c *console) renderNewRole(w http.ResponseWriter, r *http.Request, s *session, status int, f *form) error {
	groups, err := c.scopeGroups(r, nil)
	if err != nil {
		return err
	}
	p := roleNewPage{Groups: groups, Type: string(rbac.RoleMachineToMachine)}
	forms := map[string]*form{}
	if f != nil {
		forms["role"] = f
		p.Type = f.Values.Get("type")
	} else if t := r.URL.Query().Get("type"); t == string(rbac.RoleUser) {
		p.Type = t
	}
	c.render(w, r, s, status, "role-new", view{Title: "Create a role", Nav: "roles", Forms: forms, D: p})
	return nil
}

func (c *console) newRoleForm(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.renderNewRole(w, r, s, http.StatusOK, nil)
}

// checkRoleText records what is wrong with a role's name and description
// (both 1 to 128 characters, as the Management API's guard).
func checkRoleText(f *form, name, desc string) {
	checkName(f, "name", name, 128)
	if desc == "" {
		f.fail("description", "Describe what the role is for.")
	} else {
		checkName(f, "description", desc, 128)
	}
}

func (c *console) createRole(w http.ResponseWriter, r *http.Request, s *session) error {
	f := newForm(r)
	name, desc, typ := f.get("name"), f.get("description"), rbac.RoleType(f.get("type"))
	checkRoleText(f, name, desc)
	if typ != rbac.RoleUser && typ != rbac.RoleMachineToMachine {
		f.fail("type", "Choose who the role is for.")
	}
	if f.ok() {
		role, err := c.svc.CreateRole(r.Context(), management.RoleInput{Name: name, Description: desc, Type: typ, ScopeIDs: f.Values["scopeId"]})
		if err == nil {
			return c.redirect(w, r, "/roles/"+role.ID, "Role “"+name+"” created.")
		}
		if err := formError(f, err); err != nil {
			return err
		}
	}
	return c.renderNewRole(w, r, s, http.StatusUnprocessableEntity, f)
}

// rolePage is a role's page.
type rolePage struct {
	Role       *rbac.Role
	M2M        bool
	Scopes     []management.ScopeWithResource
	Groups     []scopeGroup // scopes it can still get
	Apps       []rbac.Application
	AppChoice  []rbac.Application
	Users      []store.User
	UserChoice []store.User
	// GrantsAll: the role holds the Management API's "all"; LosingAll
	// names its apps, which lose the Management API with it (the
	// bootstrap app among them, marked).
	GrantsAll bool
	LosingAll []string
}

func (c *console) renderRole(w http.ResponseWriter, r *http.Request, s *session, status int, forms map[string]*form) error {
	ctx := r.Context()
	role, err := c.svc.GetRole(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	if strings.HasPrefix(role.Name, rbac.InternalRolePrefix) {
		return errNotFound // internal roles are hidden, as in the lists
	}
	p := rolePage{Role: role, M2M: role.Type == rbac.RoleMachineToMachine}
	if p.Scopes, _, err = c.svc.ListRoleScopes(ctx, role.ID, store.Search{}, all); err != nil {
		return err
	}
	held := map[string]bool{}
	for _, sc := range p.Scopes {
		held[sc.ID] = true
	}
	if p.Groups, err = c.scopeGroups(r, held); err != nil {
		return err
	}
	if p.M2M {
		if p.Apps, _, err = c.svc.ListRoleApplications(ctx, role.ID, store.Search{}, all); err != nil {
			return err
		}
		p.AppChoice, _, err = c.svc.ListApplications(ctx, store.AppFilter{Types: []rbac.AppType{rbac.AppMachineToMachine}, ExcludeRoleID: role.ID}, false)
	} else {
		if p.Users, _, err = c.svc.ListRoleUsers(ctx, role.ID, store.UserFilter{}); err != nil {
			return err
		}
		p.UserChoice, _, err = c.svc.ListUsers(ctx, store.UserFilter{ExcludeRoleID: role.ID, Limit: 200})
	}
	if err != nil {
		return err
	}
	for _, sc := range p.Scopes {
		if c.isManagement(&sc.Resource) && sc.Name == management.ManagementScopeName {
			p.GrantsAll = true
		}
	}
	if p.GrantsAll {
		bootstrap, err := c.svc.BootstrapAppID(ctx)
		if err != nil {
			return err
		}
		for _, a := range p.Apps {
			name := "“" + a.Name + "”"
			if a.ID == bootstrap {
				name += " (the bootstrap app)"
			}
			p.LosingAll = append(p.LosingAll, name)
		}
	}
	c.render(w, r, s, status, "role", view{Title: role.Name, Nav: "roles", Forms: forms, D: p})
	return nil
}

func (c *console) showRole(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.renderRole(w, r, s, http.StatusOK, nil)
}

func (c *console) againRole(w http.ResponseWriter, r *http.Request, s *session, name string, f *form, err error) error {
	if err != nil {
		if err := formError(f, err); err != nil {
			return err
		}
	}
	return c.renderRole(w, r, s, http.StatusUnprocessableEntity, map[string]*form{name: f})
}

func (c *console) updateRole(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	name, desc := f.get("name"), f.get("description")
	checkRoleText(f, name, desc)
	if !f.ok() {
		return c.againRole(w, r, s, "settings", f, nil)
	}
	u := store.RoleUpdate{Name: &name, Description: &desc}
	if f.Values.Has("hasDefault") {
		d := f.Values.Get("isDefault") == "true"
		u.IsDefault = &d
	}
	if _, err := c.svc.UpdateRole(r.Context(), id, u); err != nil {
		return c.againRole(w, r, s, "settings", f, err)
	}
	return c.redirect(w, r, "/roles/"+id, "Settings saved.")
}

func (c *console) addRoleScopes(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	ids := f.Values["scopeId"]
	if len(ids) == 0 {
		f.fail("scopeId", "Pick at least one permission.")
		return c.againRole(w, r, s, "scopes", f, nil)
	}
	if _, err := c.svc.AddRoleScopes(r.Context(), id, ids); err != nil {
		return c.againRole(w, r, s, "scopes", f, err)
	}
	return c.redirect(w, r, "/roles/"+id+"#permissions", plural(len(ids), "permission", "permissions")+" added.")
}

func (c *console) removeRoleScope(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	if err := c.svc.RemoveRoleScope(r.Context(), id, f.Values.Get("scopeId")); err != nil {
		return c.againRole(w, r, s, "scopes", f, err)
	}
	return c.redirect(w, r, "/roles/"+id+"#permissions", "Permission removed from the role.")
}

func (c *console) addRoleApplications(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	ids := f.Values["applicationId"]
	if len(ids) == 0 {
		f.fail("applicationId", "Pick at least one application.")
		return c.againRole(w, r, s, "holders", f, nil)
	}
	if err := c.svc.AddRoleApplications(r.Context(), id, ids); err != nil {
		return c.againRole(w, r, s, "holders", f, err)
	}
	return c.redirect(w, r, "/roles/"+id+"#holders", "Role assigned to "+plural(len(ids), "application", "applications")+".")
}

func (c *console) removeRoleApplication(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	if err := c.svc.RemoveRoleApplication(r.Context(), id, f.Values.Get("applicationId")); err != nil {
		return c.againRole(w, r, s, "holders", f, err)
	}
	return c.redirect(w, r, "/roles/"+id+"#holders", "Role removed from the application.")
}

func (c *console) addRoleUsers(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	ids := f.Values["userId"]
	if len(ids) == 0 {
		f.fail("userId", "Pick at least one user.")
		return c.againRole(w, r, s, "holders", f, nil)
	}
	if err := c.svc.AddRoleUsers(r.Context(), id, ids); err != nil {
		return c.againRole(w, r, s, "holders", f, err)
	}
	return c.redirect(w, r, "/roles/"+id+"#holders", "Role assigned to "+plural(len(ids), "user", "users")+".")
}

func (c *console) removeRoleUser(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	if err := c.svc.RemoveRoleUser(r.Context(), id, f.Values.Get("userId")); err != nil {
		return c.againRole(w, r, s, "holders", f, err)
	}
	return c.redirect(w, r, "/roles/"+id+"#holders", "Role removed from the user.")
}

func (c *console) deleteRole(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	role, err := c.svc.GetRole(r.Context(), id)
	if err != nil {
		return err
	}
	if f.get("confirm") != role.Name {
		f.fail("confirm", "Type the role's name, "+role.Name+", to confirm.")
		return c.againRole(w, r, s, "delete", f, nil)
	}
	if err := c.svc.DeleteRole(r.Context(), id); err != nil {
		return c.againRole(w, r, s, "delete", f, err)
	}
	return c.redirect(w, r, "/roles", "Role “"+role.Name+"” deleted.")
}
