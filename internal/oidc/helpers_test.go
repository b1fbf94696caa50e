package oidc

import (
	"encoding/base64"
	"net/url"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// formEscape is how clients (golang.org/x/oauth2 among them) encode Basic
// credentials: application/x-www-form-urlencoded.
func formEscape(s string) string { return url.QueryEscape(s) }
