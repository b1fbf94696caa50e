package store

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

func TestFederatedCredentials(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		meta := json.RawMessage(`{"redirectUris":[],"postLogoutRedirectUris":[],"tokenEndpointAuthMethod":"private_key_jwt","jwksUri":"https://keys.example/jwks"}`)
		wantErr(t, "app", s.InsertApplication(ctx, &rbac.Application{TenantID: tenant, ID: "app1", Name: "a", Type: rbac.AppMachineToMachine, OIDCClientMetadata: meta}), nil)
		c := rbac.FederatedCredential{TenantID: tenant, ID: "fc1", ApplicationID: "app1", Name: "pod", Issuer: "https://k8s.example",
			Subject: "system:serviceaccount:ns:sa", Audiences: []string{"gatehouse", "other"}, Claims: map[string]string{"kubernetes.io/namespace": "ns"}, CreatedAt: 5}
		wantErr(t, "insert", s.InsertFederatedCredential(ctx, &c), nil)
		d := rbac.FederatedCredential{TenantID: tenant, ID: "fc2", ApplicationID: "app1", Name: "job", Issuer: "https://gh.example",
			Subject: "repo:a/b:*", Audiences: []string{"x"}, JWKSURI: "https://gh.example/jwks", CreatedAt: 6}
		wantErr(t, "insert d", s.InsertFederatedCredential(ctx, &d), nil)
		dup := d
		dup.ID = "fc3"
		wantErr(t, "same name", s.InsertFederatedCredential(ctx, &dup), ErrConflict)
		noApp := d
		noApp.ID, noApp.ApplicationID = "fc4", "nope"
		wantErr(t, "unknown app", s.InsertFederatedCredential(ctx, &noApp), ErrForeignKey)

		list, err := s.ListFederatedCredentials(ctx, tenant, "app1")
		wantErr(t, "list", err, nil)
		d.Claims = map[string]string{}
		if len(list) != 2 || !reflect.DeepEqual(list[0], c) || !reflect.DeepEqual(list[1], d) {
			t.Fatalf("list = %+v", list)
		}

		// The grant loader reads them, with the app's oidc metadata.
		var g *AppGrants
		wantErr(t, "load grants", s.LoadGrants(ctx, tenant, "app1", "app1", func(a *AppGrants) error { g = a; return nil }), nil)
		if g == nil || len(g.Federated) != 2 || g.Federated[0].Name != "pod" && g.Federated[1].Name != "pod" {
			t.Fatalf("grants = %+v", g)
		}
		var m struct {
			A []string          `json:"a"`
			C map[string]string `json:"c"`
		}
		for _, f := range g.Federated {
			if err := json.Unmarshal(f.Match, &m); err != nil {
				t.Fatalf("match %s: %v", f.Match, err)
			}
			if f.Name == "pod" && (!reflect.DeepEqual(m.A, c.Audiences) || !reflect.DeepEqual(m.C, c.Claims) || f.JWKSURI != "") {
				t.Errorf("pod: %+v %s", f, f.Match)
			}
			if f.Name == "job" && f.JWKSURI != d.JWKSURI {
				t.Errorf("job: %+v", f)
			}
		}
		var om map[string]any
		if json.Unmarshal(g.OIDCClientMetadata, &om) != nil || om["tokenEndpointAuthMethod"] != "private_key_jwt" {
			t.Errorf("oidc metadata = %s", g.OIDCClientMetadata)
		}

		wantErr(t, "delete", s.DeleteFederatedCredential(ctx, tenant, "app1", "fc1"), nil)
		wantErr(t, "delete again", s.DeleteFederatedCredential(ctx, tenant, "app1", "fc1"), ErrNotFound)
		wantErr(t, "delete of another app", s.DeleteFederatedCredential(ctx, tenant, "app2", "fc2"), ErrNotFound)
		wantErr(t, "delete app", s.DeleteApplication(ctx, tenant, "app1"), nil)
		if list, _ := s.ListFederatedCredentials(ctx, tenant, "app1"); len(list) != 0 {
			t.Errorf("credentials outlive their app: %+v", list)
		}
	})
}

func TestAssertionJTIs(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		use := func(client, jti string, exp, now int64) bool {
			t.Helper()
			ok, err := s.UseAssertionJTI(ctx, tenant, client, jti, exp, now)
			wantErr(t, "use", err, nil)
			return ok
		}
		if !use("c1", "j1", 2000, 1000) {
			t.Fatal("first use refused")
		}
		if use("c1", "j1", 2000, 1500) {
			t.Fatal("replay accepted")
		}
		if !use("c2", "j1", 2000, 1500) {
			t.Fatal("another client's jti refused")
		}
		// Once expired, the entry is taken over (the assertion itself is
		// refused for its exp long before).
		if !use("c1", "j1", 4000, 2000) {
			t.Fatal("expired entry not taken over")
		}
		if use("c1", "j1", 4000, 2500) {
			t.Fatal("replay after takeover accepted")
		}
		n, err := s.DeleteExpiredAssertionJTIs(ctx, 3000)
		wantErr(t, "prune", err, nil)
		if n != 1 { // c2's
			t.Fatalf("pruned %d, want 1", n)
		}
		if use("c1", "j1", 4000, 3000) {
			t.Fatal("unexpired entry pruned")
		}
	})
}
