package cli

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/client"
)

const orgsHelp = `Usage:
  gatehouse orgs list                               list the organizations
  gatehouse orgs show ORG                           show an organization and its application members
  gatehouse orgs create --name NAME [--description TEXT]
                                                    create an organization
  gatehouse orgs update ORG [--name NAME] [--description TEXT]
                                                    rename an organization or change its description
  gatehouse orgs delete ORG...                      delete organizations (their memberships go too)
  gatehouse orgs apps add ORG APP-ID...             make applications members of an organization
  gatehouse orgs apps remove ORG APP-ID...          take applications out of an organization
  gatehouse orgs roles assign ORG APP-ID ROLE...    give a member application organization roles
  gatehouse orgs roles unassign ORG APP-ID ROLE...  take organization roles back from a member

ORG is an organization's id or name; ROLE an organization role's id or name.
`

// org finds an organization by id, then by name.
func (r *runner) org(m *client.ManagementAPI, ref string) (*client.Organization, error) {
	o, err := m.GetOrganization(r.ctx, ref)
	if err == nil || !errorsIsNotFound(err) {
		return o, err
	}
	for x, err := range m.AllOrganizations(r.ctx, client.OrganizationListOptions{}) {
		if err != nil {
			return nil, err
		}
		if x.Name == ref {
			return &x, nil
		}
	}
	return nil, notFound(fmt.Sprintf("no organization with the id or name %q", ref))
}

// orgRole finds an organization role by id or name.
func (r *runner) orgRole(m *client.ManagementAPI, ref string) (*client.OrganizationRole, error) {
	all, err := pages(func(o client.OrganizationListOptions) ([]client.OrganizationRole, error) {
		return m.ListOrganizationRoles(r.ctx, o)
	})
	if err != nil {
		return nil, err
	}
	for _, x := range all {
		if x.ID == ref || x.Name == ref {
			return &x, nil
		}
	}
	return nil, notFound(fmt.Sprintf("no organization role with the id or name %q", ref))
}

func (r *runner) orgsList(args []string) int {
	c := r.flags("orgs list", orgsHelp)
	if _, code := r.parse(c, args, 0, 0); code >= 0 {
		return code
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	orgs, err := collect(m.AllOrganizations(r.ctx, client.OrganizationListOptions{}))
	if err != nil {
		return r.fail(err)
	}
	return output(r, orgs, []string{"ID", "NAME", "CREATED", "DESCRIPTION"}, func(o client.Organization) []string {
		return []string{o.ID, o.Name, date(o.CreatedAt), o.Description}
	})
}

func (r *runner) orgsShow(args []string) int {
	c := r.flags("orgs show", orgsHelp)
	pos, code := r.parse(c, args, 1, 1)
	if code >= 0 {
		return code
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	o, err := r.org(m, pos[0])
	if err != nil {
		return r.fail(err)
	}
	members, err := pages(func(lo client.OrganizationListOptions) ([]client.OrganizationMember, error) {
		return m.ListOrganizationApplications(r.ctx, o.ID, lo)
	})
	if err != nil {
		return r.fail(err)
	}
	if members == nil {
		members = []client.OrganizationMember{}
	}
	if r.structured() {
		return r.printData(struct {
			*client.Organization
			Applications []client.OrganizationMember `json:"applications"`
		}{o, members})
	}
	if code := r.fields([][2]string{{"ID", o.ID}, {"NAME", o.Name}, {"DESCRIPTION", o.Description}, {"CREATED", date(o.CreatedAt)}}); code != ExitOK {
		return code
	}
	fmt.Fprintln(r.stdout)
	return output(r, members, []string{"APP", "NAME", "ROLES"}, func(x client.OrganizationMember) []string {
		var names []string
		for _, role := range x.OrganizationRoles {
			names = append(names, role.Name)
		}
		slices.Sort(names)
		return []string{x.ID, x.Name, strings.Join(names, " ")}
	})
}

func (r *runner) orgsCreate(args []string) int {
	c := r.flags("orgs create", orgsHelp)
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
	o, err := m.CreateOrganization(r.ctx, client.OrganizationWrite{Name: *name, Description: desc})
	if err != nil {
		return r.fail(err)
	}
	return r.orgOut(o)
}

func (r *runner) orgOut(o *client.Organization) int {
	if r.structured() {
		return r.printData(o)
	}
	return r.table([]string{"ID", "NAME", "DESCRIPTION"}, [][]string{{o.ID, o.Name, o.Description}})
}

func (r *runner) orgsUpdate(args []string) int {
	c := r.flags("orgs update", orgsHelp)
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
	o, err := r.org(m, pos[0])
	if err != nil {
		return r.fail(err)
	}
	in := client.OrganizationWrite{Description: desc}
	if name != nil {
		in.Name = *name
	}
	if o, err = m.UpdateOrganization(r.ctx, o.ID, in); err != nil {
		return r.fail(err)
	}
	return r.orgOut(o)
}

func (r *runner) orgsDelete(args []string) int {
	find := func(m *client.ManagementAPI, ref string) (string, string, error) {
		o, err := r.org(m, ref)
		if err != nil {
			return "", "", err
		}
		return o.ID, o.Name, nil
	}
	return r.deleteEach(r.flags("orgs delete", orgsHelp), args, "organization", find,
		func(m *client.ManagementAPI, id string) error { return m.DeleteOrganization(r.ctx, id) })
}

func (r *runner) orgsApps(args []string) int {
	return r.group("orgs apps", args, orgsHelp, map[string]func([]string) int{
		"add":    func(a []string) int { return r.orgsMembers("orgs apps add", a, true) },
		"remove": func(a []string) int { return r.orgsMembers("orgs apps remove", a, false) },
	})
}

func (r *runner) orgsMembers(name string, args []string, add bool) int {
	c := r.flags(name, orgsHelp)
	pos, code := r.parse(c, args, 2, -1)
	if code >= 0 {
		return code
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	o, err := r.org(m, pos[0])
	if err != nil {
		return r.fail(err)
	}
	apps := pos[1:]
	verb := "added to"
	if add {
		err = m.AddOrganizationApplications(r.ctx, o.ID, apps)
	} else {
		verb = "removed from"
		for _, id := range apps {
			if err = m.DeleteOrganizationApplication(r.ctx, o.ID, id); err != nil {
				err = fmt.Errorf("application %s: %w", id, err)
				break
			}
		}
	}
	if err != nil {
		return r.fail(err)
	}
	if r.structured() {
		return r.printData(map[string]any{"organizationId": o.ID, "applicationIds": apps})
	}
	fmt.Fprintf(r.stdout, "%s %s organization %s (%s)\n", strings.Join(apps, ", "), verb, o.Name, o.ID)
	return ExitOK
}

func (r *runner) orgsRoles(args []string) int {
	return r.group("orgs roles", args, orgsHelp, map[string]func([]string) int{
		"assign":   func(a []string) int { return r.orgsMemberRoles("orgs roles assign", a, true) },
		"unassign": func(a []string) int { return r.orgsMemberRoles("orgs roles unassign", a, false) },
	})
}

func (r *runner) orgsMemberRoles(name string, args []string, assign bool) int {
	c := r.flags(name, orgsHelp)
	pos, code := r.parse(c, args, 3, -1)
	if code >= 0 {
		return code
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	o, err := r.org(m, pos[0])
	if err != nil {
		return r.fail(err)
	}
	app := pos[1]
	var ids, names []string
	for _, ref := range pos[2:] {
		role, err := r.orgRole(m, ref)
		if err != nil {
			return r.fail(err)
		}
		ids, names = append(ids, role.ID), append(names, role.Name)
	}
	if assign {
		err = m.AssignOrganizationApplicationRoles(r.ctx, o.ID, app, ids)
	} else {
		for _, id := range ids {
			if err = m.DeleteOrganizationApplicationRole(r.ctx, o.ID, app, id); err != nil {
				break
			}
		}
	}
	if err != nil {
		return r.fail(fmt.Errorf("application %s in organization %s: %w", app, o.Name, err))
	}
	roles, err := m.ListOrganizationApplicationRoles(r.ctx, o.ID, app, client.OrganizationListOptions{PageSize: 100})
	if err != nil {
		return r.fail(err)
	}
	if roles == nil {
		roles = []client.OrganizationRole{}
	}
	return output(r, roles, []string{"ID", "NAME", "TYPE"}, func(x client.OrganizationRole) []string {
		return []string{x.ID, x.Name, x.Type}
	})
}

const customizerHelp = `Usage:
  gatehouse customizer show                         show the client-credentials JWT customizer
                                                    (-o json|yaml: with its environment variables)
  gatehouse customizer set -f SCRIPT.js [--env NAME=VALUE]... [--block-on-error]
                                                    set the customizer's script (- : standard input);
                                                    without --env the variables stay as they are
  gatehouse customizer delete                       delete the customizer (tokens lose its claims)
  gatehouse customizer test -f SCRIPT.js [--env NAME=VALUE]...
                                                    run a script on a sample token, print its claims
`

func (r *runner) customizerShow(args []string) int {
	c := r.flags("customizer show", customizerHelp)
	if _, code := r.parse(c, args, 0, 0); code >= 0 {
		return code
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	cz, err := m.GetJwtCustomizerClientCredentials(r.ctx)
	if err != nil {
		return r.fail(fmt.Errorf("customizer: %w", err))
	}
	if r.structured() {
		return r.printData(cz)
	}
	block := "no"
	if cz.BlockIssuanceOnError != nil && *cz.BlockIssuanceOnError {
		block = "yes"
	}
	r.fields([][2]string{{"BLOCK ON ERROR", block}, {"ENVIRONMENT", strings.Join(sortedKeys(cz.EnvironmentVariables), " ")}})
	fmt.Fprintf(r.stdout, "\n%s\n", strings.TrimRight(cz.Script, "\n"))
	return ExitOK
}

// readScript reads -f (- : standard input).
func (r *runner) readScript(c *command, file string) (string, int) {
	if file == "" {
		return "", r.usage(c, "-f SCRIPT.js is needed")
	}
	var b []byte
	var err error
	if file == "-" {
		b, err = io.ReadAll(io.LimitReader(r.stdin, 1<<20))
	} else {
		b, err = os.ReadFile(file)
	}
	if err != nil {
		return "", r.usage(c, "%v", err)
	}
	return string(b), -1
}

func (r *runner) customizerSet(args []string) int {
	c := r.flags("customizer set", customizerHelp)
	var env map[string]string
	file := c.fs.String("f", "", "")
	c.fs.StringVar(file, "file", "", "")
	c.fs.Func("env", "", envFlag(&env))
	block := c.fs.Bool("block-on-error", false, "")
	if _, code := r.parse(c, args, 0, 0); code >= 0 {
		return code
	}
	script, code := r.readScript(c, *file)
	if code >= 0 {
		return code
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	in := client.JWTCustomizer{Script: script, EnvironmentVariables: env, BlockIssuanceOnError: block}
	if env == nil {
		cur, err := m.GetJwtCustomizerClientCredentials(r.ctx)
		if err != nil && !errorsIsNotFound(err) {
			return r.fail(err)
		}
		if cur != nil {
			in.EnvironmentVariables = cur.EnvironmentVariables
		}
	}
	if _, err := m.UpsertJwtCustomizerClientCredentials(r.ctx, in); err != nil {
		return r.fail(err)
	}
	if r.structured() {
		return r.printData(map[string]bool{"set": true})
	}
	fmt.Fprintln(r.stdout, "customizer set")
	return ExitOK
}

func (r *runner) customizerDelete(args []string) int {
	c := r.flags("customizer delete", customizerHelp)
	if _, code := r.parse(c, args, 0, 0); code >= 0 {
		return code
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	if err := m.DeleteJwtCustomizerClientCredentials(r.ctx); err != nil {
		return r.fail(fmt.Errorf("customizer: %w", err))
	}
	if r.structured() {
		return r.printData(map[string]bool{"deleted": true})
	}
	fmt.Fprintln(r.stdout, "customizer deleted")
	return ExitOK
}

func (r *runner) customizerTest(args []string) int {
	c := r.flags("customizer test", customizerHelp)
	var env map[string]string
	file := c.fs.String("f", "", "")
	c.fs.StringVar(file, "file", "", "")
	c.fs.Func("env", "", envFlag(&env))
	if _, code := r.parse(c, args, 0, 0); code >= 0 {
		return code
	}
	script, code := r.readScript(c, *file)
	if code >= 0 {
		return code
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	claims, err := m.TestJwtCustomizer(r.ctx, client.JWTCustomizerTest{Script: script, EnvironmentVariables: env})
	if err != nil {
		return r.fail(err)
	}
	if r.format == formatYAML {
		return r.printData(claims)
	}
	r.format = formatJSON // claims are JSON, also for people
	return r.printData(claims)
}

// envFlag is a --env NAME=VALUE flag adding to *env.
func envFlag(env *map[string]string) func(string) error {
	return func(s string) error {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return fmt.Errorf("want NAME=VALUE")
		}
		if *env == nil {
			*env = map[string]string{}
		}
		(*env)[k] = v
		return nil
	}
}
