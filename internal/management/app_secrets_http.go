package management

import (
	"math"
	"net/http"
)

// appSecretRoutes registers the application secret routes (spec §4.3).
func (a *api) appSecretRoutes() {
	a.handle("GET /api/applications/{id}/secrets", a.listAppSecrets)
	a.handle("POST /api/applications/{id}/secrets", a.createAppSecret)
	a.handle("PATCH /api/applications/{id}/secrets/{name}", a.renameAppSecret)
	a.handle("DELETE /api/applications/{id}/secrets/{name}", a.deleteAppSecret)
	a.handle("DELETE /api/applications/{id}/legacy-secret", a.deleteLegacySecret)
}

func (a *api) listAppSecrets(w http.ResponseWriter, r *http.Request) error {
	list, err := a.svc.ListAppSecrets(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (a *api) createAppSecret(w http.ResponseWriter, r *http.Request) error {
	g := BodyGuard(w, r)
	name, _ := g.String("name", StrRule{Required: true, Min: 1, Max: 256})
	var expiresAt *int64
	if g.Has("expiresAt") && jsonType(g.Keys()["expiresAt"]) != "null" {
		if v, ok := g.Number("expiresAt", false); ok {
			if math.IsNaN(v) || v < math.MinInt64 || v >= math.MaxInt64 {
				g.Custom("expiresAt", "Number out of range")
			} else {
				n := int64(v)
				expiresAt = &n
			}
		}
	}
	if err := g.Err(); err != nil {
		return err
	}
	sec, err := a.svc.CreateAppSecret(r.Context(), r.PathValue("id"), name, expiresAt)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, sec)
}

func (a *api) renameAppSecret(w http.ResponseWriter, r *http.Request) error {
	g := BodyGuard(w, r)
	name, _ := g.String("name", StrRule{Required: true, Min: 1, Max: 256})
	if err := g.Err(); err != nil {
		return err
	}
	sec, err := a.svc.RenameAppSecret(r.Context(), r.PathValue("id"), r.PathValue("name"), name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sec)
}

func (a *api) deleteAppSecret(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.DeleteAppSecret(r.Context(), r.PathValue("id"), r.PathValue("name")); err != nil {
		return err
	}
	return noContent(w)
}

func (a *api) deleteLegacySecret(w http.ResponseWriter, r *http.Request) error {
	return a.svc.DeleteLegacySecret(r.Context(), r.PathValue("id"))
}
