package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/client"
)

const tokenHelp = `Usage:
  gatehouse token --resource URI [--scope "a b"] [--org ID] [--dpop-key FILE] [connection flags]
  gatehouse token --decode TOKEN|- [--json]
  gatehouse token introspect TOKEN|- [connection flags]
      asks the server whether the token is active (RFC 7662) and what it holds
  gatehouse token revoke TOKEN|- [connection flags]
      revokes the token (RFC 7009): the server refuses it from then on

Without --decode: asks the token endpoint for an access token with the client
credentials grant, as the application of --client-id (GATEHOUSE_CLIENT_ID), and
prints it (with --json: access_token, token_type, expires_in, scope). Requested
scopes the application's roles do not grant are left out of the token; a note on
stderr names them.

  --resource URI   the API's indicator (empty: the server's default resource)
  --scope LIST     scopes, separated by spaces or commas (none: a token without scopes)
  --org ID         an organization id (organization_id)
  --dpop-key FILE  a PEM private key (EC P-256/P-384, Ed25519, RSA): the request
                   carries a DPoP proof and the token is bound to the key
                   (token_type DPoP); the API then needs a proof made with the
                   same key for every call (docs/dpop.md)

With --decode: prints the token's header and claims (--decode - reads the
token from standard input). The token is NOT
verified (no signature, issuer, audience or expiry check): it shows what the
token says, not whether it is genuine.

introspect and revoke authenticate as the application of --client-id; "-"
reads the token from standard input. An application sees (and revokes) only
its own tokens; one holding the Management API's "all" scope may introspect
any. An inactive token (expired, revoked, its grant withdrawn, another
application's, not a token of this server) prints "active: false" and exits
0; revoking it is not an error either (RFC 7009).
`

func (r *runner) token(args []string) int {
	c := r.flags("token", tokenHelp)
	resource := c.fs.String("resource", "", "")
	scope := c.fs.String("scope", "", "")
	org := c.fs.String("org", "", "")
	decode := c.fs.Bool("decode", false, "")
	dpopKey := c.fs.String("dpop-key", "", "")
	pos, code := r.parse(c, args, 0, 1)
	if code >= 0 {
		return code
	}
	if *decode {
		if len(pos) != 1 {
			return r.usage(c, "--decode takes the token as its argument")
		}
		tok := pos[0]
		if tok == "-" {
			b, err := io.ReadAll(io.LimitReader(r.stdin, 1<<20))
			if err != nil {
				return r.fail(fmt.Errorf("reading the token from standard input: %w", err))
			}
			tok = string(b)
		}
		return r.decode(c, tok)
	}
	if len(pos) != 0 {
		return r.usage(c, "unexpected argument %q", pos[0])
	}
	id, secret, code := r.credentials(c)
	if code >= 0 {
		return code
	}
	asked := strings.FieldsFunc(*scope, func(r rune) bool { return r == ' ' || r == ',' })
	var key *client.DPoPKey
	if *dpopKey != "" {
		b, err := os.ReadFile(*dpopKey)
		if err != nil {
			return r.usage(c, "--dpop-key: %v", err)
		}
		if key, err = client.ParseDPoPKey(b); err != nil {
			return r.usage(c, "--dpop-key %s: %v", *dpopKey, err)
		}
	}
	ts := client.NewTokenSource(client.TokenConfig{
		BaseURL: r.baseURL(), ClientID: id, ClientSecret: secret,
		Resource: *resource, Scopes: asked, OrganizationID: *org, DPoP: key,
	})
	tok, err := ts.TokenContext(r.ctx)
	if err != nil {
		return r.fail(err)
	}
	granted, _ := tok.Extra("scope").(string)
	var dropped []string
	for _, s := range asked {
		if !slices.Contains(strings.Fields(granted), s) && !slices.Contains(dropped, s) {
			dropped = append(dropped, s)
		}
	}
	if len(dropped) > 0 {
		fmt.Fprintf(r.stderr, "gatehouse token: note: not granted: %s (the application's roles do not give them for this resource)\n", strings.Join(dropped, " "))
	}
	if r.structured() {
		sc, _ := tok.Extra("scope").(string)
		return r.printData(map[string]any{"access_token": tok.AccessToken, "token_type": tok.TokenType,
			"expires_in": tok.ExpiresIn, "scope": sc})
	}
	fmt.Fprintln(r.stdout, tok.AccessToken)
	return ExitOK
}

// decode prints a JWT's header and claims without verifying anything.
func (r *runner) decode(c *command, tok string) int {
	parts := strings.Split(strings.TrimSpace(tok), ".")
	if len(parts) != 3 {
		return r.usage(c, "not a JWT: want three dot-separated parts, got %d", len(parts))
	}
	var header, claims map[string]any
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			return r.usage(c, "not a JWT: part %d is not base64url: %v", i+1, err)
		}
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if err := d.Decode(dst); err != nil {
			return r.usage(c, "not a JWT: part %d is not a JSON object: %v", i+1, err)
		}
	}
	if r.structured() {
		return r.printData(map[string]any{"verified": false, "header": header, "claims": claims})
	}
	fmt.Fprintln(r.stdout, "NOT VERIFIED: the signature, issuer, audience and expiry were not checked.")
	for _, p := range []struct {
		name string
		v    map[string]any
	}{{"Header", header}, {"Claims", claims}} {
		b, _ := json.MarshalIndent(p.v, "", "  ")
		fmt.Fprintf(r.stdout, "%s:\n%s\n", p.name, b)
	}
	for _, k := range []string{"iat", "nbf", "exp"} {
		if n, ok := claims[k].(json.Number); ok {
			if secs, err := n.Int64(); err == nil {
				t := time.Unix(secs, 0).UTC()
				fmt.Fprintf(r.stdout, "%s: %s (%s)\n", k, t.Format(time.RFC3339), relative(time.Until(t)))
			}
		}
	}
	return ExitOK
}

// relative says a duration from now in words.
func relative(d time.Duration) string {
	d = d.Round(time.Second)
	if d < 0 {
		return (-d).String() + " ago"
	}
	return "in " + d.String()
}

// tokenArg is the token argument of introspect or revoke: pos[0], or
// standard input for "-".
func (r *runner) tokenArg(pos []string) (string, error) {
	if pos[0] != "-" {
		return pos[0], nil
	}
	b, err := io.ReadAll(io.LimitReader(r.stdin, 1<<20))
	if err != nil {
		return "", fmt.Errorf("reading the token from standard input: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// tokenEndpoint parses introspect's or revoke's command line and returns a
// TokenSource for the application's credentials and the token.
func (r *runner) tokenEndpoint(c *command, args []string) (*client.TokenSource, string, int) {
	pos, code := r.parse(c, args, 1, 1)
	if code >= 0 {
		return nil, "", code
	}
	id, secret, code := r.credentials(c)
	if code >= 0 {
		return nil, "", code
	}
	tok, err := r.tokenArg(pos)
	if err != nil {
		return nil, "", r.fail(err)
	}
	if tok == "" {
		return nil, "", r.usage(c, "the token is empty")
	}
	return client.NewTokenSource(client.TokenConfig{BaseURL: r.baseURL(), ClientID: id, ClientSecret: secret}), tok, -1
}

func (r *runner) tokenIntrospect(args []string) int {
	c := r.flags("token introspect", tokenHelp)
	ts, tok, code := r.tokenEndpoint(c, args)
	if code >= 0 {
		return code
	}
	in, err := ts.Introspect(r.ctx, tok)
	if err != nil {
		return r.fail(err)
	}
	if r.structured() {
		return r.printData(in)
	}
	if !in.Active {
		fmt.Fprintln(r.stdout, "active: false")
		return ExitOK
	}
	secs := func(s int64) string {
		if s == 0 {
			return "-"
		}
		t := time.Unix(s, 0).UTC()
		return t.Format(time.RFC3339) + " (" + relative(time.Until(t)) + ")"
	}
	return r.fields([][2]string{
		{"active:", "true"}, {"client_id:", in.ClientID}, {"sub:", in.Subject}, {"aud:", in.Audience},
		{"scope:", in.Scope}, {"organization_id:", in.OrganizationID}, {"iss:", in.Issuer},
		{"iat:", secs(in.IssuedAt)}, {"exp:", secs(in.Expiry)}, {"token_type:", in.TokenType},
	})
}

func (r *runner) tokenRevoke(args []string) int {
	c := r.flags("token revoke", tokenHelp)
	ts, tok, code := r.tokenEndpoint(c, args)
	if code >= 0 {
		return code
	}
	if err := ts.Revoke(r.ctx, tok); err != nil {
		return r.fail(err)
	}
	if r.structured() {
		return r.printData(map[string]bool{"revoked": true})
	}
	fmt.Fprintln(r.stdout, "revoked (if it was a live token of this application: the server says nothing of others)")
	return ExitOK
}
