package client_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/client"
)

// noNetwork is an HTTP client that fails the test if anything is sent.
func noNetwork(t *testing.T) *http.Client {
	return &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
		t.Errorf("request sent to %s", r.URL)
		return nil, errors.New("no network")
	})}
}

// TestConfigValidation: a missing or malformed BaseURL is reported by
// Validate, with the field's name, and every call of a client built from
// it returns that error without sending anything (not "unsupported
// protocol scheme" from net/http).
func TestConfigValidation(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"", "TokenConfig.BaseURL is empty"},
		{"localhost:3001", "must start with http:// or https://"},
		{"ftp://auth.example", "must start with http:// or https://"},
		{"http://", "has no host"},
		{"http://a b", "is not a URL"},
	} {
		cfg := client.TokenConfig{BaseURL: tc.url, ClientID: "a", ClientSecret: "b", HTTPClient: noNetwork(t)}
		err := cfg.Validate()
		if !errors.Is(err, client.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(BaseURL %q) = %v, want ErrInvalidConfig with %q", tc.url, err, tc.want)
		}
		if _, terr := client.NewTokenSource(cfg).Token(); terr == nil || terr.Error() != err.Error() {
			t.Errorf("Token with BaseURL %q = %v, want %v", tc.url, terr, err)
		}
		if tc.url == "" {
			continue // the Management API has a default address
		}
		m := client.NewManagementAPI("default", client.ManagementOptions{BaseURL: tc.url, ClientID: "a", ClientSecret: "b", HTTPClient: noNetwork(t)})
		if _, err := m.ListRoles(context.Background(), client.ListRolesParams{}); !errors.Is(err, client.ErrInvalidConfig) ||
			!strings.Contains(err.Error(), "ManagementOptions.BaseURL") {
			t.Errorf("ListRoles with BaseURL %q = %v", tc.url, err)
		}
	}
	for _, cfg := range []client.TokenConfig{{BaseURL: "https://auth.example"}, {TokenURL: "http://127.0.0.1:9/token"}} {
		if err := cfg.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v", cfg, err)
		}
	}
	if err := (client.ManagementOptions{}).Validate(); err != nil {
		t.Errorf("empty options (default address): %v", err)
	}
	if err := (client.ManagementOptions{APIIndicator: "not-a-uri"}).Validate(); !errors.Is(err, client.ErrInvalidConfig) {
		t.Errorf("APIIndicator not-a-uri: %v", err)
	}
}

// TestErrorDetails: Error() carries the fields the server refused (the
// server's side is TestErrorDetailsFromServer in internal/sdkcheck/client).
func TestErrorDetails(t *testing.T) {
	e := &client.Error{Status: 400, Code: "guard.invalid_input", Message: "The request body is invalid.", Details: "name: required\ndescription: too long"}
	if got, want := e.Error(), "client: HTTP 400 guard.invalid_input: The request body is invalid. (name: required; description: too long)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e = &client.Error{Status: 400, Code: "request.invalid_input", Message: "Input is invalid. bad search", Details: "bad search"}
	if got, want := e.Error(), "client: HTTP 400 request.invalid_input: Input is invalid. bad search"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestNewManagementAPIDefaults(t *testing.T) {
	// @logto/api: https://<tenant>.logto.app, indicator <base>/api. Check
	// them through the token request the client sends.
	srv := newTokenServer(t, 3600)
	m := client.NewManagementAPI("acme", client.ManagementOptions{ClientID: "id", ClientSecret: "s", BaseURL: srv.URL})
	if _, err := m.TokenSource().Token(); err != nil {
		t.Fatal(err)
	}
	f := *srv.form.Load()
	if f.Get("resource") != "https://acme.logto.app/api" || f.Get("scope") != "all" {
		t.Errorf("token request %v", f)
	}
	// Without a base URL the Logto Cloud address is used.
	m = client.NewManagementAPI("acme", client.ManagementOptions{HTTPClient: hostRecorder(t, "acme.logto.app")})
	m.GetStatus(context.Background())
}
