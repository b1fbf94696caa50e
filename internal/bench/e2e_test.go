package bench_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/bench"
)

// The real server accepts every assertion a private_key_jwt run sends: the
// key registered from "gatehouse bench jwks", signatures, aud (-aud the
// issuer, which is not the test server's address), exp and unique jtis.
func TestPrivateKeyJWTAgainstGatehouse(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "bench.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	var jwks, stderr strings.Builder
	if code := bench.JWKS([]string{"-key", keyFile, "-key-id", "bench"}, &jwks, &stderr); code != 0 {
		t.Fatalf("bench jwks: exit %d: %s", code, stderr.String())
	}
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		var app, res, read, role struct {
			ID string `json:"id"`
		}
		e.Must(201, "POST", "/api/resources", map[string]any{"name": "Bench", "indicator": "https://bench.api"}, &res)
		e.Must(201, "POST", "/api/resources/"+res.ID+"/scopes", map[string]any{"name": "read"}, &read)
		e.Must(200, "POST", "/api/roles", map[string]any{"name": "bench", "description": "Bench",
			"type": "MachineToMachine", "scopeIds": []string{read.ID}}, &role)
		e.Must(200, "POST", "/api/applications", map[string]any{"name": "bench", "type": "MachineToMachine"}, &app)
		e.Must(201, "POST", "/api/applications/"+app.ID+"/roles", map[string]any{"roleIds": []string{role.ID}}, nil)
		e.Must(200, "PATCH", "/api/applications/"+app.ID,
			`{"oidcClientMetadata":{"tokenEndpointAuthMethod":"private_key_jwt","jwks":`+jwks.String()+`}}`, nil)
		var stdout, errOut strings.Builder
		code := bench.Run(context.Background(), []string{"-url", e.URL + "/oidc/token", "-aud", e.Config.Issuer(),
			"-auth", "private_key_jwt", "-client-id", app.ID, "-key", keyFile, "-key-id", "bench",
			"-resource", "https://bench.api", "-scope", "read", "-presign", "200", "-c", "2", "-d", "300ms", "-warmup", "50ms", "-json"},
			func(string) string { return "" }, &stdout, &errOut)
		if code != 0 {
			t.Fatalf("exit %d, stderr %s\n%s", code, errOut.String(), stdout.String())
		}
		var r struct {
			Requests, OK uint64
			Errors       struct{ Total uint64 }
			ErrorSamples []any `json:"error_samples"`
			Assertions   struct{ Signed uint64 }
		}
		if err := json.Unmarshal([]byte(stdout.String()), &r); err != nil {
			t.Fatal(err)
		}
		if r.Requests == 0 || r.OK != r.Requests || r.Errors.Total != 0 || r.Assertions.Signed < r.Requests {
			t.Errorf("report %+v\n%s", r, stdout.String())
		}
	})
}
