package console

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/management"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// The organization template: organization scopes (permissions that hold
// in an organization) and organization roles (holding organization scopes
// and API resource scopes), the same in every organization.

// orgScopesPage is the organization scopes list with its create form.
type orgScopesPage struct {
	Scopes []store.OrganizationScope
	Query  string
	Paging paging
}

func (c *console) renderOrgScopes(w http.ResponseWriter, r *http.Request, s *session, status int, forms map[string]*form) error {
	p := orgScopesPage{Query: strings.TrimSpace(r.URL.Query().Get("q"))}
	n := pageOf(r)
	list, total, err := c.svc.ListOrganizationScopes(r.Context(), likeSearch(p.Query, "id", "name", "description"), pager(n))
	if err != nil {
		return err
	}
	p.Scopes, p.Paging = list, newPaging(r, n, total)
	c.render(w, r, s, status, "organization-scopes", view{Title: "Organization permissions", Nav: "organization-template", Forms: forms, D: p})
	return nil
}

func (c *console) listOrgScopes(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.renderOrgScopes(w, r, s, http.StatusOK, nil)
}

func (c *console) againOrgScopes(w http.ResponseWriter, r *http.Request, s *session, name string, f *form, err error) error {
	if err != nil {
		if err := formError(f, err); err != nil {
			return err
		}
	}
	return c.renderOrgScopes(w, r, s, http.StatusUnprocessableEntity, map[string]*form{name: f})
}

// checkScopeName records what is wrong with a permission's name.
func checkScopeName(f *form, name string) {
	checkName(f, "name", name, 256)
	if strings.ContainsAny(name, " \t\n") {
		f.fail("name", "Use a name without spaces, like read:members.")
	}
}

func (c *console) createOrgScope(w http.ResponseWriter, r *http.Request, s *session) error {
	f := newForm(r)
	name, desc := f.get("name"), f.get("description")
	checkScopeName(f, name)
	checkDescription(f, "description", desc)
	if !f.ok() {
		return c.againOrgScopes(w, r, s, "scope", f, nil)
	}
	if _, err := c.svc.CreateOrganizationScope(r.Context(), name, optional(desc)); err != nil {
		if isUnique(err) {
			f.fail("name", "An organization permission named "+name+" already exists. Choose another name.")
			err = nil
		}
		return c.againOrgScopes(w, r, s, "scope", f, err)
	}
	return c.redirect(w, r, "/organization-scopes", "Organization permission “"+name+"” added.")
}

// isUnique tells whether err is the organization routes' 422 for a taken
// name.
func isUnique(err error) bool {
	var me *management.Error
	return errors.As(err, &me) && me.Code == "entity.unique_integrity_violation"
}

func (c *console) editOrgScope(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("scope")
	key := "scope-edit:" + id
	f := newForm(r)
	name, desc := f.get("name"), f.get("description")
	checkScopeName(f, name)
	checkDescription(f, "description", desc)
	if !f.ok() {
		return c.againOrgScopes(w, r, s, key, f, nil)
	}
	if _, err := c.svc.UpdateOrganizationScope(r.Context(), id, store.TemplateUpdate{Name: &name, Description: optional(desc), DescriptionSet: true}); err != nil {
		if isUnique(err) {
			f.fail("name", "An organization permission named "+name+" already exists. Choose another name.")
			err = nil
		}
		return c.againOrgScopes(w, r, s, key, f, err)
	}
	return c.redirect(w, r, "/organization-scopes", "Organization permission “"+name+"” saved.")
}

func (c *console) deleteOrgScope(w http.ResponseWriter, r *http.Request, s *session) error {
	f := newForm(r)
	if err := c.svc.DeleteOrganizationScope(r.Context(), r.PathValue("scope")); err != nil {
		return c.againOrgScopes(w, r, s, "scopes", f, err)
	}
	return c.redirect(w, r, "/organization-scopes", "Organization permission deleted. Roles that held it no longer grant it.")
}

// orgRolesPage is the organization roles list with its create form.
type orgRolesPage struct {
	Roles     []management.OrganizationRoleWithScopes
	Query     string
	Paging    paging
	OrgScopes []store.OrganizationScope
	Groups    []scopeGroup
	Type      string
}

func (c *console) renderOrgRoles(w http.ResponseWriter, r *http.Request, s *session, status int, f *form) error {
	ctx := r.Context()
	p := orgRolesPage{Query: strings.TrimSpace(r.URL.Query().Get("q")), Type: string(rbac.RoleMachineToMachine)}
	n := pageOf(r)
	list, total, err := c.svc.ListOrganizationRoles(ctx, likeSearch(p.Query, "id", "name", "description"), pager(n))
	if err != nil {
		return err
	}
	p.Roles, p.Paging = list, newPaging(r, n, total)
	if p.OrgScopes, _, err = c.svc.ListOrganizationScopes(ctx, store.Search{}, all); err != nil {
		return err
	}
	if p.Groups, err = c.orgResourceGroups(r, nil); err != nil {
		return err
	}
	forms := map[string]*form{}
	if f != nil {
		forms["role"] = f
		p.Type = f.Values.Get("type")
	}
	c.render(w, r, s, status, "organization-roles", view{Title: "Organization roles", Nav: "organization-template", Forms: forms, D: p})
	return nil
}

// orgResourceGroups is scopeGroups without the Management API: its
// scopes mean nothing inside an organization.
func (c *console) orgResourceGroups(r *http.Request, held map[string]bool) ([]scopeGroup, error) {
	groups, err := c.scopeGroups(r, held)
	if err != nil {
		return nil, err
	}
	out := groups[:0]
	for _, g := range groups {
		if !g.Management {
			out = append(out, g)
		}
	}
	return out, nil
}

func (c *console) listOrgRoles(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.renderOrgRoles(w, r, s, http.StatusOK, nil)
}

func (c *console) createOrgRole(w http.ResponseWriter, r *http.Request, s *session) error {
	f := newForm(r)
	name, desc, typ := f.get("name"), f.get("description"), rbac.RoleType(f.get("type"))
	checkName(f, "name", name, 128)
	checkDescription(f, "description", desc)
	if typ != rbac.RoleUser && typ != rbac.RoleMachineToMachine {
		f.fail("type", "Choose who the role is for.")
	}
	if !f.ok() {
		return c.renderOrgRoles(w, r, s, http.StatusUnprocessableEntity, f)
	}
	role, err := c.svc.CreateOrganizationRole(r.Context(), management.OrganizationRoleInput{Name: name, Description: optional(desc), Type: typ,
		OrganizationScopeIDs: f.Values["organizationScopeId"], ResourceScopeIDs: f.Values["scopeId"]})
	if err != nil {
		if isUnique(err) {
			f.fail("name", "An organization role named "+name+" already exists. Choose another name.")
		} else if err := formError(f, err); err != nil {
			return err
		}
		return c.renderOrgRoles(w, r, s, http.StatusUnprocessableEntity, f)
	}
	return c.redirect(w, r, "/organization-roles/"+role.ID, "Organization role “"+name+"” created.")
}

// orgRolePage is an organization role's page.
type orgRolePage struct {
	Role           *store.OrganizationRole
	M2M            bool
	OrgScopes      []store.OrganizationScope
	OrgScopeChoice []store.OrganizationScope
	ResourceScopes []management.ScopeWithResource
	Groups         []scopeGroup
}

func (c *console) renderOrgRole(w http.ResponseWriter, r *http.Request, s *session, status int, forms map[string]*form) error {
	ctx := r.Context()
	role, err := c.svc.GetOrganizationRole(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	p := orgRolePage{Role: role, M2M: role.Type == rbac.RoleMachineToMachine}
	if p.OrgScopes, _, err = c.svc.ListOrganizationRoleScopes(ctx, role.ID, all); err != nil {
		return err
	}
	allScopes, _, err := c.svc.ListOrganizationScopes(ctx, store.Search{}, all)
	if err != nil {
		return err
	}
	for _, sc := range allScopes {
		held := false
		for _, h := range p.OrgScopes {
			held = held || h.ID == sc.ID
		}
		if !held {
			p.OrgScopeChoice = append(p.OrgScopeChoice, sc)
		}
	}
	scopes, _, err := c.svc.ListOrganizationRoleResourceScopes(ctx, role.ID, all)
	if err != nil {
		return err
	}
	held := map[string]bool{}
	resources := map[string]rbac.Resource{}
	for _, sc := range scopes {
		held[sc.ID] = true
		res, ok := resources[sc.ResourceID]
		if !ok {
			if rr, err := c.svc.GetResource(ctx, sc.ResourceID); err == nil {
				res = *rr
				resources[sc.ResourceID] = res
			}
		}
		p.ResourceScopes = append(p.ResourceScopes, management.ScopeWithResource{Scope: sc, Resource: res})
	}
	if p.Groups, err = c.orgResourceGroups(r, held); err != nil {
		return err
	}
	c.render(w, r, s, status, "organization-role", view{Title: role.Name, Nav: "organization-template", Forms: forms, D: p})
	return nil
}

func (c *console) showOrgRole(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.renderOrgRole(w, r, s, http.StatusOK, nil)
}

func (c *console) againOrgRole(w http.ResponseWriter, r *http.Request, s *session, name string, f *form, err error) error {
	if err != nil {
		if isUnique(err) && name == "settings" {
			f.fail("name", "An organization role named "+f.get("name")+" already exists. Choose another name.")
		} else if err := formError(f, err); err != nil {
			return err
		}
	}
	return c.renderOrgRole(w, r, s, http.StatusUnprocessableEntity, map[string]*form{name: f})
}

func (c *console) updateOrgRole(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	name, desc := f.get("name"), f.get("description")
	checkName(f, "name", name, 128)
	checkDescription(f, "description", desc)
	if !f.ok() {
		return c.againOrgRole(w, r, s, "settings", f, nil)
	}
	if _, err := c.svc.UpdateOrganizationRole(r.Context(), id, store.TemplateUpdate{Name: &name, Description: optional(desc), DescriptionSet: true}); err != nil {
		return c.againOrgRole(w, r, s, "settings", f, err)
	}
	return c.redirect(w, r, "/organization-roles/"+id+"#settings", "Settings saved.")
}

// orgRoleScopes adds (or, with remove, takes away) organization scopes or
// resource scopes of a role.
func (c *console) orgRoleScopes(resource, remove bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, s *session) error {
		id := r.PathValue("id")
		f := newForm(r)
		field, section, what := "organizationScopeId", "org-scopes", "organization permission"
		if resource {
			field, section, what = "scopeId", "resource-scopes", "API permission"
		}
		ids := f.Values[field]
		if len(ids) == 0 {
			f.fail(field, "Pick at least one permission.")
			return c.againOrgRole(w, r, s, section, f, nil)
		}
		var err error
		notice := plural(len(ids), what, what+"s") + " added."
		if remove {
			err = c.svc.RemoveOrganizationRoleScope(r.Context(), id, ids[0], resource)
			notice = "Permission removed from the role."
		} else {
			err = c.svc.SetOrganizationRoleScopes(r.Context(), id, ids, resource, false)
		}
		if err != nil {
			return c.againOrgRole(w, r, s, section, f, err)
		}
		return c.redirect(w, r, "/organization-roles/"+id+"#"+section, notice)
	}
}

func (c *console) deleteOrgRole(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	role, err := c.svc.GetOrganizationRole(r.Context(), id)
	if err != nil {
		return err
	}
	if f.get("confirm") != role.Name {
		f.fail("confirm", "Type the role's name, "+role.Name+", to confirm.")
		return c.againOrgRole(w, r, s, "delete", f, nil)
	}
	if err := c.svc.DeleteOrganizationRole(r.Context(), id); err != nil {
		return c.againOrgRole(w, r, s, "delete", f, err)
	}
	return c.redirect(w, r, "/organization-roles", "Organization role “"+role.Name+"” deleted. Members that held it lost its permissions.")
}
