package console

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/gatehouse/gatehouse/internal/management"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Organizations: the list, an organization's page (its member apps and
// users with their organization roles, custom data, a token request to
// try), and the organization template (organization roles and scopes).

// orgListPage is the organizations list.
type orgListPage struct {
	Orgs   []management.OrganizationWithFeatured
	Query  string
	Paging paging
}

func (c *console) listOrganizations(w http.ResponseWriter, r *http.Request, s *session) error {
	p := orgListPage{Query: strings.TrimSpace(r.URL.Query().Get("q"))}
	n := pageOf(r)
	list, total, err := c.svc.ListOrganizations(r.Context(), likeSearch(p.Query, "id", "name"), pager(n), true)
	if err != nil {
		return err
	}
	p.Orgs, p.Paging = list, newPaging(r, n, total)
	c.render(w, r, s, http.StatusOK, "organizations", view{Title: "Organizations", Nav: "organizations", D: p})
	return nil
}

func (c *console) newOrganizationForm(w http.ResponseWriter, r *http.Request, s *session) error {
	c.render(w, r, s, http.StatusOK, "organization-new", view{Title: "Create an organization", Nav: "organizations"})
	return nil
}

func (c *console) createOrganization(w http.ResponseWriter, r *http.Request, s *session) error {
	f := newForm(r)
	name, desc := f.get("name"), f.get("description")
	checkName(f, "name", name, 128)
	checkDescription(f, "description", desc)
	if f.ok() {
		o, err := c.svc.CreateOrganization(r.Context(), store.Organization{Name: name, Description: optional(desc)})
		if err == nil {
			return c.redirect(w, r, "/organizations/"+o.ID, "Organization “"+name+"” created. Add the apps and users that belong to it.")
		}
		if err := formError(f, err); err != nil {
			return err
		}
	}
	c.render(w, r, s, http.StatusUnprocessableEntity, "organization-new", view{Title: "Create an organization",
		Nav: "organizations", Forms: map[string]*form{"org": f}})
	return nil
}

// orgMember is a member (app or user) with its organization roles and the
// roles of the right type it does not hold yet.
type orgMember struct {
	ID, Name  string
	Roles     []store.OrganizationRoleRef
	Available []store.OrganizationRole
}

// orgPage is an organization's page.
type orgPage struct {
	Org        *store.Organization
	Apps       []orgMember
	AppsTotal  int // beyond the maxOrgMembers listed, a hint says so
	UsersTotal int
	AppChoice  []rbac.Application
	Users      []orgMember
	UserChoice []store.User
	M2MRoles   []store.OrganizationRole
	UserRoles  []store.OrganizationRole
	CustomData string
	Try        *orgTry
}

// orgTry is the "Try it" of an organization: a token request of one
// member app for the organization.
type orgTry struct {
	AppID, AppName string
	Resource       string // "" for an organization token
	Scopes         []string
	Curl           commandLine
}

// userLabel is how the console names a user.
func userLabel(u store.User) string {
	for _, v := range []*string{u.Name, u.Username, u.PrimaryEmail, u.PrimaryPhone} {
		if v != nil && *v != "" {
			return *v
		}
	}
	return u.ID
}

// notHeld returns the roles of list whose id is not in held.
func notHeld(list []store.OrganizationRole, held []store.OrganizationRoleRef) []store.OrganizationRole {
	var out []store.OrganizationRole
	for _, r := range list {
		found := false
		for _, h := range held {
			found = found || h.ID == r.ID
		}
		if !found {
			out = append(out, r)
		}
	}
	return out
}

// maxOrgMembers bounds the members an organization's page lists (the
// Management API pages through all of them).
const maxOrgMembers = 200

func (c *console) orgDetail(r *http.Request, id string) (*orgPage, error) {
	ctx := r.Context()
	o, err := c.svc.GetOrganization(ctx, id)
	if err != nil {
		return nil, err
	}
	p := &orgPage{Org: o, CustomData: prettyJSON(o.CustomData)}
	roles, _, err := c.svc.ListOrganizationRoles(ctx, store.Search{}, all)
	if err != nil {
		return nil, err
	}
	byID := map[string]management.OrganizationRoleWithScopes{}
	for _, role := range roles {
		byID[role.ID] = role
		if role.Type == rbac.RoleMachineToMachine {
			p.M2MRoles = append(p.M2MRoles, role.OrganizationRole)
		} else {
			p.UserRoles = append(p.UserRoles, role.OrganizationRole)
		}
	}
	limit := management.Pager{Page: 1, Size: maxOrgMembers, On: true}
	apps, appsTotal, err := c.svc.ListOrganizationApplications(ctx, id, store.Search{}, limit)
	if err != nil {
		return nil, err
	}
	for _, a := range apps {
		p.Apps = append(p.Apps, orgMember{ID: a.ID, Name: a.Name, Roles: a.OrganizationRoles, Available: notHeld(p.M2MRoles, a.OrganizationRoles)})
	}
	if p.AppChoice, _, err = c.svc.ListApplications(ctx, store.AppFilter{Types: []rbac.AppType{rbac.AppMachineToMachine},
		ExcludeOrganizationID: id, Limit: maxOrgMembers}, false); err != nil {
		return nil, err
	}
	users, usersTotal, err := c.svc.ListOrganizationUsers(ctx, id, "", store.Search{}, limit)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		p.Users = append(p.Users, orgMember{ID: u.ID, Name: userLabel(u.User), Roles: u.OrganizationRoles, Available: notHeld(p.UserRoles, u.OrganizationRoles)})
	}
	if p.UserChoice, _, err = c.svc.ListUsers(ctx, store.UserFilter{ExcludeOrganizationID: id, Limit: maxOrgMembers}); err != nil {
		return nil, err
	}
	p.AppsTotal, p.UsersTotal = int(appsTotal), int(usersTotal)
	if len(p.Apps) > 0 {
		pick := p.Apps[0]
		for _, a := range p.Apps {
			if a.ID == r.URL.Query().Get("app") {
				pick = a
			}
		}
		if p.Try, err = c.orgTry(r, id, pick, byID); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// orgTry builds the token request of member app m for organization orgID:
// for the first resource its organization roles hold scopes of, an
// organization-scoped resource token; without any, an organization token
// with the organization scopes its roles hold.
func (c *console) orgTry(r *http.Request, orgID string, m orgMember, roles map[string]management.OrganizationRoleWithScopes) (*orgTry, error) {
	t := &orgTry{AppID: m.ID, AppName: m.Name}
	var orgScopes []string
	for _, ref := range m.Roles {
		role := roles[ref.ID]
		for _, sc := range role.ResourceScopes {
			if t.Resource == "" {
				t.Resource = sc.Resource.Indicator
			}
			if sc.Resource.Indicator == t.Resource && !contains(t.Scopes, sc.Name) {
				t.Scopes = append(t.Scopes, sc.Name)
			}
		}
		for _, sc := range role.Scopes {
			if !contains(orgScopes, sc.Name) {
				orgScopes = append(orgScopes, sc.Name)
			}
		}
	}
	if t.Resource == "" {
		t.Scopes = orgScopes
	}
	sort.Strings(t.Scopes)
	secrets, err := c.svc.ListAppSecrets(r.Context(), m.ID)
	if err != nil {
		return nil, err
	}
	now := c.now().UnixMilli()
	secretValue := ""
	for _, sec := range secrets {
		if e := sec.ExpiresAt; e == nil || *e > now {
			secretValue = sec.Value
			break
		}
	}
	build := func(secret string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "curl -X POST %s \\\n  -u %s \\\n  -d grant_type=client_credentials \\\n  --data-urlencode organization_id=%s",
			shellQuote(c.urls().Token), shellQuote(m.ID+":"+secret), shellQuote(orgID))
		if t.Resource != "" {
			fmt.Fprintf(&b, " \\\n  --data-urlencode resource=%s", shellQuote(t.Resource))
		}
		if len(t.Scopes) > 0 {
			fmt.Fprintf(&b, " \\\n  --data-urlencode scope=%s", shellQuote(strings.Join(t.Scopes, " ")))
		}
		return b.String()
	}
	if secretValue == "" {
		cmd := build("<app secret>")
		t.Curl = commandLine{Shown: cmd, Full: cmd}
	} else {
		t.Curl = commandLine{Shown: build(strings.Repeat("•", 12)), Full: build(secretValue)}
	}
	return t, nil
}

func (c *console) renderOrg(w http.ResponseWriter, r *http.Request, s *session, status int, forms map[string]*form) error {
	p, err := c.orgDetail(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	if f := forms["custom-data"]; f != nil {
		p.CustomData = f.Values.Get("customData")
	}
	c.render(w, r, s, status, "organization", view{Title: p.Org.Name, Nav: "organizations", Forms: forms, D: p})
	return nil
}

func (c *console) showOrganization(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.renderOrg(w, r, s, http.StatusOK, nil)
}

// againOrg re-renders the organization's page with form f's problems, or
// returns err when it is not the form's fault.
func (c *console) againOrg(w http.ResponseWriter, r *http.Request, s *session, name string, f *form, err error) error {
	if err != nil {
		if err := formError(f, err); err != nil {
			return err
		}
	}
	return c.renderOrg(w, r, s, http.StatusUnprocessableEntity, map[string]*form{name: f})
}

func (c *console) updateOrganization(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	name, desc := f.get("name"), f.get("description")
	checkName(f, "name", name, 128)
	checkDescription(f, "description", desc)
	if !f.ok() {
		return c.againOrg(w, r, s, "settings", f, nil)
	}
	if _, err := c.svc.UpdateOrganization(r.Context(), id, store.OrganizationUpdate{Name: &name, Description: optional(desc), DescriptionSet: true}); err != nil {
		return c.againOrg(w, r, s, "settings", f, err)
	}
	return c.redirect(w, r, "/organizations/"+id+"#settings", "Settings saved.")
}

func (c *console) updateOrgCustomData(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	data := jsonObject(f, "customData")
	if !f.ok() {
		return c.againOrg(w, r, s, "custom-data", f, nil)
	}
	if _, err := c.svc.UpdateOrganization(r.Context(), id, store.OrganizationUpdate{CustomData: data}); err != nil {
		return c.againOrg(w, r, s, "custom-data", f, err)
	}
	return c.redirect(w, r, "/organizations/"+id+"#custom-data", "Custom data saved.")
}

// memberWrite is one of the membership forms of an organization's page:
// it reads the member's id (field) and the optional role ids, runs do and
// goes back to the section.
func (c *console) memberWrite(w http.ResponseWriter, r *http.Request, s *session, section, field, pick string,
	do func(f *form, orgID, memberID string, roleIDs []string) (string, error)) error {
	id := r.PathValue("id")
	f := newForm(r)
	member := f.get(field)
	if member == "" {
		f.fail(field, pick)
		return c.againOrg(w, r, s, section, f, nil)
	}
	var roles []string
	for _, v := range f.Values["roleId"] {
		if v = strings.TrimSpace(v); v != "" {
			roles = append(roles, v)
		}
	}
	notice, err := do(f, id, member, roles)
	var me *management.Error
	if errors.As(err, &me) && me.Status == http.StatusNotFound {
		// A second click, or another administrator was quicker.
		f.fail("", "Nothing to remove: it was already removed. The page below is up to date.")
		err = nil
	}
	if err != nil {
		return c.againOrg(w, r, s, section, f, err)
	}
	if !f.ok() {
		return c.againOrg(w, r, s, section, f, nil)
	}
	return c.redirect(w, r, "/organizations/"+id+"#"+section, notice)
}

func (c *console) addOrgApp(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.memberWrite(w, r, s, "apps", "applicationId", "Pick an application.", func(f *form, org, app string, roles []string) (string, error) {
		if err := c.svc.AddOrganizationApplications(r.Context(), org, []string{app}); err != nil {
			return "", err
		}
		if len(roles) > 0 {
			if err := c.svc.AddOrganizationApplicationRoles(r.Context(), org, []string{app}, roles, true); err != nil {
				return "", err
			}
			return "Application added with " + plural(len(roles), "role", "roles") + ".", nil
		}
		return "Application added. Give it an organization role so that its organization tokens carry permissions.", nil
	})
}

func (c *console) removeOrgApp(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.memberWrite(w, r, s, "apps", "applicationId", "Pick an application.", func(f *form, org, app string, _ []string) (string, error) {
		return "Application removed from the organization. It can no longer get tokens for it.", c.svc.RemoveOrganizationApplication(r.Context(), org, app)
	})
}

func (c *console) addOrgAppRole(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.memberWrite(w, r, s, "apps", "applicationId", "Pick an application.", func(f *form, org, app string, roles []string) (string, error) {
		if len(roles) == 0 {
			f.fail("", "Pick a role to assign.")
			return "", nil
		}
		return "Role assigned.", c.svc.AddOrganizationApplicationRoles(r.Context(), org, []string{app}, roles, true)
	})
}

func (c *console) removeOrgAppRole(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.memberWrite(w, r, s, "apps", "applicationId", "Pick an application.", func(f *form, org, app string, roles []string) (string, error) {
		if len(roles) != 1 {
			f.fail("", "Pick the role to remove.")
			return "", nil
		}
		return "Role removed from the application.", c.svc.RemoveOrganizationApplicationRole(r.Context(), org, app, roles[0])
	})
}

func (c *console) addOrgUser(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.memberWrite(w, r, s, "users", "userId", "Pick a user.", func(f *form, org, user string, roles []string) (string, error) {
		if err := c.svc.AddOrganizationUsers(r.Context(), org, []string{user}); err != nil {
			return "", err
		}
		if len(roles) > 0 {
			if _, err := c.svc.AddOrganizationUserRoles(r.Context(), org, user, roles, nil); err != nil {
				return "", err
			}
			return "User added with " + plural(len(roles), "role", "roles") + ".", nil
		}
		return "User added.", nil
	})
}

func (c *console) removeOrgUser(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.memberWrite(w, r, s, "users", "userId", "Pick a user.", func(f *form, org, user string, _ []string) (string, error) {
		return "User removed from the organization.", c.svc.RemoveOrganizationUser(r.Context(), org, user)
	})
}

func (c *console) addOrgUserRole(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.memberWrite(w, r, s, "users", "userId", "Pick a user.", func(f *form, org, user string, roles []string) (string, error) {
		if len(roles) == 0 {
			f.fail("", "Pick a role to assign.")
			return "", nil
		}
		_, err := c.svc.AddOrganizationUserRoles(r.Context(), org, user, roles, nil)
		return "Role assigned.", err
	})
}

func (c *console) removeOrgUserRole(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.memberWrite(w, r, s, "users", "userId", "Pick a user.", func(f *form, org, user string, roles []string) (string, error) {
		if len(roles) != 1 {
			f.fail("", "Pick the role to remove.")
			return "", nil
		}
		return "Role removed from the user.", c.svc.RemoveOrganizationUserRole(r.Context(), org, user, roles[0])
	})
}

func (c *console) deleteOrganization(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f := newForm(r)
	o, err := c.svc.GetOrganization(r.Context(), id)
	if err != nil {
		return err
	}
	if f.get("confirm") != o.Name {
		f.fail("confirm", "Type the organization's name, "+o.Name+", to confirm.")
		return c.againOrg(w, r, s, "delete", f, nil)
	}
	if err := c.svc.DeleteOrganization(r.Context(), id); err != nil {
		return c.againOrg(w, r, s, "delete", f, err)
	}
	return c.redirect(w, r, "/organizations", "Organization “"+o.Name+"” deleted. Its apps can no longer get tokens for it.")
}

// orgRoutes registers the organization, organization template and JWT
// customizer pages.
func (c *console) orgRoutes() {
	c.page("GET /console/organizations", c.listOrganizations)
	c.page("GET /console/organizations/new", c.newOrganizationForm)
	c.page("POST /console/organizations/new", c.createOrganization)
	c.page("GET /console/organizations/{id}", c.showOrganization)
	c.page("POST /console/organizations/{id}/settings", c.updateOrganization)
	c.page("POST /console/organizations/{id}/custom-data", c.updateOrgCustomData)
	c.page("POST /console/organizations/{id}/applications", c.addOrgApp)
	c.page("POST /console/organizations/{id}/applications/remove", c.removeOrgApp)
	c.page("POST /console/organizations/{id}/applications/roles", c.addOrgAppRole)
	c.page("POST /console/organizations/{id}/applications/roles/remove", c.removeOrgAppRole)
	c.page("POST /console/organizations/{id}/users", c.addOrgUser)
	c.page("POST /console/organizations/{id}/users/remove", c.removeOrgUser)
	c.page("POST /console/organizations/{id}/users/roles", c.addOrgUserRole)
	c.page("POST /console/organizations/{id}/users/roles/remove", c.removeOrgUserRole)
	c.page("POST /console/organizations/{id}/delete", c.deleteOrganization)

	c.page("GET /console/organization-scopes", c.listOrgScopes)
	c.page("POST /console/organization-scopes/new", c.createOrgScope)
	c.page("POST /console/organization-scopes/{scope}/edit", c.editOrgScope)
	c.page("POST /console/organization-scopes/{scope}/delete", c.deleteOrgScope)
	c.page("GET /console/organization-roles", c.listOrgRoles)
	c.page("POST /console/organization-roles/new", c.createOrgRole)
	c.page("GET /console/organization-roles/{id}", c.showOrgRole)
	c.page("POST /console/organization-roles/{id}/settings", c.updateOrgRole)
	c.page("POST /console/organization-roles/{id}/scopes", c.orgRoleScopes(false, false))
	c.page("POST /console/organization-roles/{id}/scopes/remove", c.orgRoleScopes(false, true))
	c.page("POST /console/organization-roles/{id}/resource-scopes", c.orgRoleScopes(true, false))
	c.page("POST /console/organization-roles/{id}/resource-scopes/remove", c.orgRoleScopes(true, true))
	c.page("POST /console/organization-roles/{id}/delete", c.deleteOrgRole)

	c.page("GET /console/jwt-customizer", c.showCustomizer)
	c.page("POST /console/jwt-customizer", c.saveCustomizer)
	c.page("POST /console/jwt-customizer/test", c.testCustomizer)
	c.page("POST /console/jwt-customizer/delete", c.deleteCustomizer)
}
