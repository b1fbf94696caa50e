package app

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// adminEntry is the payload of an admin audit entry.
type adminEntry struct {
	Key, Result, IP, UserAgent, ApplicationID, Method, Route string
	Actor                                                    struct{ Type, ID string }
	IDs                                                      map[string][]string
	Status                                                   int
	Error                                                    struct{ Code string }
}

// adminLogs reads /api/logs with query and decodes the admin entries.
func (f *fixture) adminLogs(tok, query string) []adminEntry {
	f.t.Helper()
	code, body := f.api(tok, "GET", "/api/logs?"+query, "")
	if code != 200 {
		f.t.Fatalf("logs: %d %s", code, body)
	}
	var list []struct {
		Key     string
		Payload adminEntry
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		f.t.Fatal(err)
	}
	out := make([]adminEntry, len(list))
	for i, l := range list {
		out[i] = l.Payload
	}
	return out
}

// Every Management API write is an admin audit entry (actor, method and
// route pattern, ids, result, client address), readable through /api/logs
// with a key prefix of its own and filterable; no secret value, password
// or key material reaches one.
func TestManagementWritesAudited(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		tok := f.mgmtToken()
		send := func(method, path, body string) string {
			t.Helper()
			_, b := f.api(tok, method, path, body)
			return b
		}
		appID := f.createApp(tok, "Audited app")
		var sec struct{ Value string }
		json.Unmarshal([]byte(send("POST", "/api/applications/"+appID+"/secrets", `{"name":"extra"}`)), &sec)
		if sec.Value == "" {
			t.Fatal("no secret value")
		}
		send("POST", "/api/applications/"+appID+"/roles", `{"roleIds":["no-such-role"]}`)
		// Refused (Gatehouse keeps no user passwords), with a password in it.
		send("POST", "/api/users", `{"username":"audited_user","password":"Planted-Password-123"}`)
		send("PUT", "/api/configs/jwt-customizer/client-credentials",
			`{"script":"const getCustomJwtClaims = async () => ({})","environmentVariables":{"API_KEY":"planted-env-value"}}`)
		send("POST", "/api/configs/oidc/private-keys/rotate", `{}`)
		keys := send("GET", "/api/configs/oidc/private-keys", "")
		send("DELETE", "/api/applications/"+appID+"/secrets/extra", "")

		all := f.adminLogs(tok, "logKeyPrefix=Admin.&page_size=100")
		if len(all) != 7 {
			t.Fatalf("%d admin entries, want 7: %+v", len(all), all)
		}
		_, raw := f.api(tok, "GET", "/api/logs?logKeyPrefix=Admin.&page_size=100", "")
		for _, s := range []string{sec.Value, "Planted-Password-123", "planted-env-value", bootSecret, tok, "getCustomJwtClaims"} {
			if strings.Contains(raw, s) {
				t.Fatalf("%q in the admin audit trail: %s", s, raw)
			}
		}
		if strings.Contains(keys, `"value"`) || strings.Contains(raw, `"d":`) {
			t.Fatalf("key material: %s", raw)
		}
		// Newest first: the creation is last.
		created, secretAdded, refused := all[6], all[5], all[4]
		if created.Key != "Admin.ManagementApi" || created.Result != "Success" || created.Method != "POST" ||
			created.Route != "/api/applications" || created.Actor.Type != "application" || created.Actor.ID != bootID ||
			created.ApplicationID != bootID || created.IP != "127.0.0.1" || created.Status != 200 ||
			strings.Join(created.IDs["created"], ",") != appID {
			t.Errorf("creation: %+v", created)
		}
		if secretAdded.Route != "/api/applications/{id}/secrets" || strings.Join(secretAdded.IDs["id"], ",") != appID {
			t.Errorf("secret: %+v", secretAdded)
		}
		if refused.Result != "Error" || refused.Status != http.StatusNotFound && refused.Status != http.StatusUnprocessableEntity && refused.Status != http.StatusBadRequest ||
			refused.Error.Code == "" || strings.Join(refused.IDs["roleIds"], ",") != "no-such-role" || strings.Join(refused.IDs["id"], ",") != appID {
			t.Errorf("refused write: %+v", refused)
		}
		if del := all[0]; del.Method != "DELETE" || del.Route != "/api/applications/{id}/secrets/{name}" || strings.Join(del.IDs["name"], ",") != "extra" {
			t.Errorf("delete: %+v", del)
		}

		// Filters: the exact key, the result, the actor (applicationId);
		// token requests are not admin entries.
		if got := f.adminLogs(tok, "logKey=Admin.ManagementApi&result=Error"); len(got) != 2 || got[0].Route != "/api/users" || got[1].Route != refused.Route {
			t.Errorf("result filter: %+v", got)
		}
		if got := f.adminLogs(tok, "logKeyPrefix=Admin.&applicationId="+appID); len(got) != 0 {
			t.Errorf("actor filter: %+v", got)
		}
		if got := f.adminLogs(tok, "logKeyPrefix=ExchangeTokenBy.&page_size=100"); len(got) == 0 || got[0].Key != "ExchangeTokenBy.ClientCredentials" {
			t.Errorf("token entries: %+v", got)
		}
		if code, _ := f.api(tok, "GET", "/api/logs?result=Maybe", ""); code != 400 {
			t.Errorf("result=Maybe: %d, want 400", code)
		}
		if err := f.srv.FlushAudit(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}
