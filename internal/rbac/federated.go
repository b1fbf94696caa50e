package rbac

import "strings"

// Client authentication methods an application may be registered with
// (oidcClientMetadata.tokenEndpointAuthMethod).
const (
	// AuthSecret is the default: every secret method (client_secret_basic
	// and client_secret_post), as Logto's M2M apps.
	AuthSecret = "client_secret_basic"
	// AuthPrivateKeyJWT accepts only client assertions signed with a key
	// the app registered (RFC 7523 §2.2); secrets are refused.
	AuthPrivateKeyJWT = "private_key_jwt"
)

// Bounds of a federated credential.
const (
	MaxFederatedCredentials = 20 // per application
	MaxFederatedAudiences   = 10
	MaxFederatedClaims      = 20
)

// FederatedCredential is an external identity whose tokens an application
// accepts in place of a secret (workload identity federation): a JWT from
// Issuer, whose sub matches Subject (exact, or a pattern where * stands for
// any run of characters), whose aud names one of Audiences, and whose
// claims equal Claims. Keys come from the issuer's discovery document, or
// from JWKSURI when set.
type FederatedCredential struct {
	TenantID      string            `json:"tenantId"`
	ID            string            `json:"id"`
	ApplicationID string            `json:"applicationId"`
	Name          string            `json:"name"`
	Issuer        string            `json:"issuer"`
	Subject       string            `json:"subject"`
	Audiences     []string          `json:"audiences"`
	Claims        map[string]string `json:"claims"`
	JWKSURI       string            `json:"jwksUri,omitempty"`
	CreatedAt     int64             `json:"createdAt"`
}

// SubjectMatches reports whether sub matches pattern: equal, or, when the
// pattern holds '*', each '*' standing for any run of characters
// (including none) and the rest matching literally.
func SubjectMatches(pattern, sub string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == sub
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(sub, parts[0]) {
		return false
	}
	sub = sub[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(sub, p)
		if i < 0 {
			return false
		}
		sub = sub[i+len(p):]
	}
	return len(sub) >= len(last) && strings.HasSuffix(sub, last)
}
