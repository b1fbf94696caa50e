package client

import "encoding/json"

// Application is an application (only MachineToMachine ones are served by
// Gatehouse).
type Application struct {
	TenantID             string         `json:"tenantId"`
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	Description          string         `json:"description,omitempty"`
	Type                 string         `json:"type"`
	OIDCClientMetadata   map[string]any `json:"oidcClientMetadata,omitempty"`
	CustomClientMetadata map[string]any `json:"customClientMetadata,omitempty"`
	ProtectedAppMetadata map[string]any `json:"protectedAppMetadata,omitempty"`
	CustomData           map[string]any `json:"customData,omitempty"`
	IsThirdParty         bool           `json:"isThirdParty"`
	// AppLevelAccessControlEnabled is Logto's flag, stored and returned.
	AppLevelAccessControlEnabled bool  `json:"appLevelAccessControlEnabled"`
	CreatedAt                    int64 `json:"createdAt"` // epoch ms
	// Secret is the legacy secret of applications made before named
	// secrets; never set for applications made through the API.
	Secret string `json:"secret,omitempty"`
	// IsAdmin is set by GetApplication only: whether the application holds
	// the Management API "all" role.
	IsAdmin bool `json:"isAdmin,omitempty"`
}

// Application types.
const (
	TypeMachineToMachine = "MachineToMachine"
	RoleTypeUser         = "User"
	RoleTypeM2M          = "MachineToMachine"
)

// ApplicationCreate is the body of CreateApplication. Type defaults to
// MachineToMachine when empty.
type ApplicationCreate struct {
	Name                 string         `json:"name"` // required, 1 to 256 characters
	Type                 string         `json:"type"` // required by the server; CreateApplication sends MachineToMachine if empty
	Description          string         `json:"description,omitempty"`
	OIDCClientMetadata   map[string]any `json:"oidcClientMetadata,omitempty"`
	CustomClientMetadata map[string]any `json:"customClientMetadata,omitempty"`
	CustomData           map[string]any `json:"customData,omitempty"`
	IsThirdParty         bool           `json:"isThirdParty,omitempty"`
	ProtectedAppMetadata map[string]any `json:"protectedAppMetadata,omitempty"`
}

// ApplicationUpdate is the body of UpdateApplication; nil fields are left
// as they are.
type ApplicationUpdate struct {
	Name                         *string        `json:"name,omitempty"`
	Description                  *string        `json:"description,omitempty"`
	OIDCClientMetadata           map[string]any `json:"oidcClientMetadata,omitempty"`
	CustomClientMetadata         map[string]any `json:"customClientMetadata,omitempty"`
	CustomData                   map[string]any `json:"customData,omitempty"`
	ProtectedAppMetadata         map[string]any `json:"protectedAppMetadata,omitempty"`
	AppLevelAccessControlEnabled *bool          `json:"appLevelAccessControlEnabled,omitempty"`
	// IsAdmin gives (true) or takes (false) the Management API "all" role.
	IsAdmin *bool `json:"isAdmin,omitempty"`
}

// ListApplicationsParams filters ListApplications.
type ListApplicationsParams struct {
	ListOptions
	Types                 []string
	ExcludeRoleID         string
	ExcludeOrganizationID string
	IsThirdParty          *bool
}

// ApplicationSecret is a named secret of an application, with its value.
type ApplicationSecret struct {
	TenantID      string `json:"tenantId"`
	ApplicationID string `json:"applicationId"`
	Name          string `json:"name"`
	Value         string `json:"value"`
	CreatedAt     int64  `json:"createdAt"`           // epoch ms
	ExpiresAt     *int64 `json:"expiresAt,omitempty"` // epoch ms; nil: never
}

// SecretCreate is the body of CreateApplicationSecret.
type SecretCreate struct {
	Name      string `json:"name"`                // required, 1 to 256 characters, unique per application
	ExpiresAt *int64 `json:"expiresAt,omitempty"` // epoch ms, in the future; nil: never
}

// AssignedRoles is the answer of AssignApplicationRoles.
type AssignedRoles struct {
	RoleIDs      []string `json:"roleIds"`      // the roles asked for
	AddedRoleIDs []string `json:"addedRoleIds"` // those newly assigned
}

// Resource is an API resource; Scopes is set by ListResources with
// IncludeScopes and by CreateResource.
type Resource struct {
	TenantID       string  `json:"tenantId"`
	ID             string  `json:"id"`
	Name           string  `json:"name"`
	Indicator      string  `json:"indicator"`
	IsDefault      bool    `json:"isDefault"`
	AccessTokenTTL int64   `json:"accessTokenTtl"` // seconds; 0 means 600
	Scopes         []Scope `json:"scopes,omitempty"`
}

// ResourceCreate is the body of CreateResource. AccessTokenTTL nil means
// the server's default (3600 s).
type ResourceCreate struct {
	Name           string `json:"name"`      // required, 1 to 256 characters
	Indicator      string `json:"indicator"` // required: an absolute URI without a fragment, unique
	AccessTokenTTL *int64 `json:"accessTokenTtl,omitempty"`
}

// ResourceUpdate is the body of UpdateResource; nil fields are left as
// they are.
type ResourceUpdate struct {
	Name           *string `json:"name,omitempty"`
	AccessTokenTTL *int64  `json:"accessTokenTtl,omitempty"`
}

// ListResourcesParams filters ListResources.
type ListResourcesParams struct {
	ListOptions
	IncludeScopes bool
}

// Scope is a permission of a resource. Resource is set by ListRoleScopes.
type Scope struct {
	TenantID    string    `json:"tenantId"`
	ID          string    `json:"id"`
	ResourceID  string    `json:"resourceId"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	CreatedAt   int64     `json:"createdAt"`
	Resource    *Resource `json:"resource,omitempty"`
}

// ScopeCreate is the body of CreateResourceScope.
type ScopeCreate struct {
	Name        string `json:"name"`                  // required, 1 to 256 characters, unique per resource
	Description string `json:"description,omitempty"` // optional
}

// ScopeUpdate is the body of UpdateResourceScope; nil fields are left as
// they are.
type ScopeUpdate struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
}

// Role is a role. The counts and featured lists are set by ListRoles only.
type Role struct {
	TenantID             string            `json:"tenantId"`
	ID                   string            `json:"id"`
	Name                 string            `json:"name"`
	Description          string            `json:"description"`
	Type                 string            `json:"type"`
	IsDefault            bool              `json:"isDefault"`
	UsersCount           int               `json:"usersCount,omitempty"`
	FeaturedUsers        []json.RawMessage `json:"featuredUsers,omitempty"`
	ApplicationsCount    int               `json:"applicationsCount,omitempty"`
	FeaturedApplications []json.RawMessage `json:"featuredApplications,omitempty"`
}

// RoleCreate is the body of CreateRole. Name and Description are
// required (the server answers 400 guard.invalid_input without them, as
// Logto does). Type defaults to User on the server when empty (as Logto);
// machine-to-machine roles need RoleTypeM2M.
type RoleCreate struct {
	Name        string   `json:"name"`        // required, 1 to 128 characters, unique
	Description string   `json:"description"` // required, 1 to 128 characters
	Type        string   `json:"type,omitempty"`
	IsDefault   bool     `json:"isDefault,omitempty"`
	ScopeIDs    []string `json:"scopeIds,omitempty"`
}

// RoleUpdate is the body of UpdateRole; nil fields are left as they are.
type RoleUpdate struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
	IsDefault   *bool   `json:"isDefault,omitempty"`
}

// ListRolesParams filters ListRoles.
type ListRolesParams struct {
	ListOptions
	Type                 string
	ExcludeUserID        string
	ExcludeApplicationID string
}

// User is a user (kept for Logto compatibility; Gatehouse issues no user
// tokens).
type User struct {
	ID           string         `json:"id"`
	Username     string         `json:"username,omitempty"`
	PrimaryEmail string         `json:"primaryEmail,omitempty"`
	PrimaryPhone string         `json:"primaryPhone,omitempty"`
	Name         string         `json:"name,omitempty"`
	Avatar       string         `json:"avatar,omitempty"`
	CustomData   map[string]any `json:"customData,omitempty"`
	CreatedAt    int64          `json:"createdAt"`
	UpdatedAt    int64          `json:"updatedAt"`
}

// UserWrite is the body of CreateUser and UpdateUser; nil fields are not
// sent.
type UserWrite struct {
	Username     *string        `json:"username,omitempty"`
	PrimaryEmail *string        `json:"primaryEmail,omitempty"`
	PrimaryPhone *string        `json:"primaryPhone,omitempty"`
	Name         *string        `json:"name,omitempty"`
	Avatar       *string        `json:"avatar,omitempty"`
	CustomData   map[string]any `json:"customData,omitempty"`
}

// SigningKey is a token signing key (never its private part).
type SigningKey struct {
	ID                  string `json:"id"`
	CreatedAt           int64  `json:"createdAt"`           // epoch SECONDS, as Logto
	SigningKeyAlgorithm string `json:"signingKeyAlgorithm"` // EC, RSA or OKP
	Status              string `json:"status"`              // Next, Current or Previous
	EffectiveAt         int64  `json:"effectiveAt,omitempty"`
}

// RotateKeys is the body of RotatePrivateKeys. Zero values rotate an EC key
// at once.
type RotateKeys struct {
	SigningKeyAlgorithm string `json:"signingKeyAlgorithm,omitempty"` // EC or RSA
	RotationGracePeriod int    `json:"rotationGracePeriod,omitempty"` // seconds
}

// LogEntry is an audit log entry.
type LogEntry struct {
	TenantID  string         `json:"tenantId"`
	ID        string         `json:"id"`
	Key       string         `json:"key"`
	Payload   map[string]any `json:"payload"`
	CreatedAt int64          `json:"createdAt"` // epoch ms
}

// ListLogsParams filters ListLogs. Times are epoch ms, inclusive; 0 is
// not sent. Search fields of ListOptions are not used by this route.
type ListLogsParams struct {
	ListOptions
	LogKey string
	// LogKeyPrefix selects keys starting with it, like "Admin." for the
	// admin audit trail (a Gatehouse extension; Logto ignores it).
	LogKeyPrefix string
	// Result selects "Success" or "Error" entries (a Gatehouse extension).
	Result        string
	ApplicationID string
	UserID        string
	StartTime     int64
	EndTime       int64
}

// FederatedCredentialCreate is a new federated credential (workload
// identity federation; Gatehouse only).
type FederatedCredentialCreate struct {
	Name string `json:"name"`
	// Issuer is the external issuer, exactly as its tokens' iss.
	Issuer string `json:"issuer"`
	// Subject is the tokens' sub, exactly, or a pattern where * stands for
	// any run of characters.
	Subject   string   `json:"subject"`
	Audiences []string `json:"audiences"`
	// Claims are other claims that must be equal; a nested one by a path
	// with '/', like "kubernetes.io/namespace".
	Claims map[string]string `json:"claims,omitempty"`
	// JWKSURI is where the issuer's keys are, when not through its
	// discovery document.
	JWKSURI string `json:"jwksUri,omitempty"`
}

// FederatedCredential is an external identity whose tokens authenticate an
// application.
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
	CreatedAt     int64             `json:"createdAt"` // epoch ms
}
