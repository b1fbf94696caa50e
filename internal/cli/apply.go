package cli

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

const applyHelp = `Usage:
  gatehouse apply -f FILE [--prune] [--secrets-out FILE]
                                                    make the server match FILE (- : standard input):
                                                    API resources and scopes, M2M roles, apps,
                                                    organization roles, organizations, the customizer;
                                                    --prune also deletes what FILE does not list;
                                                    new apps' secrets go to stdout or --secrets-out
                                                    (written with mode 0600)
  gatehouse diff -f FILE [--prune]                  print what apply would change, change nothing
  gatehouse export                                  print the server's configuration in apply's format
                                                    (never a secret)

The schema is in docs/declarative.md. A file with problems changes nothing: each is reported with its
line (exit 2).
`

// mgmtIndicator is the Management API indicator for the connection.
func (r *runner) mgmtIndicator() string {
	return first(r.indicator, r.getenv("GATEHOUSE_MANAGEMENT_API_INDICATOR"), "https://default.logto.app/api")
}

func (r *runner) apply(args []string) int { return r.applyOrDiff("apply", args) }
func (r *runner) diff(args []string) int  { return r.applyOrDiff("diff", args) }

func (r *runner) applyOrDiff(name string, args []string) int {
	c := r.flags(name, applyHelp)
	file := c.fs.String("f", "", "")
	c.fs.StringVar(file, "file", "", "")
	prune := c.fs.Bool("prune", false, "")
	var secretsOut *string
	if name == "apply" {
		secretsOut = c.fs.String("secrets-out", "", "")
	}
	if _, code := r.parse(c, args, 0, 0); code >= 0 {
		return code
	}
	if *file == "" {
		return r.usage(c, "-f FILE is needed")
	}
	var data []byte
	var err error
	if *file == "-" {
		data, err = io.ReadAll(io.LimitReader(r.stdin, 16<<20))
	} else {
		data, err = os.ReadFile(*file)
	}
	if err != nil {
		return r.usage(c, "%v", err)
	}
	d, problems := parseDecl(*file, data)
	if len(problems) > 0 {
		return r.problems(name, problems)
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	self, _, _ := r.credentials(c)
	s, err := snapshot(r.ctx, m, self)
	if err != nil {
		return r.fail(err)
	}
	p := &planner{m: m, d: d, s: s, file: *file, mgmt: r.mgmtIndicator(), prune: *prune}
	p.plan()
	if len(p.problems) > 0 {
		return r.problems(name, p.problems)
	}
	for _, n := range p.notes {
		fmt.Fprintf(r.stderr, "gatehouse %s: note: %s\n", name, n)
	}
	if len(p.steps) == 0 {
		fmt.Fprintf(r.stdout, "no changes: the server matches %s\n", *file)
		return ExitOK
	}
	if name == "diff" {
		for _, st := range p.steps {
			fmt.Fprintln(r.stdout, st.text)
		}
		fmt.Fprintf(r.stdout, "%s to make (gatehouse apply -f %s)\n", plural(len(p.steps), "change"), *file)
		return ExitOK
	}
	var out *os.File
	if *secretsOut != "" { // opened first: an unwritable file stops apply before any change
		if out, err = os.OpenFile(*secretsOut, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600); err == nil {
			err = out.Chmod(0o600)
		}
		if err != nil {
			return r.usage(c, "--secrets-out: %v", err)
		}
		defer out.Close()
	}
	for i, st := range p.steps {
		if err := st.do(r.ctx); err != nil {
			code := r.fail(fmt.Errorf("%s: %w", strings.TrimSpace(st.text[1:]), err))
			fmt.Fprintf(r.stderr, "gatehouse apply: stopped after %d of %d changes; run apply again once the cause is fixed\n", i, len(p.steps))
			r.writeSecrets(out, p.secrets)
			return code
		}
		fmt.Fprintln(r.stdout, st.text)
	}
	if err := r.writeSecrets(out, p.secrets); err != nil {
		return r.fail(err)
	}
	fmt.Fprintf(r.stdout, "applied %s\n", plural(len(p.steps), "change"))
	return ExitOK
}

// writeSecrets gives the secrets of the applications apply made: to out
// (YAML: name → id, secret), or to stdout when out is nil.
func (r *runner) writeSecrets(out *os.File, secrets []newSecret) error {
	if out == nil {
		for _, s := range secrets {
			fmt.Fprintf(r.stdout, "secret of new app %s (%s): %s\n", s.Name, s.ID, s.Secret)
		}
		return nil
	}
	doc := mapping()
	for _, s := range secrets {
		doc.Content = append(doc.Content, scalar(s.Name), mapping("id", scalar(s.ID), "secret", scalar(s.Secret)))
		fmt.Fprintf(r.stdout, "secret of new app %s (%s): written to %s\n", s.Name, s.ID, out.Name())
	}
	return writeYAML(out, doc)
}

// problems reports a file's problems, one a line, and returns ExitUsage.
func (r *runner) problems(name string, problems []string) int {
	for _, p := range problems {
		fmt.Fprintf(r.stderr, "gatehouse %s: %s\n", name, p)
	}
	fmt.Fprintf(r.stderr, "gatehouse %s: %s in the file; nothing was changed\n", name, plural(len(problems), "problem"))
	return ExitUsage
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

func (r *runner) export(args []string) int {
	c := r.flags("export", applyHelp)
	if _, code := r.parse(c, args, 0, 0); code >= 0 {
		return code
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	self, _, _ := r.credentials(c)
	s, err := snapshot(r.ctx, m, self)
	if err != nil {
		return r.fail(err)
	}
	doc, problems := exportDoc(s, r.mgmtIndicator())
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(r.stderr, "gatehouse export: %s\n", p)
		}
		return ExitFailure
	}
	if err := writeYAML(r.stdout, doc); err != nil {
		return r.fail(err)
	}
	return ExitOK
}

// exportDoc is the server's state as a decl document. Names that apply
// could not tell apart (two applications or organizations with one name)
// are problems.
func exportDoc(s *state, mgmt string) (*yaml.Node, []string) {
	var problems []string
	doc := mapping()
	grants := func(scopes []string) *yaml.Node {
		by := map[string][]string{}
		for _, ref := range scopes {
			ind, name, _ := strings.Cut(ref, " ")
			by[ind] = append(by[ind], name)
		}
		n := mapping()
		for _, ind := range sortedKeys(by) {
			n.Content = append(n.Content, scalar(ind), flowSeq(by[ind]))
		}
		return n
	}
	var res []*yaml.Node
	for _, ind := range sortedKeys(s.resources) {
		r := s.resources[ind]
		if r.protected(mgmt) {
			continue
		}
		var scopes []*yaml.Node
		for _, n := range sortedKeys(r.scopes) {
			if d := r.scopes[n].Description; d != "" {
				scopes = append(scopes, mapping("name", scalar(n), "description", scalar(d)))
			} else {
				scopes = append(scopes, scalar(n))
			}
		}
		res = append(res, mapping("indicator", scalar(ind), "name", scalar(r.Name),
			"accessTokenTtl", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(r.AccessTokenTTL, 10)},
			"scopes", seq(scopes)))
	}
	doc.Content = append(doc.Content, scalar("resources"), seq(res))
	roles := func(key string, all map[string]*sRole, skip string) {
		var out []*yaml.Node
		for _, n := range sortedKeys(all) {
			if n == skip {
				continue
			}
			r := all[n]
			rn := mapping("name", scalar(n), "description", scalar(r.description), "scopes", grants(r.scopes))
			if key == "organizationRoles" {
				rn.Content = append(rn.Content, scalar("organizationScopes"), flowSeq(r.orgScopes))
			}
			out = append(out, rn)
		}
		doc.Content = append(doc.Content, scalar(key), seq(out))
	}
	roles("roles", s.roles, managementRoleName)
	var apps []*yaml.Node
	for _, n := range sortedKeys(s.apps) {
		list := s.apps[n]
		if len(list) > 1 {
			problems = append(problems, fmt.Sprintf("%d applications are named %q: apply names applications by name (rename all but one)", len(list), n))
			continue
		}
		if list[0].ID == s.self {
			continue
		}
		apps = append(apps, mapping("name", scalar(n), "description", scalar(list[0].Description), "roles", flowSeq(list[0].roles)))
	}
	doc.Content = append(doc.Content, scalar("apps"), seq(apps))
	var oscopes []*yaml.Node
	for _, n := range sortedKeys(s.orgScopes) {
		if d := s.orgScopes[n].Description; d != "" {
			oscopes = append(oscopes, mapping("name", scalar(n), "description", scalar(d)))
		} else {
			oscopes = append(oscopes, scalar(n))
		}
	}
	doc.Content = append(doc.Content, scalar("organizationScopes"), seq(oscopes))
	roles("organizationRoles", s.orgRoles, "")
	var orgs []*yaml.Node
	for _, n := range sortedKeys(s.orgs) {
		list := s.orgs[n]
		if len(list) > 1 {
			problems = append(problems, fmt.Sprintf("%d organizations are named %q: apply names organizations by name (rename all but one)", len(list), n))
			continue
		}
		members := mapping()
		for _, id := range sortedKeys(list[0].members) {
			name, ok := s.appName[id]
			if !ok || len(s.apps[name]) > 1 {
				problems = append(problems, fmt.Sprintf("organization %q: member application %s has no name apply can use", n, id))
				continue
			}
			members.Content = append(members.Content, scalar(name), flowSeq(list[0].members[id]))
		}
		orgs = append(orgs, mapping("name", scalar(n), "description", scalar(list[0].Description), "apps", members))
	}
	doc.Content = append(doc.Content, scalar("organizations"), seq(orgs))
	if c := s.custom; c != nil {
		script := scalar(c.Script)
		script.Style = yaml.LiteralStyle
		cn := mapping("script", script)
		if c.BlockIssuanceOnError != nil {
			cn.Content = append(cn.Content, scalar("blockIssuanceOnError"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(*c.BlockIssuanceOnError)})
		}
		key := scalar("customizer")
		if len(c.EnvironmentVariables) > 0 {
			key.HeadComment = "environmentVariables (" + strings.Join(sortedKeys(c.EnvironmentVariables), ", ") +
				") are not exported (they may hold secrets);\nwithout the field, apply leaves them as they are"
		}
		doc.Content = append(doc.Content, key, cn)
	}
	return doc, problems
}

func scalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

// mapping makes a mapping node of key, value pairs.
func mapping(kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for i := 0; i+1 < len(kv); i += 2 {
		n.Content = append(n.Content, scalar(kv[i].(string)), kv[i+1].(*yaml.Node))
	}
	return n
}

func seq(items []*yaml.Node) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: items}
	if len(items) == 0 {
		n.Style = yaml.FlowStyle
	}
	return n
}

// flowSeq is a list of names on one line: [a, b].
func flowSeq(names []string) *yaml.Node {
	items := make([]*yaml.Node, 0, len(names))
	for _, s := range slices.Sorted(slices.Values(names)) {
		items = append(items, scalar(s))
	}
	n := seq(items)
	n.Style = yaml.FlowStyle
	return n
}

func writeYAML(w io.Writer, n *yaml.Node) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return err
	}
	return enc.Close()
}
