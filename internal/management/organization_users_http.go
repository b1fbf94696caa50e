package management

import (
	"encoding/json"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/store"
)

// organizationUserRoutes registers the routes of users in organizations
// (issue 13, Logto's organization/user routes and GET
// /api/users/{userId}/organizations).
func (a *api) organizationUserRoutes() {
	a.handle("GET /api/organizations/{id}/users", a.listOrganizationUsers)
	a.handle("POST /api/organizations/{id}/users", a.addOrganizationUsers)
	a.handle("PUT /api/organizations/{id}/users", a.replaceOrganizationUsers)
	a.handle("DELETE /api/organizations/{id}/users/{userId}", a.removeOrganizationUser)
	a.handle("POST /api/organizations/{id}/users/roles", a.addOrganizationUsersRoles)
	a.handle("GET /api/organizations/{id}/users/{userId}/roles", a.listOrganizationUserRoles)
	a.handle("POST /api/organizations/{id}/users/{userId}/roles", a.addOrganizationUserRoles)
	a.handle("PUT /api/organizations/{id}/users/{userId}/roles", a.replaceOrganizationUserRoles)
	a.handle("DELETE /api/organizations/{id}/users/{userId}/roles/{organizationRoleId}", a.removeOrganizationUserRole)
	a.handle("GET /api/organizations/{id}/users/{userId}/scopes", a.listOrganizationUserScopes)
	a.handle("GET /api/users/{userId}/organizations", a.listUserOrganizations)
}

// memberJSON is Logto's userWithOrganizationRolesGuard: the user's public
// fields (userInfoSelectFields, without hasPassword) and its organization
// roles.
type memberJSON struct {
	ID                string                      `json:"id"`
	Username          *string                     `json:"username"`
	PrimaryEmail      *string                     `json:"primaryEmail"`
	PrimaryPhone      *string                     `json:"primaryPhone"`
	Name              *string                     `json:"name"`
	Avatar            *string                     `json:"avatar"`
	CustomData        json.RawMessage             `json:"customData"`
	Identities        json.RawMessage             `json:"identities"`
	LastSignInAt      *int64                      `json:"lastSignInAt"`
	CreatedAt         int64                       `json:"createdAt"`
	UpdatedAt         int64                       `json:"updatedAt"`
	Profile           json.RawMessage             `json:"profile"`
	ApplicationID     *string                     `json:"applicationId"`
	CimdClientID      *string                     `json:"cimdClientId"`
	IsSuspended       bool                        `json:"isSuspended"`
	OrganizationRoles []store.OrganizationRoleRef `json:"organizationRoles"`
}

func toMemberJSON(m *UserWithOrganizationRoles) memberJSON {
	u := toUserJSON(&m.User)
	return memberJSON{
		ID: u.ID, Username: u.Username, PrimaryEmail: u.PrimaryEmail, PrimaryPhone: u.PrimaryPhone,
		Name: u.Name, Avatar: u.Avatar, CustomData: u.CustomData, Identities: u.Identities,
		LastSignInAt: u.LastSignInAt, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, Profile: u.Profile,
		ApplicationID: u.ApplicationID, CimdClientID: u.CimdClientID, IsSuspended: u.IsSuspended,
		OrganizationRoles: m.OrganizationRoles,
	}
}

func (a *api) listOrganizationUsers(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePager(r, true)
	if err != nil {
		return err
	}
	g := QueryGuard(r)
	roleID, _ := g.String("organizationRoleId", StrRule{Min: 1})
	if err := g.Err(); err != nil {
		return err
	}
	list, total, err := a.svc.ListOrganizationUsers(r.Context(), r.PathValue("id"), roleID, keywordSearch(r, userSearchFields...), p)
	if err != nil {
		return err
	}
	out := make([]memberJSON, len(list))
	for i := range list {
		out[i] = toMemberJSON(&list[i])
	}
	a.writePaging(w, r, p, total)
	return writeJSON(w, http.StatusOK, out)
}

func (a *api) addOrganizationUsers(w http.ResponseWriter, r *http.Request) error {
	ids, err := idsBody(w, r, "userIds")
	if err != nil {
		return err
	}
	if err := a.svc.AddOrganizationUsers(r.Context(), r.PathValue("id"), ids); err != nil {
		return err
	}
	// As Logto: the ids as sent, repeats and members already in included.
	return writeJSON(w, http.StatusCreated, struct {
		UserIDs []string `json:"userIds"`
	}{ids})
}

func (a *api) replaceOrganizationUsers(w http.ResponseWriter, r *http.Request) error {
	ids, err := idsOrEmptyBody(w, r, "userIds")
	if err != nil {
		return err
	}
	if err := a.svc.ReplaceOrganizationUsers(r.Context(), r.PathValue("id"), ids); err != nil {
		return err
	}
	return noContent(w)
}

func (a *api) removeOrganizationUser(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.RemoveOrganizationUser(r.Context(), r.PathValue("id"), r.PathValue("userId")); err != nil {
		return err
	}
	return noContent(w)
}

func (a *api) addOrganizationUsersRoles(w http.ResponseWriter, r *http.Request) error {
	g := BodyGuard(w, r)
	users, _ := g.Strings("userIds", true, 1, 1)
	roles, _ := g.Strings("organizationRoleIds", true, 1, 1)
	if err := g.Err(); err != nil {
		return err
	}
	if err := a.svc.AddOrganizationUsersRoles(r.Context(), r.PathValue("id"), users, roles); err != nil {
		return err
	}
	return writeText(w, http.StatusCreated)
}

func (a *api) listOrganizationUserRoles(w http.ResponseWriter, r *http.Request) error {
	// Pagination optional, as in Logto: without page or page_size every
	// role, without paging headers.
	p, err := parsePager(r, false)
	if err != nil {
		return err
	}
	list, total, err := a.svc.ListOrganizationUserRoles(r.Context(), r.PathValue("id"), r.PathValue("userId"), p)
	if err != nil {
		return err
	}
	a.writePaging(w, r, p, total)
	return writeJSON(w, http.StatusOK, list)
}

// roleIDsAndNames reads the optional organizationRoleIds and
// organizationRoleNames of a user's organization roles body.
func roleIDsAndNames(w http.ResponseWriter, r *http.Request) (ids, names []string, err error) {
	g := BodyGuard(w, r)
	ids, _ = g.Strings("organizationRoleIds", false, 0, 1)
	names, _ = g.Strings("organizationRoleNames", false, 0, 1)
	return ids, names, g.Err()
}

func (a *api) addOrganizationUserRoles(w http.ResponseWriter, r *http.Request) error {
	ids, names, err := roleIDsAndNames(w, r)
	if err != nil {
		return err
	}
	added, err := a.svc.AddOrganizationUserRoles(r.Context(), r.PathValue("id"), r.PathValue("userId"), ids, names)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, struct {
		OrganizationRoleIDs []string `json:"organizationRoleIds"`
	}{added})
}

func (a *api) replaceOrganizationUserRoles(w http.ResponseWriter, r *http.Request) error {
	ids, names, err := roleIDsAndNames(w, r)
	if err != nil {
		return err
	}
	if err := a.svc.ReplaceOrganizationUserRoles(r.Context(), r.PathValue("id"), r.PathValue("userId"), ids, names); err != nil {
		return err
	}
	return noContent(w)
}

func (a *api) removeOrganizationUserRole(w http.ResponseWriter, r *http.Request) error {
	err := a.svc.RemoveOrganizationUserRole(r.Context(), r.PathValue("id"), r.PathValue("userId"), r.PathValue("organizationRoleId"))
	if err != nil {
		return err
	}
	return noContent(w)
}

func (a *api) listOrganizationUserScopes(w http.ResponseWriter, r *http.Request) error {
	list, err := a.svc.ListOrganizationUserScopes(r.Context(), r.PathValue("id"), r.PathValue("userId"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (a *api) listUserOrganizations(w http.ResponseWriter, r *http.Request) error {
	list, err := a.svc.ListUserOrganizations(r.Context(), r.PathValue("userId"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}
