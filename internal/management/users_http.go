package management

import (
	"encoding/json"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// userSearchFields are the fields GET /api/users searches (Logto's
// userSearchKeys); userRoleSearchFields those of a user's roles.
var (
	userSearchFields     = []string{"id", "primaryEmail", "primaryPhone", "username", "name"}
	userRoleSearchFields = []string{"id", "name", "description"}
)

// userRoutes registers the user routes (spec §4, Logto's admin-user
// routes), and /api/roles/{id}/users (Logto's role.user.ts).
func (a *api) userRoutes() {
	a.handle("GET /api/users", a.listUsers)
	a.handle("POST /api/users", a.createUser)
	a.handle("GET /api/users/{userId}", a.getUser)
	a.handle("PATCH /api/users/{userId}", a.updateUser)
	a.handle("DELETE /api/users/{userId}", a.deleteUser)
	a.handle("GET /api/users/{userId}/custom-data", a.getUserCustomData)
	a.handle("PATCH /api/users/{userId}/custom-data", a.patchUserCustomData)
	a.handle("GET /api/users/{userId}/roles", a.listUserRoles)
	a.handle("POST /api/users/{userId}/roles", a.addUserRoles)
	a.handle("PUT /api/users/{userId}/roles", a.replaceUserRoles)
	a.handle("DELETE /api/users/{userId}/roles/{roleId}", a.removeUserRole)
	a.handle("GET /api/roles/{id}/users", a.listRoleUsers)
	a.handle("POST /api/roles/{id}/users", a.addRoleUsers)
	a.handle("DELETE /api/roles/{id}/users/{userId}", a.removeRoleUser)
}

// userJSON is Logto's user profile response (userProfileResponseGuard):
// the fields that need sign-in (identities, passwords, applicationId,
// cimdClientId) have their empty values.
type userJSON struct {
	ID            string          `json:"id"`
	Username      *string         `json:"username"`
	PrimaryEmail  *string         `json:"primaryEmail"`
	PrimaryPhone  *string         `json:"primaryPhone"`
	Name          *string         `json:"name"`
	Avatar        *string         `json:"avatar"`
	CustomData    json.RawMessage `json:"customData"`
	Identities    json.RawMessage `json:"identities"`
	LastSignInAt  *int64          `json:"lastSignInAt"`
	CreatedAt     int64           `json:"createdAt"`
	UpdatedAt     int64           `json:"updatedAt"`
	Profile       json.RawMessage `json:"profile"`
	ApplicationID *string         `json:"applicationId"`
	CimdClientID  *string         `json:"cimdClientId"`
	IsSuspended   bool            `json:"isSuspended"`
	HasPassword   bool            `json:"hasPassword"`
}

func toUserJSON(u *store.User) userJSON {
	return userJSON{
		ID: u.ID, Username: u.Username, PrimaryEmail: u.PrimaryEmail, PrimaryPhone: u.PrimaryPhone,
		Name: u.Name, Avatar: u.Avatar, CustomData: u.CustomData, Identities: json.RawMessage(`{}`),
		LastSignInAt: u.LastSignInAt, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, Profile: u.Profile,
		IsSuspended: u.IsSuspended,
	}
}

func usersJSON(us []store.User) []userJSON {
	out := make([]userJSON, len(us))
	for i := range us {
		out[i] = toUserJSON(&us[i])
	}
	return out
}

// readUserInput reads the user fields of a POST (create) or PATCH body.
// POST takes strings (avatar may be null); PATCH takes strings or null,
// and "" for each.
func readUserInput(g *Guard, create bool) UserInput {
	var in UserInput
	text := func(name string, max int, nullable bool) UserField {
		if nullable {
			v, set := g.NullableString(name, max)
			return UserField{Set: set, Value: v}
		}
		v, ok := g.String(name, StrRule{Max: max})
		return UserField{Set: ok, Value: &v}
	}
	in.Username = text("username", userFieldMax, !create)
	in.PrimaryEmail = text("primaryEmail", userFieldMax, !create)
	in.PrimaryPhone = text("primaryPhone", userFieldMax, !create)
	in.Name = text("name", userFieldMax, !create)
	in.Avatar = text("avatar", userAvatarMax, true)
	if v, ok := g.Object("customData", false); ok {
		in.CustomData = v
	}
	if v, ok := g.Object("profile", false); ok {
		in.Profile = readUserProfile(g, v)
	}
	if create {
		for _, k := range []string{"password", "passwordDigest", "passwordAlgorithm"} {
			if g.Has(k) {
				g.Custom(k, "Passwords are not supported: Gatehouse users do not sign in")
			}
		}
	}
	checkUserInput(g, in, create)
	return in
}

// userProfileKeys are the string fields of Logto's userProfileGuard;
// userAddressKeys those of its address. Other keys are stripped, as zod
// strips them.
var (
	userProfileKeys = []string{"familyName", "givenName", "middleName", "nickname", "preferredUsername",
		"profile", "website", "gender", "birthdate", "zoneinfo", "locale"}
	userAddressKeys = []string{"formatted", "streetAddress", "locality", "region", "postalCode", "country"}
)

// readUserProfile keeps the known profile fields of raw (an object),
// recording a type problem for each that is not a string.
func readUserProfile(g *Guard, raw json.RawMessage) json.RawMessage {
	var fields map[string]json.RawMessage
	json.Unmarshal(raw, &fields)
	keep := func(src map[string]json.RawMessage, keys []string, path ...any) map[string]json.RawMessage {
		out := map[string]json.RawMessage{}
		for _, k := range keys {
			v, ok := src[k]
			if !ok {
				continue
			}
			if jsonType(v) != "string" {
				g.add(issue{Code: "invalid_type", Expected: "string", Received: jsonType(v),
					Path: append(append([]any{}, path...), k), Message: "Expected string, received " + jsonType(v)})
				continue
			}
			out[k] = v
		}
		return out
	}
	out := keep(fields, userProfileKeys, "profile")
	if addr, ok := fields["address"]; ok {
		var a map[string]json.RawMessage
		if jsonType(addr) != "object" || json.Unmarshal(addr, &a) != nil {
			g.add(issue{Code: "invalid_type", Expected: "object", Received: jsonType(addr),
				Path: []any{"profile", "address"}, Message: "Expected object, received " + jsonType(addr)})
		} else {
			b, _ := json.Marshal(keep(a, userAddressKeys, "profile", "address"))
			out["address"] = b
		}
	}
	b, _ := json.Marshal(out)
	return b
}

// userFilter reads the pagination and search of a user list.
func userFilter(r *http.Request) (store.UserFilter, Pager, error) {
	p, err := parsePager(r, true)
	if err != nil {
		return store.UserFilter{}, p, err
	}
	search, err := parseSearch(r.URL.Query(), userSearchFields)
	if err != nil {
		return store.UserFilter{}, p, err
	}
	return store.UserFilter{Search: search, Limit: p.Limit(), Offset: p.Offset()}, p, nil
}

func (a *api) listUsers(w http.ResponseWriter, r *http.Request) error {
	f, p, err := userFilter(r)
	if err != nil {
		return err
	}
	f.ExcludeRoleID = r.URL.Query().Get("excludeRoleId")
	if f.ExcludeRoleID == "" {
		// As Logto: excludeRoleId wins when both are given.
		f.ExcludeOrganizationID = r.URL.Query().Get("excludeOrganizationId")
	}
	us, total, err := a.svc.ListUsers(r.Context(), f)
	if err != nil {
		return err
	}
	a.writePaging(w, r, p, total)
	return writeJSON(w, http.StatusOK, usersJSON(us))
}

func (a *api) createUser(w http.ResponseWriter, r *http.Request) error {
	g := BodyGuard(w, r)
	in := readUserInput(g, true)
	if err := g.Err(); err != nil {
		return err
	}
	u, err := a.svc.CreateUser(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toUserJSON(u))
}

func (a *api) getUser(w http.ResponseWriter, r *http.Request) error {
	u, err := a.svc.GetUser(r.Context(), r.PathValue("userId"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toUserJSON(u))
}

func (a *api) updateUser(w http.ResponseWriter, r *http.Request) error {
	g := BodyGuard(w, r)
	in := readUserInput(g, false)
	if err := g.Err(); err != nil {
		return err
	}
	u, err := a.svc.UpdateUser(r.Context(), r.PathValue("userId"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toUserJSON(u))
}

func (a *api) deleteUser(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.DeleteUser(r.Context(), r.PathValue("userId")); err != nil {
		return err
	}
	return noContent(w)
}

func (a *api) getUserCustomData(w http.ResponseWriter, r *http.Request) error {
	u, err := a.svc.GetUser(r.Context(), r.PathValue("userId"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, u.CustomData)
}

func (a *api) patchUserCustomData(w http.ResponseWriter, r *http.Request) error {
	g := BodyGuard(w, r)
	patch, _ := g.Object("customData", true)
	if err := g.Err(); err != nil {
		return err
	}
	merged, err := a.svc.MergeUserCustomData(r.Context(), r.PathValue("userId"), patch)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, merged)
}

func (a *api) listUserRoles(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePager(r, true)
	if err != nil {
		return err
	}
	search, err := parseSearch(r.URL.Query(), userRoleSearchFields)
	if err != nil {
		return err
	}
	roles, total, err := a.svc.ListUserRoles(r.Context(), r.PathValue("userId"), search, p.Limit(), p.Offset())
	if err != nil {
		return err
	}
	if roles == nil {
		roles = []rbac.Role{}
	}
	a.writePaging(w, r, p, total)
	return writeJSON(w, http.StatusOK, roles)
}

// readUserIDList reads the required array of non-empty ids name; nonEmpty: the
// array needs an element.
func readUserIDList(w http.ResponseWriter, r *http.Request, name string, nonEmpty bool) ([]string, error) {
	g := BodyGuard(w, r)
	minLen := 0
	if nonEmpty {
		minLen = 1
	}
	ids, _ := g.Strings(name, true, minLen, 1)
	return ids, g.Err()
}

func (a *api) addUserRoles(w http.ResponseWriter, r *http.Request) error {
	ids, err := readUserIDList(w, r, "roleIds", false)
	if err != nil {
		return err
	}
	added, err := a.svc.AddUserRoles(r.Context(), r.PathValue("userId"), ids)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, struct {
		RoleIDs      []string `json:"roleIds"`
		AddedRoleIDs []string `json:"addedRoleIds"`
	}{ids, added})
}

func (a *api) replaceUserRoles(w http.ResponseWriter, r *http.Request) error {
	ids, err := readUserIDList(w, r, "roleIds", false)
	if err != nil {
		return err
	}
	if err := a.svc.ReplaceUserRoles(r.Context(), r.PathValue("userId"), ids); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, struct {
		RoleIDs []string `json:"roleIds"`
	}{ids})
}

func (a *api) removeUserRole(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.RemoveUserRole(r.Context(), r.PathValue("userId"), r.PathValue("roleId")); err != nil {
		return err
	}
	return noContent(w)
}

func (a *api) listRoleUsers(w http.ResponseWriter, r *http.Request) error {
	f, p, err := userFilter(r)
	if err != nil {
		return err
	}
	us, total, err := a.svc.ListRoleUsers(r.Context(), r.PathValue("id"), f)
	if err != nil {
		return err
	}
	a.writePaging(w, r, p, total)
	return writeJSON(w, http.StatusOK, usersJSON(us))
}

func (a *api) addRoleUsers(w http.ResponseWriter, r *http.Request) error {
	ids, err := readUserIDList(w, r, "userIds", true)
	if err != nil {
		return err
	}
	if err := a.svc.AddRoleUsers(r.Context(), r.PathValue("id"), ids); err != nil {
		return err
	}
	return writeText(w, http.StatusCreated)
}

func (a *api) removeRoleUser(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.RemoveRoleUser(r.Context(), r.PathValue("id"), r.PathValue("userId")); err != nil {
		return err
	}
	return noContent(w)
}
