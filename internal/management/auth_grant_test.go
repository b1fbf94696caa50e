package management_test

import (
	"net/http"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/management"
)

// TestManagementTokenNeedsGrant: a Management API token is honoured only
// while its application exists and holds a role granting `all` on the
// Management API: removing the role or deleting the app ends it at once.
func TestManagementTokenNeedsGrant(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		app, secret := newApp(t, e, "automation")
		var roles []struct{ ID, Name string }
		e.Must(200, "GET", "/api/roles?search.name="+"Logto%20Management%20API%20access&mode.name=exact", nil, &roles)
		if len(roles) != 1 || roles[0].Name != management.ManagementRoleName {
			t.Fatalf("roles: %+v", roles)
		}
		e.Must(201, "POST", "/api/applications/"+app.ID+"/roles", map[string]any{"roleIds": []string{roles[0].ID}}, nil)
		tok, status := e.TokenAs(app.ID, secret, apptest.Indicator, "all")
		if status != 200 {
			t.Fatalf("token: %d", status)
		}
		use := func() int { return e.Do("GET", "/api/applications?page_size=1", nil, tok).Status }
		if s := use(); s != http.StatusOK {
			t.Fatalf("with the role: %d", s)
		}
		e.Must(204, "DELETE", "/api/applications/"+app.ID+"/roles/"+roles[0].ID, nil, nil)
		if s := use(); s != http.StatusForbidden {
			t.Fatalf("after the role was removed: %d", s)
		}
		e.Must(201, "POST", "/api/applications/"+app.ID+"/roles", map[string]any{"roleIds": []string{roles[0].ID}}, nil)
		if s := use(); s != http.StatusOK {
			t.Fatalf("with the role again: %d", s)
		}
		e.Must(204, "DELETE", "/api/applications/"+app.ID, nil, nil)
		if s := use(); s != http.StatusForbidden {
			t.Fatalf("after the app was deleted: %d", s)
		}
	})
}
