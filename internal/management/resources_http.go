package management

import (
	"math"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// resourceRoutes registers the resource routes (spec §4.6) and those of
// their scopes (§4.7).
func (a *api) resourceRoutes() {
	a.handle("GET /api/resources", a.listResources)
	a.handle("POST /api/resources", a.createResource)
	a.handle("GET /api/resources/{id}", a.getResource)
	a.handle("PATCH /api/resources/{id}", a.patchResource)
	a.handle("PATCH /api/resources/{id}/is-default", a.setResourceDefault)
	a.handle("DELETE /api/resources/{id}", a.deleteResource)
	a.scopeRoutes()
}

// yes reads a query flag as Logto's yes() does: "true", "1", "yes" and "y"
// in any case are true, anything else false.
func yes(v string) bool {
	switch strings.ToLower(v) {
	case "true", "1", "yes", "y":
		return true
	}
	return false
}

func (a *api) listResources(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePager(r, false)
	if err != nil {
		return err
	}
	withScopes := yes(r.URL.Query().Get("includeScopes"))
	list, total, err := a.svc.ListResources(r.Context(), p, withScopes)
	if err != nil {
		return err
	}
	a.writePaging(w, r, p, total)
	if withScopes {
		return writeJSON(w, http.StatusOK, list)
	}
	plain := make([]any, len(list))
	for i := range list {
		plain[i] = list[i].Resource
	}
	return writeJSON(w, http.StatusOK, plain)
}

// accessTokenTTL reads accessTokenTtl: Logto's guard only asks for a
// number, but the column is a bigint, so fractions and values beyond
// JSON's exact integers are refused here (400) rather than by the database.
func accessTokenTTL(g *Guard) *int64 {
	v, ok := g.Number("accessTokenTtl", false)
	if !ok {
		return nil
	}
	if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
		g.add(issue{Code: "invalid_type", Expected: "integer", Received: "float", Path: []any{"accessTokenTtl"}, Message: "Expected integer, received float"})
		return nil
	}
	n := int64(v)
	return &n
}

func (a *api) createResource(w http.ResponseWriter, r *http.Request) error {
	g := BodyGuard(w, r)
	var in ResourceInput
	in.Name, _ = g.String("name", StrRule{Required: true, Min: 1})
	in.Indicator, _ = g.String("indicator", StrRule{Required: true, Min: 1})
	in.AccessTokenTTL = accessTokenTTL(g)
	if err := g.Err(); err != nil {
		return err
	}
	res, err := a.svc.CreateResource(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, ResourceWithScopes{Resource: *res, Scopes: []rbac.Scope{}})
}

func (a *api) getResource(w http.ResponseWriter, r *http.Request) error {
	res, err := a.svc.GetResource(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (a *api) patchResource(w http.ResponseWriter, r *http.Request) error {
	g := BodyGuard(w, r)
	var name *string
	if v, ok := g.String("name", StrRule{Min: 1}); ok {
		name = &v
	}
	ttl := accessTokenTTL(g)
	if err := g.Err(); err != nil {
		return err
	}
	res, err := a.svc.UpdateResource(r.Context(), r.PathValue("id"), name, ttl)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (a *api) setResourceDefault(w http.ResponseWriter, r *http.Request) error {
	g := BodyGuard(w, r)
	isDefault, _ := g.Bool("isDefault", true)
	if err := g.Err(); err != nil {
		return err
	}
	res, err := a.svc.SetResourceDefault(r.Context(), r.PathValue("id"), isDefault)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (a *api) deleteResource(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.DeleteResource(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return noContent(w)
}
