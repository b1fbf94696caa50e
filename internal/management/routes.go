package management

import "net/http"

// routes is the Management API's route table: the anonymous routes here,
// then each family's routes (applications.go, resources.go, ...). Every
// pattern is also in api/openapi.yaml; TestOpenAPIMatchesRoutes holds the
// two together.
func (a *api) routes() {
	a.handlePublic("GET /api/status", func(w http.ResponseWriter, r *http.Request) error { return noContent(w) })
	a.openAPIRoutes()
	a.applicationRoutes()
	a.federatedRoutes()
	a.resourceRoutes()
	a.roleRoutes()
	a.userRoutes()
	a.keyRoutes()
	a.logRoutes()
	a.jwtCustomizerRoutes()
	a.organizationRoutes()
	// Anything else under /api is not a route: 404, after the token check,
	// so that the API's shape is not probed anonymously.
	a.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		if err := a.authenticate(r); err != nil {
			a.writeError(w, r, err)
			return
		}
		writeText(w, http.StatusNotFound)
	})
}
