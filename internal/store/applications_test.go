package store

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

func m2mApp(id string) *rbac.Application {
	return &rbac.Application{TenantID: tenant, ID: id, Name: "App " + id, Type: rbac.AppMachineToMachine, CreatedAt: 1700000000000}
}

func TestApplications(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		full := &rbac.Application{
			TenantID: tenant, ID: "abcdefghijklmnopqrstu", Name: "Billing", Description: ptr("talks to the ledger"),
			Type:                         rbac.AppMachineToMachine,
			OIDCClientMetadata:           json.RawMessage(`{"redirectUris": ["https://a.example/cb"], "postLogoutRedirectUris": []}`),
			CustomClientMetadata:         json.RawMessage(`{"corsAllowedOrigins":["https://a.example"]}`),
			ProtectedAppMetadata:         json.RawMessage(`{"host":"x"}`),
			CustomData:                   json.RawMessage(`{"team":"payments","n":2}`),
			IsThirdParty:                 true,
			AppLevelAccessControlEnabled: true,
			CreatedAt:                    1712345678901,
		}
		wantErr(t, "insert full", s.InsertApplication(ctx, full), nil)
		got, err := s.GetApplication(ctx, tenant, full.ID)
		wantErr(t, "get full", err, nil)
		if got.TenantID != tenant || got.ID != full.ID || got.Name != "Billing" || got.Description == nil ||
			*got.Description != "talks to the ledger" || got.Type != rbac.AppMachineToMachine ||
			!got.IsThirdParty || !got.AppLevelAccessControlEnabled || got.CreatedAt != 1712345678901 {
			t.Fatalf("full app round trip: %+v", got)
		}
		jsonEqual(t, "oidc", got.OIDCClientMetadata, string(full.OIDCClientMetadata))
		jsonEqual(t, "custom client", got.CustomClientMetadata, string(full.CustomClientMetadata))
		jsonEqual(t, "protected", got.ProtectedAppMetadata, string(full.ProtectedAppMetadata))
		jsonEqual(t, "custom data", got.CustomData, string(full.CustomData))

		// Defaults for empty JSON, NULL description and protected metadata.
		bare := m2mApp("bare")
		wantErr(t, "insert bare", s.InsertApplication(ctx, bare), nil)
		got, err = s.GetApplication(ctx, tenant, "bare")
		wantErr(t, "get bare", err, nil)
		if got.Description != nil || got.IsThirdParty || got.AppLevelAccessControlEnabled {
			t.Fatalf("bare app: %+v", got)
		}
		jsonEqual(t, "default oidc", got.OIDCClientMetadata, `{"redirectUris":[],"postLogoutRedirectUris":[]}`)
		jsonEqual(t, "default custom client", got.CustomClientMetadata, `{}`)
		jsonEqual(t, "default custom data", got.CustomData, `{}`)
		if !bytes.Equal(got.ProtectedAppMetadata, []byte("null")) {
			t.Fatalf("protected metadata = %q, want null", got.ProtectedAppMetadata)
		}
		// An explicit JSON null is stored as NULL too.
		nullMeta := m2mApp("nullmeta")
		nullMeta.ProtectedAppMetadata = json.RawMessage(" null ")
		wantErr(t, "insert null meta", s.InsertApplication(ctx, nullMeta), nil)
		var isNull bool
		if err := s.db.QueryRowContext(ctx, `SELECT protected_app_metadata IS NULL FROM applications WHERE id = $1`, "nullmeta").Scan(&isNull); err != nil || !isNull {
			t.Fatalf("explicit null stored as SQL NULL: %v, %v", isNull, err)
		}

		_, err = s.GetApplication(ctx, tenant, "missing")
		wantErr(t, "get missing", err, ErrNotFound)
		wantErr(t, "duplicate id", s.InsertApplication(ctx, m2mApp("bare")), ErrConflict)
		bad := m2mApp("badjson")
		bad.CustomData = json.RawMessage(`{"a":`)
		wantErr(t, "invalid JSON", s.InsertApplication(ctx, bad), ErrCheck)
		badType := m2mApp("badtype")
		badType.Type = "Robot"
		wantErr(t, "unknown type", s.InsertApplication(ctx, badType), ErrCheck)
		if s.Dialect() == dialectPostgres {
			long := m2mApp("toolongid_toolongid_x1")
			wantErr(t, "id over 21 chars", s.InsertApplication(ctx, long), ErrTooLong)
		}

		wantErr(t, "delete", s.DeleteApplication(ctx, tenant, "bare"), nil)
		_, err = s.GetApplication(ctx, tenant, "bare")
		wantErr(t, "get deleted", err, ErrNotFound)
		wantErr(t, "delete again", s.DeleteApplication(ctx, tenant, "bare"), ErrNotFound)
	})
}

func TestApplicationDeleteCascades(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		wantErr(t, "app", s.InsertApplication(ctx, m2mApp("app")), nil)
		wantErr(t, "other app", s.InsertApplication(ctx, m2mApp("other")), nil)
		wantErr(t, "role", s.InsertRole(ctx, m2mRole("r1")), nil)
		for _, app := range []string{"app", "other"} {
			wantErr(t, "secret", s.InsertSecret(ctx, &rbac.Secret{TenantID: tenant, ApplicationID: app, Name: "Default secret",
				Sealed: []byte{1}, Digest: []byte{2}, CreatedAt: 1}), nil)
			wantErr(t, "link", s.InsertApplicationRole(ctx, tenant, "ar-"+app, app, "r1"), nil)
		}
		wantErr(t, "delete", s.DeleteApplication(ctx, tenant, "app"), nil)
		secrets, err := s.ListSecrets(ctx, tenant, "app")
		wantErr(t, "list secrets", err, nil)
		roles, err := s.ListApplicationRoleIDs(ctx, tenant, "app")
		wantErr(t, "list roles", err, nil)
		if len(secrets) != 0 || len(roles) != 0 {
			t.Fatalf("after delete: %d secrets, %d roles", len(secrets), len(roles))
		}
		secrets, _ = s.ListSecrets(ctx, tenant, "other")
		roles, _ = s.ListApplicationRoleIDs(ctx, tenant, "other")
		if len(secrets) != 1 || len(roles) != 1 {
			t.Fatalf("other app lost rows: %d secrets, %d roles", len(secrets), len(roles))
		}
		if _, err := s.GetRole(ctx, tenant, "r1"); err != nil {
			t.Fatalf("role deleted with the app: %v", err)
		}
	})
}

func TestSecrets(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		wantErr(t, "app", s.InsertApplication(ctx, m2mApp("app")), nil)
		sealed := bytes.Repeat([]byte{0, 0xff, 0x80}, 30)
		digest := bytes.Repeat([]byte{0xab}, 32)
		secrets := []rbac.Secret{
			{TenantID: tenant, ApplicationID: "app", Name: "b-late", Sealed: []byte("s3"), Digest: []byte("d3"), CreatedAt: 300},
			{TenantID: tenant, ApplicationID: "app", Name: "Default secret", Sealed: sealed, Digest: digest, CreatedAt: 100, ExpiresAt: ptr(int64(5000))},
			{TenantID: tenant, ApplicationID: "app", Name: "a-tie", Sealed: []byte("s2"), Digest: []byte("d2"), CreatedAt: 300},
		}
		for i := range secrets {
			wantErr(t, "insert "+secrets[i].Name, s.InsertSecret(ctx, &secrets[i]), nil)
		}
		got, err := s.ListSecrets(ctx, tenant, "app")
		wantErr(t, "list", err, nil)
		if len(got) != 3 || got[0].Name != "Default secret" || got[1].Name != "a-tie" || got[2].Name != "b-late" {
			t.Fatalf("order: %+v", got)
		}
		d := got[0]
		if d.TenantID != tenant || d.ApplicationID != "app" || !bytes.Equal(d.Sealed, sealed) || !bytes.Equal(d.Digest, digest) ||
			d.CreatedAt != 100 || d.ExpiresAt == nil || *d.ExpiresAt != 5000 {
			t.Fatalf("round trip: %+v", d)
		}
		if got[1].ExpiresAt != nil {
			t.Fatalf("nil expiry read back as %v", *got[1].ExpiresAt)
		}

		dup := secrets[0]
		dup.CreatedAt = 999
		wantErr(t, "duplicate name", s.InsertSecret(ctx, &dup), ErrConflict)
		orphan := secrets[0]
		orphan.ApplicationID = "ghost"
		wantErr(t, "unknown app", s.InsertSecret(ctx, &orphan), ErrForeignKey)
		noDigest := rbac.Secret{TenantID: tenant, ApplicationID: "app", Name: "nd", Sealed: []byte("x"), CreatedAt: 1}
		wantErr(t, "missing digest", s.InsertSecret(ctx, &noDigest), ErrCheck)

		if got, err := s.ListSecrets(ctx, tenant, "ghost"); err != nil || len(got) != 0 {
			t.Fatalf("unknown app list: %v, %v", got, err)
		}
		wantErr(t, "delete", s.DeleteSecret(ctx, tenant, "app", "a-tie"), nil)
		wantErr(t, "delete again", s.DeleteSecret(ctx, tenant, "app", "a-tie"), ErrNotFound)
		wantErr(t, "delete unknown app", s.DeleteSecret(ctx, tenant, "ghost", "b-late"), ErrNotFound)
		got, _ = s.ListSecrets(ctx, tenant, "app")
		if len(got) != 2 || got[0].Name != "Default secret" || got[1].Name != "b-late" {
			t.Fatalf("after delete: %+v", got)
		}
	})
}
