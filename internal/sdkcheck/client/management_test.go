package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/client"
	"github.com/gatehouse/gatehouse/internal/apptest"
)

// admin is a Management API client of e's bootstrap app.
func admin(e *apptest.Env) *client.ManagementAPI {
	return client.NewManagementAPI("default", client.ManagementOptions{
		ClientID: apptest.BootstrapID, ClientSecret: apptest.BootstrapSecret, BaseURL: e.URL,
	})
}

// failure is a must failure, turned into t.Fatal by fatalOnFailure.
type failure struct {
	where string
	err   error
}

// must returns v, or stops the test (see fatalOnFailure) on err. It lets a
// call's two results be checked in one expression.
func must[T any](v T, err error) T {
	if err != nil {
		_, file, line, _ := runtime.Caller(1)
		panic(failure{fmt.Sprintf("%s:%d", filepath.Base(file), line), err})
	}
	return v
}

// fatalOnFailure, deferred, turns a must failure into t.Fatal.
func fatalOnFailure(t *testing.T) {
	if r := recover(); r != nil {
		f, ok := r.(failure)
		if !ok {
			panic(r)
		}
		t.Fatalf("%s: %v", f.where, f.err)
	}
}

// ok fails the test on err.
func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// collect reads an iterator to the end.
func collect[T any](t *testing.T, seq func(func(T, error) bool)) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// wantErr checks err is an *client.Error of status and code matching the
// sentinel (if not nil).
func wantErr(t *testing.T, err error, status int, code string, sentinel error) {
	t.Helper()
	var e *client.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %v, want *client.Error %d %s", err, err, status, code)
	}
	if e.Status != status || e.Code != code {
		t.Errorf("error %d %s (%s), want %d %s", e.Status, e.Code, e.Message, status, code)
	}
	if sentinel != nil && !errors.Is(err, sentinel) {
		t.Errorf("%v is not %v", err, sentinel)
	}
}

// TestManagementAPIWalk calls every method against a real Gatehouse, in the
// order an operator would, and checks the answers.
func TestManagementAPIWalk(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		defer fatalOnFailure(t)
		ctx := context.Background()
		m := admin(e)

		// Anonymous routes.
		ok(t, m.GetStatus(ctx))
		for _, doc := range []json.RawMessage{must(m.GetSwaggerJSON(ctx)), must(m.GetManagementOpenAPIJSON(ctx))} {
			var d struct{ OpenAPI string }
			if json.Unmarshal(doc, &d) != nil || d.OpenAPI == "" {
				t.Errorf("OpenAPI document %.80s", doc)
			}
		}

		// Resources and scopes.
		res := must(m.CreateResource(ctx, client.ResourceCreate{Name: "Shopping", Indicator: "https://shopping.api"}))
		if res.ID == "" || res.Indicator != "https://shopping.api" || res.AccessTokenTTL != 3600 {
			t.Errorf("resource %+v", res)
		}
		_, err := m.CreateResource(ctx, client.ResourceCreate{Name: "Again", Indicator: "https://shopping.api"})
		wantErr(t, err, 422, "resource.resource_identifier_in_use", client.ErrConflict)
		if got := must(m.GetResource(ctx, res.ID)); got.Name != "Shopping" {
			t.Errorf("GetResource %+v", got)
		}
		name, ttl := "Shop", int64(600)
		if got := must(m.UpdateResource(ctx, res.ID, client.ResourceUpdate{Name: &name, AccessTokenTTL: &ttl})); got.Name != "Shop" || got.AccessTokenTTL != 600 {
			t.Errorf("UpdateResource %+v", got)
		}
		if got := must(m.UpdateResourceIsDefault(ctx, res.ID, true)); !got.IsDefault {
			t.Errorf("UpdateResourceIsDefault %+v", got)
		}
		must(m.UpdateResourceIsDefault(ctx, res.ID, false))
		read := must(m.CreateResourceScope(ctx, res.ID, client.ScopeCreate{Name: "read:products", Description: "Read"}))
		write := must(m.CreateResourceScope(ctx, res.ID, client.ScopeCreate{Name: "write:products"}))
		tmp := must(m.CreateResourceScope(ctx, res.ID, client.ScopeCreate{Name: "tmp"}))
		_, err = m.CreateResourceScope(ctx, res.ID, client.ScopeCreate{Name: "tmp"})
		wantErr(t, err, 422, "scope.name_exists", client.ErrConflict)
		desc := "temporary"
		if got := must(m.UpdateResourceScope(ctx, res.ID, tmp.ID, client.ScopeUpdate{Description: &desc})); got.Description != desc {
			t.Errorf("UpdateResourceScope %+v", got)
		}
		if got := must(m.ListResourceScopes(ctx, res.ID, client.ListOptions{})); len(got) != 3 {
			t.Errorf("ListResourceScopes: %d", len(got))
		}
		if got := collect(t, m.AllResourceScopes(ctx, res.ID, client.ListOptions{PageSize: 1})); len(got) != 3 {
			t.Errorf("AllResourceScopes by 1: %d", len(got))
		}
		ok(t, m.DeleteResourceScope(ctx, res.ID, tmp.ID))
		wantErr(t, m.DeleteResourceScope(ctx, res.ID, tmp.ID), 404, "entity.not_found", client.ErrNotFound)
		listed := must(m.ListResources(ctx, client.ListResourcesParams{IncludeScopes: true}))
		i := slices.IndexFunc(listed, func(r client.Resource) bool { return r.ID == res.ID })
		if i < 0 || len(listed[i].Scopes) != 2 {
			t.Errorf("ListResources: %+v", listed)
		}
		if got := collect(t, m.AllResources(ctx, client.ListResourcesParams{ListOptions: client.ListOptions{PageSize: 1}})); len(got) != len(listed) {
			t.Errorf("AllResources by 1: %d, ListResources: %d", len(got), len(listed))
		}

		// Roles and their scopes.
		role := must(m.CreateRole(ctx, client.RoleCreate{Name: "orders", Description: "Daily orders",
			Type: client.RoleTypeM2M, ScopeIDs: []string{read.ID}}))
		_, err = m.CreateRole(ctx, client.RoleCreate{Name: "orders", Description: "x", Type: client.RoleTypeM2M})
		wantErr(t, err, 422, "role.name_in_use", client.ErrConflict)
		if got := must(m.GetRole(ctx, role.ID)); got.Type != client.RoleTypeM2M {
			t.Errorf("GetRole %+v", got)
		}
		desc = "Reads products"
		if got := must(m.UpdateRole(ctx, role.ID, client.RoleUpdate{Description: &desc})); got.Description != desc {
			t.Errorf("UpdateRole %+v", got)
		}
		if got := must(m.AssignRoleScopes(ctx, role.ID, []string{write.ID})); len(got) != 2 {
			t.Errorf("AssignRoleScopes: %+v", got)
		}
		_, err = m.AssignRoleScopes(ctx, role.ID, []string{write.ID})
		wantErr(t, err, 422, "role.scope_exists", client.ErrConflict)
		rs := must(m.ListRoleScopes(ctx, role.ID, client.ListOptions{}))
		if len(rs) != 2 || rs[0].Resource == nil || rs[0].Resource.Indicator != "https://shopping.api" {
			t.Errorf("ListRoleScopes %+v", rs)
		}
		if got := collect(t, m.AllRoleScopes(ctx, role.ID, client.ListOptions{PageSize: 1})); len(got) != 2 {
			t.Errorf("AllRoleScopes: %d", len(got))
		}
		ok(t, m.DeleteRoleScope(ctx, role.ID, write.ID))
		roles := must(m.ListRoles(ctx, client.ListRolesParams{Type: client.RoleTypeM2M}))
		if !slices.ContainsFunc(roles, func(r client.Role) bool { return r.ID == role.ID }) {
			t.Errorf("ListRoles: %+v", roles)
		}
		collect(t, m.AllRoles(ctx, client.ListRolesParams{}))

		// Applications, secrets, roles.
		app := must(m.CreateApplication(ctx, client.ApplicationCreate{Name: "daily-orders", Description: "cron job"}))
		if app.Type != client.TypeMachineToMachine || app.ID == "" {
			t.Errorf("CreateApplication %+v", app)
		}
		if got := must(m.GetApplication(ctx, app.ID)); got.Name != "daily-orders" || got.IsAdmin {
			t.Errorf("GetApplication %+v", got)
		}
		name = "nightly-orders"
		if got := must(m.UpdateApplication(ctx, app.ID, client.ApplicationUpdate{Name: &name})); got.Name != name {
			t.Errorf("UpdateApplication %+v", got)
		}
		if got := must(m.UpdateApplicationCustomData(ctx, app.ID, map[string]any{"team": "ops"})); got["team"] != "ops" {
			t.Errorf("UpdateApplicationCustomData %v", got)
		}
		apps := must(m.ListApplications(ctx, client.ListApplicationsParams{}))
		if got := collect(t, m.AllApplications(ctx, client.ListApplicationsParams{ListOptions: client.ListOptions{PageSize: 1}})); len(got) != len(apps) || len(apps) == 0 {
			t.Errorf("AllApplications by 1: %d, ListApplications %d", len(got), len(apps))
		}
		secrets := must(m.ListApplicationSecrets(ctx, app.ID))
		if len(secrets) != 1 || secrets[0].Value == "" {
			t.Fatalf("ListApplicationSecrets %+v", secrets)
		}
		exp := time.Now().Add(time.Hour).UnixMilli()
		sec := must(m.CreateApplicationSecret(ctx, app.ID, client.SecretCreate{Name: "second", ExpiresAt: &exp}))
		if sec.Value == "" || sec.ExpiresAt == nil || *sec.ExpiresAt != exp {
			t.Errorf("CreateApplicationSecret %+v", sec)
		}
		_, err = m.CreateApplicationSecret(ctx, app.ID, client.SecretCreate{Name: "second"})
		wantErr(t, err, 422, "application.secret_name_exists", client.ErrConflict)
		if got := must(m.UpdateApplicationSecret(ctx, app.ID, "second", "third")); got.Name != "third" {
			t.Errorf("UpdateApplicationSecret %+v", got)
		}
		ok(t, m.DeleteApplicationSecret(ctx, app.ID, "third"))
		_, err = m.DeleteApplicationLegacySecret(ctx, app.ID)
		wantErr(t, err, 400, "application.no_legacy_secret_found", nil)

		ok(t, m.AssignRoleApplications(ctx, role.ID, []string{app.ID}))
		wantErr(t, m.AssignRoleApplications(ctx, role.ID, []string{app.ID}), 422, "role.application_exists", client.ErrConflict)
		if got := must(m.ListRoleApplications(ctx, role.ID, client.ListOptions{})); len(got) != 1 || got[0].ID != app.ID {
			t.Errorf("ListRoleApplications %+v", got)
		}
		collect(t, m.AllRoleApplications(ctx, role.ID, client.ListOptions{}))
		if got := must(m.ListApplicationRoles(ctx, app.ID, client.ListOptions{})); len(got) != 1 || got[0].ID != role.ID {
			t.Errorf("ListApplicationRoles %+v", got)
		}
		collect(t, m.AllApplicationRoles(ctx, app.ID, client.ListOptions{}))

		// The app now gets a token for the shopping API with read:products.
		ts := client.NewTokenSource(client.TokenConfig{BaseURL: e.URL, ClientID: app.ID, ClientSecret: secrets[0].Value,
			Resource: "https://shopping.api", Scopes: []string{"read:products", "write:products"}})
		tok := must(ts.Token())
		if tok.Extra("scope") != "read:products" {
			t.Errorf("token scope %v", tok.Extra("scope"))
		}

		ok(t, m.DeleteRoleApplication(ctx, role.ID, app.ID))
		if got := must(m.AssignApplicationRoles(ctx, app.ID, []string{role.ID})); !slices.Equal(got.AddedRoleIDs, []string{role.ID}) {
			t.Errorf("AssignApplicationRoles %+v", got)
		}
		ok(t, m.ReplaceApplicationRoles(ctx, app.ID, []string{role.ID}))
		ok(t, m.DeleteApplicationRole(ctx, app.ID, role.ID))

		// Users.
		alice := "alice"
		user := must(m.CreateUser(ctx, client.UserWrite{Username: &alice}))
		_, err = m.CreateUser(ctx, client.UserWrite{Username: &alice})
		wantErr(t, err, 422, "user.username_already_in_use", client.ErrConflict)
		if got := must(m.GetUser(ctx, user.ID)); got.Username != "alice" {
			t.Errorf("GetUser %+v", got)
		}
		name = "Alice"
		must(m.UpdateUser(ctx, user.ID, client.UserWrite{Name: &name}))
		must(m.UpdateUserCustomData(ctx, user.ID, map[string]any{"plan": "pro"}))
		if got := must(m.GetUserCustomData(ctx, user.ID)); got["plan"] != "pro" {
			t.Errorf("GetUserCustomData %v", got)
		}
		if got := must(m.ListUsers(ctx, client.ListOptions{})); len(got) != 1 {
			t.Errorf("ListUsers %+v", got)
		}
		collect(t, m.AllUsers(ctx, client.ListOptions{}))
		viewer := must(m.CreateRole(ctx, client.RoleCreate{Name: "viewer", Description: "Views", Type: client.RoleTypeUser}))
		ok(t, m.AssignUserRoles(ctx, user.ID, []string{viewer.ID}))
		if got := must(m.ListUserRoles(ctx, user.ID, client.ListOptions{})); len(got) != 1 {
			t.Errorf("ListUserRoles %+v", got)
		}
		collect(t, m.AllUserRoles(ctx, user.ID, client.ListOptions{}))
		ok(t, m.ReplaceUserRoles(ctx, user.ID, []string{}))
		ok(t, m.AssignRoleUsers(ctx, viewer.ID, []string{user.ID}))
		if got := must(m.ListRoleUsers(ctx, viewer.ID, client.ListOptions{})); len(got) != 1 {
			t.Errorf("ListRoleUsers %+v", got)
		}
		collect(t, m.AllRoleUsers(ctx, viewer.ID, client.ListOptions{}))
		ok(t, m.DeleteRoleUser(ctx, viewer.ID, user.ID))
		ok(t, m.AssignUserRoles(ctx, user.ID, []string{viewer.ID}))
		ok(t, m.DeleteUserRole(ctx, user.ID, viewer.ID))
		ok(t, m.DeleteUser(ctx, user.ID))
		_, err = m.GetUser(ctx, user.ID)
		if !errors.Is(err, client.ErrNotFound) {
			t.Errorf("deleted user: %v", err)
		}

		// Audit log: every token request is an entry (written in batches).
		var logs []client.LogEntry
		for deadline := time.Now().Add(5 * time.Second); len(logs) < 2 && time.Now().Before(deadline); {
			logs = must(m.ListLogs(ctx, client.ListLogsParams{ListOptions: client.ListOptions{PageSize: 5}}))
			time.Sleep(20 * time.Millisecond)
		}
		if len(logs) < 2 {
			t.Fatalf("ListLogs: %d entries", len(logs))
		}
		if got := must(m.GetLog(ctx, logs[0].ID)); got.Key != logs[0].Key {
			t.Errorf("GetLog %+v", got)
		}
		n := 0
		for _, err := range m.AllLogs(ctx, client.ListLogsParams{ListOptions: client.ListOptions{PageSize: 1}}) {
			ok(t, err)
			if n++; n == 2 {
				break // stopping early is allowed
			}
		}

		// Signing keys: rotate, then delete the previous key, which signed
		// the client's cached token: the next call gets a 401, drops the
		// token and retries with a new one, transparently.
		keys := must(m.RotatePrivateKeys(ctx, client.RotateKeys{}))
		var prev string
		for _, k := range keys {
			if k.Status == "Previous" {
				prev = k.ID
			}
		}
		if prev == "" {
			t.Fatalf("RotatePrivateKeys: %+v", keys)
		}
		ok(t, m.DeletePrivateKey(ctx, prev))
		if got := must(m.ListPrivateKeys(ctx)); len(got) != 1 || got[0].Status != "Current" {
			t.Errorf("ListPrivateKeys %+v", got)
		}

		// Cleanup.
		ok(t, m.DeleteRole(ctx, role.ID))
		ok(t, m.DeleteApplication(ctx, app.ID))
		_, err = m.GetApplication(ctx, app.ID)
		wantErr(t, err, 404, "entity.not_exists_with_id", client.ErrNotFound)
		ok(t, m.DeleteResource(ctx, res.ID))
	})
}

func TestManagementAPIAuthErrors(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		defer fatalOnFailure(t)
		ctx := context.Background()
		// Wrong secret: the token endpoint refuses, as an OAuthError that is
		// also ErrUnauthorized.
		bad := client.NewManagementAPI("default", client.ManagementOptions{ClientID: apptest.BootstrapID, ClientSecret: "wrong", BaseURL: e.URL})
		_, err := bad.ListApplications(ctx, client.ListApplicationsParams{})
		var oe *client.OAuthError
		if !errors.As(err, &oe) || oe.Status != 401 || oe.Code != "invalid_client" || oe.Description != "client authentication failed" {
			t.Errorf("wrong secret: %v", err)
		}
		if !errors.Is(err, client.ErrUnauthorized) {
			t.Errorf("wrong secret is not ErrUnauthorized: %v", err)
		}
		// An app without the Management API role gets a token without
		// "all": 403.
		m := admin(e)
		app := must(m.CreateApplication(ctx, client.ApplicationCreate{Name: "no-rights"}))
		secrets := must(m.ListApplicationSecrets(ctx, app.ID))
		weak := client.NewManagementAPI("default", client.ManagementOptions{ClientID: app.ID, ClientSecret: secrets[0].Value, BaseURL: e.URL})
		_, err = weak.ListRoles(ctx, client.ListRolesParams{})
		wantErr(t, err, 403, "auth.forbidden", client.ErrForbidden)
		// A token source that is not ours: a bad token is a 401.
		junk := client.NewManagementAPI("default", client.ManagementOptions{BaseURL: e.URL, TokenSource: staticToken("junk")})
		_, err = junk.ListRoles(ctx, client.ListRolesParams{})
		if !errors.Is(err, client.ErrUnauthorized) {
			t.Errorf("junk token: %v", err)
		}
		// Unknown resource for the token source: invalid_target.
		ts := client.NewTokenSource(client.TokenConfig{BaseURL: e.URL, ClientID: apptest.BootstrapID, ClientSecret: apptest.BootstrapSecret,
			Resource: "https://not-found"})
		_, err = ts.Token()
		if !errors.As(err, &oe) || oe.Status != 400 || oe.Code != "invalid_target" {
			t.Errorf("unknown resource: %v", err)
		}
	})
}

// TestOrganizationColorAndCSS: the client sends and reads Logto's
// organization color and customCss.
func TestOrganizationColorAndCSS(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		defer fatalOnFailure(t)
		ctx := context.Background()
		m := admin(e)
		css := ".x{}"
		o := must(m.CreateOrganization(ctx, client.OrganizationWrite{Name: "Painted",
			Color: map[string]any{"primaryColor": "#abc"}, CustomCSS: &css}))
		if o.Color["primaryColor"] != "#abc" || o.CustomCSS != css {
			t.Fatalf("created %+v", o)
		}
		o = must(m.UpdateOrganization(ctx, o.ID, client.OrganizationWrite{Color: map[string]any{"isDarkModeEnabled": true}}))
		got := must(m.GetOrganization(ctx, o.ID))
		if len(got.Color) != 1 || got.Color["isDarkModeEnabled"] != true || got.CustomCSS != css {
			t.Fatalf("updated %+v", got)
		}
	})
}

// TestErrorDetailsFromServer: Error() carries the fields the server
// refused, so a RoleCreate without its required Description says why.
func TestErrorDetailsFromServer(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		_, err := admin(e).CreateRole(context.Background(), client.RoleCreate{Name: "no-description", Type: client.RoleTypeM2M})
		var ae *client.Error
		if !errors.As(err, &ae) || ae.Status != 400 || ae.Details == "" {
			t.Fatalf("role without description: %v", err)
		}
		if !strings.Contains(err.Error(), "description") {
			t.Errorf("Error() = %q, does not name description", err)
		}
	})
}

// staticToken is a token source that always gives the same token.
type staticToken string

func (s staticToken) Token() (*oauth2.Token, error) {
	return &oauth2.Token{AccessToken: string(s), TokenType: "Bearer"}, nil
}
