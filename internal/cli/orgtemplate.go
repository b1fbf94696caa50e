package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/client"
)

// The organization template: the organization roles and scopes every
// organization shares (org-roles, org-scopes).

const orgRolesHelp = `Usage:
  gatehouse org-roles list                          list the organization roles and their scopes
  gatehouse org-roles show ROLE                     show an organization role, its organization scopes
                                                    and its API resource scopes
  gatehouse org-roles create --name NAME [--description TEXT] [--type m2m|user]
                                                    create an organization role (default type: m2m,
                                                    the type applications can hold)
  gatehouse org-roles update ROLE [--name NAME] [--description TEXT] [--type m2m|user]
                                                    rename an organization role, change its
                                                    description or its type
  gatehouse org-roles delete ROLE...                delete organization roles (members lose them)
  gatehouse org-roles scopes add ROLE SCOPE...      add organization scopes to an organization role
  gatehouse org-roles scopes remove ROLE SCOPE...   take organization scopes from an organization role
  gatehouse org-roles resource-scopes add ROLE ID|URI SCOPE...
                                                    add scopes of an API resource to an organization role
  gatehouse org-roles resource-scopes remove ROLE ID|URI SCOPE...
                                                    take scopes of an API resource from an organization role

ROLE is an organization role's id or name, SCOPE a scope's id or name.
`

const orgScopesHelp = `Usage:
  gatehouse org-scopes list                         list the organization scopes (the permissions of
                                                    the organization template)
  gatehouse org-scopes show SCOPE                   show an organization scope and the roles holding it
  gatehouse org-scopes create --name NAME [--description TEXT]
                                                    create an organization scope
  gatehouse org-scopes update SCOPE [--name NAME] [--description TEXT]
                                                    rename an organization scope or change its description
  gatehouse org-scopes delete SCOPE...              delete organization scopes (roles holding them lose them)

SCOPE is an organization scope's id or name.
`

// orgScope finds an organization scope by id or name.
func (r *runner) orgScope(m *client.ManagementAPI, ref string) (*client.OrganizationScope, error) {
	all, err := r.orgScopes(m)
	if err != nil {
		return nil, err
	}
	for _, x := range all {
		if x.ID == ref || x.Name == ref {
			return &x, nil
		}
	}
	return nil, notFound(fmt.Sprintf("no organization scope with the id or name %q", ref))
}

func (r *runner) orgScopes(m *client.ManagementAPI) ([]client.OrganizationScope, error) {
	all, err := pages(func(o client.OrganizationListOptions) ([]client.OrganizationScope, error) {
		return m.ListOrganizationScopes(r.ctx, o)
	})
	if all == nil && err == nil {
		all = []client.OrganizationScope{}
	}
	return all, err
}

func (r *runner) orgRoles(m *client.ManagementAPI) ([]client.OrganizationRole, error) {
	all, err := pages(func(o client.OrganizationListOptions) ([]client.OrganizationRole, error) {
		return m.ListOrganizationRoles(r.ctx, o)
	})
	if all == nil && err == nil {
		all = []client.OrganizationRole{}
	}
	return all, err
}

// roleType reads --type: m2m (or MachineToMachine) or user.
func roleType(s string) (string, bool) {
	switch strings.ToLower(s) {
	case "m2m", "machinetomachine":
		return client.RoleTypeM2M, true
	case "user":
		return client.RoleTypeUser, true
	}
	return "", false
}

func refNames(refs []client.OrganizationRoleRef) string {
	names := make([]string, 0, len(refs))
	for _, x := range refs {
		names = append(names, x.Name)
	}
	slices.Sort(names)
	return strings.Join(names, " ")
}

func (r *runner) orgRolesList(args []string) int {
	c := r.flags("org-roles list", orgRolesHelp)
	if _, code := r.parse(c, args, 0, 0); code >= 0 {
		return code
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	roles, err := r.orgRoles(m)
	if err != nil {
		return r.fail(err)
	}
	return output(r, roles, []string{"ID", "NAME", "TYPE", "SCOPES", "DESCRIPTION"}, func(x client.OrganizationRole) []string {
		return []string{x.ID, x.Name, x.Type, refNames(x.Scopes), x.Description}
	})
}

// orgRoleScopes are an organization role's organization scopes and its
// resource scopes (each with its resource's indicator), sorted by name.
func (r *runner) orgRoleScopes(m *client.ManagementAPI, id string) ([]client.OrganizationScope, []client.Scope, error) {
	scopes, err := pages(func(o client.OrganizationListOptions) ([]client.OrganizationScope, error) {
		return m.ListOrganizationRoleScopes(r.ctx, id, o)
	})
	if err != nil {
		return nil, nil, err
	}
	resScopes, err := pages(func(o client.OrganizationListOptions) ([]client.Scope, error) {
		return m.ListOrganizationRoleResourceScopes(r.ctx, id, o)
	})
	if err != nil {
		return nil, nil, err
	}
	if len(resScopes) > 0 {
		res, err := m.ListResources(r.ctx, client.ListResourcesParams{})
		if err != nil {
			return nil, nil, err
		}
		for i, s := range resScopes {
			if s.Resource != nil {
				continue
			}
			if j := slices.IndexFunc(res, func(x client.Resource) bool { return x.ID == s.ResourceID }); j >= 0 {
				resScopes[i].Resource = &client.Resource{ID: res[j].ID, Name: res[j].Name, Indicator: res[j].Indicator}
			}
		}
	}
	slices.SortFunc(scopes, func(a, b client.OrganizationScope) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(resScopes, func(a, b client.Scope) int { return strings.Compare(scopeLabel(a), scopeLabel(b)) })
	return append([]client.OrganizationScope{}, scopes...), append([]client.Scope{}, resScopes...), nil
}

// scopeLabel is "INDICATOR NAME" (the name alone when the resource is
// unknown).
func scopeLabel(s client.Scope) string {
	if s.Resource == nil {
		return s.Name
	}
	return s.Resource.Indicator + " " + s.Name
}

func (r *runner) orgRolesShow(args []string) int {
	c := r.flags("org-roles show", orgRolesHelp)
	pos, code := r.parse(c, args, 1, 1)
	if code >= 0 {
		return code
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	role, err := r.orgRole(m, pos[0])
	if err != nil {
		return r.fail(err)
	}
	scopes, resScopes, err := r.orgRoleScopes(m, role.ID)
	if err != nil {
		return r.fail(err)
	}
	role.Scopes, role.ResourceScopes = nil, nil
	if r.structured() {
		return r.printData(struct {
			*client.OrganizationRole
			Scopes         []client.OrganizationScope `json:"scopes"`
			ResourceScopes []client.Scope             `json:"resourceScopes"`
		}{role, scopes, resScopes})
	}
	return r.orgRoleFields(role, scopes, resScopes)
}

func (r *runner) orgRoleFields(role *client.OrganizationRole, scopes []client.OrganizationScope, resScopes []client.Scope) int {
	names := make([]string, 0, len(scopes))
	for _, s := range scopes {
		names = append(names, s.Name)
	}
	labels := make([]string, 0, len(resScopes))
	for _, s := range resScopes {
		labels = append(labels, scopeLabel(s))
	}
	return r.fields([][2]string{
		{"ID", role.ID}, {"NAME", role.Name}, {"TYPE", role.Type}, {"DESCRIPTION", role.Description},
		{"SCOPES", strings.Join(names, " ")}, {"RESOURCE SCOPES", strings.Join(labels, ", ")},
	})
}

func (r *runner) orgRoleOut(role *client.OrganizationRole) int {
	if r.structured() {
		return r.printData(role)
	}
	return r.table([]string{"ID", "NAME", "TYPE", "DESCRIPTION"}, [][]string{{role.ID, role.Name, role.Type, role.Description}})
}

func (r *runner) orgRolesCreate(args []string) int {
	c := r.flags("org-roles create", orgRolesHelp)
	name := c.fs.String("name", "", "")
	desc := c.fs.String("description", "", "")
	typ := c.fs.String("type", "m2m", "")
	pos, code := r.parse(c, args, 0, 1)
	if code >= 0 {
		return code
	}
	if len(pos) == 1 && *name == "" {
		*name = pos[0]
	}
	if *name == "" {
		return r.usage(c, "--name is needed")
	}
	t, ok := roleType(*typ)
	if !ok {
		return r.usage(c, "--type is m2m or user, not %q", *typ)
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	role, err := m.CreateOrganizationRole(r.ctx, client.OrganizationRoleCreate{Name: *name, Description: *desc, Type: t})
	if err != nil {
		return r.fail(err)
	}
	return r.orgRoleOut(role)
}

func (r *runner) orgRolesUpdate(args []string) int {
	c := r.flags("org-roles update", orgRolesHelp)
	var in client.OrganizationRoleUpdate
	var typ *string
	optString(c.fs, "name", &in.Name)
	optString(c.fs, "description", &in.Description)
	optString(c.fs, "type", &typ)
	pos, code := r.parse(c, args, 1, 1)
	if code >= 0 {
		return code
	}
	if in.Name == nil && in.Description == nil && typ == nil {
		return r.usage(c, "nothing to change: give --name, --description or --type")
	}
	if in.Name != nil && *in.Name == "" {
		return r.usage(c, "--name cannot be empty")
	}
	if typ != nil {
		t, ok := roleType(*typ)
		if !ok {
			return r.usage(c, "--type is m2m or user, not %q", *typ)
		}
		in.Type = &t
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	role, err := r.orgRole(m, pos[0])
	if err != nil {
		return r.fail(err)
	}
	if role, err = m.UpdateOrganizationRole(r.ctx, role.ID, in); err != nil {
		return r.fail(err)
	}
	return r.orgRoleOut(role)
}

func (r *runner) orgRolesDelete(args []string) int {
	find := func(m *client.ManagementAPI, ref string) (string, string, error) {
		role, err := r.orgRole(m, ref)
		if err != nil {
			return "", "", err
		}
		return role.ID, role.Name, nil
	}
	return r.deleteEach(r.flags("org-roles delete", orgRolesHelp), args, "organization role", find,
		func(m *client.ManagementAPI, id string) error { return m.DeleteOrganizationRole(r.ctx, id) })
}

func (r *runner) orgRolesScopes(args []string) int {
	return r.group("org-roles scopes", args, orgRolesHelp, map[string]func([]string) int{
		"add":    func(a []string) int { return r.orgRolesScopesChange("org-roles scopes add", a, true) },
		"remove": func(a []string) int { return r.orgRolesScopesChange("org-roles scopes remove", a, false) },
	})
}

func (r *runner) orgRolesScopesChange(name string, args []string, add bool) int {
	c := r.flags(name, orgRolesHelp)
	pos, code := r.parse(c, args, 2, -1)
	if code >= 0 {
		return code
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	role, err := r.orgRole(m, pos[0])
	if err != nil {
		return r.fail(err)
	}
	all, err := r.orgScopes(m)
	if err != nil {
		return r.fail(err)
	}
	var ids []string
	for _, ref := range pos[1:] {
		i := slices.IndexFunc(all, func(s client.OrganizationScope) bool { return s.ID == ref || s.Name == ref })
		if i < 0 {
			return r.fail(notFound(fmt.Sprintf("no organization scope with the id or name %q", ref)))
		}
		ids = append(ids, all[i].ID)
	}
	if add {
		err = m.AddOrganizationRoleScopes(r.ctx, role.ID, ids)
	} else {
		for i, id := range ids {
			if err = m.DeleteOrganizationRoleScope(r.ctx, role.ID, id); err != nil {
				err = fmt.Errorf("organization scope %s: %w", pos[1+i], err)
				break
			}
		}
	}
	if err != nil {
		return r.fail(fmt.Errorf("organization role %s: %w", role.Name, err))
	}
	return r.orgRoleAfter(m, role)
}

// orgRoleAfter prints an organization role with its scopes after a change.
func (r *runner) orgRoleAfter(m *client.ManagementAPI, role *client.OrganizationRole) int {
	scopes, resScopes, err := r.orgRoleScopes(m, role.ID)
	if err != nil {
		return r.fail(err)
	}
	if r.structured() {
		return r.printData(map[string]any{"id": role.ID, "name": role.Name, "scopes": scopes, "resourceScopes": resScopes})
	}
	role.Scopes, role.ResourceScopes = nil, nil
	return r.orgRoleFields(role, scopes, resScopes)
}

func (r *runner) orgRolesResourceScopes(args []string) int {
	return r.group("org-roles resource-scopes", args, orgRolesHelp, map[string]func([]string) int{
		"add": func(a []string) int { return r.orgRolesResourceScopesChange("org-roles resource-scopes add", a, true) },
		"remove": func(a []string) int {
			return r.orgRolesResourceScopesChange("org-roles resource-scopes remove", a, false)
		},
	})
}

func (r *runner) orgRolesResourceScopesChange(name string, args []string, add bool) int {
	c := r.flags(name, orgRolesHelp)
	pos, code := r.parse(c, args, 3, -1)
	if code >= 0 {
		return code
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	role, err := r.orgRole(m, pos[0])
	if err != nil {
		return r.fail(err)
	}
	res, err := r.resource(m, pos[1])
	if err != nil {
		return r.fail(err)
	}
	all, err := collect(m.AllResourceScopes(r.ctx, res.ID, client.ListOptions{}))
	if err != nil {
		return r.fail(err)
	}
	var ids []string
	for _, ref := range pos[2:] {
		i := slices.IndexFunc(all, func(s client.Scope) bool { return s.ID == ref || s.Name == ref })
		if i < 0 {
			return r.fail(notFound(fmt.Sprintf("resource %s has no scope %q", res.Indicator, ref)))
		}
		ids = append(ids, all[i].ID)
	}
	if add {
		err = m.AddOrganizationRoleResourceScopes(r.ctx, role.ID, ids)
	} else {
		for i, id := range ids {
			if err = m.DeleteOrganizationRoleResourceScope(r.ctx, role.ID, id); err != nil {
				err = fmt.Errorf("scope %s of %s: %w", pos[2+i], res.Indicator, err)
				break
			}
		}
	}
	if err != nil {
		return r.fail(fmt.Errorf("organization role %s: %w", role.Name, err))
	}
	return r.orgRoleAfter(m, role)
}

func (r *runner) orgScopesList(args []string) int {
	c := r.flags("org-scopes list", orgScopesHelp)
	if _, code := r.parse(c, args, 0, 0); code >= 0 {
		return code
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	scopes, err := r.orgScopes(m)
	if err != nil {
		return r.fail(err)
	}
	return r.orgScopesOut(scopes)
}

func (r *runner) orgScopesOut(scopes []client.OrganizationScope) int {
	return output(r, scopes, []string{"ID", "NAME", "DESCRIPTION"}, func(s client.OrganizationScope) []string {
		return []string{s.ID, s.Name, s.Description}
	})
}

func (r *runner) orgScopesShow(args []string) int {
	c := r.flags("org-scopes show", orgScopesHelp)
	pos, code := r.parse(c, args, 1, 1)
	if code >= 0 {
		return code
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	s, err := r.orgScope(m, pos[0])
	if err != nil {
		return r.fail(err)
	}
	roles, err := r.orgRoles(m)
	if err != nil {
		return r.fail(err)
	}
	holders := []client.OrganizationRoleRef{}
	for _, role := range roles {
		if slices.ContainsFunc(role.Scopes, func(x client.OrganizationRoleRef) bool { return x.ID == s.ID }) {
			holders = append(holders, client.OrganizationRoleRef{ID: role.ID, Name: role.Name})
		}
	}
	if r.structured() {
		return r.printData(struct {
			*client.OrganizationScope
			Roles []client.OrganizationRoleRef `json:"roles"`
		}{s, holders})
	}
	return r.fields([][2]string{{"ID", s.ID}, {"NAME", s.Name}, {"DESCRIPTION", s.Description}, {"ROLES", refNames(holders)}})
}

func (r *runner) orgScopesCreate(args []string) int {
	c := r.flags("org-scopes create", orgScopesHelp)
	name := c.fs.String("name", "", "")
	var desc *string
	optString(c.fs, "description", &desc)
	pos, code := r.parse(c, args, 0, 1)
	if code >= 0 {
		return code
	}
	if len(pos) == 1 && *name == "" {
		*name = pos[0]
	}
	if *name == "" {
		return r.usage(c, "--name is needed")
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	s, err := m.CreateOrganizationScope(r.ctx, client.OrganizationScopeWrite{Name: *name, Description: desc})
	if err != nil {
		return r.fail(err)
	}
	if r.structured() {
		return r.printData(s)
	}
	return r.orgScopesOut([]client.OrganizationScope{*s})
}

func (r *runner) orgScopesUpdate(args []string) int {
	c := r.flags("org-scopes update", orgScopesHelp)
	var name, desc *string
	optString(c.fs, "name", &name)
	optString(c.fs, "description", &desc)
	pos, code := r.parse(c, args, 1, 1)
	if code >= 0 {
		return code
	}
	if name == nil && desc == nil {
		return r.usage(c, "nothing to change: give --name or --description")
	}
	if name != nil && *name == "" {
		return r.usage(c, "--name cannot be empty")
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	s, err := r.orgScope(m, pos[0])
	if err != nil {
		return r.fail(err)
	}
	in := client.OrganizationScopeWrite{Description: desc}
	if name != nil {
		in.Name = *name
	}
	if s, err = m.UpdateOrganizationScope(r.ctx, s.ID, in); err != nil {
		return r.fail(err)
	}
	if r.structured() {
		return r.printData(s)
	}
	return r.orgScopesOut([]client.OrganizationScope{*s})
}

func (r *runner) orgScopesDelete(args []string) int {
	find := func(m *client.ManagementAPI, ref string) (string, string, error) {
		s, err := r.orgScope(m, ref)
		if err != nil {
			return "", "", err
		}
		return s.ID, s.Name, nil
	}
	return r.deleteEach(r.flags("org-scopes delete", orgScopesHelp), args, "organization scope", find,
		func(m *client.ManagementAPI, id string) error { return m.DeleteOrganizationScope(r.ctx, id) })
}
