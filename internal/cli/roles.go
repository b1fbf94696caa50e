package cli

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/client"
)

const rolesHelp = `Usage:
  gatehouse roles list                              list the roles
  gatehouse roles show ROLE                         show a role, its scopes and its applications
  gatehouse roles create --name NAME [--description TEXT] [--type m2m|user]
                                                    create a role (default type: m2m, for applications)
  gatehouse roles update ROLE [--name NAME] [--description TEXT]
                                                    rename a role or change its description
  gatehouse roles delete ROLE...                    delete roles (the applications holding them lose them)
  gatehouse roles assign ROLE APP-ID...             give a role to applications
  gatehouse roles unassign ROLE APP-ID...           take a role back from applications
  gatehouse roles grant ROLE --resource ID|URI SCOPE...
                                                    add scopes of a resource (by name) to a role
  gatehouse roles grant ROLE SCOPE-ID...            add scopes (by id) to a role

ROLE is a role's id or name.
`

func (r *runner) rolesList(args []string) int {
	c := r.flags("roles list", rolesHelp)
	if _, code := r.parse(c, args, 0, 0); code >= 0 {
		return code
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	roles, err := collect(m.AllRoles(r.ctx, client.ListRolesParams{}))
	if err != nil {
		return r.fail(err)
	}
	return output(r, roles, []string{"ID", "NAME", "TYPE", "APPS", "DESCRIPTION"}, func(x client.Role) []string {
		return []string{x.ID, x.Name, x.Type, strconv.Itoa(x.ApplicationsCount), x.Description}
	})
}

func (r *runner) rolesCreate(args []string) int {
	c := r.flags("roles create", rolesHelp)
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
	var t string
	switch strings.ToLower(*typ) {
	case "m2m", "machinetomachine":
		t = client.RoleTypeM2M
	case "user":
		t = client.RoleTypeUser
	default:
		return r.usage(c, "--type is m2m or user, not %q", *typ)
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	role, err := m.CreateRole(r.ctx, client.RoleCreate{Name: *name, Description: first(*desc, *name), Type: t})
	if err != nil {
		return r.fail(err)
	}
	if r.structured() {
		return r.printData(role)
	}
	return r.table([]string{"ID", "NAME", "TYPE"}, [][]string{{role.ID, role.Name, role.Type}})
}

// role finds a role by id, then by name.
func (r *runner) role(m *client.ManagementAPI, ref string) (*client.Role, error) {
	role, err := m.GetRole(r.ctx, ref)
	if err == nil || !errorsIsNotFound(err) {
		return role, err
	}
	for x, err := range m.AllRoles(r.ctx, client.ListRolesParams{}) {
		if err != nil {
			return nil, err
		}
		if x.Name == ref {
			return &x, nil
		}
	}
	return nil, notFound(fmt.Sprintf("no role with the id or name %q", ref))
}

func (r *runner) rolesAssign(args []string) int {
	c := r.flags("roles assign", rolesHelp)
	pos, code := r.parse(c, args, 2, -1)
	if code >= 0 {
		return code
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	role, err := r.role(m, pos[0])
	if err != nil {
		return r.fail(err)
	}
	if err := m.AssignRoleApplications(r.ctx, role.ID, pos[1:]); err != nil {
		return r.fail(err)
	}
	if r.structured() {
		return r.printData(map[string]any{"roleId": role.ID, "applicationIds": pos[1:]})
	}
	fmt.Fprintf(r.stdout, "role %s (%s) assigned to %s\n", role.Name, role.ID, strings.Join(pos[1:], ", "))
	return ExitOK
}

func (r *runner) rolesGrant(args []string) int {
	c := r.flags("roles grant", rolesHelp)
	ref := c.fs.String("resource", "", "")
	pos, code := r.parse(c, args, 2, -1)
	if code >= 0 {
		return code
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	role, err := r.role(m, pos[0])
	if err != nil {
		return r.fail(err)
	}
	ids := pos[1:]
	if *ref != "" {
		res, err := r.resource(m, *ref)
		if err != nil {
			return r.fail(err)
		}
		byName := map[string]string{}
		for s, err := range m.AllResourceScopes(r.ctx, res.ID, client.ListOptions{}) {
			if err != nil {
				return r.fail(err)
			}
			byName[s.Name] = s.ID
		}
		ids = make([]string, 0, len(pos)-1)
		for _, n := range pos[1:] {
			id, ok := byName[n]
			if !ok {
				return r.fail(notFound(fmt.Sprintf("resource %s has no scope %q", res.Indicator, n)))
			}
			ids = append(ids, id)
		}
	}
	scopes, err := m.AssignRoleScopes(r.ctx, role.ID, ids)
	if err != nil {
		return r.fail(err)
	}
	if r.structured() {
		return r.printData(scopes)
	}
	return r.scopesOut(scopes)
}

func (r *runner) rolesShow(args []string) int {
	c := r.flags("roles show", rolesHelp)
	pos, code := r.parse(c, args, 1, 1)
	if code >= 0 {
		return code
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	role, err := r.role(m, pos[0])
	if err != nil {
		return r.fail(err)
	}
	scopes, err := collect(m.AllRoleScopes(r.ctx, role.ID, client.ListOptions{}))
	if err != nil {
		return r.fail(err)
	}
	apps, err := collect(m.AllRoleApplications(r.ctx, role.ID, client.ListOptions{}))
	if err != nil {
		return r.fail(err)
	}
	if r.structured() {
		return r.printData(struct {
			*client.Role
			Scopes       []client.Scope       `json:"scopes"`
			Applications []client.Application `json:"applications"`
		}{role, scopes, apps})
	}
	names := make([]string, 0, len(scopes))
	for _, s := range scopes {
		names = append(names, s.Name)
	}
	slices.Sort(names)
	ids := make([]string, 0, len(apps))
	for _, a := range apps {
		ids = append(ids, a.ID)
	}
	slices.Sort(ids)
	return r.fields([][2]string{
		{"ID", role.ID}, {"NAME", role.Name}, {"TYPE", role.Type}, {"DESCRIPTION", role.Description},
		{"SCOPES", strings.Join(names, " ")}, {"APPS", strings.Join(ids, " ")},
	})
}

func (r *runner) rolesDelete(args []string) int {
	find := func(m *client.ManagementAPI, ref string) (string, string, error) {
		role, err := r.role(m, ref)
		if err != nil {
			return "", "", err
		}
		return role.ID, role.Name, nil
	}
	return r.deleteEach(r.flags("roles delete", rolesHelp), args, "role", find,
		func(m *client.ManagementAPI, id string) error { return m.DeleteRole(r.ctx, id) })
}

func (r *runner) rolesUnassign(args []string) int {
	c := r.flags("roles unassign", rolesHelp)
	pos, code := r.parse(c, args, 2, -1)
	if code >= 0 {
		return code
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	role, err := r.role(m, pos[0])
	if err != nil {
		return r.fail(err)
	}
	for _, id := range pos[1:] {
		if err := m.DeleteRoleApplication(r.ctx, role.ID, id); err != nil {
			return r.fail(fmt.Errorf("application %s: %w", id, err))
		}
	}
	if r.structured() {
		return r.printData(map[string]any{"roleId": role.ID, "applicationIds": pos[1:]})
	}
	fmt.Fprintf(r.stdout, "role %s (%s) taken from %s\n", role.Name, role.ID, strings.Join(pos[1:], ", "))
	return ExitOK
}

func (r *runner) rolesUpdate(args []string) int {
	c := r.flags("roles update", rolesHelp)
	var in client.RoleUpdate
	optString(c.fs, "name", &in.Name)
	optString(c.fs, "description", &in.Description)
	pos, code := r.parse(c, args, 1, 1)
	if code >= 0 {
		return code
	}
	if in.Name == nil && in.Description == nil {
		return r.usage(c, "nothing to change: give --name or --description")
	}
	if in.Name != nil && *in.Name == "" || in.Description != nil && *in.Description == "" {
		return r.usage(c, "--name and --description cannot be empty")
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	role, err := r.role(m, pos[0])
	if err != nil {
		return r.fail(err)
	}
	role, err = m.UpdateRole(r.ctx, role.ID, in)
	if err != nil {
		return r.fail(err)
	}
	if r.structured() {
		return r.printData(role)
	}
	return r.table([]string{"ID", "NAME", "TYPE", "DESCRIPTION"}, [][]string{{role.ID, role.Name, role.Type, role.Description}})
}
