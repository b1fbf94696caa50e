package management

// resourceRoutes registers the resource routes (not yet served).
func (a *api) resourceRoutes() {}
