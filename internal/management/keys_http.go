package management

// keyRoutes registers the key routes (not yet served).
func (a *api) keyRoutes() {}
