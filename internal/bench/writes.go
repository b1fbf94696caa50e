package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	gh "github.com/gatehouse/gatehouse/client"
)

const writesUsage = `Usage: gatehouse bench writes [flags]

Sends Management API writes at a fixed rate while "gatehouse bench" measures
the token endpoint: the steady admin and automation traffic of a real fleet.
Each write is a PATCH of one app's description (-app, or an app made for the
run and deleted after it), an app no benchmark requests a token for: any
effect on token throughput is the cost of the write itself and of the cache
invalidation it causes. Up to -c writes are in flight; a write whose turn
comes while all are busy is skipped and counted.

With -role-scope-rate R it also changes a role's permissions R times a
second: each change adds the permission -role-scope (of -resource) to the
role -role, or removes it, in turn, one change at a time (a change whose turn
comes while the last is still running is skipped and counted). Every app
holding the role is affected by every change: with the defaults, the apps of
"gatehouse bench provision", which get tokens for another permission (read),
so their tokens are unaffected. The permission is created if missing; the
role is left as it was found: a change still due at the end is undone.

Prints the writes, failures, skips and the latency of the writes themselves,
for the PATCHes and the role changes apart.

Example (in a second terminal, or with & before the bench):
  gatehouse bench writes -url http://127.0.0.1:3001 -rate 5 -role-scope-rate 1 -d 12s

Flags:
`

// Writes runs "gatehouse bench writes". Exit codes: 0 ok, 1 failure (any
// write failed, none could be made, or the role could not be set back as it
// was), 2 bad usage.
func Writes(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	var (
		conn                    mgmtConn
		rate, rsRate            float64
		d                       time.Duration
		appID                   string
		role, resource, rsScope string
		asJSON                  bool
	)
	fs := flag.NewFlagSet("gatehouse bench writes", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	conn.register(fs)
	fs.Float64Var(&rate, "rate", 5, "app PATCHes per second (`writes/s`); 0 for none, with -role-scope-rate")
	fs.Float64Var(&rsRate, "role-scope-rate", 0, "role permission changes per second (`changes/s`); 0 for none")
	fs.DurationVar(&d, "d", 10*time.Second, "how long to write (`duration`)")
	fs.StringVar(&appID, "app", "", "`id` of the app to PATCH; default: one made for the run")
	fs.StringVar(&role, "role", "scale-reader", "`name` of the role whose permissions change (-role-scope-rate)")
	fs.StringVar(&resource, "resource", "https://scale.api", "API resource `indicator` of the permission added and removed")
	fs.StringVar(&rsScope, "role-scope", "write", "the `permission` added to the role and removed in turn; not one the bench asks for")
	fs.BoolVar(&asJSON, "json", false, "print the result as one JSON object")
	if code, done := parseSub(fs, args, writesUsage, "gatehouse bench writes", stdout, stderr); done {
		return code
	}
	errs := conn.resolve(getenv)
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	switch {
	case !(rate >= 0 && rate <= 1e5):
		errs = append(errs, errors.New("-rate must be between 0 and 100000"))
	case !(rsRate >= 0 && rsRate <= 1e5):
		errs = append(errs, errors.New("-role-scope-rate must be between 0 and 100000"))
	case rate == 0 && rsRate == 0:
		errs = append(errs, errors.New("-rate must be positive, unless -role-scope-rate is"))
	}
	if d <= 0 {
		errs = append(errs, errors.New("-d must be positive"))
	}
	if rsRate > 0 && (role == "" || resource == "" || rsScope == "") {
		errs = append(errs, errors.New("-role, -resource and -role-scope must not be empty"))
	}
	if len(errs) > 0 {
		return usageError(stderr, "gatehouse bench writes", errors.Join(errs...))
	}
	api := conn.api()
	var tg *roleScopeToggle
	if rsRate > 0 {
		var err error
		if tg, err = newRoleScopeToggle(ctx, api, resource, rsScope, role); err != nil {
			fmt.Fprintln(stderr, "gatehouse bench writes: preparing the role changes:", err)
			return 1
		}
	}
	if rate > 0 && appID == "" {
		app, err := api.CreateApplication(ctx, gh.ApplicationCreate{Name: "bench-writes", Type: gh.TypeMachineToMachine})
		if err != nil {
			fmt.Fprintln(stderr, "gatehouse bench writes: making the app to write to:", err)
			return 1
		}
		appID = app.ID
		defer api.DeleteApplication(context.WithoutCancel(ctx), appID)
	}

	var (
		res writesResult
		wg  sync.WaitGroup
	)
	if rate > 0 {
		wg.Go(func() {
			res.writeReport = tickLoad(ctx, rate, d, conn.conns, func(ctx context.Context, k int) error {
				desc := "gatehouse bench writes " + strconv.Itoa(k)
				_, err := api.UpdateApplication(ctx, appID, gh.ApplicationUpdate{Description: &desc})
				return err
			})
		})
	}
	if tg != nil {
		wg.Go(func() {
			rs := &roleScopeReport{writeReport: tickLoad(ctx, rsRate, d, 1, tg.toggle),
				Role: role, Resource: resource, Scope: rsScope, RoleApps: tg.roleApps}
			rs.Adds, rs.Removes = tg.counts()
			res.RoleScopes = rs
		})
	}
	wg.Wait()
	var restoreErr error
	if tg != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		restoreErr = tg.restore(rctx)
		cancel()
	}

	var err error
	if asJSON {
		err = writeJSONTo(stdout, res)
	} else {
		var b strings.Builder
		if rate > 0 {
			r := res.writeReport
			fmt.Fprintf(&b, "Writes       %d at %s/s for %s to app %s: %d failed, %d skipped (no free slot of -c %d)\n"+
				"Latency      p50 %s  p99 %s  max %s\n",
				r.Writes, strconv.FormatFloat(rate, 'f', -1, 64), d, appID, r.Failed, r.Skipped, conn.conns,
				humanUS(r.Latency.P50), humanUS(r.Latency.P99), humanUS(r.Latency.Max))
		}
		if rs := res.RoleScopes; rs != nil {
			fmt.Fprintf(&b, "Role scopes  %d at %s/s for %s, %s of %s on role %s (held by %d apps): "+
				"%d added, %d removed, %d failed, %d skipped (last change still running)\n"+
				"Latency      p50 %s  p99 %s  max %s\n",
				rs.Writes, strconv.FormatFloat(rsRate, 'f', -1, 64), d, rs.Scope, rs.Resource, rs.Role, rs.RoleApps,
				rs.Adds, rs.Removes, rs.Failed, rs.Skipped,
				humanUS(rs.Latency.P50), humanUS(rs.Latency.P99), humanUS(rs.Latency.Max))
		}
		_, err = io.WriteString(stdout, b.String())
	}
	for _, e := range res.samples {
		fmt.Fprintln(stderr, "gatehouse bench writes:", e)
	}
	failed := err != nil || rate > 0 && (res.Failed > 0 || res.Writes == 0)
	if rs := res.RoleScopes; rs != nil {
		for _, e := range rs.samples {
			fmt.Fprintln(stderr, "gatehouse bench writes: role scope:", e)
		}
		failed = failed || rs.Failed > 0 || rs.Writes == 0
	}
	if restoreErr != nil {
		fmt.Fprintf(stderr, "gatehouse bench writes: setting role %s back as it was: %v\n", role, restoreErr)
		failed = true
	}
	if failed {
		return 1
	}
	return 0
}

// writesResult is the result of "gatehouse bench writes": the PATCHes at
// the top level (as before role changes were added), the role changes
// apart.
type writesResult struct {
	writeReport
	RoleScopes *roleScopeReport `json:"role_scopes,omitempty"`
}

// writeReport is the result of one kind of write; latencies in µs.
type writeReport struct {
	Writes  uint64        `json:"writes"` // answered or failed, not skipped
	Failed  uint64        `json:"failed"`
	Skipped uint64        `json:"skipped"`
	Latency latencyReport `json:"latency_us"`
	samples []string      // the first few distinct failures
}

// roleScopeReport is the result of the role permission changes.
type roleScopeReport struct {
	writeReport
	Adds     uint64 `json:"adds"`    // successful
	Removes  uint64 `json:"removes"` // successful
	Role     string `json:"role"`
	Resource string `json:"resource"`
	Scope    string `json:"scope"`
	RoleApps int    `json:"role_apps"` // apps holding the role at the start
}

// tickLoad calls write at rate for d, at most conns at once, and measures
// each call from when it was sent. A call whose turn comes while conns are
// in flight is skipped and counted.
func tickLoad(ctx context.Context, rate float64, d time.Duration, conns int, write func(ctx context.Context, k int) error) writeReport {
	var (
		mu   sync.Mutex
		hist histogram
		r    writeReport
		wg   sync.WaitGroup
	)
	slots := make(chan struct{}, conns)
	start := time.Now()
	tm := time.NewTimer(0)
	defer tm.Stop()
	for k := 0; ; k++ {
		due := start.Add(time.Duration(float64(k) * float64(time.Second) / rate))
		if due.Sub(start) >= d {
			break
		}
		tm.Reset(time.Until(due))
		select {
		case <-ctx.Done():
		case <-tm.C:
		}
		if ctx.Err() != nil {
			break
		}
		select {
		case slots <- struct{}{}:
		default:
			r.Skipped++
			continue
		}
		wg.Go(func() {
			defer func() { <-slots }()
			t0 := time.Now()
			err := write(ctx, k)
			took := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			if ctx.Err() != nil {
				return // interrupted: not the server's failure
			}
			r.Writes++
			hist.record(took)
			if err != nil {
				r.Failed++
				if msg := err.Error(); len(r.samples) < maxSamples && !slices.Contains(r.samples, msg) {
					r.samples = append(r.samples, msg)
				}
			}
		})
	}
	wg.Wait()
	r.Latency = latencyReport{Min: hist.quantile(0), Mean: hist.mean(), P50: hist.quantile(0.5), P90: hist.quantile(0.9),
		P99: hist.quantile(0.99), P999: hist.quantile(0.999), Max: float64(hist.maxUS)}
	return r
}

// roleScopeToggle adds one permission to a role and removes it, in turn:
// POST /api/roles/{id}/scopes, then DELETE /api/roles/{id}/scopes/{scopeId}.
type roleScopeToggle struct {
	api             *gh.ManagementAPI
	roleID, scopeID string
	roleApps        int  // apps holding the role when found
	initial         bool // whether the role held the permission when found

	mu            sync.Mutex
	held          bool // whether it holds it now, if known
	known         bool // false after a change that failed or was cut short
	adds, removes uint64
}

// newRoleScopeToggle finds the resource and the role, and makes the
// permission if the resource lacks it.
func newRoleScopeToggle(ctx context.Context, api *gh.ManagementAPI, indicator, scopeName, roleName string) (*roleScopeToggle, error) {
	res, err := find(api.AllResources(ctx, gh.ListResourcesParams{}), func(r gh.Resource) bool { return r.Indicator == indicator })
	if err != nil {
		return nil, fmt.Errorf("resource %s (made by gatehouse bench provision): %w", indicator, err)
	}
	role, err := find(api.AllRoles(ctx, gh.ListRolesParams{}), func(r gh.Role) bool { return r.Name == roleName })
	if err != nil {
		return nil, fmt.Errorf("role %s (made by gatehouse bench provision): %w", roleName, err)
	}
	scope, err := api.CreateResourceScope(ctx, res.ID, gh.ScopeCreate{Name: scopeName, Description: "gatehouse bench writes"})
	if errors.Is(err, gh.ErrConflict) {
		scope, err = find(api.AllResourceScopes(ctx, res.ID, gh.ListOptions{}), func(s gh.Scope) bool { return s.Name == scopeName })
	}
	if err != nil {
		return nil, fmt.Errorf("permission %s of %s: %w", scopeName, indicator, err)
	}
	t := &roleScopeToggle{api: api, roleID: role.ID, scopeID: scope.ID, roleApps: role.ApplicationsCount}
	if err := t.refresh(ctx); err != nil {
		return nil, fmt.Errorf("permissions of role %s: %w", roleName, err)
	}
	t.initial = t.held
	return t, nil
}

// refresh asks whether the role holds the permission. Callers hold t.mu,
// or own t alone.
func (t *roleScopeToggle) refresh(ctx context.Context) error {
	_, err := find(t.api.AllRoleScopes(ctx, t.roleID, gh.ListOptions{}), func(s gh.Scope) bool { return s.ID == t.scopeID })
	switch {
	case err == nil:
		t.held = true
	case errors.Is(err, gh.ErrNotFound):
		t.held = false
	default:
		return err
	}
	t.known = true
	return nil
}

// toggle makes one change: adds the permission if the role lacks it,
// removes it otherwise. After a failure it asks before the next change.
func (t *roleScopeToggle) toggle(ctx context.Context, _ int) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.known {
		if err := t.refresh(ctx); err != nil {
			return fmt.Errorf("permissions of the role: %w", err)
		}
	}
	var err error
	if t.held {
		if err = t.api.DeleteRoleScope(ctx, t.roleID, t.scopeID); err != nil {
			err = fmt.Errorf("removing the permission: %w", err)
		}
	} else {
		if _, err = t.api.AssignRoleScopes(ctx, t.roleID, []string{t.scopeID}); err != nil {
			err = fmt.Errorf("adding the permission: %w", err)
		}
	}
	if err != nil {
		t.known = false
		return err
	}
	if t.held {
		t.removes++
	} else {
		t.adds++
	}
	t.held = !t.held
	return nil
}

// counts returns the successful adds and removes.
func (t *roleScopeToggle) counts() (adds, removes uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.adds, t.removes
}

// restore leaves the role as it was found.
func (t *roleScopeToggle) restore(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.known {
		if err := t.refresh(ctx); err != nil {
			return err
		}
	}
	if t.held == t.initial {
		return nil
	}
	var err error
	if t.held {
		err = t.api.DeleteRoleScope(ctx, t.roleID, t.scopeID)
	} else {
		_, err = t.api.AssignRoleScopes(ctx, t.roleID, []string{t.scopeID})
	}
	if err != nil {
		t.known = false
		return err
	}
	t.held = t.initial
	return nil
}
