package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/gatehouse/gatehouse/internal/management"
)

// The JWT customizer page: the client-credentials customizer's script,
// environment variables (write-only once saved: they are sealed at rest
// and the page never shows their values again), samples, the blocking
// switch, and a Test button that runs the script on the samples.

// defaultScript is what an unconfigured customizer's editor starts with.
const defaultScript = `/**
 * Adds claims to every client-credentials access token.
 * token: the claims Gatehouse issues; context.application: the app,
 * custom data included; environmentVariables: the values saved below.
 * Return an object; api.denyAccess(message) refuses the token.
 */
const getCustomJwtClaims = async ({ token, context, environmentVariables, api }) => {
  return {};
};
`

// defaultTokenSample and defaultContextSample are the samples the Test
// button uses when none is saved or entered.
const (
	defaultTokenSample = `{
  "jti": "rcy8yYaNHq2mXk0QjHMPv",
  "iat": 1735689600,
  "exp": 1735693200,
  "clientId": "m2m-app-id",
  "kind": "ClientCredentials",
  "scope": "read:orders",
  "aud": "https://orders.example.com"
}`
	defaultContextSample = `{
  "application": {
    "id": "m2m-app-id",
    "name": "Order sync",
    "type": "MachineToMachine",
    "customData": {"tier": "gold"}
  }
}`
)

// maxEnvVars bounds the environment variables the page takes.
const maxEnvVars = 100

// customizerPage is the customizer page.
type customizerPage struct {
	Exists        bool
	Script        string
	TokenSample   string
	ContextSample string
	Block         bool
	Env           []envRow // the saved variables
	NewRows       []envRow // rows for new ones

	Tested     bool
	Result     string
	TestError  string
	TestDetail string
	Timeout    string
	Memory     string
}

// envRow is a row of the environment variables table. Value is only ever
// what the administrator just typed (shown again, masked, when the form
// comes back): a saved value is never rendered.
type envRow struct {
	Name, Value string
	Removed     bool
}

// storedCustomizer returns the saved customizer, nil when there is none.
func (c *console) storedCustomizer(r *http.Request) (*management.JWTCustomizer, error) {
	raw, err := c.svc.JWTCustomizer(r.Context())
	var me *management.Error
	if errors.As(err, &me) && me.Status == http.StatusNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var v management.JWTCustomizer
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// envNames returns the sorted names of an environment variables object.
func envNames(raw json.RawMessage) []string {
	var m map[string]string
	json.Unmarshal(raw, &m)
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// formatBytes writes a memory size as people read it.
func formatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// newCustomizerPage fills the page from the saved customizer.
func (c *console) newCustomizerPage(v *management.JWTCustomizer) *customizerPage {
	p := &customizerPage{Script: defaultScript, TokenSample: defaultTokenSample, ContextSample: defaultContextSample,
		NewRows: make([]envRow, 3), Timeout: c.cfg.CustomizerTimeout.String(), Memory: formatBytes(c.cfg.CustomizerMemory)}
	if c.cfg.CustomizerTimeout <= 0 {
		p.Timeout = "5s"
	}
	if c.cfg.CustomizerMemory <= 0 {
		p.Memory = "128 MB"
	}
	if v == nil {
		return p
	}
	p.Exists, p.Script = true, v.Script
	if len(v.TokenSample) > 0 {
		p.TokenSample = prettyJSON(v.TokenSample)
	}
	if len(v.ContextSample) > 0 {
		p.ContextSample = prettyJSON(v.ContextSample)
	}
	p.Block = v.BlockIssuanceOnError != nil && *v.BlockIssuanceOnError
	for _, name := range envNames(v.EnvironmentVariables) {
		p.Env = append(p.Env, envRow{Name: name})
	}
	return p
}

func (c *console) showCustomizer(w http.ResponseWriter, r *http.Request, s *session) error {
	v, err := c.storedCustomizer(r)
	if err != nil {
		return err
	}
	c.render(w, r, s, http.StatusOK, "customizer", view{Title: "JWT customizer", Nav: "customizer", D: c.newCustomizerPage(v)})
	return nil
}

// jsonSample reads a sample editor: a JSON object, or nil when empty.
func jsonSample(f *form, field, label string) json.RawMessage {
	v := strings.TrimSpace(f.Values.Get(field))
	if v == "" {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(v), &m); err != nil || m == nil {
		f.fail(field, "The "+label+" must be a JSON object, like {\"scope\": \"read\"}.")
		return nil
	}
	var b bytes.Buffer
	json.Compact(&b, []byte(v))
	return b.Bytes()
}

// checkTokenSample refuses a token sample the Management API would refuse:
// its jti, aud, scope and clientId are strings, its kind ClientCredentials.
func checkTokenSample(f *form, raw json.RawMessage) {
	if raw == nil {
		return
	}
	var m map[string]any
	json.Unmarshal(raw, &m)
	for _, k := range []string{"jti", "aud", "scope", "clientId"} {
		if v, ok := m[k]; ok {
			if _, ok := v.(string); !ok {
				f.fail("tokenSample", "In the token sample, "+k+" must be a string.")
			}
		}
	}
	if v, ok := m["kind"]; ok && v != "ClientCredentials" {
		f.fail("tokenSample", `In the token sample, kind must be "ClientCredentials".`)
	}
}

// customizerForm reads the page's form into a configuration: the
// environment variables are the saved ones, with the values entered
// (an empty value keeps a saved one) and without those marked for removal.
func (c *console) customizerForm(f *form, old *management.JWTCustomizer) *management.JWTCustomizer {
	v := &management.JWTCustomizer{Script: f.Values.Get("script")}
	if strings.TrimSpace(v.Script) == "" {
		f.fail("script", "Enter a script. To stop customizing tokens, remove the customizer below.")
	}
	env := map[string]string{}
	if old != nil && len(old.EnvironmentVariables) > 0 {
		json.Unmarshal(old.EnvironmentVariables, &env)
	}
	names, values := f.Values["envName"], f.Values["envValue"]
	for i, name := range names {
		name = strings.TrimSpace(name)
		value := ""
		if i < len(values) {
			value = values[i]
		}
		if name == "" {
			if value != "" {
				f.fail("env", "Give every value a name.")
			}
			continue
		}
		if strings.ContainsAny(name, " \t\r\n") {
			f.fail("env", "The name “"+name+"” has spaces; use a name like API_KEY.")
			continue
		}
		if _, saved := env[name]; value == "" && !saved {
			f.fail("env", "Enter a value for "+name+".")
			continue
		}
		if value != "" {
			env[name] = value
		}
	}
	for _, name := range f.Values["envRemove"] {
		delete(env, name)
	}
	if len(env) > maxEnvVars {
		f.fail("env", fmt.Sprintf("Use at most %d environment variables.", maxEnvVars))
	}
	if len(env) > 0 {
		v.EnvironmentVariables, _ = json.Marshal(env)
	}
	v.TokenSample = jsonSample(f, "tokenSample", "token sample")
	checkTokenSample(f, v.TokenSample)
	v.ContextSample = jsonSample(f, "contextSample", "context sample")
	if v.ContextSample != nil {
		var m map[string]json.RawMessage
		json.Unmarshal(v.ContextSample, &m)
		if a, ok := m["application"]; ok && (len(a) == 0 || a[0] != '{') {
			f.fail("contextSample", "In the context sample, application must be an object.")
		}
	}
	block := slices.Contains(f.Values["blockIssuanceOnError"], "true")
	v.BlockIssuanceOnError = &block
	return v
}

// againCustomizer shows the page with what the form holds.
func (c *console) againCustomizer(w http.ResponseWriter, r *http.Request, s *session, status int, f *form, old *management.JWTCustomizer, p *customizerPage) {
	if p == nil {
		p = c.newCustomizerPage(old)
	}
	p.Script, p.TokenSample, p.ContextSample = f.Values.Get("script"), f.Values.Get("tokenSample"), f.Values.Get("contextSample")
	p.Block = slices.Contains(f.Values["blockIssuanceOnError"], "true")
	// The rows as typed: saved ones keep their place, new ones follow,
	// with at least one empty row to add another.
	saved := map[string]int{}
	for i, row := range p.Env {
		saved[row.Name] = i
	}
	p.NewRows = nil
	values := f.Values["envValue"]
	for i, name := range f.Values["envName"] {
		row := envRow{Name: strings.TrimSpace(name)}
		if i < len(values) {
			row.Value = values[i]
		}
		if j, ok := saved[row.Name]; ok {
			p.Env[j].Value = row.Value
			continue
		}
		if row.Name != "" || row.Value != "" {
			p.NewRows = append(p.NewRows, row)
		}
	}
	for _, name := range f.Values["envRemove"] {
		if j, ok := saved[name]; ok {
			p.Env[j].Removed = true
		}
	}
	for len(p.NewRows) < 3 {
		p.NewRows = append(p.NewRows, envRow{})
	}
	c.render(w, r, s, status, "customizer", view{Title: "JWT customizer", Nav: "customizer", Forms: map[string]*form{"customizer": f}, D: p})
}

func (c *console) saveCustomizer(w http.ResponseWriter, r *http.Request, s *session) error {
	f := newForm(r)
	old, err := c.storedCustomizer(r)
	if err != nil {
		return err
	}
	v := c.customizerForm(f, old)
	if f.ok() {
		_, _, err = c.svc.PutJWTCustomizer(r.Context(), v)
		if err == nil {
			return c.redirect(w, r, "/jwt-customizer", "JWT customizer saved. New client-credentials tokens go through it.")
		}
		if err := formError(f, err); err != nil {
			return err
		}
	}
	c.againCustomizer(w, r, s, http.StatusUnprocessableEntity, f, old, nil)
	return nil
}

// testCustomizer runs the script of the form on its samples (the defaults
// when they are empty) and shows what it returned or why it failed.
// Nothing is saved.
func (c *console) testCustomizer(w http.ResponseWriter, r *http.Request, s *session) error {
	f := newForm(r)
	old, err := c.storedCustomizer(r)
	if err != nil {
		return err
	}
	v := c.customizerForm(f, old)
	if !f.ok() {
		c.againCustomizer(w, r, s, http.StatusUnprocessableEntity, f, old, nil)
		return nil
	}
	in := struct {
		Token   json.RawMessage `json:"token"`
		Context json.RawMessage `json:"context"`
		Env     json.RawMessage `json:"environmentVariables"`
	}{v.TokenSample, v.ContextSample, v.EnvironmentVariables}
	if in.Token == nil {
		in.Token = json.RawMessage(defaultTokenSample)
	}
	if in.Context == nil {
		in.Context = json.RawMessage(defaultContextSample)
	}
	if in.Env == nil {
		in.Env = json.RawMessage(`{}`)
	}
	input, err := json.Marshal(in)
	if err != nil {
		return err
	}
	p := c.newCustomizerPage(old)
	p.Tested = true
	out, err := c.svc.TestJWTCustomizer(v.Script, input)
	var me *management.Error
	switch {
	case err == nil:
		p.Result = prettyJSON(out)
	case errors.As(err, &me) && me.Status < http.StatusInternalServerError:
		p.TestError = me.Message
		if d, ok := me.Data.(map[string]string); ok && d["error"] != "" && d["error"] != me.Message {
			p.TestDetail = d["error"]
		}
		if me.Status == http.StatusForbidden {
			p.TestError = "The script denied the token: " + me.Message
		}
	default:
		return err
	}
	c.againCustomizer(w, r, s, http.StatusOK, f, old, p)
	return nil
}

func (c *console) deleteCustomizer(w http.ResponseWriter, r *http.Request, s *session) error {
	err := c.svc.DeleteJWTCustomizer(r.Context())
	var me *management.Error
	if errors.As(err, &me) && me.Status == http.StatusNotFound {
		return c.redirect(w, r, "/jwt-customizer", "There was no customizer to remove.")
	}
	if err != nil {
		return err
	}
	return c.redirect(w, r, "/jwt-customizer", "JWT customizer removed. Tokens no longer carry its claims.")
}
