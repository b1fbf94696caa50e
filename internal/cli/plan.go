package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/client"
)

// Objects apply never touches: the Management API resource (by id, the
// one Gatehouse and Logto give it), its role, and the application running
// the command.
const (
	managementResourceID = "management-api"
	managementRoleName   = "Logto Management API access"
)

// state is what the server holds of what a decl describes, by name.
type state struct {
	resources map[string]*sResource               // by indicator, the Management API's included
	scopeRef  map[string]string                   // scope id → "indicator name"
	roles     map[string]*sRole                   // M2M roles by name, the Management API role included
	apps      map[string][]*sApp                  // M2M applications by name
	appName   map[string]string                   // application id → name
	orgScopes map[string]client.OrganizationScope // by name
	orgRoles  map[string]*sRole                   // M2M organization roles by name
	orgs      map[string][]*sOrg                  // by name
	custom    *client.JWTCustomizer               // nil: none
	self      string                              // the id of the application running the command
}

type sResource struct {
	client.Resource
	scopes map[string]client.Scope // by name
}

type sRole struct {
	id, name, description string
	scopes                []string // "indicator name", sorted
	orgScopes             []string // organization roles: organization scope names, sorted
}

type sApp struct {
	client.Application
	roles []string // role names, sorted
}

type sOrg struct {
	client.Organization
	members map[string][]string // application id → organization role names, sorted
}

// protected reports whether apply leaves the resource alone.
func (r *sResource) protected(mgmtIndicator string) bool {
	return r.ID == managementResourceID || r.Indicator == mgmtIndicator
}

// pages gathers a list the client offers one page at a time.
func pages[T any](list func(o client.OrganizationListOptions) ([]T, error)) ([]T, error) {
	var out []T
	for page := 1; ; page++ {
		items, err := list(client.OrganizationListOptions{Page: page, PageSize: 100})
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if len(items) < 100 {
			return out, nil
		}
	}
}

// snapshot reads the server's state.
func snapshot(ctx context.Context, m *client.ManagementAPI, self string) (*state, error) {
	s := &state{resources: map[string]*sResource{}, scopeRef: map[string]string{}, roles: map[string]*sRole{},
		apps: map[string][]*sApp{}, appName: map[string]string{}, orgScopes: map[string]client.OrganizationScope{}, orgRoles: map[string]*sRole{}, orgs: map[string][]*sOrg{}, self: self}
	res, err := m.ListResources(ctx, client.ListResourcesParams{})
	if err != nil {
		return nil, err
	}
	for _, r := range res {
		sr := &sResource{Resource: r, scopes: map[string]client.Scope{}}
		for sc, err := range m.AllResourceScopes(ctx, r.ID, client.ListOptions{}) {
			if err != nil {
				return nil, err
			}
			sr.scopes[sc.Name] = sc
			s.scopeRef[sc.ID] = r.Indicator + " " + sc.Name
		}
		s.resources[r.Indicator] = sr
	}
	scopeNames := func(scopes []client.Scope) []string {
		out := []string{}
		for _, sc := range scopes {
			if ref, ok := s.scopeRef[sc.ID]; ok {
				out = append(out, ref)
			}
		}
		slices.Sort(out)
		return out
	}
	for r, err := range m.AllRoles(ctx, client.ListRolesParams{}) {
		if err != nil {
			return nil, err
		}
		if r.Type != client.RoleTypeM2M {
			continue
		}
		scopes, err := collect(m.AllRoleScopes(ctx, r.ID, client.ListOptions{}))
		if err != nil {
			return nil, err
		}
		s.roles[r.Name] = &sRole{id: r.ID, name: r.Name, description: r.Description, scopes: scopeNames(scopes)}
	}
	for a, err := range m.AllApplications(ctx, client.ListApplicationsParams{}) {
		if err != nil {
			return nil, err
		}
		if a.Type != "MachineToMachine" {
			continue
		}
		roles, err := collect(m.AllApplicationRoles(ctx, a.ID, client.ListOptions{}))
		if err != nil {
			return nil, err
		}
		sa := &sApp{Application: a, roles: []string{}}
		for _, r := range roles {
			sa.roles = append(sa.roles, r.Name)
		}
		slices.Sort(sa.roles)
		s.apps[a.Name] = append(s.apps[a.Name], sa)
		s.appName[a.ID] = a.Name
	}
	oscopes, err := pages(func(o client.OrganizationListOptions) ([]client.OrganizationScope, error) {
		return m.ListOrganizationScopes(ctx, o)
	})
	if err != nil {
		return nil, err
	}
	for _, sc := range oscopes {
		s.orgScopes[sc.Name] = sc
	}
	oroles, err := pages(func(o client.OrganizationListOptions) ([]client.OrganizationRole, error) {
		return m.ListOrganizationRoles(ctx, o)
	})
	if err != nil {
		return nil, err
	}
	for _, r := range oroles {
		if r.Type != client.RoleTypeM2M {
			continue
		}
		scopes, err := pages(func(o client.OrganizationListOptions) ([]client.Scope, error) {
			return m.ListOrganizationRoleResourceScopes(ctx, r.ID, o)
		})
		if err != nil {
			return nil, err
		}
		oscopes, err := pages(func(o client.OrganizationListOptions) ([]client.OrganizationScope, error) {
			return m.ListOrganizationRoleScopes(ctx, r.ID, o)
		})
		if err != nil {
			return nil, err
		}
		names := []string{}
		for _, sc := range oscopes {
			names = append(names, sc.Name)
		}
		slices.Sort(names)
		s.orgRoles[r.Name] = &sRole{id: r.ID, name: r.Name, description: r.Description, scopes: scopeNames(scopes), orgScopes: names}
	}
	for o, err := range m.AllOrganizations(ctx, client.OrganizationListOptions{}) {
		if err != nil {
			return nil, err
		}
		members, err := pages(func(lo client.OrganizationListOptions) ([]client.OrganizationMember, error) {
			return m.ListOrganizationApplications(ctx, o.ID, lo)
		})
		if err != nil {
			return nil, err
		}
		so := &sOrg{Organization: o, members: map[string][]string{}}
		for _, mem := range members {
			names := []string{}
			for _, r := range mem.OrganizationRoles {
				names = append(names, r.Name)
			}
			slices.Sort(names)
			so.members[mem.ID] = names
		}
		s.orgs[o.Name] = append(s.orgs[o.Name], so)
	}
	c, err := m.GetJwtCustomizerClientCredentials(ctx)
	switch {
	case errors.Is(err, client.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		s.custom = c
	}
	return s, nil
}

// step is one change of a plan.
type step struct {
	text string // "+ resource https://shopping.api", "~ ...", "- ..."
	do   func(ctx context.Context) error
}

// ids resolves names to ids while a plan runs: objects made by earlier
// steps are added as they are made.
type ids struct {
	resource, scope, role, app, orgScope, orgRole, org map[string]string
}

// planner computes the steps taking a server from state s to decl d.
type planner struct {
	m        *client.ManagementAPI
	d        *decl
	s        *state
	file     string
	mgmt     string // the Management API indicator
	prune    bool
	ids      ids
	steps    []step
	problems []string
	notes    []string
	secrets  []newSecret
}

// newSecret is the secret of an application apply made.
type newSecret struct{ Name, ID, Secret string }

func (p *planner) add(text string, do func(ctx context.Context) error) {
	p.steps = append(p.steps, step{text, do})
}

func (p *planner) errorf(line int, format string, a ...any) {
	p.problems = append(p.problems, fmt.Sprintf("%s:%d: %s", p.file, line, fmt.Sprintf(format, a...)))
}

// plan computes the steps; problems (with lines) mean none may run.
func (p *planner) plan() {
	p.ids = ids{resource: map[string]string{}, scope: map[string]string{}, role: map[string]string{},
		app: map[string]string{}, orgScope: map[string]string{}, orgRole: map[string]string{}, org: map[string]string{}}
	for n, sc := range p.s.orgScopes {
		p.ids.orgScope[n] = sc.ID
	}
	for ind, r := range p.s.resources {
		p.ids.resource[ind] = r.ID
		for n, sc := range r.scopes {
			p.ids.scope[ind+" "+n] = sc.ID
		}
	}
	for n, r := range p.s.roles {
		p.ids.role[n] = r.id
	}
	for n, r := range p.s.orgRoles {
		p.ids.orgRole[n] = r.id
	}
	for n, a := range p.s.apps {
		if len(a) == 1 {
			p.ids.app[n] = a[0].ID
		}
	}
	for n, o := range p.s.orgs {
		if len(o) == 1 {
			p.ids.org[n] = o[0].ID
		}
	}
	p.resources()
	p.roles(p.d.Roles, p.s.roles, "role", false)
	p.apps()
	p.orgScopes()
	p.roles(p.d.OrgRoles, p.s.orgRoles, "organization role", true)
	p.orgs()
	p.customizer()
	if p.prune {
		p.pruneAll()
	}
}

// knownScope reports whether the decl may grant the scope name of the
// resource ind, and whether it may name the resource at all: its own
// resources' scopes, and those of resources it does not list
// that exist on the server and apply leaves alone (the Management API).
func (p *planner) knownScope(ind, name string) (ok, resourceKnown bool) {
	for _, r := range p.d.Resources {
		if r.Indicator == ind {
			return slices.ContainsFunc(r.Scopes, func(s dScope) bool { return s.Name == name }), true
		}
	}
	if r, found := p.s.resources[ind]; found && r.protected(p.mgmt) {
		_, ok := r.scopes[name]
		return ok, true
	}
	return false, false
}

func (p *planner) resources() {
	for _, r := range p.d.Resources {
		cur := p.s.resources[r.Indicator]
		if cur != nil && cur.protected(p.mgmt) {
			p.errorf(r.line, "resource %s is the Management API: apply leaves it alone (remove it from the file)", r.Indicator)
			continue
		}
		ind := r.Indicator
		if cur == nil {
			in := client.ResourceCreate{Name: r.Name, Indicator: ind, AccessTokenTTL: r.TTL}
			p.add(fmt.Sprintf("+ resource %s (%s)", ind, r.Name), func(ctx context.Context) error {
				res, err := p.m.CreateResource(ctx, in)
				if err == nil {
					p.ids.resource[ind] = res.ID
				}
				return err
			})
		} else {
			var in client.ResourceUpdate
			var what []string
			if cur.Name != r.Name {
				in.Name, what = &r.Name, append(what, fmt.Sprintf("name %q → %q", cur.Name, r.Name))
			}
			if r.TTL != nil && *r.TTL != cur.AccessTokenTTL {
				in.AccessTokenTTL, what = r.TTL, append(what, fmt.Sprintf("accessTokenTtl %d → %d", cur.AccessTokenTTL, *r.TTL))
			}
			if len(what) > 0 {
				id := cur.ID
				p.add(fmt.Sprintf("~ resource %s: %s", ind, strings.Join(what, ", ")), func(ctx context.Context) error {
					_, err := p.m.UpdateResource(ctx, id, in)
					return err
				})
			}
		}
		listed := map[string]bool{}
		for _, sc := range r.Scopes {
			listed[sc.Name] = true
			var old *client.Scope
			if cur != nil {
				if x, ok := cur.scopes[sc.Name]; ok {
					old = &x
				}
			}
			switch {
			case old == nil:
				in := client.ScopeCreate{Name: sc.Name}
				if sc.Description != nil {
					in.Description = *sc.Description
				}
				key := ind + " " + sc.Name
				p.add(fmt.Sprintf("+ scope %s", key), func(ctx context.Context) error {
					made, err := p.m.CreateResourceScope(ctx, p.ids.resource[ind], in)
					if err == nil {
						p.ids.scope[key] = made.ID
					}
					return err
				})
			case sc.Description != nil && *sc.Description != old.Description:
				desc, rid, sid := sc.Description, cur.ID, old.ID
				p.add(fmt.Sprintf("~ scope %s %s: description %q → %q", ind, sc.Name, old.Description, *desc), func(ctx context.Context) error {
					_, err := p.m.UpdateResourceScope(ctx, rid, sid, client.ScopeUpdate{Description: desc})
					return err
				})
			}
		}
		if cur != nil {
			for _, n := range sortedKeys(cur.scopes) {
				if !listed[n] {
					rid, sid := cur.ID, cur.scopes[n].ID
					p.add(fmt.Sprintf("- scope %s %s", ind, n), func(ctx context.Context) error {
						return p.m.DeleteResourceScope(ctx, rid, sid)
					})
				}
			}
		}
	}
}

// roles plans M2M roles (org false) or M2M organization roles (org true).
func (p *planner) roles(roles []dRole, cur map[string]*sRole, what string, org bool) {
	idOf := p.ids.role
	if org {
		idOf = p.ids.orgRole
	}
	for _, r := range roles {
		if !org && r.Name == managementRoleName {
			p.errorf(r.line, "role %q belongs to the Management API: apply leaves it alone (remove it from the file)", r.Name)
			continue
		}
		var want []string
		for _, g := range r.Scopes {
			if _, known := p.knownScope(g.Resource, ""); !known {
				p.errorf(g.line, "%s %s: no resource %s in the file", what, r.Name, g.Resource)
				continue
			}
			for _, n := range g.Scopes {
				if ok, _ := p.knownScope(g.Resource, n.Name); !ok {
					p.errorf(n.line, "%s %s: resource %s has no scope %s", what, r.Name, g.Resource, n.Name)
					continue
				}
				want = append(want, g.Resource+" "+n.Name)
			}
		}
		slices.Sort(want)
		name := r.Name
		old := cur[name]
		var have []string
		if old == nil {
			desc := name
			if r.Description != nil && *r.Description != "" {
				desc = *r.Description
			}
			p.add(fmt.Sprintf("+ %s %s", what, name), func(ctx context.Context) error {
				var id string
				if org {
					made, err := p.m.CreateOrganizationRole(ctx, client.OrganizationRoleCreate{Name: name, Description: desc, Type: client.RoleTypeM2M})
					if err != nil {
						return err
					}
					id = made.ID
				} else {
					made, err := p.m.CreateRole(ctx, client.RoleCreate{Name: name, Description: desc, Type: client.RoleTypeM2M})
					if err != nil {
						return err
					}
					id = made.ID
				}
				idOf[name] = id
				return nil
			})
		} else {
			have = old.scopes
			if r.Description != nil && *r.Description != old.description {
				desc, id := r.Description, old.id
				p.add(fmt.Sprintf("~ %s %s: description %q → %q", what, name, old.description, *desc), func(ctx context.Context) error {
					if org {
						_, err := p.m.UpdateOrganizationRole(ctx, id, client.OrganizationRoleUpdate{Description: desc})
						return err
					}
					_, err := p.m.UpdateRole(ctx, id, client.RoleUpdate{Description: desc})
					return err
				})
			}
		}
		for _, ref := range want {
			if !slices.Contains(have, ref) {
				p.add(fmt.Sprintf("+ %s %s: scope %s", what, name, ref), func(ctx context.Context) error {
					if org {
						return p.m.AddOrganizationRoleResourceScopes(ctx, idOf[name], []string{p.ids.scope[ref]})
					}
					_, err := p.m.AssignRoleScopes(ctx, idOf[name], []string{p.ids.scope[ref]})
					return err
				})
			}
		}
		for _, ref := range have {
			if !slices.Contains(want, ref) && !p.scopeGoes(ref) {
				p.add(fmt.Sprintf("- %s %s: scope %s", what, name, ref), func(ctx context.Context) error {
					if org {
						return p.m.DeleteOrganizationRoleResourceScope(ctx, idOf[name], p.ids.scope[ref])
					}
					return p.m.DeleteRoleScope(ctx, idOf[name], p.ids.scope[ref])
				})
			}
		}
		if org {
			var haveOrg []string
			if old != nil {
				haveOrg = old.orgScopes
			}
			p.roleOrgScopes(r, haveOrg)
		}
	}
}

// orgScopes plans the organization scopes: created, or their description
// changed; deleted only with --prune (pruneAll).
func (p *planner) orgScopes() {
	for _, sc := range p.d.OrgScopes {
		name := sc.Name
		old, ok := p.s.orgScopes[name]
		switch {
		case !ok:
			in := client.OrganizationScopeWrite{Name: name, Description: sc.Description}
			p.add("+ organization scope "+name, func(ctx context.Context) error {
				made, err := p.m.CreateOrganizationScope(ctx, in)
				if err == nil {
					p.ids.orgScope[name] = made.ID
				}
				return err
			})
		case sc.Description != nil && *sc.Description != old.Description:
			desc, id := sc.Description, old.ID
			p.add(fmt.Sprintf("~ organization scope %s: description %q → %q", name, old.Description, *desc), func(ctx context.Context) error {
				_, err := p.m.UpdateOrganizationScope(ctx, id, client.OrganizationScopeWrite{Description: desc})
				return err
			})
		}
	}
}

// roleOrgScopes plans the organization scopes of organization role r,
// which holds have now.
func (p *planner) roleOrgScopes(r dRole, have []string) {
	name := r.Name
	var want []string
	for _, n := range r.OrgScopes {
		if !slices.ContainsFunc(p.d.OrgScopes, func(s dScope) bool { return s.Name == n.Name }) {
			p.errorf(n.line, "organization role %s: no organization scope %s in the file", name, n.Name)
			continue
		}
		want = append(want, n.Name)
	}
	for _, n := range want {
		if !slices.Contains(have, n) {
			scope := n
			p.add(fmt.Sprintf("+ organization role %s: organization scope %s", name, scope), func(ctx context.Context) error {
				return p.m.AddOrganizationRoleScopes(ctx, p.ids.orgRole[name], []string{p.ids.orgScope[scope]})
			})
		}
	}
	for _, n := range have {
		if !slices.Contains(want, n) && (!p.prune || slices.ContainsFunc(p.d.OrgScopes, func(s dScope) bool { return s.Name == n })) {
			scope := n
			p.add(fmt.Sprintf("- organization role %s: organization scope %s", name, scope), func(ctx context.Context) error {
				return p.m.DeleteOrganizationRoleScope(ctx, p.ids.orgRole[name], p.ids.orgScope[scope])
			})
		}
	}
}

// scopeGoes reports whether the plan deletes the scope ref (with its
// resource's scope list), which takes it from every role holding it.
func (p *planner) scopeGoes(ref string) bool {
	ind, name, _ := strings.Cut(ref, " ")
	for _, r := range p.d.Resources {
		if r.Indicator == ind {
			return !slices.ContainsFunc(r.Scopes, func(s dScope) bool { return s.Name == name })
		}
	}
	return false
}

// roleKnown reports whether an application may hold the role name: one
// of the file's roles, or an M2M role apply leaves alone.
func (p *planner) roleKnown(name string) bool {
	if slices.ContainsFunc(p.d.Roles, func(r dRole) bool { return r.Name == name }) {
		return true
	}
	return name == managementRoleName && p.s.roles[name] != nil
}

func (p *planner) apps() {
	for _, a := range p.d.Apps {
		cur := p.s.apps[a.Name]
		if len(cur) > 1 {
			p.errorf(a.line, "app %s: %d applications have this name on the server; apply names applications by name (rename all but one)", a.Name, len(cur))
			continue
		}
		if len(cur) == 1 && cur[0].ID == p.s.self {
			p.notes = append(p.notes, fmt.Sprintf("%s:%d: app %s runs this command: apply leaves it alone", p.file, a.line, a.Name))
			continue
		}
		var want []string
		for _, r := range a.Roles {
			if !p.roleKnown(r.Name) {
				p.errorf(r.line, "app %s: no role %s in the file", a.Name, r.Name)
				continue
			}
			want = append(want, r.Name)
		}
		name := a.Name
		var have []string
		if len(cur) == 0 {
			in := client.ApplicationCreate{Name: name}
			if a.Description != nil {
				in.Description = *a.Description
			}
			p.add("+ app "+name, func(ctx context.Context) error {
				app, err := p.m.CreateApplication(ctx, in)
				if err != nil {
					return err
				}
				p.ids.app[name] = app.ID
				secrets, err := p.m.ListApplicationSecrets(ctx, app.ID)
				if err != nil {
					return err
				}
				if len(secrets) > 0 {
					p.secrets = append(p.secrets, newSecret{name, app.ID, secrets[0].Value})
				}
				return nil
			})
		} else {
			old := cur[0]
			have = old.roles
			if a.Description != nil && *a.Description != old.Description {
				desc, id := a.Description, old.ID
				p.add(fmt.Sprintf("~ app %s: description %q → %q", name, old.Description, *desc), func(ctx context.Context) error {
					_, err := p.m.UpdateApplication(ctx, id, client.ApplicationUpdate{Description: desc})
					return err
				})
			}
		}
		for _, r := range want {
			if !slices.Contains(have, r) {
				p.add(fmt.Sprintf("+ app %s: role %s", name, r), func(ctx context.Context) error {
					_, err := p.m.AssignApplicationRoles(ctx, p.ids.app[name], []string{p.ids.role[r]})
					return err
				})
			}
		}
		for _, r := range have {
			if !slices.Contains(want, r) {
				p.add(fmt.Sprintf("- app %s: role %s", name, r), func(ctx context.Context) error {
					return p.m.DeleteApplicationRole(ctx, p.ids.app[name], p.ids.role[r])
				})
			}
		}
	}
}

// appKnown reports whether an organization may list the application
// name: one of the file's, or one application of that name on the server.
func (p *planner) appKnown(name string) bool {
	return slices.ContainsFunc(p.d.Apps, func(a dApp) bool { return a.Name == name }) || len(p.s.apps[name]) == 1
}

func (p *planner) orgs() {
	for _, o := range p.d.Orgs {
		cur := p.s.orgs[o.Name]
		if len(cur) > 1 {
			p.errorf(o.line, "organization %s: %d organizations have this name on the server; apply names organizations by name (rename all but one)", o.Name, len(cur))
			continue
		}
		name := o.Name
		var old *sOrg
		if len(cur) == 0 {
			in := client.OrganizationWrite{Name: name, Description: o.Description}
			p.add("+ organization "+name, func(ctx context.Context) error {
				made, err := p.m.CreateOrganization(ctx, in)
				if err == nil {
					p.ids.org[name] = made.ID
				}
				return err
			})
		} else {
			old = cur[0]
			if o.Description != nil && *o.Description != old.Description {
				desc, id := o.Description, old.ID
				p.add(fmt.Sprintf("~ organization %s: description %q → %q", name, old.Description, *desc), func(ctx context.Context) error {
					_, err := p.m.UpdateOrganization(ctx, id, client.OrganizationWrite{Description: desc})
					return err
				})
			}
		}
		listed := map[string]bool{}
		for _, mem := range o.Apps {
			if !p.appKnown(mem.App) {
				p.errorf(mem.line, "organization %s: no app %s in the file", name, mem.App)
				continue
			}
			var want []string
			for _, r := range mem.Roles {
				if !slices.ContainsFunc(p.d.OrgRoles, func(x dRole) bool { return x.Name == r.Name }) {
					p.errorf(r.line, "organization %s: no organization role %s in the file", name, r.Name)
					continue
				}
				want = append(want, r.Name)
			}
			app := mem.App
			var have []string
			isMember := false
			if old != nil && len(p.s.apps[app]) == 1 {
				have, isMember = old.members[p.s.apps[app][0].ID]
				listed[p.s.apps[app][0].ID] = true
			}
			if !isMember {
				p.add(fmt.Sprintf("+ organization %s: app %s", name, app), func(ctx context.Context) error {
					return p.m.AddOrganizationApplications(ctx, p.ids.org[name], []string{p.ids.app[app]})
				})
			}
			for _, r := range want {
				if !slices.Contains(have, r) {
					p.add(fmt.Sprintf("+ organization %s: app %s: role %s", name, app, r), func(ctx context.Context) error {
						return p.m.AssignOrganizationApplicationRoles(ctx, p.ids.org[name], p.ids.app[app], []string{p.ids.orgRole[r]})
					})
				}
			}
			for _, r := range have {
				if !slices.Contains(want, r) {
					p.add(fmt.Sprintf("- organization %s: app %s: role %s", name, app, r), func(ctx context.Context) error {
						return p.m.DeleteOrganizationApplicationRole(ctx, p.ids.org[name], p.ids.app[app], p.ids.orgRole[r])
					})
				}
			}
		}
		if old != nil {
			for _, id := range sortedKeys(old.members) {
				if !listed[id] {
					oid, aid := old.ID, id
					p.add(fmt.Sprintf("- organization %s: app %s", name, first(p.s.appName[id], id)), func(ctx context.Context) error {
						return p.m.DeleteOrganizationApplication(ctx, oid, aid)
					})
				}
			}
		}
	}
}

func (p *planner) customizer() {
	c := p.d.Customizer
	if c == nil {
		return
	}
	cur := p.s.custom
	in := client.JWTCustomizer{Script: c.Script, BlockIssuanceOnError: c.BlockIssuanceOnError, EnvironmentVariables: c.Env}
	var what []string
	if cur == nil {
		what = append(what, "new")
	} else {
		if cur.Script != c.Script {
			what = append(what, "script")
		}
		if c.BlockIssuanceOnError != nil && (cur.BlockIssuanceOnError == nil || *cur.BlockIssuanceOnError != *c.BlockIssuanceOnError) {
			what = append(what, fmt.Sprintf("blockIssuanceOnError → %t", *c.BlockIssuanceOnError))
		}
		if c.BlockIssuanceOnError == nil {
			in.BlockIssuanceOnError = cur.BlockIssuanceOnError
		}
		if c.Env == nil {
			in.EnvironmentVariables = cur.EnvironmentVariables // left as it is
		} else if !mapsEqual(c.Env, cur.EnvironmentVariables) {
			what = append(what, "environmentVariables") // values are not shown: they may be secrets
		}
		in.ContextSample, in.TokenSample = cur.ContextSample, cur.TokenSample
	}
	if len(what) == 0 {
		return
	}
	mark := "~"
	if cur == nil {
		mark = "+"
	}
	p.add(fmt.Sprintf("%s customizer: %s", mark, strings.Join(what, ", ")), func(ctx context.Context) error {
		_, err := p.m.UpsertJwtCustomizerClientCredentials(ctx, in)
		return err
	})
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// pruneAll deletes what the file does not list, never the Management API
// resource, its role, or the application running the command.
func (p *planner) pruneAll() {
	for _, n := range sortedKeys(p.s.orgs) {
		if slices.ContainsFunc(p.d.Orgs, func(o dOrg) bool { return o.Name == n }) {
			continue
		}
		for _, o := range p.s.orgs[n] {
			id := o.ID
			p.add("- organization "+n, func(ctx context.Context) error { return p.m.DeleteOrganization(ctx, id) })
		}
	}
	for _, n := range sortedKeys(p.s.orgRoles) {
		if !slices.ContainsFunc(p.d.OrgRoles, func(r dRole) bool { return r.Name == n }) {
			id := p.s.orgRoles[n].id
			p.add("- organization role "+n, func(ctx context.Context) error { return p.m.DeleteOrganizationRole(ctx, id) })
		}
	}
	for _, n := range sortedKeys(p.s.orgScopes) {
		if !slices.ContainsFunc(p.d.OrgScopes, func(s dScope) bool { return s.Name == n }) {
			id := p.s.orgScopes[n].ID
			p.add("- organization scope "+n, func(ctx context.Context) error { return p.m.DeleteOrganizationScope(ctx, id) })
		}
	}
	for _, n := range sortedKeys(p.s.apps) {
		if slices.ContainsFunc(p.d.Apps, func(a dApp) bool { return a.Name == n }) {
			continue
		}
		for _, a := range p.s.apps[n] {
			if a.ID == p.s.self {
				continue
			}
			id := a.ID
			p.add(fmt.Sprintf("- app %s (%s)", n, id), func(ctx context.Context) error { return p.m.DeleteApplication(ctx, id) })
		}
	}
	for _, n := range sortedKeys(p.s.roles) {
		if n != managementRoleName && !slices.ContainsFunc(p.d.Roles, func(r dRole) bool { return r.Name == n }) {
			id := p.s.roles[n].id
			p.add("- role "+n, func(ctx context.Context) error { return p.m.DeleteRole(ctx, id) })
		}
	}
	for _, ind := range sortedKeys(p.s.resources) {
		r := p.s.resources[ind]
		if !r.protected(p.mgmt) && !slices.ContainsFunc(p.d.Resources, func(x dResource) bool { return x.Indicator == ind }) {
			id := r.ID
			p.add("- resource "+ind, func(ctx context.Context) error { return p.m.DeleteResource(ctx, id) })
		}
	}
	if p.d.Customizer == nil && p.s.custom != nil {
		p.add("- customizer", func(ctx context.Context) error { return p.m.DeleteJwtCustomizerClientCredentials(ctx) })
	}
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
