package console

import "net/http"

// routes is the console's whole route table.
func (c *console) routes() {
	m := c.mux
	m.HandleFunc("GET /console", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, c.base+"/", http.StatusMovedPermanently)
	})
	m.Handle("GET /console/static/", c.static)
	m.HandleFunc("GET /console/sign-in", c.signInForm)
	m.HandleFunc("POST /console/sign-in", c.signIn)
	m.HandleFunc("GET /console/setup", c.setupForm)
	m.HandleFunc("POST /console/setup", c.setup)
	m.HandleFunc("GET /console/invite", c.inviteForm)
	m.HandleFunc("POST /console/invite", c.acceptInvite)
	c.page("POST /console/sign-out", c.signOut)

	c.page("GET /console/{$}", func(w http.ResponseWriter, r *http.Request, s *session) error {
		http.Redirect(w, r, c.base+"/get-started", http.StatusSeeOther)
		return nil
	})
	c.page("GET /console/get-started", c.getStarted)

	c.page("GET /console/applications", c.listApplications)
	c.page("GET /console/applications/new", c.newApplicationForm)
	c.page("POST /console/applications/new", c.createApplication)
	c.page("GET /console/applications/{id}", c.showApplication)
	c.page("POST /console/applications/{id}/settings", c.updateApplication)
	c.page("GET /console/applications/{id}/assign-roles", c.assignAppRolesForm)
	c.page("POST /console/applications/{id}/assign-roles", c.assignAppRoles)
	c.page("POST /console/applications/{id}/roles/remove", c.removeAppRole)
	c.page("POST /console/applications/{id}/secrets", c.addSecret)
	c.page("POST /console/applications/{id}/secrets/rename", c.renameSecret)
	c.page("POST /console/applications/{id}/secrets/delete", c.deleteSecret)
	c.page("POST /console/applications/{id}/custom-data", c.updateAppCustomData)
	c.page("POST /console/applications/{id}/auth/method", c.setAuthMethod)
	c.page("POST /console/applications/{id}/auth/keys", c.addClientKeys)
	c.page("POST /console/applications/{id}/auth/keys/remove", c.removeClientKey)
	c.page("POST /console/applications/{id}/auth/jwks-uri", c.setClientJWKSURI)
	c.page("POST /console/applications/{id}/auth/jwks-uri/remove", c.removeClientJWKSURI)
	c.page("POST /console/applications/{id}/auth/dpop", c.setDPoP)
	c.page("POST /console/applications/{id}/federated", c.addFederated)
	c.page("POST /console/applications/{id}/federated/delete", c.deleteFederated)
	c.page("POST /console/applications/{id}/delete", c.deleteApplication)

	c.page("GET /console/resources", c.listResources)
	c.page("GET /console/resources/new", c.newResourceForm)
	c.page("POST /console/resources/new", c.createResource)
	c.page("GET /console/resources/{id}", c.showResource)
	c.page("POST /console/resources/{id}/settings", c.updateResource)
	c.page("POST /console/resources/{id}/default", c.setResourceDefault)
	c.page("POST /console/resources/{id}/scopes", c.addScope)
	c.page("POST /console/resources/{id}/scopes/{scope}/edit", c.editScope)
	c.page("POST /console/resources/{id}/scopes/{scope}/delete", c.deleteScope)
	c.page("POST /console/resources/{id}/delete", c.deleteResource)

	c.page("GET /console/roles", c.listRoles)
	c.page("GET /console/roles/new", c.newRoleForm)
	c.page("POST /console/roles/new", c.createRole)
	c.page("GET /console/roles/{id}", c.showRole)
	c.page("POST /console/roles/{id}/settings", c.updateRole)
	c.page("POST /console/roles/{id}/scopes", c.addRoleScopes)
	c.page("POST /console/roles/{id}/scopes/remove", c.removeRoleScope)
	c.page("POST /console/roles/{id}/applications", c.addRoleApplications)
	c.page("POST /console/roles/{id}/applications/remove", c.removeRoleApplication)
	c.page("POST /console/roles/{id}/users", c.addRoleUsers)
	c.page("POST /console/roles/{id}/users/remove", c.removeRoleUser)
	c.page("POST /console/roles/{id}/delete", c.deleteRole)

	c.page("GET /console/users", c.listUsers)
	c.page("GET /console/users/new", c.newUserForm)
	c.page("POST /console/users/new", c.createUser)
	c.page("GET /console/users/{id}", c.showUser)
	c.page("POST /console/users/{id}/settings", c.updateUser)
	c.page("POST /console/users/{id}/custom-data", c.updateUserCustomData)
	c.page("POST /console/users/{id}/roles", c.addUserRoles)
	c.page("POST /console/users/{id}/roles/remove", c.removeUserRole)
	c.page("POST /console/users/{id}/delete", c.deleteUser)

	c.orgRoutes() // organizations, their template, the JWT customizer

	c.page("GET /console/audit-logs", c.listLogs)

	c.page("GET /console/signing-keys", c.listKeys)
	c.page("POST /console/signing-keys/rotate", c.rotateKeys)
	c.page("POST /console/signing-keys/delete", c.deleteKey)
	c.page("POST /console/signing-keys/cancel", c.cancelKey)

	c.page("GET /console/administrators", c.listAdmins)
	c.page("POST /console/administrators/invite", c.inviteAdmin)
	c.page("POST /console/administrators/invites/revoke", c.revokeInvite)
	c.page("POST /console/administrators/{id}/remove", c.removeAdmin)
	c.page("GET /console/account", c.showAccount)
	c.page("POST /console/account/password", c.changePassword)
	c.page("POST /console/account/sessions/end", c.endOtherSessions)

	// Anything else: the not-found page (after the session check, so that
	// the console's shape is not probed anonymously).
	c.page("/console/", func(w http.ResponseWriter, r *http.Request, s *session) error {
		c.renderError(w, r, s, http.StatusNotFound, "Page not found", "There is no such page in the console.")
		return nil
	})
}
