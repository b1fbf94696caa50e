package rbac

import "encoding/json"

// DefaultTenant is the id of the one tenant Gatehouse serves today. Every row
// carries a tenant id so that more tenants need no schema change.
const DefaultTenant = "default"

// AppType is an application type as Logto names it.
type AppType string

// The application types Logto knows. Gatehouse creates only MachineToMachine.
const (
	AppNative           AppType = "Native"
	AppSPA              AppType = "SPA"
	AppTraditional      AppType = "Traditional"
	AppMachineToMachine AppType = "MachineToMachine"
	AppProtected        AppType = "Protected"
	AppSAML             AppType = "SAML"
)

// RoleType tells whether a role is given to users or to M2M applications.
type RoleType string

// Role types.
const (
	RoleUser             RoleType = "User"
	RoleMachineToMachine RoleType = "MachineToMachine"
)

// Application is an OAuth client. Timestamps are epoch milliseconds.
type Application struct {
	TenantID    string  `json:"tenantId"`
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Description *string `json:"description"`
	Type        AppType `json:"type"`
	// JSON columns are kept raw: the store does not interpret them.
	OIDCClientMetadata           json.RawMessage `json:"oidcClientMetadata"`
	CustomClientMetadata         json.RawMessage `json:"customClientMetadata"`
	ProtectedAppMetadata         json.RawMessage `json:"protectedAppMetadata"` // JSON null when absent
	CustomData                   json.RawMessage `json:"customData"`
	IsThirdParty                 bool            `json:"isThirdParty"`
	AppLevelAccessControlEnabled bool            `json:"appLevelAccessControlEnabled"`
	CreatedAt                    int64           `json:"createdAt"`
}

// Secret is one named secret of an application. The plaintext never reaches
// the database: Sealed holds it encrypted under the master key and Digest a
// keyed SHA-256 digest used for lookups and constant-time comparison.
type Secret struct {
	TenantID      string
	ApplicationID string
	Name          string
	Sealed        []byte
	Digest        []byte
	CreatedAt     int64
	ExpiresAt     *int64 // nil: never expires
}

// Expired reports whether the secret is no longer valid at nowMs.
func (s *Secret) Expired(nowMs int64) bool { return s.ExpiresAt != nil && *s.ExpiresAt <= nowMs }

// Resource is an API resource; its Indicator is the token audience.
type Resource struct {
	TenantID       string `json:"tenantId"`
	ID             string `json:"id"`
	Name           string `json:"name"`
	Indicator      string `json:"indicator"`
	IsDefault      bool   `json:"isDefault"`
	AccessTokenTTL int64  `json:"accessTokenTtl"`
}

// Scope is a permission of a resource.
type Scope struct {
	TenantID    string  `json:"tenantId"`
	ID          string  `json:"id"`
	ResourceID  string  `json:"resourceId"`
	Name        string  `json:"name"`
	Description *string `json:"description"`
	CreatedAt   int64   `json:"createdAt"`
}

// InternalRolePrefix starts the names of Logto's internal roles (such as
// the legacy "#internal:admin"): role lists never show them, and no role
// can be given such a name through the API.
const InternalRolePrefix = "#internal:"

// Role bundles scopes; M2M roles are assigned to applications.
type Role struct {
	TenantID    string   `json:"tenantId"`
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Type        RoleType `json:"type"`
	IsDefault   bool     `json:"isDefault"`
}

// KeyStatus is the rotation state of a signing key.
type KeyStatus string

// Signing key states (spec §3.4).
const (
	KeyNext     KeyStatus = "Next"
	KeyCurrent  KeyStatus = "Current"
	KeyPrevious KeyStatus = "Previous"
)

// SigningKey is a stored token signing key. The private key is PKCS#8 DER,
// sealed under the master key.
type SigningKey struct {
	TenantID      string
	ID            string
	Alg           string // JWS algorithm: ES256, ES384, ES512, EdDSA, RS256
	PrivateSealed []byte
	Status        KeyStatus
	CreatedAt     int64  // epoch ms
	EffectiveAt   *int64 // epoch ms; when a Next key becomes Current
}

// LogEntry is one audit log record. ApplicationID and Result duplicate
// payload fields so that filters can use an index.
type LogEntry struct {
	TenantID      string          `json:"tenantId"`
	ID            string          `json:"id"`
	Key           string          `json:"key"`
	Payload       json.RawMessage `json:"payload"`
	CreatedAt     int64           `json:"createdAt"`
	ApplicationID string          `json:"-"`
	Result        string          `json:"-"`
}

// LogFilter selects audit log entries; empty fields do not filter.
type LogFilter struct {
	TenantID      string
	Key           string
	KeyPrefix     string // keys starting with it, e.g. LogKeyPrefixAdmin
	ApplicationID string
	Result        string
	StartTime     int64 // epoch ms, inclusive; 0: unbounded
	EndTime       int64 // epoch ms, inclusive; 0: unbounded
	Limit, Offset int
}

// Audit log keys and results.
const (
	LogKeyClientCredentials = "ExchangeTokenBy.ClientCredentials"
	ResultSuccess           = "Success"
	ResultError             = "Error"
)
