package management

// userRoutes registers the user routes (not yet served).
func (a *api) userRoutes() {}
