package management

import (
	"fmt"
	"math"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/rbac"
)

// keyRoutes registers the signing key routes (spec §3.4). Logto's paths
// take a {keyType} of private-keys or cookie-keys; Gatehouse has no cookie
// keys (it keeps no browser sessions), so only the private-keys paths are
// routes and /api/configs/oidc/cookie-keys answers 404 like any path that
// is not one.
func (a *api) keyRoutes() {
	a.handle("GET /api/configs/oidc/private-keys", a.listKeys)
	a.handle("POST /api/configs/oidc/private-keys/rotate", a.rotateKeys)
	a.handle("DELETE /api/configs/oidc/private-keys/{keyId}", a.deleteKey)
}

// keyView is a signing key as the Management API shows it: never its
// private part.
type keyView struct {
	ID                  string         `json:"id"`
	CreatedAt           int64          `json:"createdAt"` // epoch seconds, as Logto
	SigningKeyAlgorithm string         `json:"signingKeyAlgorithm"`
	Status              rbac.KeyStatus `json:"status"`
	EffectiveAt         *int64         `json:"effectiveAt,omitempty"` // epoch ms; Next only
}

func keyViews(list []rbac.SigningKey) []keyView {
	out := make([]keyView, 0, len(list))
	for _, k := range list {
		v := keyView{ID: k.ID, CreatedAt: k.CreatedAt / 1000, SigningKeyAlgorithm: KeyKind(k.Alg), Status: k.Status}
		if k.Status == rbac.KeyNext {
			v.EffectiveAt = k.EffectiveAt
		}
		out = append(out, v)
	}
	return out
}

func (a *api) listKeys(w http.ResponseWriter, r *http.Request) error {
	list, err := a.svc.SigningKeys(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, keyViews(list))
}

// rotateKeys takes {signingKeyAlgorithm?: "EC"|"RSA", rotationGracePeriod?:
// integer seconds ≥ 0}.
func (a *api) rotateKeys(w http.ResponseWriter, r *http.Request) error {
	g := BodyGuard(w, r)
	kind, ok := g.String("signingKeyAlgorithm", StrRule{})
	if ok && kind != KeyKindEC && kind != KeyKindRSA {
		g.add(issue{Code: "invalid_enum_value", Path: []any{"signingKeyAlgorithm"},
			Message: fmt.Sprintf("Invalid enum value. Expected 'EC' | 'RSA', received '%s'", kind)})
	}
	var grace int64
	if v, ok := g.Number("rotationGracePeriod", false); ok {
		switch {
		case v != math.Trunc(v):
			g.add(issue{Code: "invalid_type", Expected: "integer", Received: "float", Path: []any{"rotationGracePeriod"}, Message: "Expected integer, received float"})
		case v < 0:
			m := 0
			g.add(issue{Code: "too_small", Minimum: &m, Path: []any{"rotationGracePeriod"}, Message: "Number must be greater than or equal to 0"})
		case v > MaxRotationGracePeriod:
			m := MaxRotationGracePeriod
			g.add(issue{Code: "too_big", Maximum: &m, Path: []any{"rotationGracePeriod"}, Message: fmt.Sprintf("Number must be less than or equal to %d", m)})
		default:
			grace = int64(v)
		}
	}
	if err := g.Err(); err != nil {
		return err
	}
	list, err := a.svc.RotateSigningKeys(r.Context(), kind, grace)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, keyViews(list))
}

func (a *api) deleteKey(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.DeleteSigningKey(r.Context(), r.PathValue("keyId")); err != nil {
		return err
	}
	return noContent(w)
}
