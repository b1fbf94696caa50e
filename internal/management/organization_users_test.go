package management_test

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apptest"
	"github.com/gatehouse/gatehouse/internal/token"
)

// memberBody is a member user as GET /api/organizations/{id}/users lists it.
type memberBody struct {
	userBody
	OrganizationRoles []map[string]any `json:"organizationRoles"`
}

// orgUsersFixture is two organizations, four users, User and
// machine-to-machine organization roles and two organization scopes.
type orgUsersFixture struct {
	org, other         orgBody
	ua, ub, uc, ud     userBody
	member, admin, bot string // organization role ids
	read, write        string // organization scope ids
}

func newOrgUsersFixture(t *testing.T, e *apptest.Env) *orgUsersFixture {
	t.Helper()
	f := &orgUsersFixture{}
	e.Must(201, "POST", "/api/organizations", map[string]any{"name": "Acme"}, &f.org)
	e.Must(201, "POST", "/api/organizations", map[string]any{"name": "Other"}, &f.other)
	f.ua = createTestUser(t, e, map[string]any{"username": "alice", "name": "Alice", "avatar": "https://a.example/a.png"})
	f.ub = createTestUser(t, e, map[string]any{"username": "bob", "primaryEmail": "bob@example.com"})
	f.uc = createTestUser(t, e, map[string]any{"username": "carol"})
	f.ud = createTestUser(t, e, map[string]any{"username": "dave"})
	id := func(path string, body map[string]any) string {
		var out map[string]any
		e.Must(201, "POST", path, body, &out)
		return out["id"].(string)
	}
	f.read = id("/api/organization-scopes", map[string]any{"name": "read"})
	f.write = id("/api/organization-scopes", map[string]any{"name": "write"})
	f.member = id("/api/organization-roles", map[string]any{"name": "member", "organizationScopeIds": []string{f.read}})
	f.admin = id("/api/organization-roles", map[string]any{"name": "admin", "organizationScopeIds": []string{f.read, f.write}})
	f.bot = id("/api/organization-roles", map[string]any{"name": "bot", "type": "MachineToMachine", "organizationScopeIds": []string{f.write}})
	return f
}

func TestOrganizationUserMembership(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		f := newOrgUsersFixture(t, e)
		base := "/api/organizations/" + f.org.ID + "/users"

		// POST: 201 with the ids as sent; members already in stay.
		var added struct {
			UserIDs []string `json:"userIds"`
		}
		e.Must(201, "POST", base, map[string]any{"userIds": []string{f.ua.ID, f.ub.ID, f.ua.ID}}, &added)
		if !reflect.DeepEqual(added.UserIDs, []string{f.ua.ID, f.ub.ID, f.ua.ID}) {
			t.Fatalf("added %v", added)
		}
		e.Must(201, "POST", base, map[string]any{"userIds": []string{f.uc.ID, f.ua.ID}}, nil)

		refused := []struct {
			name, method, path string
			body               any
			status             int
			code               string
		}{
			{"unknown user", "POST", base, map[string]any{"userIds": []string{f.ud.ID, "nope"}}, 422, "entity.relation_foreign_key_not_found"},
			{"unknown org", "POST", "/api/organizations/nope/users", map[string]any{"userIds": []string{f.ua.ID}}, 422, "entity.relation_foreign_key_not_found"},
			{"empty list", "POST", base, map[string]any{"userIds": []string{}}, 400, "guard.invalid_input"},
			{"empty id", "POST", base, map[string]any{"userIds": []string{""}}, 400, "guard.invalid_input"},
			{"no userIds", "POST", base, map[string]any{}, 400, "guard.invalid_input"},
			{"not an array", "POST", base, map[string]any{"userIds": f.ua.ID}, 400, "guard.invalid_input"},
			{"PUT unknown user", "PUT", base, map[string]any{"userIds": []string{"nope"}}, 422, "entity.relation_foreign_key_not_found"},
			{"PUT unknown org", "PUT", "/api/organizations/nope/users", map[string]any{"userIds": []string{}}, 422, "entity.relation_foreign_key_not_found"},
			{"PUT no userIds", "PUT", base, map[string]any{}, 400, "guard.invalid_input"},
			{"list unknown org", "GET", "/api/organizations/nope/users", nil, 404, "entity.not_exists_with_id"},
			{"list bad page", "GET", base + "?page=0", nil, 400, "guard.invalid_pagination"},
			{"list empty role filter", "GET", base + "?organizationRoleId=", nil, 400, "guard.invalid_input"},
			{"delete non-member", "DELETE", base + "/" + f.ud.ID, nil, 404, "entity.not_found"},
			{"delete unknown org", "DELETE", "/api/organizations/nope/users/" + f.ua.ID, nil, 404, "entity.not_found"},
			{"user orgs unknown user", "GET", "/api/users/nope/organizations", nil, 404, "entity.not_exists_with_id"},
		}
		for _, c := range refused {
			wantCode(t, c.name, e.API(c.method, c.path, c.body), c.status, c.code)
		}
		// A refused POST adds nobody (one transaction).
		var members []memberBody
		r := e.Must(200, "GET", base, nil, &members)
		if len(members) != 3 || r.Header.Get("Total-Number") != "3" {
			t.Fatalf("members %s", r.Body)
		}

		// The list: by user id, users' fields with organizationRoles, no hasPassword.
		keys := jsonItemKeys(t, r)
		want := []string{"applicationId", "avatar", "cimdClientId", "createdAt", "customData", "id", "identities", "isSuspended",
			"lastSignInAt", "name", "organizationRoles", "primaryEmail", "primaryPhone", "profile", "updatedAt", "username"}
		if !reflect.DeepEqual(keys, want) {
			t.Fatalf("member keys %v", keys)
		}
		for i := 1; i < len(members); i++ {
			if members[i-1].ID > members[i].ID {
				t.Fatalf("not by id: %s", r.Body)
			}
		}
		r = e.Must(200, "GET", base+"?page_size=2&page=2", nil, &members)
		if len(members) != 1 || r.Header.Get("Total-Number") != "3" || !strings.Contains(r.Header.Get("Link"), `rel="first"`) {
			t.Fatalf("page 2 %s %v", r.Body, r.Header)
		}
		for _, q := range []struct {
			query string
			want  string
		}{{"?q=BOB@", f.ub.ID}, {"?q=aLiC", f.ua.ID}, {"?q=" + f.uc.ID, f.uc.ID}} {
			e.Must(200, "GET", base+q.query, nil, &members)
			if len(members) != 1 || members[0].ID != q.want {
				t.Fatalf("%s: %+v", q.query, members)
			}
		}

		// excludeOrganizationId on GET /api/users; excludeRoleId wins.
		var us []userBody
		r = e.Must(200, "GET", "/api/users?excludeOrganizationId="+f.org.ID, nil, &us)
		if len(us) != 1 || us[0].ID != f.ud.ID || r.Header.Get("Total-Number") != "1" {
			t.Fatalf("excluding the organization %s", r.Body)
		}
		e.Must(200, "GET", "/api/users?excludeOrganizationId="+f.org.ID+"&excludeRoleId=nope", nil, &us)
		if len(us) != 4 {
			t.Fatalf("excludeRoleId should win: %d users", len(us))
		}

		// showFeatured: the count and the first three members by id.
		var orgs []struct {
			ID            string           `json:"id"`
			UsersCount    *int             `json:"usersCount"`
			FeaturedUsers []map[string]any `json:"featuredUsers"`
		}
		e.Must(201, "POST", base, map[string]any{"userIds": []string{f.ud.ID}}, nil)
		r = e.Must(200, "GET", "/api/organizations?showFeatured=true", nil, &orgs)
		byID := map[string]int{}
		for i, o := range orgs {
			byID[o.ID] = i
		}
		acme, other := orgs[byID[f.org.ID]], orgs[byID[f.other.ID]]
		if *acme.UsersCount != 4 || len(acme.FeaturedUsers) != 3 || *other.UsersCount != 0 || other.FeaturedUsers == nil ||
			!strings.Contains(string(r.Body), `"featuredUsers":[]`) {
			t.Fatalf("featured %s", r.Body)
		}
		first := acme.FeaturedUsers[0]
		if len(first) != 3 || first["id"] == nil {
			t.Fatalf("featured user %v", first)
		}
		r = e.Must(200, "GET", "/api/organizations", nil, nil)
		if strings.Contains(string(r.Body), "usersCount") || strings.Contains(string(r.Body), "featuredUsers") {
			t.Fatalf("featured without showFeatured %s", r.Body)
		}

		// A user's organizations, with its roles there.
		e.Must(201, "POST", "/api/organizations/"+f.other.ID+"/users", map[string]any{"userIds": []string{f.ua.ID}}, nil)
		e.Must(201, "POST", base+"/"+f.ua.ID+"/roles", map[string]any{"organizationRoleIds": []string{f.member}}, nil)
		var uorgs []orgBody
		r = e.Must(200, "GET", "/api/users/"+f.ua.ID+"/organizations", nil, &uorgs)
		got := map[string][]string{}
		for _, o := range uorgs {
			got[o.ID] = refIDs(o.OrganizationRoles)
		}
		if len(uorgs) != 2 || !reflect.DeepEqual(got[f.org.ID], []string{f.member}) || len(got[f.other.ID]) != 0 ||
			r.Header.Get("Total-Number") != "" {
			t.Fatalf("user organizations %s", r.Body)
		}
		e.Must(200, "GET", "/api/users/"+f.ud.ID+"/organizations", nil, &uorgs)
		if len(uorgs) != 1 {
			t.Fatalf("ud organizations %+v", uorgs)
		}

		// PUT: the others leave with their roles there; those that stay keep theirs.
		e.Must(201, "POST", base+"/"+f.ub.ID+"/roles", map[string]any{"organizationRoleIds": []string{f.admin}}, nil)
		e.Must(204, "PUT", base, map[string]any{"userIds": []string{f.ua.ID, f.uc.ID, f.uc.ID}}, nil)
		r = e.Must(200, "GET", base, nil, &members)
		if len(members) != 2 || r.Header.Get("Total-Number") != "2" {
			t.Fatalf("after PUT %s", r.Body)
		}
		for _, m := range members {
			if m.ID == f.ua.ID && !reflect.DeepEqual(refIDs(m.OrganizationRoles), []string{f.member}) {
				t.Fatalf("ua lost its roles: %+v", m)
			}
		}
		e.Must(201, "POST", base, map[string]any{"userIds": []string{f.ub.ID}}, nil)
		var roles []map[string]any
		e.Must(200, "GET", base+"/"+f.ub.ID+"/roles", nil, &roles)
		if len(roles) != 0 {
			t.Fatalf("ub's roles survived leaving: %v", roles)
		}

		// DELETE; deleting a user drops its memberships.
		e.Must(204, "DELETE", base+"/"+f.ub.ID, nil, nil)
		wantCode(t, "delete again", e.API("DELETE", base+"/"+f.ub.ID, nil), 404, "entity.not_found")
		e.Must(204, "DELETE", "/api/users/"+f.uc.ID, nil, nil)
		e.Must(200, "GET", base, nil, &members)
		if len(members) != 1 || members[0].ID != f.ua.ID {
			t.Fatalf("after deletes %+v", members)
		}
		e.Must(204, "PUT", base, map[string]any{"userIds": []string{}}, nil)
		e.Must(200, "GET", base, nil, &members)
		if len(members) != 0 {
			t.Fatalf("after PUT [] %+v", members)
		}
	})
}

func TestOrganizationUserRoles(t *testing.T) {
	apptest.Run(t, func(t *testing.T, e *apptest.Env) {
		f := newOrgUsersFixture(t, e)
		base := "/api/organizations/" + f.org.ID + "/users"
		e.Must(201, "POST", base, map[string]any{"userIds": []string{f.ua.ID, f.ub.ID}}, nil)
		rolesOf := base + "/" + f.ua.ID + "/roles"

		// POST by id and name: 201 with the ids given, repeats and names resolved.
		var added struct {
			OrganizationRoleIDs []string `json:"organizationRoleIds"`
		}
		e.Must(201, "POST", rolesOf, map[string]any{"organizationRoleIds": []string{f.member, f.member}, "organizationRoleNames": []string{"admin", "member"}}, &added)
		if !reflect.DeepEqual(added.OrganizationRoleIDs, []string{f.member, f.admin}) {
			t.Fatalf("added %v", added)
		}
		e.Must(201, "POST", rolesOf, map[string]any{}, &added)
		if added.OrganizationRoleIDs == nil || len(added.OrganizationRoleIDs) != 0 {
			t.Fatalf("empty POST %v", added)
		}

		refused := []struct {
			name, method, path string
			body               any
			status             int
			code               string
		}{
			{"M2M role", "POST", rolesOf, map[string]any{"organizationRoleIds": []string{f.bot}}, 422, "entity.db_constraint_violated"},
			{"M2M role by name", "POST", rolesOf, map[string]any{"organizationRoleNames": []string{"bot"}}, 422, "entity.db_constraint_violated"},
			{"unknown role", "POST", rolesOf, map[string]any{"organizationRoleIds": []string{"nope"}}, 422, "entity.relation_foreign_key_not_found"},
			{"unknown name", "POST", rolesOf, map[string]any{"organizationRoleNames": []string{"ghost", "member", "spirit"}}, 422, "organization.role_names_not_found"},
			{"PUT unknown name", "PUT", rolesOf, map[string]any{"organizationRoleNames": []string{"ghost"}}, 422, "organization.role_names_not_found"},
			{"PUT M2M role", "PUT", rolesOf, map[string]any{"organizationRoleIds": []string{f.bot}}, 422, "entity.db_constraint_violated"},
			{"empty id", "POST", rolesOf, map[string]any{"organizationRoleIds": []string{""}}, 400, "guard.invalid_input"},
			{"ids not an array", "PUT", rolesOf, map[string]any{"organizationRoleIds": "x"}, 400, "guard.invalid_input"},
			{"bad page", "GET", rolesOf + "?page_size=101", nil, 400, "guard.invalid_pagination"},
			{"role not held", "DELETE", rolesOf + "/" + f.bot, nil, 404, "entity.not_found"},
			{"bulk non-member", "POST", base + "/roles", map[string]any{"userIds": []string{f.uc.ID}, "organizationRoleIds": []string{f.member}}, 422, "entity.relation_foreign_key_not_found"},
			{"bulk unknown user", "POST", base + "/roles", map[string]any{"userIds": []string{"nope"}, "organizationRoleIds": []string{f.member}}, 422, "entity.relation_foreign_key_not_found"},
			{"bulk M2M role", "POST", base + "/roles", map[string]any{"userIds": []string{f.ub.ID}, "organizationRoleIds": []string{f.bot}}, 422, "entity.db_constraint_violated"},
			{"bulk unknown role", "POST", base + "/roles", map[string]any{"userIds": []string{f.ub.ID}, "organizationRoleIds": []string{"nope"}}, 422, "entity.relation_foreign_key_not_found"},
			{"bulk no roles", "POST", base + "/roles", map[string]any{"userIds": []string{f.ub.ID}}, 400, "guard.invalid_input"},
			{"bulk empty users", "POST", base + "/roles", map[string]any{"userIds": []string{}, "organizationRoleIds": []string{f.member}}, 400, "guard.invalid_input"},
		}
		for _, m := range []string{"GET", "POST", "PUT"} {
			refused = append(refused,
				struct {
					name, method, path string
					body               any
					status             int
					code               string
				}{m + " non-member", m, base + "/" + f.uc.ID + "/roles", map[string]any{"organizationRoleIds": []string{f.member}}, 422, "organization.require_membership"},
				struct {
					name, method, path string
					body               any
					status             int
					code               string
				}{m + " unknown org", m, "/api/organizations/nope/users/" + f.ua.ID + "/roles", map[string]any{"organizationRoleIds": []string{f.member}}, 422, "organization.require_membership"})
		}
		for _, c := range refused {
			wantCode(t, c.name, e.API(c.method, c.path, c.body), c.status, c.code)
		}
		wantCode(t, "DELETE non-member", e.API("DELETE", base+"/"+f.uc.ID+"/roles/"+f.member, nil), 422, "organization.require_membership")
		r := e.API("POST", rolesOf, map[string]any{"organizationRoleNames": []string{"ghost", "member", "spirit"}})
		if !strings.Contains(string(r.Body), "ghost and spirit") {
			t.Fatalf("names message %s", r.Body)
		}

		// GET: by name; pagination optional.
		var roles []map[string]any
		r = e.Must(200, "GET", rolesOf, nil, &roles)
		if len(roles) != 2 || roles[0]["name"] != "admin" || roles[1]["type"] != "User" || r.Header.Get("Total-Number") != "" {
			t.Fatalf("roles %s %v", r.Body, r.Header)
		}
		if got := jsonItemKeys(t, r); !reflect.DeepEqual(got, []string{"description", "id", "name", "tenantId", "type"}) {
			t.Fatalf("role keys %v", got)
		}
		r = e.Must(200, "GET", rolesOf+"?page=2&page_size=1", nil, &roles)
		if len(roles) != 1 || roles[0]["name"] != "member" || r.Header.Get("Total-Number") != "2" {
			t.Fatalf("roles page 2 %s %v", r.Body, r.Header)
		}

		// Scopes: each once, by name; nothing for a non-member.
		var scopes []map[string]any
		r = e.Must(200, "GET", base+"/"+f.ua.ID+"/scopes", nil, &scopes)
		if len(scopes) != 2 || scopes[0]["name"] != "read" || scopes[1]["name"] != "write" {
			t.Fatalf("scopes %s", r.Body)
		}
		if got := jsonItemKeys(t, r); !reflect.DeepEqual(got, []string{"description", "id", "name", "tenantId"}) {
			t.Fatalf("scope keys %v", got)
		}
		for _, path := range []string{base + "/" + f.uc.ID + "/scopes", "/api/organizations/nope/users/" + f.ua.ID + "/scopes"} {
			r = e.Must(200, "GET", path, nil, &scopes)
			if string(r.Body) != "[]" {
				t.Fatalf("%s: %s", path, r.Body)
			}
		}

		// organizationRoleId filters the members.
		var members []memberBody
		e.Must(200, "GET", base+"?organizationRoleId="+f.admin, nil, &members)
		if len(members) != 1 || members[0].ID != f.ua.ID || !reflect.DeepEqual(refIDs(members[0].OrganizationRoles), []string{f.admin, f.member}) {
			t.Fatalf("filtered %+v", members)
		}

		// Bulk: every role to every user, roles held stay; 201 Created.
		r = e.Must(201, "POST", base+"/roles", map[string]any{"userIds": []string{f.ua.ID, f.ub.ID}, "organizationRoleIds": []string{f.member, f.admin}}, nil)
		if string(r.Body) != "Created" {
			t.Fatalf("bulk body %q", r.Body)
		}
		e.Must(200, "GET", base+"/"+f.ub.ID+"/roles", nil, &roles)
		if len(roles) != 2 {
			t.Fatalf("ub roles %v", roles)
		}

		// PUT by name and id, then DELETE.
		e.Must(204, "PUT", rolesOf, map[string]any{"organizationRoleNames": []string{"member"}}, nil)
		e.Must(200, "GET", rolesOf, nil, &roles)
		if !reflect.DeepEqual(refIDs(roles), []string{f.member}) {
			t.Fatalf("after PUT %v", roles)
		}
		e.Must(204, "DELETE", rolesOf+"/"+f.member, nil, nil)
		wantCode(t, "delete again", e.API("DELETE", rolesOf+"/"+f.member, nil), 404, "entity.not_found")
		e.Must(204, "PUT", rolesOf, map[string]any{"organizationRoleIds": []string{f.admin}}, nil)
		e.Must(204, "PUT", rolesOf, map[string]any{}, nil)
		e.Must(200, "GET", rolesOf, nil, &roles)
		if len(roles) != 0 {
			t.Fatalf("after PUT {} %v", roles)
		}

		// Writes are audited: route, path ids and the ids of the body.
		var logs []struct {
			Payload struct {
				Method string              `json:"method"`
				Route  string              `json:"route"`
				IDs    map[string][]string `json:"ids"`
			} `json:"payload"`
		}
		e.Must(200, "GET", "/api/logs?logKey=Admin.ManagementApi&page_size=1", nil, &logs)
		if p := logs[0].Payload; p.Method != "PUT" || p.Route != "/api/organizations/{id}/users/{userId}/roles" ||
			!reflect.DeepEqual(p.IDs["id"], []string{f.org.ID}) || !reflect.DeepEqual(p.IDs["userId"], []string{f.ua.ID}) {
			t.Fatalf("audit entry %+v", logs[0].Payload)
		}

		// Deleting an organization role takes it from its holders.
		e.Must(204, "DELETE", "/api/organization-roles/"+f.admin, nil, nil)
		e.Must(200, "GET", base+"/"+f.ub.ID+"/roles", nil, &roles)
		if !reflect.DeepEqual(refIDs(roles), []string{f.member}) {
			t.Fatalf("after deleting admin %v", roles)
		}
	})
}

// TestOrganizationUserRoutesAuth: every route refuses a missing token, a
// token for another audience and a token without the management scope.
func TestOrganizationUserRoutesAuth(t *testing.T) {
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
			{"GET", "/api/organizations/o/users"}, {"POST", "/api/organizations/o/users"}, {"PUT", "/api/organizations/o/users"},
			{"DELETE", "/api/organizations/o/users/u"}, {"POST", "/api/organizations/o/users/roles"},
			{"GET", "/api/organizations/o/users/u/roles"}, {"POST", "/api/organizations/o/users/u/roles"},
			{"PUT", "/api/organizations/o/users/u/roles"}, {"DELETE", "/api/organizations/o/users/u/roles/r"},
			{"GET", "/api/organizations/o/users/u/scopes"}, {"GET", "/api/users/u/organizations"},
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

// jsonItemKeys returns the sorted keys of the first object of a JSON array
// response.
func jsonItemKeys(t *testing.T, r *apptest.Response) []string {
	t.Helper()
	var list []map[string]any
	r.JSON(t, &list)
	if len(list) == 0 {
		t.Fatalf("empty list: %s", r.Body)
	}
	keys := []string{}
	for k := range list[0] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
