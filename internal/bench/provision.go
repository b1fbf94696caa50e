package bench

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"net/http"
	"os"
	"sync"
	"time"

	gh "github.com/gatehouse/gatehouse/client"
)

const (
	envMgmtURL       = "GATEHOUSE_URL"
	envMgmtIndicator = "GATEHOUSE_MANAGEMENT_API_INDICATOR"
	defaultMgmtURL   = "http://127.0.0.1:3001"
)

// mgmtConn holds the connection flags of the subcommands that drive the
// Management API (provision, writes). They are the flags and variables of
// the management CLI (docs/cli.md): one admin app serves both.
type mgmtConn struct {
	url, clientID, clientSecret, indicator string
	conns                                  int
}

func (m *mgmtConn) register(fs *flag.FlagSet) {
	fs.StringVar(&m.url, "url", "", "server `address` ["+envMgmtURL+", default "+defaultMgmtURL+"]")
	fs.StringVar(&m.clientID, "client-id", "", "`id` of an app holding the Management API's \"all\" scope [GATEHOUSE_CLIENT_ID]")
	fs.StringVar(&m.clientSecret, "client-secret", "", "its `secret` [GATEHOUSE_CLIENT_SECRET]")
	fs.StringVar(&m.indicator, "api-indicator", "", "the Management API's `indicator` ["+envMgmtIndicator+", default https://default.logto.app/api]")
	fs.IntVar(&m.conns, "c", 8, "concurrent Management API `requests`")
}

// resolve falls back to the environment and checks what is needed.
func (m *mgmtConn) resolve(getenv func(string) string) []error {
	m.url = firstOf(m.url, getenv(envMgmtURL), defaultMgmtURL)
	m.clientID = firstOf(m.clientID, getenv(envClientID))
	m.clientSecret = firstOf(m.clientSecret, getenv(envClientSecret))
	m.indicator = firstOf(m.indicator, getenv(envMgmtIndicator), "https://default.logto.app/api")
	var errs []error
	if m.clientID == "" || m.clientSecret == "" {
		errs = append(errs, errors.New("an admin app's -client-id and -client-secret are required (or "+envClientID+" and "+envClientSecret+")"))
	}
	if m.conns < 1 {
		errs = append(errs, errors.New("-c must be at least 1"))
	}
	return errs
}

// api returns a Management API client that keeps up to m.conns
// connections alive.
func (m *mgmtConn) api() *gh.ManagementAPI {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = m.conns
	return gh.NewManagementAPI("default", gh.ManagementOptions{
		ClientID: m.clientID, ClientSecret: m.clientSecret, BaseURL: m.url, APIIndicator: m.indicator,
		HTTPClient: &http.Client{Timeout: 30 * time.Second, Transport: tr},
	})
}

// firstOf returns the first non-empty string.
func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

const provisionUsage = `Usage: gatehouse bench provision -n N -out FILE [flags]

Creates N machine-to-machine apps through the Management API and writes their
credentials to FILE, one "id secret" line per app, for gatehouse bench
-credentials FILE. Every app holds one M2M role (-role) that grants one
permission (-scope) of one API resource (-resource), so each can get a token
with -resource https://scale.api -scope read. The resource, permission and
role are created if missing and reused otherwise, so a second run adds apps.
FILE is written as the apps are made (mode 0600: it holds secrets); after a
failure it lists the apps made so far. Works against Gatehouse and Logto.

Example:
  GATEHOUSE_CLIENT_ID=<bootstrap id> GATEHOUSE_CLIENT_SECRET=<secret> \
      gatehouse bench provision -url http://127.0.0.1:3001 -n 10000 -out apps.txt
  gatehouse bench -credentials apps.txt -resource https://scale.api -scope read

Flags:
`

// Provision runs "gatehouse bench provision". Exit codes: 0 ok, 1 failure,
// 2 bad usage.
func Provision(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	var (
		conn                  mgmtConn
		n                     int
		out, res, scope, role string
		prefix                string
	)
	fs := flag.NewFlagSet("gatehouse bench provision", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	conn.register(fs)
	fs.IntVar(&n, "n", 0, "how many `apps` to create, required")
	fs.StringVar(&out, "out", "", "`file` to write \"id secret\" lines to (- for stdout), required")
	fs.StringVar(&res, "resource", "https://scale.api", "API resource `indicator` the apps get a permission of")
	fs.StringVar(&scope, "scope", "read", "the `permission` (scope) granted")
	fs.StringVar(&role, "role", "scale-reader", "`name` of the M2M role every app holds")
	fs.StringVar(&prefix, "name", "scale", "app name `prefix` (apps are named PREFIX-0, PREFIX-1, ...)")
	if code, done := parseSub(fs, args, provisionUsage, "gatehouse bench provision", stdout, stderr); done {
		return code
	}
	errs := conn.resolve(getenv)
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	if n < 1 {
		errs = append(errs, errors.New("-n must be at least 1"))
	}
	if out == "" {
		errs = append(errs, errors.New("-out is required"))
	}
	if res == "" || scope == "" || role == "" {
		errs = append(errs, errors.New("-resource, -scope and -role must not be empty"))
	}
	if len(errs) > 0 {
		return usageError(stderr, "gatehouse bench provision", errors.Join(errs...))
	}

	w := stdout
	if out != "-" {
		f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			fmt.Fprintln(stderr, "gatehouse bench provision:", err)
			return 1
		}
		defer f.Close()
		w = f
	}
	start := time.Now()
	p := provisioner{api: conn.api(), out: bufio.NewWriter(w), conns: conn.conns, prefix: prefix}
	roleID, err := p.grant(ctx, res, scope, role)
	made := 0
	if err == nil {
		made, err = p.apps(ctx, n, roleID)
	}
	if ferr := p.out.Flush(); err == nil {
		err = ferr
	}
	took := time.Since(start)
	if err != nil {
		fmt.Fprintf(stderr, "gatehouse bench provision: %v (%d of %d apps made and written)\n", err, made, n)
		return 1
	}
	fmt.Fprintf(stderr, "provisioned %d apps in %s (%.0f/s) into %s; each holds role %s (%s on %s)\n",
		made, took.Round(time.Millisecond), float64(made)/took.Seconds(), out, role, scope, res)
	return 0
}

// provisioner makes the apps and writes their credentials.
type provisioner struct {
	api    *gh.ManagementAPI
	conns  int
	prefix string
	mu     sync.Mutex // guards out
	out    *bufio.Writer
}

// grant finds or creates the resource, its scope and a role holding that
// scope, and returns the role's id.
func (p *provisioner) grant(ctx context.Context, indicator, scopeName, roleName string) (string, error) {
	res, err := p.api.CreateResource(ctx, gh.ResourceCreate{Name: indicator, Indicator: indicator})
	if errors.Is(err, gh.ErrConflict) {
		res, err = find(p.api.AllResources(ctx, gh.ListResourcesParams{}), func(r gh.Resource) bool { return r.Indicator == indicator })
	}
	if err != nil {
		return "", fmt.Errorf("resource %s: %w", indicator, err)
	}
	scope, err := p.api.CreateResourceScope(ctx, res.ID, gh.ScopeCreate{Name: scopeName, Description: "gatehouse bench provision"})
	if errors.Is(err, gh.ErrConflict) {
		scope, err = find(p.api.AllResourceScopes(ctx, res.ID, gh.ListOptions{}), func(s gh.Scope) bool { return s.Name == scopeName })
	}
	if err != nil {
		return "", fmt.Errorf("scope %s of %s: %w", scopeName, indicator, err)
	}
	role, err := p.api.CreateRole(ctx, gh.RoleCreate{Name: roleName, Description: "gatehouse bench provision",
		Type: gh.RoleTypeM2M, ScopeIDs: []string{scope.ID}})
	if errors.Is(err, gh.ErrConflict) {
		role, err = find(p.api.AllRoles(ctx, gh.ListRolesParams{}), func(r gh.Role) bool { return r.Name == roleName })
		if err == nil {
			// An existing role may lack the scope; holding it already is fine.
			if _, aerr := p.api.AssignRoleScopes(ctx, role.ID, []string{scope.ID}); aerr != nil && !errors.Is(aerr, gh.ErrConflict) {
				err = aerr
			}
		}
	}
	if err != nil {
		return "", fmt.Errorf("role %s: %w", roleName, err)
	}
	return role.ID, nil
}

// find returns the first item of seq that matches.
func find[T any](seq iter.Seq2[T, error], match func(T) bool) (*T, error) {
	for v, err := range seq {
		if err != nil {
			return nil, err
		}
		if match(v) {
			return &v, nil
		}
	}
	return nil, gh.ErrNotFound
}

// apps makes n apps on p.conns goroutines, each with the role, and writes
// each one's line as soon as it is usable. It stops at the first failure
// and returns how many apps were written.
func (p *provisioner) apps(ctx context.Context, n int, roleID string) (int, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	made := 0
	for range min(p.conns, n) {
		wg.Go(func() {
			for i := range next {
				id, secret, err := p.app(ctx, i, roleID)
				if err != nil {
					cancel(err)
					return
				}
				p.mu.Lock()
				_, err = fmt.Fprintf(p.out, "%s %s\n", id, secret)
				made++
				p.mu.Unlock()
				if err != nil {
					cancel(err)
					return
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return made, context.Cause(ctx)
}

// app makes app number i: create, read its generated secret, give it the role.
func (p *provisioner) app(ctx context.Context, i int, roleID string) (string, string, error) {
	app, err := p.api.CreateApplication(ctx, gh.ApplicationCreate{
		Name: fmt.Sprintf("%s-%d", p.prefix, i), Type: gh.TypeMachineToMachine,
		Description: "gatehouse bench provision",
	})
	if err != nil {
		return "", "", fmt.Errorf("creating app %d: %w", i, err)
	}
	secrets, err := p.api.ListApplicationSecrets(ctx, app.ID)
	if err != nil {
		return "", "", fmt.Errorf("secrets of app %s: %w", app.ID, err)
	}
	if len(secrets) == 0 {
		return "", "", fmt.Errorf("app %s was made without a secret", app.ID)
	}
	if _, err := p.api.AssignApplicationRoles(ctx, app.ID, []string{roleID}); err != nil {
		return "", "", fmt.Errorf("giving app %s the role: %w", app.ID, err)
	}
	return app.ID, secrets[0].Value, nil
}

// usageError prints a usage error of a subcommand and returns exit code 2.
// parseSub parses the flags of subcommand cmd. When the command is over,
// it returns done and the exit code: 0 after printing the help (usage, then
// the flags) for -h, 2 after a usage error.
func parseSub(fs *flag.FlagSet, args []string, usage, cmd string, stdout, stderr io.Writer) (code int, done bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, false
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return 0, true
	}
	return usageError(stderr, cmd, err), true
}

func usageError(stderr io.Writer, cmd string, err error) int {
	fmt.Fprintf(stderr, "%s: %v\nRun '%s -h' for usage.\n", cmd, err, cmd)
	return 2
}
