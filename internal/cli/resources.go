package cli

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/client"
)

// maxTTL is the longest token lifetime the server accepts (a year).
const maxTTL = 31536000

const resourcesHelp = `Usage:
  gatehouse resources list                          list the API resources and their scopes
  gatehouse resources show ID|URI                   show an API resource and its scopes
  gatehouse resources create --name NAME --indicator URI [--ttl SECONDS]
                                                    create an API resource; URI absolute (like
                                                    https://shopping.api), SECONDS 1 to 31536000
                                                    (default 3600)
  gatehouse resources update ID|URI [--name NAME] [--ttl SECONDS]
                                                    rename a resource or change its token lifetime
                                                    (the indicator cannot change)
  gatehouse resources delete ID|URI...              delete API resources (their scopes go too, and
                                                    leave the roles that held them)

A resource is given by its id or its indicator.
`

const scopesHelp = `Usage:
  gatehouse scopes list --resource ID|URI           list a resource's scopes
  gatehouse scopes create --resource ID|URI [--description TEXT] NAME...
                                                    create scopes (permissions) of a resource
  gatehouse scopes update --resource ID|URI NAME|ID [--name NEW] [--description TEXT]
                                                    rename a scope or change its description (tokens
                                                    already issued keep the old name)
  gatehouse scopes delete --resource ID|URI NAME|ID...
                                                    delete scopes of a resource (by name or id); roles
                                                    holding them lose them

The resource is given by its id or its indicator.
`

func (r *runner) resourcesList(args []string) int {
	c := r.flags("resources list", resourcesHelp)
	if _, code := r.parse(c, args, 0, 0); code >= 0 {
		return code
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	res, err := m.ListResources(r.ctx, client.ListResourcesParams{IncludeScopes: true})
	if err != nil {
		return r.fail(err)
	}
	if r.structured() {
		if res == nil {
			res = []client.Resource{}
		}
		return r.printData(res)
	}
	rows := make([][]string, 0, len(res))
	for _, x := range res {
		names := make([]string, 0, len(x.Scopes))
		for _, s := range x.Scopes {
			names = append(names, s.Name)
		}
		slices.Sort(names) // a stable column; the API gives scopes in no defined order
		def := ""
		if x.IsDefault {
			def = "yes"
		}
		rows = append(rows, []string{x.ID, x.Name, x.Indicator, strconv.FormatInt(x.AccessTokenTTL, 10), def, strings.Join(names, " ")})
	}
	return r.table([]string{"ID", "NAME", "INDICATOR", "TTL", "DEFAULT", "SCOPES"}, rows)
}

func (r *runner) resourcesCreate(args []string) int {
	c := r.flags("resources create", resourcesHelp)
	name := c.fs.String("name", "", "")
	indicator := c.fs.String("indicator", "", "")
	var ttl *int64
	c.fs.Func("ttl", "", func(s string) error {
		n, err := strconv.ParseInt(s, 10, 64)
		ttl = &n
		return err
	})
	if _, code := r.parse(c, args, 0, 0); code >= 0 {
		return code
	}
	if *name == "" || *indicator == "" {
		return r.usage(c, "--name and --indicator are needed")
	}
	if u, err := url.Parse(*indicator); err != nil || u.Scheme == "" || u.Host == "" && u.Opaque == "" || u.Fragment != "" {
		return r.usage(c, "--indicator %q is not an absolute URI without a fragment, like https://shopping.api", *indicator)
	}
	if ttl != nil && (*ttl < 1 || *ttl > maxTTL) {
		return r.usage(c, "--ttl %d is out of range: the token lifetime is 1 to %d seconds (omit --ttl for the default, 3600)", *ttl, maxTTL)
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	res, err := m.CreateResource(r.ctx, client.ResourceCreate{Name: *name, Indicator: *indicator, AccessTokenTTL: ttl})
	if err != nil {
		return r.fail(err)
	}
	if r.structured() {
		return r.printData(res)
	}
	return r.table([]string{"ID", "NAME", "INDICATOR", "TTL"}, [][]string{{res.ID, res.Name, res.Indicator, strconv.FormatInt(res.AccessTokenTTL, 10)}})
}

// resource finds a resource by id or indicator.
func (r *runner) resource(m *client.ManagementAPI, ref string) (*client.Resource, error) {
	all, err := m.ListResources(r.ctx, client.ListResourcesParams{})
	if err != nil {
		return nil, err
	}
	for _, x := range all {
		if x.ID == ref || x.Indicator == ref {
			return &x, nil
		}
	}
	return nil, notFound(fmt.Sprintf("no API resource with the id or indicator %q", ref))
}

func (r *runner) scopesList(args []string) int {
	c := r.flags("scopes list", scopesHelp)
	ref := c.fs.String("resource", "", "")
	if _, code := r.parse(c, args, 0, 0); code >= 0 {
		return code
	}
	if *ref == "" {
		return r.usage(c, "--resource is needed")
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	res, err := r.resource(m, *ref)
	if err != nil {
		return r.fail(err)
	}
	scopes, err := collect(m.AllResourceScopes(r.ctx, res.ID, client.ListOptions{}))
	if err != nil {
		return r.fail(err)
	}
	return r.scopesOut(scopes)
}

func (r *runner) scopesCreate(args []string) int {
	c := r.flags("scopes create", scopesHelp)
	ref := c.fs.String("resource", "", "")
	desc := c.fs.String("description", "", "")
	names, code := r.parse(c, args, 1, -1)
	if code >= 0 {
		return code
	}
	if *ref == "" {
		return r.usage(c, "--resource is needed")
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	res, err := r.resource(m, *ref)
	if err != nil {
		return r.fail(err)
	}
	var made []client.Scope
	for _, n := range names {
		s, err := m.CreateResourceScope(r.ctx, res.ID, client.ScopeCreate{Name: n, Description: *desc})
		if err != nil {
			return r.fail(fmt.Errorf("scope %s: %w", n, err))
		}
		made = append(made, *s)
	}
	return r.scopesOut(made)
}

func (r *runner) scopesOut(scopes []client.Scope) int {
	return output(r, scopes, []string{"ID", "NAME", "DESCRIPTION"}, func(s client.Scope) []string {
		return []string{s.ID, s.Name, s.Description}
	})
}

func (r *runner) resourcesShow(args []string) int {
	c := r.flags("resources show", resourcesHelp)
	pos, code := r.parse(c, args, 1, 1)
	if code >= 0 {
		return code
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	res, err := r.resource(m, pos[0])
	if err != nil {
		return r.fail(err)
	}
	scopes, err := collect(m.AllResourceScopes(r.ctx, res.ID, client.ListOptions{}))
	if err != nil {
		return r.fail(err)
	}
	slices.SortFunc(scopes, func(a, b client.Scope) int { return strings.Compare(a.Name, b.Name) })
	res.Scopes = scopes
	if r.structured() {
		return r.printData(res)
	}
	def := "no"
	if res.IsDefault {
		def = "yes"
	}
	if code := r.fields([][2]string{
		{"ID", res.ID}, {"NAME", res.Name}, {"INDICATOR", res.Indicator},
		{"TTL", strconv.FormatInt(res.AccessTokenTTL, 10)}, {"DEFAULT", def},
	}); code != ExitOK {
		return code
	}
	fmt.Fprintln(r.stdout)
	return r.scopesOut(scopes)
}

func (r *runner) resourcesDelete(args []string) int {
	find := func(m *client.ManagementAPI, ref string) (string, string, error) {
		res, err := r.resource(m, ref)
		if err != nil {
			return "", "", err
		}
		return res.ID, res.Indicator, nil
	}
	return r.deleteEach(r.flags("resources delete", resourcesHelp), args, "resource", find,
		func(m *client.ManagementAPI, id string) error { return m.DeleteResource(r.ctx, id) })
}

func (r *runner) scopesDelete(args []string) int {
	c := r.flags("scopes delete", scopesHelp)
	ref := c.fs.String("resource", "", "")
	names, code := r.parse(c, args, 1, -1)
	if code >= 0 {
		return code
	}
	if *ref == "" {
		return r.usage(c, "--resource is needed")
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	res, err := r.resource(m, *ref)
	if err != nil {
		return r.fail(err)
	}
	scopes, err := collect(m.AllResourceScopes(r.ctx, res.ID, client.ListOptions{}))
	if err != nil {
		return r.fail(err)
	}
	var gone []client.Scope
	for _, n := range names {
		i := slices.IndexFunc(scopes, func(s client.Scope) bool { return s.Name == n || s.ID == n })
		if i < 0 {
			return r.fail(notFound(fmt.Sprintf("resource %s has no scope %q", res.Indicator, n)))
		}
		if err := m.DeleteResourceScope(r.ctx, res.ID, scopes[i].ID); err != nil {
			return r.fail(fmt.Errorf("scope %s: %w", n, err))
		}
		gone = append(gone, scopes[i])
		if !r.structured() {
			fmt.Fprintf(r.stdout, "deleted scope %s (%s) of %s\n", scopes[i].Name, scopes[i].ID, res.Indicator)
		}
	}
	if r.structured() {
		return r.printData(map[string]any{"deleted": gone})
	}
	return ExitOK
}

func (r *runner) resourcesUpdate(args []string) int {
	c := r.flags("resources update", resourcesHelp)
	var in client.ResourceUpdate
	optString(c.fs, "name", &in.Name)
	c.fs.Func("ttl", "", func(s string) error {
		n, err := strconv.ParseInt(s, 10, 64)
		in.AccessTokenTTL = &n
		return err
	})
	pos, code := r.parse(c, args, 1, 1)
	if code >= 0 {
		return code
	}
	if in.Name == nil && in.AccessTokenTTL == nil {
		return r.usage(c, "nothing to change: give --name or --ttl")
	}
	if in.Name != nil && *in.Name == "" {
		return r.usage(c, "--name cannot be empty")
	}
	if ttl := in.AccessTokenTTL; ttl != nil && (*ttl < 1 || *ttl > maxTTL) {
		return r.usage(c, "--ttl %d is out of range: the token lifetime is 1 to %d seconds", *ttl, maxTTL)
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	res, err := r.resource(m, pos[0])
	if err != nil {
		return r.fail(err)
	}
	res, err = m.UpdateResource(r.ctx, res.ID, in)
	if err != nil {
		return r.fail(err)
	}
	if r.structured() {
		return r.printData(res)
	}
	return r.table([]string{"ID", "NAME", "INDICATOR", "TTL"}, [][]string{{res.ID, res.Name, res.Indicator, strconv.FormatInt(res.AccessTokenTTL, 10)}})
}

func (r *runner) scopesUpdate(args []string) int {
	c := r.flags("scopes update", scopesHelp)
	ref := c.fs.String("resource", "", "")
	var in client.ScopeUpdate
	optString(c.fs, "name", &in.Name)
	optString(c.fs, "description", &in.Description)
	pos, code := r.parse(c, args, 1, 1)
	if code >= 0 {
		return code
	}
	if *ref == "" {
		return r.usage(c, "--resource is needed")
	}
	if in.Name == nil && in.Description == nil {
		return r.usage(c, "nothing to change: give --name or --description")
	}
	if in.Name != nil && *in.Name == "" {
		return r.usage(c, "--name cannot be empty")
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	res, err := r.resource(m, *ref)
	if err != nil {
		return r.fail(err)
	}
	scopes, err := collect(m.AllResourceScopes(r.ctx, res.ID, client.ListOptions{}))
	if err != nil {
		return r.fail(err)
	}
	i := slices.IndexFunc(scopes, func(s client.Scope) bool { return s.Name == pos[0] || s.ID == pos[0] })
	if i < 0 {
		return r.fail(notFound(fmt.Sprintf("resource %s has no scope %q", res.Indicator, pos[0])))
	}
	s, err := m.UpdateResourceScope(r.ctx, res.ID, scopes[i].ID, in)
	if err != nil {
		return r.fail(err)
	}
	if r.structured() {
		return r.printData(s)
	}
	return r.scopesOut([]client.Scope{*s})
}
