package management_test

import (
	"context"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/management"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/token"
)

// userBody is the user response, decoded.
type userBody struct {
	ID           string         `json:"id"`
	Username     *string        `json:"username"`
	PrimaryEmail *string        `json:"primaryEmail"`
	PrimaryPhone *string        `json:"primaryPhone"`
	Name         *string        `json:"name"`
	Avatar       *string        `json:"avatar"`
	CustomData   map[string]any `json:"customData"`
	Profile      map[string]any `json:"profile"`
	CreatedAt    int64          `json:"createdAt"`
	UpdatedAt    int64          `json:"updatedAt"`
}

// wantAPIError fails unless r is the error status and code (and message,
// when given).
func wantAPIError(t *testing.T, what string, r *apptest.Response, status int, code, message string) {
	t.Helper()
	var body struct{ Code, Message string }
	json.Unmarshal(r.Body, &body)
	if r.Status != status || body.Code != code || (message != "" && body.Message != message) {
		t.Fatalf("%s: got %d %s, want %d %s %q", what, r.Status, r.Body, status, code, message)
	}
}

// createTestUser creates a user with the given body and returns it.
func createTestUser(t *testing.T, e *apptest.Env, body map[string]any) userBody {
	t.Helper()
	var u userBody
	e.Must(200, "POST", "/api/users", body, &u)
	return u
}

// insertUserTestRole stores a role directly (the role routes are another
// family's).
func insertUserTestRole(t *testing.T, e *apptest.Env, id string, typ rbac.RoleType, isDefault bool) {
	t.Helper()
	err := e.Server.Store().InsertRole(context.Background(), &rbac.Role{TenantID: rbac.DefaultTenant, ID: id,
		Name: "role " + id, Description: "about " + id, Type: typ, IsDefault: isDefault})
	if err != nil {
		t.Fatal(err)
	}
}

// managementRoleID is the id of the seeded machine-to-machine role.
func managementRoleID(t *testing.T, e *apptest.Env) string {
	t.Helper()
	r, err := e.Server.Store().GetRoleByName(context.Background(), rbac.DefaultTenant, management.ManagementRoleName)
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}

func TestCreateUser(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		r := e.Must(200, "POST", "/api/users", map[string]any{"username": "rec_user1", "name": "Rec User"}, nil)
		// The exact shape Logto answers with (observed-management-api.md).
		var raw map[string]json.RawMessage
		r.JSON(t, &raw)
		var keys []string
		for k := range raw {
			keys = append(keys, k)
		}
		wantKeys := []string{"id", "username", "primaryEmail", "primaryPhone", "name", "avatar", "customData", "identities",
			"lastSignInAt", "createdAt", "updatedAt", "profile", "applicationId", "cimdClientId", "isSuspended", "hasPassword"}
		if len(keys) != len(wantKeys) {
			t.Fatalf("keys %v, want %v", keys, wantKeys)
		}
		if !strings.HasPrefix(string(r.Body), `{"id":"`) || !strings.Contains(string(r.Body),
			`"username":"rec_user1","primaryEmail":null,"primaryPhone":null,"name":"Rec User","avatar":null,"customData":{},"identities":{},"lastSignInAt":null,"createdAt":`) ||
			!strings.HasSuffix(string(r.Body), `"profile":{},"applicationId":null,"cimdClientId":null,"isSuspended":false,"hasPassword":false}`) {
			t.Fatalf("body %s", r.Body)
		}
		var u userBody
		r.JSON(t, &u)
		if !regexp.MustCompile(`^[0-9a-z]{12}$`).MatchString(u.ID) || u.CreatedAt == 0 || u.UpdatedAt != u.CreatedAt {
			t.Fatalf("user %+v", u)
		}

		full := createTestUser(t, e, map[string]any{"username": "Full_1", "primaryEmail": "Full@Example.com", "primaryPhone": "8613",
			"name": "", "avatar": "https://example.com/a.png", "customData": map[string]any{"plan": "pro"},
			"profile": map[string]any{"nickname": "f", "unknown": 1, "address": map[string]any{"country": "NZ", "x": 1}},
			"id":      "ignored"})
		if full.ID == "ignored" || *full.PrimaryEmail != "Full@Example.com" || *full.Name != "" || full.CustomData["plan"] != "pro" ||
			!reflect.DeepEqual(full.Profile, map[string]any{"nickname": "f", "address": map[string]any{"country": "NZ"}}) {
			t.Fatalf("full %+v", full)
		}
		createTestUser(t, e, map[string]any{}) // everything is optional

		conflicts := []struct {
			body          map[string]any
			code, message string
		}{
			{map[string]any{"username": "rec_user1"}, "user.username_already_in_use", "This username is already in use."},
			{map[string]any{"primaryEmail": "full@example.COM"}, "user.email_already_in_use", "This email is associated with an existing account."},
			{map[string]any{"primaryPhone": "8613"}, "user.phone_already_in_use", "This phone number is associated with an existing account."},
			// The username is checked first.
			{map[string]any{"username": "rec_user1", "primaryEmail": "full@example.com"}, "user.username_already_in_use", ""},
		}
		for _, c := range conflicts {
			wantAPIError(t, c.code, e.API("POST", "/api/users", c.body), 422, c.code, c.message)
		}

		invalid := []map[string]any{
			{"username": "1abc"}, {"username": "a-b"}, {"username": ""}, {"username": nil}, {"username": 5},
			{"primaryEmail": "x@y"}, {"primaryEmail": "no-at.example.com"}, {"primaryEmail": "a b@c.d"},
			{"primaryPhone": "+64123"}, {"primaryPhone": "12 3"},
			{"name": strings.Repeat("n", 129)}, {"name": nil},
			{"avatar": "not a url"},
			{"customData": []int{1}}, {"customData": "x"}, {"profile": map[string]any{"nickname": 1}},
			{"password": "secret"}, {"passwordDigest": "x", "passwordAlgorithm": "Argon2i"},
		}
		for _, body := range invalid {
			wantAPIError(t, "invalid", e.API("POST", "/api/users", body), 400, "guard.invalid_input", "")
		}
		wantAPIError(t, "not an object", e.API("POST", "/api/users", "[1]"), 400, "guard.invalid_input", "")
	})
}

func TestUserReadUpdateDelete(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		u := createTestUser(t, e, map[string]any{"username": "alice", "primaryEmail": "alice@example.com", "customData": map[string]any{"a": 1}})
		other := createTestUser(t, e, map[string]any{"username": "bob", "primaryEmail": "bob@example.com", "primaryPhone": "555"})

		var got userBody
		e.Must(200, "GET", "/api/users/"+u.ID, nil, &got)
		if !reflect.DeepEqual(got, u) {
			t.Fatalf("get %+v, want %+v", got, u)
		}
		wantAPIError(t, "get missing", e.API("GET", "/api/users/nosuchuser00", nil), 404, "entity.not_exists_with_id",
			"The users with ID `nosuchuser00` does not exist.")

		var patched userBody
		e.Must(200, "PATCH", "/api/users/"+u.ID, map[string]any{"name": "Alice", "username": "", "primaryPhone": "777",
			"customData": map[string]any{"b": 2}, "profile": map[string]any{"locale": "en"}}, &patched)
		if patched.Username != nil || *patched.Name != "Alice" || *patched.PrimaryPhone != "777" || *patched.PrimaryEmail != "alice@example.com" ||
			!reflect.DeepEqual(patched.CustomData, map[string]any{"b": float64(2)}) || patched.Profile["locale"] != "en" ||
			patched.CreatedAt != u.CreatedAt || patched.UpdatedAt < u.UpdatedAt {
			t.Fatalf("patched %+v", patched)
		}
		e.Must(200, "PATCH", "/api/users/"+u.ID, map[string]any{"name": nil, "avatar": nil}, &patched)
		if patched.Name != nil || *patched.PrimaryPhone != "777" {
			t.Fatalf("patched to null %+v", patched)
		}
		// Its own identifiers do not collide with itself.
		e.Must(200, "PATCH", "/api/users/"+other.ID, map[string]any{"username": "bob", "primaryEmail": "BOB@example.com"}, nil)
		// The email is checked first on update.
		wantAPIError(t, "collision", e.API("PATCH", "/api/users/"+u.ID, map[string]any{"username": "bob", "primaryEmail": "bob@example.com"}),
			422, "user.email_already_in_use", "")
		wantAPIError(t, "phone collision", e.API("PATCH", "/api/users/"+u.ID, map[string]any{"primaryPhone": "555"}), 422, "user.phone_already_in_use", "")
		wantAPIError(t, "username collision", e.API("PATCH", "/api/users/"+u.ID, map[string]any{"username": "bob"}), 422, "user.username_already_in_use", "")
		wantAPIError(t, "bad email", e.API("PATCH", "/api/users/"+u.ID, map[string]any{"primaryEmail": "nope"}), 400, "guard.invalid_input", "")
		wantAPIError(t, "bad custom data", e.API("PATCH", "/api/users/"+u.ID, map[string]any{"customData": 1}), 400, "guard.invalid_input", "")
		wantAPIError(t, "patch missing", e.API("PATCH", "/api/users/nosuchuser00", map[string]any{"name": "x"}), 404, "entity.not_exists_with_id", "")

		// Custom data: read, shallow merge.
		var cd map[string]any
		e.Must(200, "GET", "/api/users/"+u.ID+"/custom-data", nil, &cd)
		if !reflect.DeepEqual(cd, map[string]any{"b": float64(2)}) {
			t.Fatalf("custom data %v", cd)
		}
		e.Must(200, "PATCH", "/api/users/"+u.ID+"/custom-data", map[string]any{"customData": map[string]any{"plan": "pro", "b": map[string]any{"x": 1}}}, &cd)
		if !reflect.DeepEqual(cd, map[string]any{"plan": "pro", "b": map[string]any{"x": float64(1)}}) {
			t.Fatalf("merged %v", cd)
		}
		e.Must(200, "GET", "/api/users/"+u.ID, nil, &got)
		if got.CustomData["plan"] != "pro" {
			t.Fatalf("after merge %+v", got)
		}
		wantAPIError(t, "merge without customData", e.API("PATCH", "/api/users/"+u.ID+"/custom-data", map[string]any{"plan": "pro"}), 400, "guard.invalid_input", "")
		wantAPIError(t, "merge non-object", e.API("PATCH", "/api/users/"+u.ID+"/custom-data", map[string]any{"customData": []int{}}), 400, "guard.invalid_input", "")
		wantAPIError(t, "merge missing", e.API("PATCH", "/api/users/nosuchuser00/custom-data", map[string]any{"customData": map[string]any{}}), 404, "entity.not_exists_with_id", "")
		wantAPIError(t, "custom data missing", e.API("GET", "/api/users/nosuchuser00/custom-data", nil), 404, "entity.not_exists_with_id", "")

		r := e.Must(204, "DELETE", "/api/users/"+u.ID, nil, nil)
		if len(r.Body) != 0 {
			t.Fatalf("delete body %q", r.Body)
		}
		wantAPIError(t, "delete again", e.API("DELETE", "/api/users/"+u.ID, nil), 404, "entity.not_exists_with_id", "")
		wantAPIError(t, "get deleted", e.API("GET", "/api/users/"+u.ID, nil), 404, "entity.not_exists_with_id", "")
		// Its phone number is free again.
		createTestUser(t, e, map[string]any{"primaryPhone": "777"})
	})
}

func TestListUsers(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		var ids []string
		for _, name := range []string{"anna", "bob", "bobby"} {
			ids = append(ids, createTestUser(t, e, map[string]any{"username": name}).ID)
		}
		list := func(query string) ([]string, *apptest.Response) {
			t.Helper()
			var us []userBody
			r := e.Must(200, "GET", "/api/users"+query, nil, &us)
			out := []string{}
			for _, u := range us {
				out = append(out, *u.Username)
			}
			return out, r
		}
		got, r := list("")
		// Always paginated, newest first (ties broken by id).
		if r.Header.Get("Total-Number") != "3" || len(got) != 3 {
			t.Fatalf("all %v, total %q", got, r.Header.Get("Total-Number"))
		}
		got, r = list("?page=1&page_size=2")
		if r.Header.Get("Total-Number") != "3" || len(got) != 2 || !strings.Contains(strings.Join(r.Header.Values("Link"), ","), `rel="next"`) {
			t.Fatalf("page %v %v", got, r.Header)
		}
		got2, _ := list("?page=2&page_size=2")
		if len(got2) != 1 || got2[0] == got[0] || got2[0] == got[1] {
			t.Fatalf("page 2 %v after %v", got2, got)
		}
		if got, r = list("?search=%25BOB%25"); len(got) != 2 || r.Header.Get("Total-Number") != "2" {
			t.Fatalf("search %v", got)
		}
		if got, _ = list("?search.username=bob&mode.username=exact"); !reflect.DeepEqual(got, []string{"bob"}) {
			t.Fatalf("exact %v", got)
		}
		if got, _ = list("?search=" + ids[0]); !reflect.DeepEqual(got, []string{"anna"}) {
			t.Fatalf("by id %v", got)
		}
		insertUserTestRole(t, e, "r1", rbac.RoleUser, false)
		e.Must(201, "POST", "/api/roles/r1/users", map[string]any{"userIds": []string{ids[1]}}, nil)
		if got, _ = list("?excludeRoleId=r1&search=%25bob%25"); !reflect.DeepEqual(got, []string{"bobby"}) {
			t.Fatalf("excluding %v", got)
		}
		wantAPIError(t, "bad page size", e.API("GET", "/api/users?page_size=101", nil), 400, "guard.invalid_pagination", "")
		wantAPIError(t, "bad search field", e.API("GET", "/api/users?search.avatar=x", nil), 400, "request.invalid_input", "")
	})
}

func TestUserRoles(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		insertUserTestRole(t, e, "dflt", rbac.RoleUser, true)
		insertUserTestRole(t, e, "ur1", rbac.RoleUser, false)
		insertUserTestRole(t, e, "ur2", rbac.RoleUser, false)
		m2m := managementRoleID(t, e)
		u := createTestUser(t, e, map[string]any{"username": "alice"})
		base := "/api/users/" + u.ID + "/roles"
		roleIDs := func(query string) ([]string, string) {
			t.Helper()
			var roles []rbac.Role
			r := e.Must(200, "GET", base+query, nil, &roles)
			out := []string{}
			for _, role := range roles {
				out = append(out, role.ID)
			}
			return out, r.Header.Get("Total-Number")
		}
		// New users get the default User roles.
		if got, total := roleIDs(""); !reflect.DeepEqual(got, []string{"dflt"}) || total != "1" {
			t.Fatalf("defaults %v %s", got, total)
		}

		wantAPIError(t, "m2m role", e.API("POST", base, map[string]any{"roleIds": []string{m2m}}), 422, "user.invalid_role_type",
			"Invalid role type, can not assign machine-to-machine role to user.")
		wantAPIError(t, "unknown role", e.API("POST", base, map[string]any{"roleIds": []string{"ur1", "ghost"}}), 404, "entity.not_exists_with_id",
			"The roles with ID `ghost` does not exist.")
		wantAPIError(t, "unknown user", e.API("POST", "/api/users/nosuchuser00/roles", map[string]any{"roleIds": []string{"ur1"}}), 404, "entity.not_exists_with_id", "")
		wantAPIError(t, "empty id", e.API("POST", base, map[string]any{"roleIds": []string{""}}), 400, "guard.invalid_input", "")
		wantAPIError(t, "no roleIds", e.API("POST", base, map[string]any{}), 400, "guard.invalid_input", "")
		// Logto answers 201 {roleIds: as sent, addedRoleIds: newly added}:
		// duplicates and roles held are skipped.
		posts := []struct {
			roleIds []string
			want    string
		}{
			{[]string{"ur1", "ur1", "dflt"}, `{"roleIds":["ur1","ur1","dflt"],"addedRoleIds":["ur1"]}`},
			{[]string{"ur1"}, `{"roleIds":["ur1"],"addedRoleIds":[]}`},
			{[]string{}, `{"roleIds":[],"addedRoleIds":[]}`},
		}
		for _, p := range posts {
			r := e.Must(201, "POST", base, map[string]any{"roleIds": p.roleIds}, nil)
			if got := strings.TrimSpace(string(r.Body)); got != p.want || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("POST %v: body %s (%s), want %s", p.roleIds, got, r.Header.Get("Content-Type"), p.want)
			}
		}
		if got, total := roleIDs(""); !reflect.DeepEqual(got, []string{"dflt", "ur1"}) || total != "2" {
			t.Fatalf("after post %v %s", got, total)
		}
		if got, total := roleIDs("?page=2&page_size=1"); !reflect.DeepEqual(got, []string{"ur1"}) || total != "2" {
			t.Fatalf("page %v %s", got, total)
		}
		if got, _ := roleIDs("?search=%25ur1%25"); !reflect.DeepEqual(got, []string{"ur1"}) {
			t.Fatalf("search %v", got)
		}
		wantAPIError(t, "list unknown user", e.API("GET", "/api/users/nosuchuser00/roles", nil), 404, "entity.not_exists_with_id", "")

		r := e.Must(200, "PUT", base, map[string]any{"roleIds": []string{"ur2"}}, nil)
		if got := strings.TrimSpace(string(r.Body)); got != `{"roleIds":["ur2"]}` {
			t.Fatalf("put body %s", got)
		}
		if got, _ := roleIDs(""); !reflect.DeepEqual(got, []string{"ur2"}) {
			t.Fatalf("after put %v", got)
		}
		wantAPIError(t, "put m2m", e.API("PUT", base, map[string]any{"roleIds": []string{"ur1", m2m}}), 422, "entity.db_constraint_violated", "")
		wantAPIError(t, "put unknown", e.API("PUT", base, map[string]any{"roleIds": []string{"ghost"}}), 404, "entity.not_exists_with_id", "")
		wantAPIError(t, "put unknown user", e.API("PUT", "/api/users/nosuchuser00/roles", map[string]any{"roleIds": []string{}}), 404, "entity.not_exists_with_id", "")
		wantAPIError(t, "put bad body", e.API("PUT", base, map[string]any{"roleIds": "ur1"}), 400, "guard.invalid_input", "")
		// A failed PUT changes nothing.
		if got, _ := roleIDs(""); !reflect.DeepEqual(got, []string{"ur2"}) {
			t.Fatalf("after failed put %v", got)
		}

		e.Must(204, "DELETE", base+"/ur2", nil, nil)
		wantAPIError(t, "delete again", e.API("DELETE", base+"/ur2", nil), 404, "entity.not_found", "The resource does not exist.")
		r = e.Must(200, "PUT", base, map[string]any{"roleIds": []string{}}, nil)
		if got := strings.TrimSpace(string(r.Body)); got != `{"roleIds":[]}` {
			t.Fatalf("put [] body %s", got)
		}
		if got, total := roleIDs(""); len(got) != 0 || total != "0" {
			t.Fatalf("after clearing %v %s", got, total)
		}
	})
}

func TestRoleUsers(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		insertUserTestRole(t, e, "ur1", rbac.RoleUser, false)
		m2m := managementRoleID(t, e)
		a := createTestUser(t, e, map[string]any{"username": "anna"})
		b := createTestUser(t, e, map[string]any{"username": "bert"})
		a2 := createTestUser(t, e, map[string]any{"username": "carl"})
		var us []userBody
		r := e.Must(200, "GET", "/api/roles/ur1/users", nil, &us)
		if len(us) != 0 || string(r.Body) != "[]" || r.Header.Get("Total-Number") != "0" {
			t.Fatalf("empty %s", r.Body)
		}
		wantAPIError(t, "unknown role", e.API("GET", "/api/roles/ghost/users", nil), 404, "entity.not_exists_with_id", "The roles with ID `ghost` does not exist.")

		r = e.Must(201, "POST", "/api/roles/ur1/users", map[string]any{"userIds": []string{a.ID}}, nil)
		if string(r.Body) != "Created" {
			t.Fatalf("post body %q", r.Body)
		}
		wantAPIError(t, "already", e.API("POST", "/api/roles/ur1/users", map[string]any{"userIds": []string{b.ID, a.ID}}), 422, "role.user_exists",
			"The user id "+a.ID+" is already been added to this role")
		wantAPIError(t, "unknown user", e.API("POST", "/api/roles/ur1/users", map[string]any{"userIds": []string{b.ID, "nosuchuser00"}}), 404, "entity.not_exists_with_id",
			"The users with ID `nosuchuser00` does not exist.")
		wantAPIError(t, "post unknown role", e.API("POST", "/api/roles/ghost/users", map[string]any{"userIds": []string{b.ID}}), 404, "entity.not_exists_with_id", "")
		wantAPIError(t, "m2m role", e.API("POST", "/api/roles/"+m2m+"/users", map[string]any{"userIds": []string{b.ID}}), 422, "entity.db_constraint_violated", "")
		wantAPIError(t, "empty", e.API("POST", "/api/roles/ur1/users", map[string]any{"userIds": []string{}}), 400, "guard.invalid_input", "")
		wantAPIError(t, "empty id", e.API("POST", "/api/roles/ur1/users", map[string]any{"userIds": []string{""}}), 400, "guard.invalid_input", "")
		// A user id given twice: Logto's insert meets its unique index on
		// (user, role) and refuses the whole call; the checks before the
		// insert come first.
		repeats := []struct {
			name, role string
			userIDs    []string
			status     int
			code       string
		}{
			{"repeated", "ur1", []string{b.ID, b.ID}, 422, "entity.unique_integrity_violation"},
			{"repeated after another", "ur1", []string{b.ID, a2.ID, b.ID}, 422, "entity.unique_integrity_violation"},
			{"repeated holder", "ur1", []string{a.ID, a.ID}, 422, "role.user_exists"},
			{"repeated unknown", "ur1", []string{b.ID, "nosuchuser00", "nosuchuser00"}, 404, "entity.not_exists_with_id"},
			{"repeated, m2m role", m2m, []string{b.ID, b.ID}, 422, "entity.db_constraint_violated"},
		}
		for _, c := range repeats {
			wantAPIError(t, c.name, e.API("POST", "/api/roles/"+c.role+"/users", map[string]any{"userIds": c.userIDs}), c.status, c.code, "")
		}
		// A refused call gives the role to no one.
		e.Must(200, "GET", "/api/roles/ur1/users", nil, &us)
		if len(us) != 1 || us[0].ID != a.ID {
			t.Fatalf("after refused calls %+v", us)
		}

		e.Must(201, "POST", "/api/roles/ur1/users", map[string]any{"userIds": []string{b.ID}}, nil)
		// Newest first; users made in the same millisecond by id, descending.
		newest := b
		if a.CreatedAt > b.CreatedAt || (a.CreatedAt == b.CreatedAt && a.ID > b.ID) {
			newest = a
		}
		r = e.Must(200, "GET", "/api/roles/ur1/users?page=1&page_size=1", nil, &us)
		if len(us) != 1 || us[0].ID != newest.ID || r.Header.Get("Total-Number") != "2" {
			t.Fatalf("page %+v %v", us, r.Header)
		}
		e.Must(200, "GET", "/api/roles/ur1/users?search=anna", nil, &us)
		if len(us) != 1 || us[0].ID != a.ID {
			t.Fatalf("search %+v", us)
		}

		e.Must(204, "DELETE", "/api/roles/ur1/users/"+a.ID, nil, nil)
		wantAPIError(t, "delete again", e.API("DELETE", "/api/roles/ur1/users/"+a.ID, nil), 404, "entity.not_found", "")
		wantAPIError(t, "delete unknown role", e.API("DELETE", "/api/roles/ghost/users/"+a.ID, nil), 404, "entity.not_found", "")
		// Deleting a user removes its links.
		e.Must(204, "DELETE", "/api/users/"+b.ID, nil, nil)
		r = e.Must(200, "GET", "/api/roles/ur1/users", nil, &us)
		if len(us) != 0 {
			t.Fatalf("after deleting the user %s", r.Body)
		}
	})
}

func TestUserRoutesAuth(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		tokens := []struct {
			name, token string
			status      int
			code        string
		}{
			{"no token", "", 401, "auth.authorization_header_missing"},
			{"wrong audience", mint(t, e, func(c *token.Claims) { c.Audience = "https://shopping.api" }), 401, "auth.unauthorized"},
			{"no scope", e.Token(apptest.Indicator, ""), 403, "auth.forbidden"},
		}
		routes := []struct{ method, path string }{
			{"GET", "/api/users"}, {"POST", "/api/users"},
			{"GET", "/api/users/u"}, {"PATCH", "/api/users/u"}, {"DELETE", "/api/users/u"},
			{"GET", "/api/users/u/custom-data"}, {"PATCH", "/api/users/u/custom-data"},
			{"GET", "/api/users/u/roles"}, {"POST", "/api/users/u/roles"}, {"PUT", "/api/users/u/roles"},
			{"DELETE", "/api/users/u/roles/r"},
			{"GET", "/api/roles/r/users"}, {"POST", "/api/roles/r/users"}, {"DELETE", "/api/roles/r/users/u"},
		}
		for _, tk := range tokens {
			for _, rt := range routes {
				r := e.Do(rt.method, rt.path, map[string]any{}, tk.token)
				if r.Status != tk.status || r.Code() != tk.code {
					t.Errorf("%s %s with %s: %d %s", rt.method, rt.path, tk.name, r.Status, r.Body)
				}
			}
		}
	})
}
