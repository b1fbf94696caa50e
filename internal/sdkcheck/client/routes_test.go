package client_test

import (
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/gatehouse/gatehouse/client"
)

// routes maps every operation of api/openapi.yaml to its method of
// *client.ManagementAPI. TestEveryRouteHasAMethod holds the two together.
var routes = map[string]string{
	"GET /api/applications":                                              "ListApplications",
	"POST /api/applications":                                             "CreateApplication",
	"GET /api/applications/{id}":                                         "GetApplication",
	"PATCH /api/applications/{id}":                                       "UpdateApplication",
	"DELETE /api/applications/{id}":                                      "DeleteApplication",
	"GET /api/applications/{id}/secrets":                                 "ListApplicationSecrets",
	"POST /api/applications/{id}/secrets":                                "CreateApplicationSecret",
	"PATCH /api/applications/{id}/secrets/{name}":                        "UpdateApplicationSecret",
	"DELETE /api/applications/{id}/secrets/{name}":                       "DeleteApplicationSecret",
	"DELETE /api/applications/{id}/legacy-secret":                        "DeleteApplicationLegacySecret",
	"GET /api/applications/{id}/federated-credentials":                   "ListApplicationFederatedCredentials",
	"POST /api/applications/{id}/federated-credentials":                  "CreateApplicationFederatedCredential",
	"DELETE /api/applications/{id}/federated-credentials/{credentialId}": "DeleteApplicationFederatedCredential",
	"GET /api/applications/{id}/roles":                                   "ListApplicationRoles",
	"POST /api/applications/{id}/roles":                                  "AssignApplicationRoles",
	"PUT /api/applications/{id}/roles":                                   "ReplaceApplicationRoles",
	"DELETE /api/applications/{id}/roles/{roleId}":                       "DeleteApplicationRole",
	"PATCH /api/applications/{id}/custom-data":                           "UpdateApplicationCustomData",
	"GET /api/resources":                                                 "ListResources",
	"POST /api/resources":                                                "CreateResource",
	"GET /api/resources/{id}":                                            "GetResource",
	"PATCH /api/resources/{id}":                                          "UpdateResource",
	"DELETE /api/resources/{id}":                                         "DeleteResource",
	"PATCH /api/resources/{id}/is-default":                               "UpdateResourceIsDefault",
	"GET /api/resources/{resourceId}/scopes":                             "ListResourceScopes",
	"POST /api/resources/{resourceId}/scopes":                            "CreateResourceScope",
	"PATCH /api/resources/{resourceId}/scopes/{scopeId}":                 "UpdateResourceScope",
	"DELETE /api/resources/{resourceId}/scopes/{scopeId}":                "DeleteResourceScope",
	"GET /api/roles":                                                     "ListRoles",
	"POST /api/roles":                                                    "CreateRole",
	"GET /api/roles/{id}":                                                "GetRole",
	"PATCH /api/roles/{id}":                                              "UpdateRole",
	"DELETE /api/roles/{id}":                                             "DeleteRole",
	"GET /api/roles/{id}/scopes":                                         "ListRoleScopes",
	"POST /api/roles/{id}/scopes":                                        "AssignRoleScopes",
	"DELETE /api/roles/{id}/scopes/{scopeId}":                            "DeleteRoleScope",
	"GET /api/roles/{id}/applications":                                   "ListRoleApplications",
	"POST /api/roles/{id}/applications":                                  "AssignRoleApplications",
	"DELETE /api/roles/{id}/applications/{applicationId}":                "DeleteRoleApplication",
	"GET /api/roles/{id}/users":                                          "ListRoleUsers",
	"POST /api/roles/{id}/users":                                         "AssignRoleUsers",
	"DELETE /api/roles/{id}/users/{userId}":                              "DeleteRoleUser",
	"GET /api/users":                                                     "ListUsers",
	"POST /api/users":                                                    "CreateUser",
	"GET /api/users/{userId}":                                            "GetUser",
	"PATCH /api/users/{userId}":                                          "UpdateUser",
	"DELETE /api/users/{userId}":                                         "DeleteUser",
	"GET /api/users/{userId}/custom-data":                                "GetUserCustomData",
	"PATCH /api/users/{userId}/custom-data":                              "UpdateUserCustomData",
	"GET /api/users/{userId}/roles":                                      "ListUserRoles",
	"POST /api/users/{userId}/roles":                                     "AssignUserRoles",
	"PUT /api/users/{userId}/roles":                                      "ReplaceUserRoles",
	"DELETE /api/users/{userId}/roles/{roleId}":                          "DeleteUserRole",
	"GET /api/configs/oidc/private-keys":                                 "ListPrivateKeys",
	"POST /api/configs/oidc/private-keys/rotate":                         "RotatePrivateKeys",
	"DELETE /api/configs/oidc/private-keys/{keyId}":                      "DeletePrivateKey",
	"GET /api/logs":                                                      "ListLogs",
	"GET /api/logs/{id}":                                                 "GetLog",
	"GET /api/status":                                                    "GetStatus",
	"GET /api/swagger.json":                                              "GetSwaggerJSON",
	"GET /api/.well-known/management.openapi.json":                       "GetManagementOpenAPIJSON",
	// Organizations and the JWT customizer.
	"GET /api/configs/jwt-customizer":                                                        "ListJwtCustomizers",
	"GET /api/configs/jwt-customizer/client-credentials":                                     "GetJwtCustomizerClientCredentials",
	"PUT /api/configs/jwt-customizer/client-credentials":                                     "UpsertJwtCustomizerClientCredentials",
	"PATCH /api/configs/jwt-customizer/client-credentials":                                   "UpdateJwtCustomizerClientCredentials",
	"DELETE /api/configs/jwt-customizer/client-credentials":                                  "DeleteJwtCustomizerClientCredentials",
	"POST /api/configs/jwt-customizer/test":                                                  "TestJwtCustomizer",
	"GET /api/organizations":                                                                 "ListOrganizations",
	"POST /api/organizations":                                                                "CreateOrganization",
	"GET /api/organizations/{id}":                                                            "GetOrganization",
	"PATCH /api/organizations/{id}":                                                          "UpdateOrganization",
	"DELETE /api/organizations/{id}":                                                         "DeleteOrganization",
	"GET /api/organizations/{id}/applications":                                               "ListOrganizationApplications",
	"POST /api/organizations/{id}/applications":                                              "AddOrganizationApplications",
	"PUT /api/organizations/{id}/applications":                                               "ReplaceOrganizationApplications",
	"DELETE /api/organizations/{id}/applications/{applicationId}":                            "DeleteOrganizationApplication",
	"POST /api/organizations/{id}/applications/roles":                                        "AssignOrganizationRolesToApplications",
	"GET /api/organizations/{id}/applications/{applicationId}/roles":                         "ListOrganizationApplicationRoles",
	"POST /api/organizations/{id}/applications/{applicationId}/roles":                        "AssignOrganizationApplicationRoles",
	"PUT /api/organizations/{id}/applications/{applicationId}/roles":                         "ReplaceOrganizationApplicationRoles",
	"DELETE /api/organizations/{id}/applications/{applicationId}/roles/{organizationRoleId}": "DeleteOrganizationApplicationRole",
	"GET /api/applications/{id}/organizations":                                               "ListApplicationOrganizations",
	"GET /api/organizations/{id}/users":                                                      "ListOrganizationUsers",
	"POST /api/organizations/{id}/users":                                                     "AddOrganizationUsers",
	"PUT /api/organizations/{id}/users":                                                      "ReplaceOrganizationUsers",
	"DELETE /api/organizations/{id}/users/{userId}":                                          "DeleteOrganizationUser",
	"POST /api/organizations/{id}/users/roles":                                               "AssignOrganizationRolesToUsers",
	"GET /api/organizations/{id}/users/{userId}/roles":                                       "ListOrganizationUserRoles",
	"POST /api/organizations/{id}/users/{userId}/roles":                                      "AssignOrganizationRolesToUser",
	"PUT /api/organizations/{id}/users/{userId}/roles":                                       "ReplaceOrganizationUserRoles",
	"DELETE /api/organizations/{id}/users/{userId}/roles/{organizationRoleId}":               "DeleteOrganizationUserRole",
	"GET /api/organizations/{id}/users/{userId}/scopes":                                      "ListOrganizationUserScopes",
	"GET /api/users/{userId}/organizations":                                                  "ListUserOrganizations",
	"GET /api/organization-scopes":                                                           "ListOrganizationScopes",
	"POST /api/organization-scopes":                                                          "CreateOrganizationScope",
	"GET /api/organization-scopes/{id}":                                                      "GetOrganizationScope",
	"PATCH /api/organization-scopes/{id}":                                                    "UpdateOrganizationScope",
	"DELETE /api/organization-scopes/{id}":                                                   "DeleteOrganizationScope",
	"GET /api/organization-roles":                                                            "ListOrganizationRoles",
	"POST /api/organization-roles":                                                           "CreateOrganizationRole",
	"GET /api/organization-roles/{id}":                                                       "GetOrganizationRole",
	"PATCH /api/organization-roles/{id}":                                                     "UpdateOrganizationRole",
	"DELETE /api/organization-roles/{id}":                                                    "DeleteOrganizationRole",
	"GET /api/organization-roles/{id}/scopes":                                                "ListOrganizationRoleScopes",
	"POST /api/organization-roles/{id}/scopes":                                               "AddOrganizationRoleScopes",
	"PUT /api/organization-roles/{id}/scopes":                                                "ReplaceOrganizationRoleScopes",
	"DELETE /api/organization-roles/{id}/scopes/{organizationScopeId}":                       "DeleteOrganizationRoleScope",
	"GET /api/organization-roles/{id}/resource-scopes":                                       "ListOrganizationRoleResourceScopes",
	"POST /api/organization-roles/{id}/resource-scopes":                                      "AddOrganizationRoleResourceScopes",
	"PUT /api/organization-roles/{id}/resource-scopes":                                       "ReplaceOrganizationRoleResourceScopes",
	"DELETE /api/organization-roles/{id}/resource-scopes/{scopeId}":                          "DeleteOrganizationRoleResourceScope",
}

// TestEveryRouteHasAMethod parses api/openapi.yaml and checks that every
// operation has a method of *client.ManagementAPI (named after its
// operationId), that the table has no route the document lacks, and that
// every method is context-first.
func TestEveryRouteHasAMethod(t *testing.T) {
	b, err := os.ReadFile("../../../api/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatal(err)
	}
	typ := reflect.TypeFor[*client.ManagementAPI]()
	ctxType := reflect.TypeFor[interface{ Done() <-chan struct{} }]()
	inDoc := map[string]bool{}
	var missing []string
	for p, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			key := method + " " + p
			inDoc[key] = true
			name, ok := routes[key]
			if !ok {
				missing = append(missing, key+" (not in the test's table)")
				continue
			}
			if op.OperationID != name {
				t.Errorf("%s: method %s, operationId %s", key, name, op.OperationID)
			}
			m, ok := typ.MethodByName(name)
			if !ok {
				missing = append(missing, key+" → "+name+" (no such method)")
				continue
			}
			if m.Type.NumIn() < 2 || !m.Type.In(1).Implements(ctxType) || m.Type.In(1).Name() != "Context" {
				t.Errorf("%s: %s does not take a context first", key, name)
			}
			if out := m.Type.Out(m.Type.NumOut() - 1); out != reflect.TypeFor[error]() {
				t.Errorf("%s: %s does not return an error last", key, name)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("routes without a method:\n%s", strings.Join(missing, "\n"))
	}
	for key := range routes {
		if !inDoc[key] {
			t.Errorf("%s is in the table but not in api/openapi.yaml", key)
		}
	}
	if len(inDoc) < 50 {
		t.Errorf("only %d operations read from the document", len(inDoc))
	}
}
