package management

// openAPIRoutes registers the openAPI routes (not yet served).
func (a *api) openAPIRoutes() {}
