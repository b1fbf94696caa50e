package management

// roleRoutes registers the role routes (not yet served).
func (a *api) roleRoutes() {}
