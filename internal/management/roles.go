package management

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/change"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Roles (spec §4.8) and their scopes (§4.9) and applications (§4.10).

// RoleWithUsage is a role as GET /api/roles lists it: with how many users
// and applications hold it and the first three of each.
type RoleWithUsage struct {
	rbac.Role
	UsersCount           int64                 `json:"usersCount"`
	FeaturedUsers        []FeaturedUser        `json:"featuredUsers"`
	ApplicationsCount    int64                 `json:"applicationsCount"`
	FeaturedApplications []FeaturedApplication `json:"featuredApplications"`
}

// FeaturedUser is a user named in a role list item.
type FeaturedUser struct {
	ID     string  `json:"id"`
	Avatar *string `json:"avatar"`
	Name   *string `json:"name"`
}

// FeaturedApplication is an application named in a role list item.
type FeaturedApplication struct {
	ID   string       `json:"id"`
	Name string       `json:"name"`
	Type rbac.AppType `json:"type"`
}

// ScopeWithResource is a scope with its resource embedded, as GET
// /api/roles/{id}/scopes lists it.
type ScopeWithResource struct {
	rbac.Scope
	Resource rbac.Resource `json:"resource"`
}

func roleNameInUse(name string) *Error {
	return errorf(http.StatusUnprocessableEntity, "role.name_in_use", "This role name %s is already in use", name)
}

func internalRoleViolation() *Error {
	return errorf(http.StatusForbidden, "role.internal_role_violation",
		"You may be trying to update or delete an internal role which is forbidden by Logto. If you are creating a new role, try another name that does not start with \"#internal:\".")
}

// ListRoles returns a page of the roles f selects (internal roles never),
// each with its usage, and how many roles f selects. f's Limit and Offset
// are set from p.
func (s *Service) ListRoles(ctx context.Context, f store.RoleFilter, p Pager) ([]RoleWithUsage, int64, error) {
	f.Limit, f.Offset = p.Limit(), p.Offset()
	roles, total, err := s.cfg.Store.ListRolesPage(ctx, s.cfg.Tenant, f)
	if err != nil {
		return nil, 0, listFailed("list roles", err)
	}
	ids := make([]string, len(roles))
	for i, r := range roles {
		ids[i] = r.ID
	}
	usage, err := s.cfg.Store.RoleUsages(ctx, s.cfg.Tenant, ids)
	if err != nil {
		return nil, 0, fmt.Errorf("management: list roles: %w", err)
	}
	out := make([]RoleWithUsage, len(roles))
	for i, r := range roles {
		u := usage[r.ID]
		out[i] = RoleWithUsage{Role: r, UsersCount: u.UsersCount, ApplicationsCount: u.ApplicationsCount,
			FeaturedUsers: make([]FeaturedUser, len(u.FeaturedUsers)), FeaturedApplications: make([]FeaturedApplication, len(u.FeaturedApplications))}
		for j, fu := range u.FeaturedUsers {
			out[i].FeaturedUsers[j] = FeaturedUser{ID: fu.ID, Avatar: fu.Avatar, Name: fu.Name}
		}
		for j, fa := range u.FeaturedApplications {
			out[i].FeaturedApplications[j] = FeaturedApplication{ID: fa.ID, Name: fa.Name, Type: fa.Type}
		}
	}
	return out, total, nil
}

// RoleInput is what POST /api/roles takes. An empty Type is User.
type RoleInput struct {
	Name, Description string
	Type              rbac.RoleType
	IsDefault         bool
	ScopeIDs          []string
}

// CreateRole creates a role holding the scopes ScopeIDs, in one
// transaction: unlike Logto, a bad scope id leaves nothing behind (see
// spec/README.md). A taken name is 422 role.name_in_use, an unknown scope
// 404, a Management API scope on a User role 400. No application holds a
// new role, so no grant changes.
func (s *Service) CreateRole(ctx context.Context, in RoleInput) (*rbac.Role, error) {
	if strings.HasPrefix(in.Name, rbac.InternalRolePrefix) {
		return nil, internalRoleViolation()
	}
	if in.Type == "" {
		in.Type = rbac.RoleUser
	}
	id, err := s.newID()
	if err != nil {
		return nil, err
	}
	role := &rbac.Role{TenantID: s.cfg.Tenant, ID: id, Name: in.Name, Description: in.Description, Type: in.Type, IsDefault: in.IsDefault}
	err = s.cfg.Store.Tx(ctx, func(q *store.Queries) error {
		if _, err := q.GetRoleByName(ctx, s.cfg.Tenant, in.Name); err == nil {
			return roleNameInUse(in.Name)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := q.InsertRole(ctx, role); errors.Is(err, store.ErrConflict) {
			return roleNameInUse(in.Name)
		} else if err != nil {
			return storeError(err)
		}
		_, err := s.addRoleScopes(ctx, q, role, dedupe(in.ScopeIDs))
		return err
	})
	if err != nil {
		return nil, wrapService("create role", err)
	}
	return role, nil
}

// roleChange is what changing the scopes of role r, or deleting it,
// changes: the grants of every application holding it. Only
// machine-to-machine roles go to applications (the store's insert checks
// it, and a role's type never changes), so a User role changes no grant.
func roleChange(r *rbac.Role) change.Set {
	if r.Type != rbac.RoleMachineToMachine {
		return change.Set{}
	}
	return change.Set{Roles: []string{r.ID}}
}

// wrapService returns err as it is when it is an *Error, wrapped with the
// operation otherwise.
func wrapService(op string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return fmt.Errorf("management: %s: %w", op, err)
}

// dedupe returns ids without repeats, in their first order, leaving out
// those in skip (the links that already exist; nil: none).
func dedupe(ids []string, skip ...string) []string {
	seen := make(map[string]bool, len(ids)+len(skip))
	for _, id := range skip {
		seen[id] = true
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// addRoleScopes checks and gives the scopes scopeIDs (without repeats) to
// role, inside q's transaction, and returns the role's scopes afterwards
// (as ListRoleScopesPage lists them). In order: a scope the role holds
// already is 422 role.scope_exists; then, scope by scope, an unknown scope
// 404 and a Management API scope on a User role 400. One query reads all
// it checks, the role's scopes included, so that the write takes as few
// round trips as it can: under load each waits for the database.
func (s *Service) addRoleScopes(ctx context.Context, q *store.Queries, role *rbac.Role, scopeIDs []string) ([]rbac.Scope, error) {
	rows, err := q.ListRoleScopesWith(ctx, s.cfg.Tenant, role.ID, scopeIDs)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*store.RoleScope, len(rows))
	for i := range rows {
		byID[rows[i].Scope.ID] = &rows[i]
	}
	for _, id := range scopeIDs {
		if sr := byID[id]; sr != nil && sr.Held {
			return nil, roleScopeExists(id)
		}
	}
	for _, id := range scopeIDs {
		sr := byID[id]
		if sr == nil {
			return nil, notExistsWithID("scopes", id)
		}
		if role.Type == rbac.RoleUser && s.isManagementAPI(&sr.Resource) {
			return nil, errorf(http.StatusBadRequest, "role.management_api_scopes_not_assignable_to_user_role",
				"Cannot assign management API scopes to a user role.")
		}
	}
	for _, scopeID := range scopeIDs {
		linkID, err := s.newID()
		if err != nil {
			return nil, err
		}
		if err := q.InsertRoleScope(ctx, s.cfg.Tenant, linkID, role.ID, scopeID); errors.Is(err, store.ErrConflict) {
			return nil, roleScopeExists(scopeID)
		} else if errors.Is(err, store.ErrForeignKey) {
			return nil, notExistsWithID("scopes", scopeID)
		} else if err != nil {
			return nil, err
		}
	}
	out := make([]rbac.Scope, len(rows))
	for i, sr := range rows {
		out[i] = sr.Scope
	}
	return out, nil
}

func roleScopeExists(scopeID string) *Error {
	return errorf(http.StatusUnprocessableEntity, "role.scope_exists", "The scope id %s has already been added to this role", scopeID)
}

// GetRole returns the role id (internal roles too); 404 if there is none.
func (s *Service) GetRole(ctx context.Context, id string) (*rbac.Role, error) {
	return s.getRole(ctx, s.cfg.Store.Queries, id)
}

func (s *Service) getRole(ctx context.Context, q *store.Queries, id string) (*rbac.Role, error) {
	r, err := q.GetRole(ctx, s.cfg.Tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notExistsWithID("roles", id)
	}
	if err != nil {
		return nil, fmt.Errorf("management: get role: %w", err)
	}
	return r, nil
}

// UpdateRole changes a role's name, description or default flag (its type
// never changes). An unknown role is 404, a name taken by another role 422.
// Nothing here changes what a token is granted, so the grant cache stays.
func (s *Service) UpdateRole(ctx context.Context, id string, u store.RoleUpdate) (*rbac.Role, error) {
	if _, err := s.GetRole(ctx, id); err != nil {
		return nil, err
	}
	if u.Name != nil {
		if strings.HasPrefix(*u.Name, rbac.InternalRolePrefix) {
			return nil, internalRoleViolation()
		}
		other, err := s.cfg.Store.GetRoleByName(ctx, s.cfg.Tenant, *u.Name)
		if err == nil && other.ID != id {
			return nil, roleNameInUse(*u.Name)
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("management: update role: %w", err)
		}
	}
	r, err := s.cfg.Store.UpdateRole(ctx, s.cfg.Tenant, id, u)
	switch {
	case errors.Is(err, store.ErrNotFound): // deleted meanwhile
		return nil, notExists("roles")
	case errors.Is(err, store.ErrConflict): // taken meanwhile
		return nil, roleNameInUse(*u.Name)
	case err != nil:
		return nil, storeError(err)
	}
	return r, nil
}

// DeleteRole deletes a role with its links to scopes, applications and
// users; 404 if there is none.
func (s *Service) DeleteRole(ctx context.Context, id string) error {
	role, err := s.GetRole(ctx, id)
	if err != nil {
		return err
	}
	err = s.write(ctx, func(q *store.Queries, c *change.Set) error {
		*c = roleChange(role)
		return q.DeleteRole(ctx, s.cfg.Tenant, id)
	})
	if errors.Is(err, store.ErrNotFound) {
		return notExistsWithID("roles", id)
	} else if err != nil {
		return fmt.Errorf("management: delete role: %w", err)
	}
	return nil
}

// ListRoleScopes returns a page of the scopes a role holds that match
// search, each with its resource, and how many match; 404 for an unknown
// role.
func (s *Service) ListRoleScopes(ctx context.Context, roleID string, search store.Search, p Pager) ([]ScopeWithResource, int64, error) {
	if _, err := s.GetRole(ctx, roleID); err != nil {
		return nil, 0, err
	}
	list, total, err := s.cfg.Store.ListRoleScopesPage(ctx, s.cfg.Tenant, roleID, search, p.Limit(), p.Offset())
	if err != nil {
		return nil, 0, listFailed("list role scopes", err)
	}
	out := make([]ScopeWithResource, len(list))
	for i, sr := range list {
		out[i] = ScopeWithResource{Scope: sr.Scope, Resource: sr.Resource}
	}
	return out, total, nil
}

// AddRoleScopes gives scopes to a role in one transaction and returns
// every scope the role now holds. In order: an unknown role is 404, a scope
// the role already holds 422 role.scope_exists, an unknown scope 404, a
// Management API scope on a User role 400.
func (s *Service) AddRoleScopes(ctx context.Context, roleID string, scopeIDs []string) ([]rbac.Scope, error) {
	var out []rbac.Scope
	err := s.write(ctx, func(q *store.Queries, c *change.Set) error {
		role, err := s.getRole(ctx, q, roleID)
		if err != nil {
			return err
		}
		if len(scopeIDs) > 0 {
			*c = roleChange(role)
		}
		out, err = s.addRoleScopes(ctx, q, role, dedupe(scopeIDs))
		return err
	})
	if err != nil {
		return nil, wrapService("add role scopes", err)
	}
	return out, nil
}

// RemoveRoleScope takes a scope from a role; 404 entity.not_found when the
// role does not hold it or does not exist. The role is read first for its
// type, which never changes (see roleChange).
func (s *Service) RemoveRoleScope(ctx context.Context, roleID, scopeID string) error {
	role, err := s.cfg.Store.GetRole(ctx, s.cfg.Tenant, roleID)
	if errors.Is(err, store.ErrNotFound) {
		return notFound()
	} else if err != nil {
		return fmt.Errorf("management: remove role scope: %w", err)
	}
	// One statement that also notifies the other instances (see
	// PatchApplication): a role change is one round trip fewer.
	set, announce := roleChange(role), ""
	if !set.Empty() {
		announce = s.payload(set)
	}
	deleted, err := s.cfg.Store.DeleteRoleScopeAnnounced(ctx, s.cfg.Tenant, roleID, scopeID, announce)
	if deleted {
		s.announce(set)
	}
	if errors.Is(err, store.ErrNotFound) {
		return notFound()
	} else if err != nil {
		return fmt.Errorf("management: remove role scope: %w", err)
	}
	return nil
}

// ListRoleApplications returns a page of the machine-to-machine
// applications holding a role that match search, and how many match; 404
// for an unknown role.
func (s *Service) ListRoleApplications(ctx context.Context, roleID string, search store.Search, p Pager) ([]rbac.Application, int64, error) {
	if _, err := s.GetRole(ctx, roleID); err != nil {
		return nil, 0, err
	}
	list, total, err := s.cfg.Store.ListRoleApplicationsPage(ctx, s.cfg.Tenant, roleID, search, p.Limit(), p.Offset())
	if err != nil {
		return nil, 0, listFailed("list role applications", err)
	}
	return list, total, nil
}

// AddRoleApplications gives a role to applications in one transaction. In
// order: an unknown role is 404, an application already holding it 422
// role.application_exists, an unknown application 404, a User role 422
// entity.db_constraint_violated. As in Logto, the application's type is not
// checked (only machine-to-machine applications are listed afterwards).
func (s *Service) AddRoleApplications(ctx context.Context, roleID string, appIDs []string) error {
	err := s.write(ctx, func(q *store.Queries, c *change.Set) error {
		if _, err := s.getRole(ctx, q, roleID); err != nil {
			return err
		}
		held, err := q.ListRoleApplicationIDs(ctx, s.cfg.Tenant, roleID)
		if err != nil {
			return err
		}
		for _, id := range appIDs {
			for _, h := range held {
				if id == h {
					return roleApplicationExists(id)
				}
			}
		}
		appIDs = dedupe(appIDs)
		*c = change.App(appIDs...)
		for _, id := range appIDs {
			if _, err := q.GetApplication(ctx, s.cfg.Tenant, id); errors.Is(err, store.ErrNotFound) {
				return notExistsWithID("applications", id)
			} else if err != nil {
				return err
			}
		}
		for _, id := range appIDs {
			linkID, err := s.newID()
			if err != nil {
				return err
			}
			err = q.InsertApplicationRole(ctx, s.cfg.Tenant, linkID, id, roleID)
			switch {
			case errors.Is(err, store.ErrConflict):
				return roleApplicationExists(id)
			case errors.Is(err, store.ErrForeignKey):
				return notExistsWithID("applications", id)
			case err != nil:
				return storeError(err) // a User role: ErrCheck, 422
			}
		}
		return nil
	})
	if err != nil {
		return wrapService("add role applications", err)
	}
	return nil
}

func roleApplicationExists(appID string) *Error {
	return errorf(http.StatusUnprocessableEntity, "role.application_exists", "The application id %s is already been added to this role", appID)
}

// RemoveRoleApplication takes a role from an application; 404
// entity.not_found when the application does not hold it (or either does
// not exist). The application's next token request no longer gets the
// role's scopes.
func (s *Service) RemoveRoleApplication(ctx context.Context, roleID, appID string) error {
	err := s.write(ctx, func(q *store.Queries, c *change.Set) error {
		*c = change.App(appID)
		return q.DeleteApplicationRole(ctx, s.cfg.Tenant, appID, roleID)
	})
	if errors.Is(err, store.ErrNotFound) {
		return notFound()
	} else if err != nil {
		return fmt.Errorf("management: remove role application: %w", err)
	}
	return nil
}
