package cli

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decl is a declarative configuration file (gatehouse apply, diff and
// export; the schema is in docs/declarative.md). Objects are named, never
// given by id: resources by indicator, everything else by name. Lists and
// maps are the whole truth (a missing one is empty); a text field left out
// is left as it is on the server.
type decl struct {
	Resources  []dResource
	Roles      []dRole  // M2M roles
	Apps       []dApp   // M2M applications
	OrgScopes  []dScope // organization scopes (the organization template's permissions)
	OrgRoles   []dRole  // M2M organization roles
	Orgs       []dOrg
	Customizer *dCustomizer // nil: none (deleted with --prune)
}

type dResource struct {
	line      int
	Indicator string
	Name      string
	TTL       *int64
	Scopes    []dScope
}

type dScope struct {
	line        int
	Name        string
	Description *string
}

type dRole struct {
	line        int
	Name        string
	Description *string
	Scopes      []dGrant
	// OrgScopes are an organization role's organization scopes (by name).
	OrgScopes []dName
}

// dGrant is the scopes of one resource held by a role.
type dGrant struct {
	line     int
	Resource string
	Scopes   []dName
}

type dName struct {
	line int
	Name string
}

type dApp struct {
	line        int
	Name        string
	Description *string
	Roles       []dName
}

type dOrg struct {
	line        int
	Name        string
	Description *string
	Apps        []dMember
}

// dMember is an application member of an organization and its roles there.
type dMember struct {
	line  int
	App   string
	Roles []dName
}

type dCustomizer struct {
	line                 int
	Script               string
	BlockIssuanceOnError *bool
	Env                  map[string]string // nil: left as it is
}

// parser reads a decl from YAML, collecting every problem with its line.
type parser struct {
	file     string
	problems []string
}

func (p *parser) errorf(n *yaml.Node, format string, a ...any) {
	p.problems = append(p.problems, fmt.Sprintf("%s:%d: %s", p.file, n.Line, fmt.Sprintf(format, a...)))
}

// parseDecl parses a configuration file; file names it in problems and
// locates scriptFile.
func parseDecl(file string, data []byte) (*decl, []string) {
	p := &parser{file: file}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, []string{fmt.Sprintf("%s: %s", file, strings.TrimPrefix(err.Error(), "yaml: "))}
	}
	d := &decl{}
	if len(doc.Content) == 0 {
		return d, nil // an empty file: nothing
	}
	root := deref(doc.Content[0])
	if root.Tag == "!!null" {
		return d, nil
	}
	p.fields(root, "the file", map[string]func(*yaml.Node){
		"resources":          func(n *yaml.Node) { d.Resources = p.resources(n) },
		"roles":              func(n *yaml.Node) { d.Roles = p.roles(n, "role") },
		"apps":               func(n *yaml.Node) { d.Apps = p.apps(n) },
		"organizationScopes": func(n *yaml.Node) { d.OrgScopes = p.scopes(n, "organization scope") },
		"organizationRoles":  func(n *yaml.Node) { d.OrgRoles = p.roles(n, "organization role") },
		"organizations":      func(n *yaml.Node) { d.Orgs = p.orgs(n) },
		"customizer":         func(n *yaml.Node) { d.Customizer = p.customizer(n, filepath.Dir(file)) },
	})
	return d, p.problems
}

// deref follows YAML aliases.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// fields walks the mapping n, calling fs[key] for each member; unknown
// and repeated keys are problems.
func (p *parser) fields(n *yaml.Node, what string, fs map[string]func(*yaml.Node)) bool {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s: want a mapping (name: value lines)", what)
		return false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		f, ok := fs[k.Value]
		switch {
		case !ok:
			known := make([]string, 0, len(fs))
			for name := range fs {
				known = append(known, name)
			}
			slices.Sort(known)
			p.errorf(k, "%s: unknown field %q (known: %s)", what, k.Value, strings.Join(known, ", "))
		case seen[k.Value]:
			p.errorf(k, "%s: %s given twice", what, k.Value)
		default:
			seen[k.Value] = true
			f(v)
		}
	}
	return true
}

// str reads a scalar as text.
func (p *parser) str(n *yaml.Node, what string) string {
	n = deref(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(n, "%s: want a text value", what)
		return ""
	}
	return n.Value
}

// optStr reads an optional text field.
func (p *parser) optStr(n *yaml.Node, what string) *string {
	s := p.str(n, what)
	return &s
}

// list reads a sequence (null: empty).
func (p *parser) list(n *yaml.Node, what string) []*yaml.Node {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s: want a list", what)
		return nil
	}
	out := make([]*yaml.Node, 0, len(n.Content))
	for _, x := range n.Content {
		out = append(out, deref(x))
	}
	return out
}

// names reads a list of names, each once.
func (p *parser) names(n *yaml.Node, what string) []dName {
	var out []dName
	seen := map[string]bool{}
	for _, x := range p.list(n, what) {
		s := p.str(x, what)
		if s == "" {
			continue
		}
		if seen[s] {
			p.errorf(x, "%s: %s listed twice", what, s)
			continue
		}
		seen[s] = true
		out = append(out, dName{x.Line, s})
	}
	return out
}

// required reports a missing field of the object at n.
func (p *parser) required(n *yaml.Node, what, field, value string) {
	if value == "" {
		p.errorf(n, "%s: %s is required", what, field)
	}
}

// unique reports a name given to two objects.
func (p *parser) unique(seen map[string]int, n *yaml.Node, what, name string) {
	if name == "" {
		return
	}
	if line, ok := seen[name]; ok {
		p.errorf(n, "%s %s is already defined at line %d", what, name, line)
		return
	}
	seen[name] = n.Line
}

func (p *parser) resources(n *yaml.Node) []dResource {
	var out []dResource
	seen := map[string]int{}
	for _, x := range p.list(n, "resources") {
		r := dResource{line: x.Line}
		p.fields(x, "resource", map[string]func(*yaml.Node){
			"indicator": func(v *yaml.Node) {
				r.Indicator = p.str(v, "resource indicator")
				if u, err := url.Parse(r.Indicator); r.Indicator != "" && (err != nil || u.Scheme == "" || u.Host == "" && u.Opaque == "" || u.Fragment != "") {
					p.errorf(v, "resource indicator %q is not an absolute URI without a fragment, like https://shopping.api", r.Indicator)
				}
			},
			"name": func(v *yaml.Node) { r.Name = p.str(v, "resource name") },
			"accessTokenTtl": func(v *yaml.Node) {
				ttl, err := strconv.ParseInt(p.str(v, "accessTokenTtl"), 10, 64)
				if err != nil || ttl < 1 || ttl > maxTTL {
					p.errorf(v, "accessTokenTtl %s: want seconds, 1 to %d", v.Value, maxTTL)
				}
				r.TTL = &ttl
			},
			"scopes": func(v *yaml.Node) { r.Scopes = p.scopes(v, "scope") },
		})
		p.required(x, "resource", "indicator", r.Indicator)
		p.required(x, "resource "+r.Indicator, "name", r.Name)
		p.unique(seen, x, "resource", r.Indicator)
		out = append(out, r)
	}
	return out
}

// scopes reads a resource's scopes, or the organization scopes (what
// names which): names, or {name, description}.
func (p *parser) scopes(n *yaml.Node, what string) []dScope {
	var out []dScope
	seen := map[string]int{}
	for _, x := range p.list(n, what+"s") {
		s := dScope{line: x.Line}
		if x.Kind == yaml.ScalarNode {
			s.Name = p.str(x, what)
		} else {
			p.fields(x, what, map[string]func(*yaml.Node){
				"name":        func(v *yaml.Node) { s.Name = p.str(v, what+" name") },
				"description": func(v *yaml.Node) { s.Description = p.optStr(v, what+" description") },
			})
			p.required(x, what, "name", s.Name)
		}
		if strings.ContainsAny(s.Name, " \t\n") {
			p.errorf(x, "%s %q: a scope name has no spaces", what, s.Name)
		}
		p.unique(seen, x, what, s.Name)
		out = append(out, s)
	}
	return out
}

func (p *parser) roles(n *yaml.Node, what string) []dRole {
	var out []dRole
	seen := map[string]int{}
	for _, x := range p.list(n, what+"s") {
		r := dRole{line: x.Line}
		fs := map[string]func(*yaml.Node){
			"name":        func(v *yaml.Node) { r.Name = p.str(v, what+" name") },
			"description": func(v *yaml.Node) { r.Description = p.optStr(v, what+" description") },
			"scopes":      func(v *yaml.Node) { r.Scopes = p.grants(v, what+" "+r.Name) },
		}
		if what == "organization role" {
			fs["organizationScopes"] = func(v *yaml.Node) { r.OrgScopes = p.names(v, what+" "+r.Name+" organization scopes") }
		}
		p.fields(x, what, fs)
		p.required(x, what, "name", r.Name)
		p.unique(seen, x, what, r.Name)
		out = append(out, r)
	}
	return out
}

// grants reads a role's scopes: resource indicator → scope names.
func (p *parser) grants(n *yaml.Node, what string) []dGrant {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if !p.isMap(n, what+" scopes", "resource indicators to scope names") {
		return nil
	}
	var out []dGrant
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		g := dGrant{line: k.Line, Resource: k.Value, Scopes: p.names(n.Content[i+1], what+" scopes of "+k.Value)}
		p.unique(seen, k, what+": resource", g.Resource)
		out = append(out, g)
	}
	return out
}

// isMap reports whether n is a mapping (of what), and a problem if not.
func (p *parser) isMap(n *yaml.Node, what, of string) bool {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s: want a mapping of %s", what, of)
		return false
	}
	return true
}

func (p *parser) apps(n *yaml.Node) []dApp {
	var out []dApp
	seen := map[string]int{}
	for _, x := range p.list(n, "apps") {
		a := dApp{line: x.Line}
		p.fields(x, "app", map[string]func(*yaml.Node){
			"name":        func(v *yaml.Node) { a.Name = p.str(v, "app name") },
			"description": func(v *yaml.Node) { a.Description = p.optStr(v, "app description") },
			"roles":       func(v *yaml.Node) { a.Roles = p.names(v, "app roles") },
		})
		p.required(x, "app", "name", a.Name)
		p.unique(seen, x, "app", a.Name)
		out = append(out, a)
	}
	return out
}

func (p *parser) orgs(n *yaml.Node) []dOrg {
	var out []dOrg
	seen := map[string]int{}
	for _, x := range p.list(n, "organizations") {
		o := dOrg{line: x.Line}
		p.fields(x, "organization", map[string]func(*yaml.Node){
			"name":        func(v *yaml.Node) { o.Name = p.str(v, "organization name") },
			"description": func(v *yaml.Node) { o.Description = p.optStr(v, "organization description") },
			"apps": func(v *yaml.Node) {
				if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
					return
				}
				if !p.isMap(v, "organization apps", "application names to organization roles") {
					return
				}
				members := map[string]int{}
				for i := 0; i+1 < len(v.Content); i += 2 {
					k := v.Content[i]
					m := dMember{line: k.Line, App: k.Value, Roles: p.names(v.Content[i+1], "organization roles of "+k.Value)}
					p.unique(members, k, "organization member", m.App)
					o.Apps = append(o.Apps, m)
				}
			},
		})
		p.required(x, "organization", "name", o.Name)
		p.unique(seen, x, "organization", o.Name)
		out = append(out, o)
	}
	return out
}

func (p *parser) customizer(n *yaml.Node, dir string) *dCustomizer {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	c := &dCustomizer{line: n.Line}
	var file *yaml.Node
	p.fields(n, "customizer", map[string]func(*yaml.Node){
		"script":     func(v *yaml.Node) { c.Script = p.str(v, "customizer script") },
		"scriptFile": func(v *yaml.Node) { file = v },
		"blockIssuanceOnError": func(v *yaml.Node) {
			b, err := strconv.ParseBool(v.Value)
			if err != nil || v.Kind != yaml.ScalarNode {
				p.errorf(v, "blockIssuanceOnError: want true or false")
			}
			c.BlockIssuanceOnError = &b
		},
		"environmentVariables": func(v *yaml.Node) {
			c.Env = map[string]string{}
			if !p.isMap(v, "environmentVariables", "names to values") {
				return
			}
			for i := 0; i+1 < len(v.Content); i += 2 {
				c.Env[v.Content[i].Value] = p.str(v.Content[i+1], "environment variable "+v.Content[i].Value)
			}
		},
	})
	if file != nil {
		name := p.str(file, "customizer scriptFile")
		if c.Script != "" {
			p.errorf(file, "customizer: script and scriptFile do not go together")
		} else if name != "" {
			if !filepath.IsAbs(name) {
				name = filepath.Join(dir, name)
			}
			b, err := os.ReadFile(name)
			if err != nil {
				p.errorf(file, "customizer scriptFile: %v", err)
			}
			c.Script = string(b)
		}
	}
	if c.Script == "" && file == nil {
		p.errorf(n, "customizer: script (or scriptFile) is required")
	}
	return c
}
