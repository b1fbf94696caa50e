package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/gatehouse/gatehouse/client"
)

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// appsAuth sets how an application authenticates: its secrets (the
// default), or private_key_jwt with a JWK Set from a file or a URL. The
// other fields of oidcClientMetadata are kept.
func (r *runner) appsAuth(args []string) int {
	c := r.flags("apps auth", appsHelp)
	jwksFile := c.fs.String("jwks", "", "")
	jwksURI := c.fs.String("jwks-uri", "", "")
	secret := c.fs.Bool("secret", false, "")
	pos, code := r.parse(c, args, 1, 1)
	if code >= 0 {
		return code
	}
	n := 0
	for _, set := range []bool{*jwksFile != "", *jwksURI != "", *secret} {
		if set {
			n++
		}
	}
	if n != 1 {
		return r.usage(c, "give one of --jwks FILE, --jwks-uri URL or --secret")
	}
	var keys map[string]any
	if *jwksFile != "" {
		b, err := os.ReadFile(*jwksFile)
		if err != nil {
			return r.fail(err)
		}
		if err := json.Unmarshal(b, &keys); err != nil {
			return r.usage(c, "%s is not a JSON JWK Set: %v", *jwksFile, err)
		}
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	app, err := m.GetApplication(r.ctx, pos[0])
	if err != nil {
		return r.fail(fmt.Errorf("application %s: %w", pos[0], err))
	}
	meta := app.OIDCClientMetadata
	if meta == nil {
		meta = map[string]any{}
	}
	delete(meta, "jwks")
	delete(meta, "jwksUri")
	method := "client_secret_basic"
	switch {
	case keys != nil:
		method, meta["jwks"] = "private_key_jwt", keys
	case *jwksURI != "":
		method, meta["jwksUri"] = "private_key_jwt", *jwksURI
	}
	meta["tokenEndpointAuthMethod"] = method
	out, err := m.UpdateApplication(r.ctx, app.ID, client.ApplicationUpdate{OIDCClientMetadata: meta})
	if err != nil {
		return r.fail(err)
	}
	if r.structured() {
		return r.printData(out)
	}
	fmt.Fprintf(r.stdout, "application %s now authenticates with %s\n", app.ID, method)
	return ExitOK
}

// appsFederated lists, adds or deletes an application's federated
// credentials.
func (r *runner) appsFederated(args []string) int {
	c := r.flags("apps federated", appsHelp)
	add := c.fs.String("add", "", "")
	del := c.fs.String("delete", "", "")
	issuer := c.fs.String("issuer", "", "")
	subject := c.fs.String("subject", "", "")
	jwksURI := c.fs.String("jwks-uri", "", "")
	var audiences, claims listFlag
	c.fs.Var(&audiences, "audience", "")
	c.fs.Var(&claims, "claim", "")
	pos, code := r.parse(c, args, 1, 1)
	if code >= 0 {
		return code
	}
	if *add != "" && *del != "" {
		return r.usage(c, "--add and --delete do not go together")
	}
	if *add != "" && (*issuer == "" || *subject == "" || len(audiences) == 0) {
		return r.usage(c, "--add needs --issuer, --subject and at least one --audience")
	}
	in := client.FederatedCredentialCreate{Name: *add, Issuer: *issuer, Subject: *subject, Audiences: audiences, JWKSURI: *jwksURI}
	for _, kv := range claims {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return r.usage(c, "--claim is NAME=VALUE, not %q", kv)
		}
		if in.Claims == nil {
			in.Claims = map[string]string{}
		}
		in.Claims[k] = v
	}
	m, code := r.api(c)
	if code >= 0 {
		return code
	}
	id := pos[0]
	switch {
	case *add != "":
		fc, err := m.CreateApplicationFederatedCredential(r.ctx, id, in)
		if err != nil {
			return r.fail(err)
		}
		if r.structured() {
			return r.printData(fc)
		}
		return r.federatedTable([]client.FederatedCredential{*fc})
	case *del != "":
		if err := m.DeleteApplicationFederatedCredential(r.ctx, id, *del); err != nil {
			return r.fail(err)
		}
		if r.structured() {
			return r.printData(map[string]string{"deleted": *del})
		}
		fmt.Fprintf(r.stdout, "deleted federated credential %s of application %s\n", *del, id)
		return ExitOK
	}
	list, err := m.ListApplicationFederatedCredentials(r.ctx, id)
	if err != nil {
		return r.fail(err)
	}
	if r.structured() {
		if list == nil {
			list = []client.FederatedCredential{}
		}
		return r.printData(list)
	}
	return r.federatedTable(list)
}

func (r *runner) federatedTable(list []client.FederatedCredential) int {
	rows := make([][]string, 0, len(list))
	for _, f := range list {
		var cl []string
		for k, v := range f.Claims {
			cl = append(cl, k+"="+v)
		}
		rows = append(rows, []string{f.ID, f.Name, f.Issuer, f.Subject, strings.Join(f.Audiences, ","), strings.Join(cl, ",")})
	}
	return r.table([]string{"ID", "NAME", "ISSUER", "SUBJECT", "AUDIENCES", "CLAIMS"}, rows)
}
