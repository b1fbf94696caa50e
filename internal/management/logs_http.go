package management

// logRoutes registers the log routes (not yet served).
func (a *api) logRoutes() {}
