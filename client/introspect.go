package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Introspection is an RFC 7662 introspection answer. An inactive token
// (expired, revoked, its grant withdrawn, unknown, or another
// application's) has only Active false.
type Introspection struct {
	Active         bool   `json:"active"`
	ClientID       string `json:"client_id,omitempty"`
	Subject        string `json:"sub,omitempty"`
	Audience       string `json:"aud,omitempty"`
	Scope          string `json:"scope,omitempty"`
	Expiry         int64  `json:"exp,omitempty"` // epoch seconds
	IssuedAt       int64  `json:"iat,omitempty"` // epoch seconds
	Issuer         string `json:"iss,omitempty"`
	TokenType      string `json:"token_type,omitempty"`
	OrganizationID string `json:"organization_id,omitempty"`
}

// Introspect asks the introspection endpoint (the token endpoint +
// "/introspection", Logto's /oidc/token/introspection) about token,
// authenticated as ts's application. Gatehouse answers active only for
// the application's own tokens, or any of its tokens for an application
// holding the Management API's "all" scope.
func (ts *TokenSource) Introspect(ctx context.Context, token string) (*Introspection, error) {
	var out Introspection
	if err := ts.post(ctx, "/introspection", token, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Revoke asks the revocation endpoint (the token endpoint + "/revocation",
// RFC 7009) to revoke token, authenticated as ts's application. As RFC 7009
// says, an unknown or already invalid token is not an error.
func (ts *TokenSource) Revoke(ctx context.Context, token string) error {
	return ts.post(ctx, "/revocation", token, nil)
}

// post sends token to the token endpoint + suffix with ts's client
// credentials and decodes a JSON answer into out (if not nil).
func (ts *TokenSource) post(ctx context.Context, suffix, token string, out any) error {
	if ts.err != nil {
		return ts.err
	}
	name := strings.TrimPrefix(suffix, "/")
	form := url.Values{"token": {token}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ts.url+suffix, strings.NewReader(form))
	if err != nil {
		return fmt.Errorf("client: %s request: %w", name, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(url.QueryEscape(ts.cfg.ClientID), url.QueryEscape(ts.cfg.ClientSecret))
	resp, err := ts.http.Do(req)
	if err != nil {
		return fmt.Errorf("client: %s request: %w", name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("client: %s response: %w", name, err)
	}
	if resp.StatusCode != http.StatusOK {
		var oe struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
			URI         string `json:"error_uri"`
		}
		if json.Unmarshal(body, &oe) == nil && oe.Error != "" {
			return &OAuthError{Status: resp.StatusCode, Code: oe.Error, Description: oe.Description, URI: oe.URI}
		}
		return fmt.Errorf("client: %s endpoint: HTTP %d: %s", name, resp.StatusCode, snippet(body))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("client: %s endpoint: the answer is not JSON: %w", name, err)
	}
	return nil
}
