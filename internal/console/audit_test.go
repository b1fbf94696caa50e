package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/storetest"
)

// Every form post of a signed-in administrator is an admin audit entry:
// the administrator, the route pattern, the ids it touched, the result and
// the client address; no form value but ids (not the password field a
// client added, not the app secret the console shows) reaches it. The
// audit page lists it under "Admin changes".
func TestConsoleWritesAudited(t *testing.T) {
	for _, eng := range storetest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			e := start(t, eng.DSN(t), nil)
			e.signIn()
			const planted = "planted-password-value-123"
			r := e.post("/console/applications/new", url.Values{"name": {"Audited app"}, "description": {"x"}, "password": {planted}})
			step := e.redirected("create app", r, "/console/applications/")
			appID := find(t, "app id", `/console/applications/([^/"]+)/assign-roles`, step.body)
			page := e.get("/console/applications/" + appID + "?reveal=1")
			secret := find(t, "app secret", `id="app-secret" class="mono" type="text" readonly value="([^"]+)"`, page.body)
			must(t, "assign an unknown role", e.post("/console/applications/"+appID+"/assign-roles", url.Values{"roleId": {"no-such-role"}}),
				http.StatusUnprocessableEntity)

			ctx := context.Background()
			if err := e.srv.FlushAudit(ctx); err != nil {
				t.Fatal(err)
			}
			logs, _, err := e.srv.Store().ListLogs(ctx, rbac.LogFilter{KeyPrefix: rbac.LogKeyPrefixAdmin})
			if err != nil {
				t.Fatal(err)
			}
			if len(logs) != 2 {
				t.Fatalf("%d admin entries, want 2: %v", len(logs), logs)
			}
			for _, l := range logs {
				for _, s := range []string{planted, secret, adminPassword, e.csrf} {
					if strings.Contains(string(l.Payload), s) {
						t.Fatalf("%q in an audit entry: %s", s, l.Payload)
					}
				}
			}
			var failed, created struct {
				Key, Result, IP, Method, Route string
				Actor                          rbac.AdminActor
				IDs                            map[string][]string
				Status                         int
			}
			json.Unmarshal(logs[0].Payload, &failed)
			json.Unmarshal(logs[1].Payload, &created)
			if created.Key != rbac.LogKeyAdminConsole || created.Result != "Success" || created.Method != "POST" ||
				created.Route != "/console/applications/new" || created.Status != http.StatusSeeOther ||
				created.Actor.Type != "administrator" || created.Actor.Username != adminName || created.Actor.ID == "" ||
				created.IP != "127.0.0.1" || len(created.IDs["created"]) != 1 || created.IDs["created"][0] != appID {
				t.Errorf("creation entry: %s", logs[1].Payload)
			}
			if failed.Result != "Error" || failed.Route != "/console/applications/{id}/assign-roles" ||
				failed.Status != http.StatusUnprocessableEntity || strings.Join(failed.IDs["id"], ",") != appID ||
				strings.Join(failed.IDs["roleId"], ",") != "no-such-role" {
				t.Errorf("failed entry: %s", logs[0].Payload)
			}
			must(t, "audit page", e.get("/console/audit-logs?kind=admin"), 200,
				"POST /console/applications/new", "POST /console/applications/{id}/assign-roles", "created="+appID, adminName)
			if p := e.get("/console/audit-logs?kind=tokens"); strings.Contains(p.body, "/console/applications/new") {
				t.Errorf("token requests page lists admin entries")
			}
		})
	}
}
