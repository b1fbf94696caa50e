package client

import "encoding/json"

// Organization is an organization; applications can be its members and
// ask for organization tokens (TokenConfig.OrganizationID).
type Organization struct {
	TenantID      string            `json:"tenantId"`
	ID            string            `json:"id"`
	Name          string            `json:"name"`
	Description   string            `json:"description,omitempty"`
	CustomData    map[string]any    `json:"customData,omitempty"`
	IsMfaRequired bool              `json:"isMfaRequired"`
	Color         map[string]any    `json:"color,omitempty"` // primaryColor, isDarkModeEnabled, darkPrimaryColor
	Branding      map[string]any    `json:"branding,omitempty"`
	CustomCSS     string            `json:"customCss,omitempty"`
	CreatedAt     int64             `json:"createdAt"` // epoch ms
	UsersCount    int               `json:"usersCount,omitempty"`
	FeaturedUsers []json.RawMessage `json:"featuredUsers,omitempty"`
	// OrganizationRoles is set by ListApplicationOrganizations: the
	// application's roles in the organization.
	OrganizationRoles []OrganizationRoleRef `json:"organizationRoles,omitempty"`
}

// OrganizationWrite is the body of CreateOrganization (Name required) and
// UpdateOrganization (nil or empty fields are not sent).
type OrganizationWrite struct {
	Name          string         `json:"name,omitempty"`
	Description   *string        `json:"description,omitempty"`
	CustomData    map[string]any `json:"customData,omitempty"`
	IsMfaRequired *bool          `json:"isMfaRequired,omitempty"`
	Color         map[string]any `json:"color,omitempty"` // primaryColor, isDarkModeEnabled, darkPrimaryColor
	Branding      map[string]any `json:"branding,omitempty"`
	CustomCSS     *string        `json:"customCss,omitempty"`
}

// OrganizationListOptions page and search organization lists.
type OrganizationListOptions struct {
	Page, PageSize int
	Q              string // search
	ShowFeatured   bool   // ListOrganizations only: add usersCount and featuredUsers
}

// OrganizationRoleRef names an organization role.
type OrganizationRoleRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// OrganizationMember is an application member of an organization, with
// its roles there.
type OrganizationMember struct {
	Application
	OrganizationRoles []OrganizationRoleRef `json:"organizationRoles"`
}

// OrganizationScope is a permission of the organization template.
type OrganizationScope struct {
	TenantID    string `json:"tenantId"`
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// OrganizationScopeWrite is the body of CreateOrganizationScope and
// UpdateOrganizationScope.
type OrganizationScopeWrite struct {
	Name        string  `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
}

// OrganizationRole is a role of the organization template. Scopes and
// ResourceScopes are set by ListOrganizationRoles.
type OrganizationRole struct {
	TenantID       string                `json:"tenantId"`
	ID             string                `json:"id"`
	Name           string                `json:"name"`
	Description    string                `json:"description,omitempty"`
	Type           string                `json:"type"`
	Scopes         []OrganizationRoleRef `json:"scopes,omitempty"`
	ResourceScopes []json.RawMessage     `json:"resourceScopes,omitempty"`
}

// OrganizationRoleCreate is the body of CreateOrganizationRole.
type OrganizationRoleCreate struct {
	Name                 string   `json:"name"` // required, unique
	Description          string   `json:"description,omitempty"`
	Type                 string   `json:"type,omitempty"` // User (default) or MachineToMachine
	OrganizationScopeIDs []string `json:"organizationScopeIds,omitempty"`
	ResourceScopeIDs     []string `json:"resourceScopeIds,omitempty"`
}

// OrganizationRoleUpdate is the body of UpdateOrganizationRole; nil fields
// are left as they are.
type OrganizationRoleUpdate struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
	Type        *string `json:"type,omitempty"`
}

// JWTCustomizer is the client-credentials token customizer: a script
// adding claims to access tokens.
type JWTCustomizer struct {
	Script               string            `json:"script"`
	EnvironmentVariables map[string]string `json:"environmentVariables,omitempty"`
	ContextSample        map[string]any    `json:"contextSample,omitempty"`
	TokenSample          map[string]any    `json:"tokenSample,omitempty"`
	BlockIssuanceOnError *bool             `json:"blockIssuanceOnError,omitempty"`
}

// JWTCustomizerEntry is one entry of ListJwtCustomizers.
type JWTCustomizerEntry struct {
	Key   string        `json:"key"` // jwt.clientCredentials
	Value JWTCustomizer `json:"value"`
}

// JWTCustomizerTest is the body of TestJwtCustomizer.
type JWTCustomizerTest struct {
	TokenType            string            `json:"tokenType"` // client-credentials (the default when empty)
	Script               string            `json:"script"`
	EnvironmentVariables map[string]string `json:"environmentVariables,omitempty"`
	Token                map[string]any    `json:"token"`
	Context              map[string]any    `json:"context,omitempty"`
}
