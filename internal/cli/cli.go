package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gatehouse/gatehouse/client"
)

// Exit codes, the same for every command.
const (
	ExitOK       = 0 // done
	ExitFailure  = 1 // the server or the network failed, or an unexpected answer
	ExitUsage    = 2 // bad flags or arguments
	ExitNotFound = 3 // the application, resource, role, scope or signing key does not exist
	ExitConflict = 4 // already exists (a name or indicator in use, a role already held)
	ExitAuth     = 5 // credentials refused (401, invalid_client) or not allowed (403)
)

// DefaultURL is the server address used when neither --url nor
// GATEHOUSE_URL is given (gatehouse serve's default).
const DefaultURL = "http://localhost:3001"

const footer = `
Connection (flag, or environment variable):
  --url                 GATEHOUSE_URL                        server address (default ` + DefaultURL + `)
  --client-id           GATEHOUSE_CLIENT_ID                  application id
  --client-secret-file  GATEHOUSE_CLIENT_SECRET_FILE         a file holding the secret ("-": standard input)
  --client-secret       GATEHOUSE_CLIENT_SECRET              the secret itself (a flag shows in the process
                                                             list: prefer the variable or a file)
  --api-indicator       GATEHOUSE_MANAGEMENT_API_INDICATOR   Management API indicator (default https://default.logto.app/api)
  -o, --output          table (the default), json or yaml; --json is -o json

Exit codes: 0 ok, 1 failure, 2 usage, 3 not found, 4 already exists, 5 credentials refused or not allowed.
`

// Usage is the summary of the commands, for gatehouse help.
const Usage = `  gatehouse token [flags]    get an access token, or --decode one
  gatehouse token introspect|revoke TOKEN|-
                             ask the server about a token, or revoke it
  gatehouse apps ...         list|show|create|update|delete|secrets applications
  gatehouse resources ...    list|show|create|update|delete API resources
  gatehouse scopes ...       list|create|update|delete the scopes (permissions) of a resource
  gatehouse roles ...        list|show|create|update|delete roles, assign|unassign them to apps, grant them scopes
  gatehouse keys ...         list|rotate|delete the token signing keys
  gatehouse logs [flags]     the audit log, newest first, with filters
  gatehouse orgs ...         list|show|create|update|delete organizations, apps add|remove, roles assign|unassign
  gatehouse org-roles ...    list|show|create|update|delete organization roles, scopes|resource-scopes add|remove
  gatehouse org-scopes ...   list|show|create|update|delete organization scopes
  gatehouse users ...        list|show|create|update|delete users
  gatehouse customizer ...   show|set|delete|test the JWT customizer
  gatehouse apply -f FILE    make the server match a configuration file (diff -f FILE: the plan first)
  gatehouse export           print the server's configuration in apply's format
`

// Commands are the commands Run runs (its args[0]).
func Commands() []string {
	return []string{"token", "apps", "resources", "scopes", "roles", "keys", "logs", "orgs", "org-roles", "org-scopes", "users", "customizer", "apply", "diff", "export"}
}

// Run runs a CLI command; args[0] is one of Commands(). It returns the exit code. Standard input is os.Stdin (for
// token --decode -).
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	return RunStdin(ctx, args, getenv, os.Stdin, stdout, stderr)
}

// RunStdin is Run with the standard input given.
func RunStdin(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	r := &runner{ctx: ctx, getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		fmt.Fprint(stderr, Usage)
		return ExitUsage
	}
	switch args[0] {
	case "token":
		if len(args) > 1 {
			switch args[1] {
			case "introspect":
				return r.tokenIntrospect(args[2:])
			case "revoke":
				return r.tokenRevoke(args[2:])
			}
		}
		return r.token(args[1:])
	case "apps":
		return r.group("apps", args[1:], appsHelp, map[string]func([]string) int{
			"list": r.appsList, "show": r.appsShow, "create": r.appsCreate, "update": r.appsUpdate, "delete": r.appsDelete,
			"secrets": r.appsSecrets, "auth": r.appsAuth, "federated": r.appsFederated})
	case "resources":
		return r.group("resources", args[1:], resourcesHelp, map[string]func([]string) int{
			"list": r.resourcesList, "show": r.resourcesShow, "create": r.resourcesCreate, "update": r.resourcesUpdate,
			"delete": r.resourcesDelete})
	case "scopes":
		return r.group("scopes", args[1:], scopesHelp, map[string]func([]string) int{
			"list": r.scopesList, "create": r.scopesCreate, "update": r.scopesUpdate, "delete": r.scopesDelete})
	case "roles":
		return r.group("roles", args[1:], rolesHelp, map[string]func([]string) int{
			"list": r.rolesList, "show": r.rolesShow, "create": r.rolesCreate, "update": r.rolesUpdate, "delete": r.rolesDelete,
			"assign": r.rolesAssign, "unassign": r.rolesUnassign, "grant": r.rolesGrant})
	case "logs":
		return r.logs(args[1:])
	case "orgs":
		return r.group("orgs", args[1:], orgsHelp, map[string]func([]string) int{
			"list": r.orgsList, "show": r.orgsShow, "create": r.orgsCreate, "update": r.orgsUpdate, "delete": r.orgsDelete,
			"apps": r.orgsApps, "roles": r.orgsRoles})
	case "users":
		return r.group("users", args[1:], usersHelp, map[string]func([]string) int{
			"list": r.usersList, "show": r.usersShow, "create": r.usersCreate, "update": r.usersUpdate, "delete": r.usersDelete})
	case "org-roles":
		return r.group("org-roles", args[1:], orgRolesHelp, map[string]func([]string) int{
			"list": r.orgRolesList, "show": r.orgRolesShow, "create": r.orgRolesCreate, "update": r.orgRolesUpdate,
			"delete": r.orgRolesDelete, "scopes": r.orgRolesScopes, "resource-scopes": r.orgRolesResourceScopes})
	case "org-scopes":
		return r.group("org-scopes", args[1:], orgScopesHelp, map[string]func([]string) int{
			"list": r.orgScopesList, "show": r.orgScopesShow, "create": r.orgScopesCreate, "update": r.orgScopesUpdate,
			"delete": r.orgScopesDelete})
	case "customizer":
		return r.group("customizer", args[1:], customizerHelp, map[string]func([]string) int{
			"show": r.customizerShow, "set": r.customizerSet, "delete": r.customizerDelete, "test": r.customizerTest})
	case "apply", "diff", "export":
		if len(args) > 1 && args[1] == "help" {
			fmt.Fprint(stdout, applyHelp+footer)
			return ExitOK
		}
		return map[string]func([]string) int{"apply": r.apply, "diff": r.diff, "export": r.export}[args[0]](args[1:])
	case "keys":
		return r.group("keys", args[1:], keysHelp, map[string]func([]string) int{
			"list": r.keysList, "rotate": r.keysRotate, "delete": r.keysDelete})
	}
	fmt.Fprintf(stderr, "gatehouse: unknown command %q\n", args[0])
	return ExitUsage
}

// runner holds one command's environment and common flags.
type runner struct {
	ctx            context.Context
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer

	url, clientID, clientSecret, secretFile, indicator string
	format                                             string // table, json or yaml (-o)
}

// group dispatches a subcommand of name.
func (r *runner) group(name string, args []string, help string, subs map[string]func([]string) int) int {
	names := slices.Sorted(maps.Keys(subs))
	groupUsage := func(problem string) int {
		fmt.Fprintf(r.stderr, "gatehouse %s: %s\nUsage: gatehouse %s %s ...\nRun 'gatehouse %s --help' for the commands.\n",
			name, problem, name, strings.Join(names, "|"), name)
		return ExitUsage
	}
	if len(args) == 0 {
		return groupUsage("a subcommand is needed")
	}
	if len(args) > 1 && isHelp(args[1]) && args[1] != "help" {
		// "apps create --help": that command's help only.
		if _, ok := subs[args[0]]; ok {
			fmt.Fprint(r.stdout, subHelp(help, name+" "+args[0])+footer)
			return ExitOK
		}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		// "orgs apps help": that subgroup's usage only (the whole help for
		// a top-level group).
		fmt.Fprint(r.stdout, subHelp(help, name)+footer)
		return ExitOK
	}
	sub, ok := subs[args[0]]
	if !ok {
		return groupUsage(fmt.Sprintf("unknown subcommand %q", args[0]))
	}
	return sub(args[1:])
}

// command is a parsed command line.
type command struct {
	name string
	help string
	fs   *flag.FlagSet
}

// flags starts a command's flag set with the connection flags.
func (r *runner) flags(name, help string) *command {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&r.url, "url", "", "")
	fs.StringVar(&r.clientID, "client-id", "", "")
	fs.StringVar(&r.clientSecret, "client-secret", "", "")
	fs.StringVar(&r.secretFile, "client-secret-file", "", "")
	fs.StringVar(&r.indicator, "api-indicator", "", "")
	r.outputFlags(fs)
	return &command{name: name, help: subHelp(help, name), fs: fs}
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

// subHelp is the part of a group's help about command name (like
// "apps create"): its usage lines and their continuation lines. It is the
// whole help when no line names the command (token).
func subHelp(help, name string) string {
	var b strings.Builder
	in := false
	for _, line := range strings.Split(help, "\n") {
		switch {
		case strings.HasPrefix(line, "  gatehouse "+name+" ") || line == "  gatehouse "+name:
			in = true
		case in && strings.HasPrefix(line, "      "):
			// a continuation of the usage line above
		default:
			in = false
		}
		if in {
			b.WriteString(line + "\n")
		}
	}
	if b.Len() == 0 || strings.Count(help, "  gatehouse ") == strings.Count(b.String(), "  gatehouse ") {
		return help
	}
	return "Usage:\n" + b.String()
}

// usageLine is the first usage line of help, without its description.
func usageLine(help string) string {
	for _, line := range strings.Split(help, "\n") {
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "gatehouse ") {
			if i := strings.Index(t, "   "); i > 0 {
				t = t[:i]
			}
			return t
		}
	}
	return "gatehouse"
}

// parse parses args, flags and positional arguments mixed, and checks the
// number of positional arguments is within [min, max] (max -1: any). It
// returns the positional arguments, or an exit code (-1 to go on).
func (r *runner) parse(c *command, args []string, min, max int) ([]string, int) {
	var pos []string
	for {
		if err := c.fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(r.stdout, c.help+footer)
				return nil, ExitOK
			}
			return nil, r.usage(c, "%s", flagError(err))
		}
		args = c.fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) < min || max >= 0 && len(pos) > max {
		return nil, r.usage(c, "wrong number of arguments")
	}
	return pos, -1
}

// usage reports a usage error of c: the problem, the command's usage line
// and a --help hint (not the whole help).
func (r *runner) usage(c *command, format string, args ...any) int {
	fmt.Fprintf(r.stderr, "gatehouse %s: %s\nUsage: %s\nRun 'gatehouse %s --help' for the flags.\n",
		c.name, fmt.Sprintf(format, args...), usageLine(c.help), c.name)
	return ExitUsage
}

// flagError restates a flag package error with the two-dash spelling the
// help uses.
func flagError(err error) string {
	s := err.Error()
	if f, ok := strings.CutPrefix(s, "flag provided but not defined: -"); ok {
		return "unknown flag " + dashes(f)
	}
	if i := strings.Index(s, " for flag -"); i >= 0 {
		rest := s[i+len(" for flag -"):]
		name, tail, _ := strings.Cut(rest, ":")
		return s[:i] + " for flag " + dashes(name) + ":" + tail
	}
	if f, ok := strings.CutPrefix(s, "flag needs an argument: -"); ok {
		return "flag " + dashes(f) + " needs a value"
	}
	return s
}

// dashes spells a flag as the help does: -o, -f, --name.
func dashes(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// fail reports err, as a short message with a hint when one helps, and
// returns the exit code it stands for.
func (r *runner) fail(err error) int {
	fmt.Fprintf(r.stderr, "gatehouse: %s\n", r.explain(err))
	var oe *client.OAuthError
	switch {
	case errors.Is(err, client.ErrInvalidConfig):
		return ExitUsage // a bad --url or --api-indicator
	case errors.As(err, &oe) && oe.Code == "invalid_target":
		return ExitNotFound // the resource indicator names no API resource
	case errors.Is(err, client.ErrNotFound):
		return ExitNotFound
	case errors.Is(err, client.ErrConflict):
		return ExitConflict
	case errors.Is(err, client.ErrUnauthorized), errors.Is(err, client.ErrForbidden):
		return ExitAuth
	}
	return ExitFailure
}

// notFound is a not-found error found by the CLI itself (a name that
// matches nothing).
type notFound string

func (e notFound) Error() string        { return string(e) }
func (e notFound) Is(target error) bool { return target == client.ErrNotFound }

// baseURL is --url, GATEHOUSE_URL or the default.
func (r *runner) baseURL() string {
	return first(r.url, r.getenv("GATEHOUSE_URL"), DefaultURL)
}

// credentials are --client-id and the secret: --client-secret,
// --client-secret-file, GATEHOUSE_CLIENT_SECRET or
// GATEHOUSE_CLIENT_SECRET_FILE, the first one set (flags before variables).
func (r *runner) credentials(c *command) (id, secret string, code int) {
	id = first(r.clientID, r.getenv("GATEHOUSE_CLIENT_ID"))
	secret = r.clientSecret
	for _, src := range []struct{ name, file, value string }{
		{"--client-secret-file", r.secretFile, ""},
		{"GATEHOUSE_CLIENT_SECRET", "", r.getenv("GATEHOUSE_CLIENT_SECRET")},
		{"GATEHOUSE_CLIENT_SECRET_FILE", r.getenv("GATEHOUSE_CLIENT_SECRET_FILE"), ""},
	} {
		if secret != "" {
			break
		}
		secret = src.value
		if src.file == "" {
			continue
		}
		var b []byte
		var err error
		if src.file == "-" {
			b, err = io.ReadAll(io.LimitReader(r.stdin, 64<<10))
		} else {
			b, err = os.ReadFile(src.file)
		}
		if err != nil {
			return "", "", r.usage(c, "%s: %v", src.name, err)
		}
		secret, _, _ = strings.Cut(string(b), "\n")
		secret = strings.TrimRight(secret, "\r")
		if secret == "" {
			return "", "", r.usage(c, "%s: the secret is empty", src.name)
		}
	}
	if id == "" || secret == "" {
		return "", "", r.usage(c, "the application's credentials are needed: --client-id and --client-secret-file (or --client-secret), or GATEHOUSE_CLIENT_ID and GATEHOUSE_CLIENT_SECRET")
	}
	return id, secret, -1
}

// api returns the Management API client for the connection flags.
func (r *runner) api(c *command) (*client.ManagementAPI, int) {
	id, secret, code := r.credentials(c)
	if code >= 0 {
		return nil, code
	}
	return client.NewManagementAPI("default", client.ManagementOptions{
		ClientID: id, ClientSecret: secret, BaseURL: r.baseURL(),
		APIIndicator: first(r.indicator, r.getenv("GATEHOUSE_MANAGEMENT_API_INDICATOR")),
		HTTPClient:   &http.Client{Timeout: 30 * time.Second},
	}), -1
}

// first returns the first non-empty string.
func first(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// table writes rows under a header, aligned.
func (r *runner) table(header []string, rows [][]string) int {
	tw := tabwriter.NewWriter(r.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, row := range rows {
		for i, v := range row {
			row[i] = strings.NewReplacer("\t", " ", "\n", " ").Replace(v)
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return r.fail(err)
	}
	return ExitOK
}

// date formats epoch milliseconds.
func date(ms int64) string {
	if ms == 0 {
		return "-"
	}
	return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04")
}

// errorsIsNotFound reports whether err is client.ErrNotFound.
func errorsIsNotFound(err error) bool { return errors.Is(err, client.ErrNotFound) }

// collect gathers every item of a paginated list.
func collect[T any](all iter.Seq2[T, error]) ([]T, error) {
	out := []T{}
	for x, err := range all {
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

// output prints items as JSON or YAML (-o), or as a table of row(item).
func output[T any](r *runner, items []T, header []string, row func(T) []string) int {
	if r.structured() {
		return r.printData(items)
	}
	rows := make([][]string, 0, len(items))
	for _, x := range items {
		rows = append(rows, row(x))
	}
	return r.table(header, rows)
}

// fields writes one item as aligned "NAME  value" lines.
func (r *runner) fields(kv [][2]string) int {
	rows := make([][]string, 0, len(kv))
	for _, x := range kv {
		rows = append(rows, []string{x[0], first(x[1], "-")})
	}
	tw := tabwriter.NewWriter(r.stdout, 0, 4, 2, ' ', 0)
	for _, row := range rows {
		fmt.Fprintln(tw, strings.NewReplacer("\n", " ").Replace(row[0]+"\t"+row[1]))
	}
	if err := tw.Flush(); err != nil {
		return r.fail(err)
	}
	return ExitOK
}

// optString makes --name a flag that sets *dst only when given (an
// update's optional field).
func optString(fs *flag.FlagSet, name string, dst **string) {
	fs.Func(name, "", func(s string) error { *dst = &s; return nil })
}

// deleteEach is a "delete REF..." command: it deletes what each reference
// names, in the order given, and stops at the first failure. find resolves
// a reference to the id to delete and the label to print (byID: the
// reference is the id); del deletes by id.
func (r *runner) deleteEach(c *command, args []string, kind string,
	find func(m *client.ManagementAPI, ref string) (id, label string, err error),
	del func(m *client.ManagementAPI, id string) error) int {
	refs, code := r.parse(c, args, 1, -1)
	if code >= 0 {
		return code
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	ids := make([]string, 0, len(refs))
	for _, ref := range refs {
		id, label, err := find(m, ref)
		if err != nil {
			return r.fail(err)
		}
		if err := del(m, id); err != nil {
			return r.fail(fmt.Errorf("%s %s: %w", kind, label, err))
		}
		ids = append(ids, id)
		if r.structured() {
			continue
		}
		if label == id {
			fmt.Fprintf(r.stdout, "deleted %s %s\n", kind, id)
		} else {
			fmt.Fprintf(r.stdout, "deleted %s %s (%s)\n", kind, label, id)
		}
	}
	if r.structured() {
		return r.printData(map[string]any{"deleted": ids})
	}
	return ExitOK
}

// byID is deleteEach's find for references that are ids.
func byID(_ *client.ManagementAPI, ref string) (string, string, error) { return ref, ref, nil }
