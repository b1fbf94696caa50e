package management

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/change"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Organization roles: the roles of the organization template, holding
// organization scopes and resource scopes. Only MachineToMachine ones go
// to applications.

// OrganizationRoleWithScopes is an organization role as GET
// /api/organization-roles lists it.
type OrganizationRoleWithScopes struct {
	store.OrganizationRole
	Scopes         []ScopeRef               `json:"scopes"`
	ResourceScopes []store.ResourceScopeRef `json:"resourceScopes"`
}

// ScopeRef names an organization scope.
type ScopeRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// OrganizationRoleInput is what POST /api/organization-roles takes. An
// empty Type is User.
type OrganizationRoleInput struct {
	Name                 string
	Description          *string
	Type                 rbac.RoleType
	OrganizationScopeIDs []string
	ResourceScopeIDs     []string
}

// ListOrganizationRoles returns a page of the organization roles matching
// search, each with its scopes, and how many match.
func (s *Service) ListOrganizationRoles(ctx context.Context, search store.Search, p Pager) ([]OrganizationRoleWithScopes, int64, error) {
	st, tenant := s.cfg.Store, s.cfg.Tenant
	roles, total, err := st.ListOrganizationRolesPage(ctx, tenant, search, p.Limit(), p.Offset())
	if err != nil {
		return nil, 0, listFailed("list organization roles", err)
	}
	ids := make([]string, len(roles))
	for i, r := range roles {
		ids[i] = r.ID
	}
	scopes, err := st.OrganizationRoleScopes(ctx, tenant, ids)
	if err != nil {
		return nil, 0, fmt.Errorf("management: list organization roles: %w", err)
	}
	resScopes, err := st.OrganizationRoleResourceScopes(ctx, tenant, ids)
	if err != nil {
		return nil, 0, fmt.Errorf("management: list organization roles: %w", err)
	}
	out := make([]OrganizationRoleWithScopes, len(roles))
	for i, r := range roles {
		refs := make([]ScopeRef, len(scopes[r.ID]))
		for j, sc := range scopes[r.ID] {
			refs[j] = ScopeRef{ID: sc.ID, Name: sc.Name}
		}
		out[i] = OrganizationRoleWithScopes{OrganizationRole: r, Scopes: refs, ResourceScopes: resScopes[r.ID]}
	}
	return out, total, nil
}

// CreateOrganizationRole creates an organization role with its scopes in
// one transaction (unlike Logto, a bad scope id leaves nothing behind). A
// taken name is 422 entity.unique_integrity_violation, an unknown scope 422
// entity.relation_foreign_key_not_found. No application holds a new role,
// so no grant changes.
func (s *Service) CreateOrganizationRole(ctx context.Context, in OrganizationRoleInput) (*store.OrganizationRole, error) {
	if in.Type == "" {
		in.Type = rbac.RoleUser
	}
	id, err := s.newID()
	if err != nil {
		return nil, err
	}
	role := &store.OrganizationRole{TenantID: s.cfg.Tenant, ID: id, Name: in.Name, Description: in.Description, Type: in.Type}
	err = s.cfg.Store.Tx(ctx, func(q *store.Queries) error {
		if err := q.InsertOrganizationRole(ctx, role); err != nil {
			return organizationError(err)
		}
		if err := s.addOrganizationRoleScopes(ctx, q, id, in.OrganizationScopeIDs); err != nil {
			return err
		}
		return s.addOrganizationRoleResourceScopes(ctx, q, id, in.ResourceScopeIDs)
	})
	if err != nil {
		return nil, wrapService("create organization role", err)
	}
	return role, nil
}

func (s *Service) addOrganizationRoleScopes(ctx context.Context, q *store.Queries, roleID string, ids []string) error {
	for _, id := range dedupe(ids) {
		if err := q.InsertOrganizationRoleScope(ctx, s.cfg.Tenant, roleID, id); err != nil {
			return organizationError(err)
		}
	}
	return nil
}

func (s *Service) addOrganizationRoleResourceScopes(ctx context.Context, q *store.Queries, roleID string, ids []string) error {
	for _, id := range dedupe(ids) {
		if err := q.InsertOrganizationRoleResourceScope(ctx, s.cfg.Tenant, roleID, id); err != nil {
			return organizationError(err)
		}
	}
	return nil
}

// GetOrganizationRole returns an organization role; 404 if there is none.
func (s *Service) GetOrganizationRole(ctx context.Context, id string) (*store.OrganizationRole, error) {
	r, err := s.cfg.Store.GetOrganizationRole(ctx, s.cfg.Tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notExistsWithID(organizationRolesTable, id)
	}
	if err != nil {
		return nil, fmt.Errorf("management: get organization role: %w", err)
	}
	return r, nil
}

// UpdateOrganizationRole changes an organization role: 404 if there is
// none, 422 if the new name is taken. A new type changes grants (only
// MachineToMachine roles grant anything to applications).
func (s *Service) UpdateOrganizationRole(ctx context.Context, id string, u store.TemplateUpdate) (*store.OrganizationRole, error) {
	var r *store.OrganizationRole
	err := s.write(ctx, func(q *store.Queries, c *change.Set) error {
		if u.Type != "" {
			*c = change.Set{OrganizationRoles: []string{id}}
		}
		var err error
		r, err = q.UpdateOrganizationRole(ctx, s.cfg.Tenant, id, u)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, notExistsWithID(organizationRolesTable, id)
	}
	if err != nil {
		return nil, wrapService("update organization role", organizationError(err))
	}
	return r, nil
}

// DeleteOrganizationRole deletes an organization role and takes it from
// every member; 404 entity.not_found if there is none.
func (s *Service) DeleteOrganizationRole(ctx context.Context, id string) error {
	err := s.write(ctx, func(q *store.Queries, c *change.Set) error {
		*c = change.Set{OrganizationRoles: []string{id}}
		return q.DeleteOrganizationRole(ctx, s.cfg.Tenant, id)
	})
	if errors.Is(err, store.ErrNotFound) {
		return notFound()
	} else if err != nil {
		return fmt.Errorf("management: delete organization role: %w", err)
	}
	return nil
}

// ListOrganizationRoleScopes returns a page of the organization scopes a
// role holds, and how many; 404 for an unknown role.
func (s *Service) ListOrganizationRoleScopes(ctx context.Context, roleID string, p Pager) ([]store.OrganizationScope, int64, error) {
	if _, err := s.GetOrganizationRole(ctx, roleID); err != nil {
		return nil, 0, err
	}
	list, total, err := s.cfg.Store.ListOrganizationRoleScopesPage(ctx, s.cfg.Tenant, roleID, p.Limit(), p.Offset())
	if err != nil {
		return nil, 0, fmt.Errorf("management: list organization role scopes: %w", err)
	}
	return list, total, nil
}

// ListOrganizationRoleResourceScopes returns a page of the resource scopes
// a role holds, and how many; 404 for an unknown role.
func (s *Service) ListOrganizationRoleResourceScopes(ctx context.Context, roleID string, p Pager) ([]rbac.Scope, int64, error) {
	if _, err := s.GetOrganizationRole(ctx, roleID); err != nil {
		return nil, 0, err
	}
	list, total, err := s.cfg.Store.ListOrganizationRoleResourceScopesPage(ctx, s.cfg.Tenant, roleID, p.Limit(), p.Offset())
	if err != nil {
		return nil, 0, fmt.Errorf("management: list organization role resource scopes: %w", err)
	}
	return list, total, nil
}

// SetOrganizationRoleScopes gives scopes to a role (organization scopes,
// or resource scopes when resource), in one transaction; replace first
// takes every scope of that kind away. An unknown role or scope is 422
// entity.relation_foreign_key_not_found.
func (s *Service) SetOrganizationRoleScopes(ctx context.Context, roleID string, ids []string, resource, replace bool) error {
	err := s.write(ctx, func(q *store.Queries, c *change.Set) error {
		if replace || len(ids) > 0 {
			*c = change.Set{OrganizationRoles: []string{roleID}}
		}
		if replace {
			if _, err := q.GetOrganizationRole(ctx, s.cfg.Tenant, roleID); errors.Is(err, store.ErrNotFound) {
				return foreignKeyNotFound(http.StatusUnprocessableEntity)
			} else if err != nil {
				return err
			}
			del := q.DeleteOrganizationRoleScopes
			if resource {
				del = q.DeleteOrganizationRoleResourceScopes
			}
			if err := del(ctx, s.cfg.Tenant, roleID); err != nil {
				return err
			}
		}
		if resource {
			return s.addOrganizationRoleResourceScopes(ctx, q, roleID, ids)
		}
		return s.addOrganizationRoleScopes(ctx, q, roleID, ids)
	})
	if err != nil {
		return wrapService("set organization role scopes", err)
	}
	return nil
}

// RemoveOrganizationRoleScope takes a scope (an organization scope, or a
// resource scope when resource) from a role; 404 entity.not_found when the
// role does not hold it.
func (s *Service) RemoveOrganizationRoleScope(ctx context.Context, roleID, scopeID string, resource bool) error {
	err := s.write(ctx, func(q *store.Queries, c *change.Set) error {
		*c = change.Set{OrganizationRoles: []string{roleID}}
		del := q.DeleteOrganizationRoleScope
		if resource {
			del = q.DeleteOrganizationRoleResourceScope
		}
		return del(ctx, s.cfg.Tenant, roleID, scopeID)
	})
	if errors.Is(err, store.ErrNotFound) {
		return notFound()
	} else if err != nil {
		return fmt.Errorf("management: remove organization role scope: %w", err)
	}
	return nil
}
