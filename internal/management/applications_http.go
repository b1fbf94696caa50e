package management

// applicationRoutes registers the application routes (not yet served).
func (a *api) applicationRoutes() {}
