package console

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/management"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// startPage is the Get started walkthrough, filled in with this server's
// URLs and one of its applications.
type startPage struct {
	URLs           endpointURLs
	Endpoint       string
	Indicator      string
	HasResource    bool // an API resource of the user's own exists
	HasScope       bool
	HasRole        bool // a machine-to-machine role with permissions exists
	Apps           []rbac.Application
	App            *rbac.Application // the application the examples use
	HasOwnApp      bool              // an M2M app other than the bootstrap one exists
	SampleScope    string            // the scope the example answer carries
	AppSecret      *management.SecretView
	Grants         []grantSummary
	Curl           commandLine
	ManagementCurl commandLine
	SDK            commandLine
	// Assertions is set when the app authenticates with private key
	// JWTs: its secrets are refused, so the examples sign an assertion and
	// the SDK snippet (secrets only) is not offered.
	Assertions bool
}

func (c *console) getStarted(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	p := startPage{URLs: c.urls(), Endpoint: c.cfg.Endpoint, Indicator: c.cfg.Indicator}
	resources, _, err := c.svc.ListResources(ctx, all, true)
	if err != nil {
		return err
	}
	for _, res := range resources {
		if !c.isManagement(&res.Resource) {
			p.HasResource = true
			p.HasScope = p.HasScope || len(res.Scopes) > 0
		}
	}
	roles, _, err := c.svc.ListRoles(ctx, store.RoleFilter{Type: rbac.RoleMachineToMachine}, all)
	if err != nil {
		return err
	}
	p.HasRole = len(roles) > 1 // the seeded Management API role is always there
	if p.Apps, _, err = c.svc.ListApplications(ctx, store.AppFilter{Types: []rbac.AppType{rbac.AppMachineToMachine}}, false); err != nil {
		return err
	}
	bootstrap, err := c.svc.BootstrapAppID(ctx)
	if err != nil {
		return err
	}
	want := r.URL.Query().Get("app")
	for i := range p.Apps {
		own := p.Apps[i].ID != bootstrap
		p.HasOwnApp = p.HasOwnApp || own
		// Without a choice, the examples use the first app of the
		// administrator's own, else the bootstrap app.
		if p.Apps[i].ID == want || (want == "" && (p.App == nil || own && p.App.ID == bootstrap)) {
			p.App = &p.Apps[i]
		}
	}
	if p.App != nil {
		secrets, err := c.svc.ListAppSecrets(ctx, p.App.ID)
		if err != nil {
			return err
		}
		now := c.now().UnixMilli()
		for i := range secrets {
			if e := secrets[i].ExpiresAt; e == nil || *e > now {
				p.AppSecret = &secrets[i]
				break
			}
		}
		appRoles, _, err := c.svc.ListAppRoles(ctx, p.App.ID, store.Search{}, 0, 0)
		if err != nil {
			return err
		}
		if p.Grants, err = c.grants(r, appRoles); err != nil {
			return err
		}
		auth := readAuthMeta(p.App.OIDCClientMetadata)
		p.Curl = c.curl(p.App.ID, p.AppSecret, p.Grants, false, auth.DPoP)
		if auth.Method == rbac.AuthPrivateKeyJWT {
			// Its secrets are refused: the request signs an assertion.
			cmd := c.assertionCurl(p.App.ID, "$ASSERTION", p.Grants, auth.DPoP)
			p.Curl = commandLine{Shown: cmd, Full: cmd}
		}
		if len(p.Grants) > 0 {
			p.SampleScope = strings.Join(p.Grants[0].Scopes, " ")
		}
		mgmt := []grantSummary{{Resource: rbac.Resource{Indicator: c.cfg.Indicator}, Scopes: []string{management.ManagementScopeName}}}
		p.ManagementCurl = c.curl(p.App.ID, p.AppSecret, mgmt, false, false)
		if p.Assertions = auth.Method == rbac.AuthPrivateKeyJWT; p.Assertions {
			cmd := c.assertionCurl(p.App.ID, "$ASSERTION", mgmt, auth.DPoP)
			p.ManagementCurl = commandLine{Shown: cmd, Full: cmd}
		}
		p.SDK = commandLine{Shown: sdkSnippet(p.App.ID, strings.Repeat("•", 12), c.cfg.Endpoint, c.cfg.Indicator),
			Full: sdkSnippet(p.App.ID, "<app secret>", c.cfg.Endpoint, c.cfg.Indicator)}
		if p.AppSecret != nil {
			p.SDK.Full = sdkSnippet(p.App.ID, p.AppSecret.Value, c.cfg.Endpoint, c.cfg.Indicator)
		} else {
			p.SDK.Shown = p.SDK.Full
		}
	}
	c.render(w, r, s, http.StatusOK, "start", view{Title: "Get started", Nav: "start", D: p})
	return nil
}

// sdkSnippet is the @logto/api example for an app and its secret.
func sdkSnippet(appID, secretValue, endpoint, indicator string) string {
	return fmt.Sprintf(`import { createManagementApi } from '@logto/api/management';

const { apiClient, clientCredentials } = createManagementApi('default', {
  clientId: %q,
  clientSecret: %q,
  baseUrl: %q,
  apiIndicator: %q,
});

const { value } = await clientCredentials.getAccessToken();
const response = await apiClient.GET('/api/applications');
console.log(response.data);`, appID, secretValue, endpoint, indicator)
}
