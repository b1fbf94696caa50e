package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/cli"
)

// TestAppsAuthAndFederated: apps auth switches an application to
// private_key_jwt and back; apps federated adds, lists and deletes
// federated credentials.
func TestAppsAuthAndFederated(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		s := newSh(t, e)
		var app struct{ ID string }
		s.jsonOut(&app, "apps", "create", "--name", "cron")
		jwks := filepath.Join(t.TempDir(), "jwks.json")
		os.WriteFile(jwks, []byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"k1","alg":"EdDSA"}]}`), 0o600)
		if out := s.ok("apps", "auth", app.ID, "--jwks", jwks); out != "application "+app.ID+" now authenticates with private_key_jwt\n" {
			t.Errorf("apps auth: %q", out)
		}
		var got struct {
			OIDCClientMetadata map[string]any
		}
		s.jsonOut(&got, "apps", "show", app.ID)
		if got.OIDCClientMetadata["tokenEndpointAuthMethod"] != "private_key_jwt" || got.OIDCClientMetadata["jwks"] == nil {
			t.Errorf("after apps auth: %+v", got)
		}
		s.ok("apps", "auth", app.ID, "--secret")
		got.OIDCClientMetadata = nil
		s.jsonOut(&got, "apps", "show", app.ID)
		if got.OIDCClientMetadata["tokenEndpointAuthMethod"] != "client_secret_basic" || got.OIDCClientMetadata["jwks"] != nil {
			t.Errorf("after apps auth --secret: %+v", got)
		}
		s.code(cli.ExitUsage, "apps", "auth", app.ID)
		s.code(cli.ExitUsage, "apps", "auth", app.ID, "--secret", "--jwks-uri", "https://x")

		var fc struct{ ID string }
		s.jsonOut(&fc, "apps", "federated", app.ID, "--add", "deploy", "--issuer", "https://token.actions.githubusercontent.com",
			"--subject", "repo:acme/shop:ref:refs/heads/main", "--audience", "https://github.com/acme", "--claim", "repository=acme/shop")
		out := s.ok("apps", "federated", app.ID)
		if !strings.Contains(out, fc.ID) || !strings.Contains(out, "repo:acme/shop:ref:refs/heads/main") || !strings.Contains(out, "repository=acme/shop") {
			t.Errorf("apps federated:\n%s", out)
		}
		s.code(cli.ExitUsage, "apps", "federated", app.ID, "--add", "x", "--issuer", "https://i")
		s.code(cli.ExitUsage, "apps", "federated", app.ID, "--add", "x", "--issuer", "https://i", "--subject", "s", "--audience", "a", "--claim", "novalue")
		s.ok("apps", "federated", app.ID, "--delete", fc.ID)
		s.code(cli.ExitNotFound, "apps", "federated", app.ID, "--delete", fc.ID)
	})
}
