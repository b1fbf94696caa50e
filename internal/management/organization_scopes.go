package management

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/change"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Organization scopes: the permissions of the organization template.

// ListOrganizationScopes returns a page of the organization scopes
// matching search, and how many match.
func (s *Service) ListOrganizationScopes(ctx context.Context, search store.Search, p Pager) ([]store.OrganizationScope, int64, error) {
	list, total, err := s.cfg.Store.ListOrganizationScopesPage(ctx, s.cfg.Tenant, search, p.Limit(), p.Offset())
	if err != nil {
		return nil, 0, listFailed("list organization scopes", err)
	}
	return list, total, nil
}

// CreateOrganizationScope creates an organization scope; a taken name is
// 422 entity.unique_integrity_violation. No role holds a new scope, so no
// grant changes.
func (s *Service) CreateOrganizationScope(ctx context.Context, name string, description *string) (*store.OrganizationScope, error) {
	id, err := s.newID()
	if err != nil {
		return nil, err
	}
	sc := &store.OrganizationScope{TenantID: s.cfg.Tenant, ID: id, Name: name, Description: description}
	if err := s.cfg.Store.InsertOrganizationScope(ctx, sc); err != nil {
		return nil, wrapService("create organization scope", organizationError(err))
	}
	return sc, nil
}

// GetOrganizationScope returns an organization scope; 404 if there is
// none.
func (s *Service) GetOrganizationScope(ctx context.Context, id string) (*store.OrganizationScope, error) {
	sc, err := s.cfg.Store.GetOrganizationScope(ctx, s.cfg.Tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notExistsWithID(organizationScopesTable, id)
	}
	if err != nil {
		return nil, fmt.Errorf("management: get organization scope: %w", err)
	}
	return sc, nil
}

// UpdateOrganizationScope changes an organization scope: 404 if there is
// none, 422 if the new name is taken. A rename changes what organization
// tokens carry, for members of any organization whose roles hold it.
func (s *Service) UpdateOrganizationScope(ctx context.Context, id string, u store.TemplateUpdate) (*store.OrganizationScope, error) {
	var sc *store.OrganizationScope
	err := s.write(ctx, func(q *store.Queries, c *change.Set) error {
		if u.Name != nil {
			*c = change.Set{OrganizationTemplate: true}
		}
		var err error
		sc, err = q.UpdateOrganizationScope(ctx, s.cfg.Tenant, id, u)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, notExistsWithID(organizationScopesTable, id)
	}
	if err != nil {
		return nil, wrapService("update organization scope", organizationError(err))
	}
	return sc, nil
}

// DeleteOrganizationScope deletes an organization scope and takes it from
// every role; 404 entity.not_found if there is none.
func (s *Service) DeleteOrganizationScope(ctx context.Context, id string) error {
	err := s.write(ctx, func(q *store.Queries, c *change.Set) error {
		*c = change.Set{OrganizationTemplate: true}
		return q.DeleteOrganizationScope(ctx, s.cfg.Tenant, id)
	})
	if errors.Is(err, store.ErrNotFound) {
		return notFound()
	} else if err != nil {
		return fmt.Errorf("management: delete organization scope: %w", err)
	}
	return nil
}
