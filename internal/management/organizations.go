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

// Organizations (spec §2.7, §4.11): the organizations, their member
// applications and the organization roles those hold. The template
// (organization scopes and roles) is in organization_scopes.go and
// organization_roles.go.

// Table names, as Logto's messages name them.
const (
	organizationsTable      = "organizations"
	organizationScopesTable = "organization_scopes"
	organizationRolesTable  = "organization_roles"
)

// organizationIDLength is the length of organization ids (Logto makes
// them 12 characters long, not 21).
const organizationIDLength = 12

// OrganizationWithFeatured is an organization as GET /api/organizations
// lists it; with showFeatured it also carries its number of member users
// and the first three of them.
type OrganizationWithFeatured struct {
	store.Organization
	UsersCount    *int64          `json:"usersCount,omitempty"`
	FeaturedUsers *[]FeaturedUser `json:"featuredUsers,omitempty"`
}

// OrganizationWithRoles is an organization an application is a member of,
// with the organization roles it holds there.
type OrganizationWithRoles struct {
	store.Organization
	OrganizationRoles []store.OrganizationRoleRef `json:"organizationRoles"`
}

// ApplicationWithOrganizationRoles is a member application with the
// organization roles it holds in the organization.
type ApplicationWithOrganizationRoles struct {
	rbac.Application
	OrganizationRoles []store.OrganizationRoleRef `json:"organizationRoles"`
}

// The errors of Logto's organization routes, which answer 422 where other
// families answer 404.
func uniqueViolation() *Error {
	return errorf(http.StatusUnprocessableEntity, "entity.unique_integrity_violation", "The entity already exists. Please check the input and try again.")
}

func requireMembership() *Error {
	return errorf(http.StatusUnprocessableEntity, "organization.require_membership", "The user must be a member of the organization to proceed.")
}

// organizationError maps a store error of an organization write the way
// Logto's organization routes do: every constraint is a 422.
func organizationError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrConflict):
		return uniqueViolation()
	case errors.Is(err, store.ErrForeignKey):
		return foreignKeyNotFound(http.StatusUnprocessableEntity)
	}
	return storeError(err)
}

// ListOrganizations returns a page of the organizations matching search,
// and how many match. featured adds usersCount and featuredUsers.
func (s *Service) ListOrganizations(ctx context.Context, search store.Search, p Pager, featured bool) ([]OrganizationWithFeatured, int64, error) {
	list, total, err := s.cfg.Store.ListOrganizationsPage(ctx, s.cfg.Tenant, search, p.Limit(), p.Offset())
	if err != nil {
		return nil, 0, listFailed("list organizations", err)
	}
	out := make([]OrganizationWithFeatured, len(list))
	for i, o := range list {
		out[i].Organization = o
	}
	if featured {
		if err := s.organizationsFeatured(ctx, out); err != nil {
			return nil, 0, err
		}
	}
	return out, total, nil
}

// CreateOrganization creates an organization. It has no members yet, so
// no grant changes.
func (s *Service) CreateOrganization(ctx context.Context, o store.Organization) (*store.Organization, error) {
	id, err := s.newID()
	if err != nil {
		return nil, err
	}
	o.TenantID, o.ID, o.CreatedAt = s.cfg.Tenant, id[:organizationIDLength], s.nowMs()
	if err := s.cfg.Store.InsertOrganization(ctx, &o); err != nil {
		return nil, wrapService("create organization", organizationError(err))
	}
	return &o, nil
}

// GetOrganization returns an organization; 404 if there is none.
func (s *Service) GetOrganization(ctx context.Context, id string) (*store.Organization, error) {
	o, err := s.cfg.Store.GetOrganization(ctx, s.cfg.Tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notExistsWithID(organizationsTable, id)
	}
	if err != nil {
		return nil, fmt.Errorf("management: get organization: %w", err)
	}
	return o, nil
}

// UpdateOrganization changes an organization; 404 if there is none.
// Nothing here changes a grant (the grant cache knows organizations only by
// id).
func (s *Service) UpdateOrganization(ctx context.Context, id string, u store.OrganizationUpdate) (*store.Organization, error) {
	o, err := s.cfg.Store.UpdateOrganization(ctx, s.cfg.Tenant, id, u)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notExistsWithID(organizationsTable, id)
	}
	if err != nil {
		return nil, wrapService("update organization", organizationError(err))
	}
	return o, nil
}

// DeleteOrganization deletes an organization with its memberships; 404
// entity.not_found if there is none.
func (s *Service) DeleteOrganization(ctx context.Context, id string) error {
	err := s.write(ctx, func(q *store.Queries, c *change.Set) error {
		*c = change.Set{Organizations: []string{id}}
		return q.DeleteOrganization(ctx, s.cfg.Tenant, id)
	})
	if errors.Is(err, store.ErrNotFound) {
		return notFound()
	} else if err != nil {
		return fmt.Errorf("management: delete organization: %w", err)
	}
	return nil
}

// ListOrganizationApplications returns a page of an organization's member
// applications matching search, each with its organization roles there,
// and how many match; 404 for an unknown organization.
func (s *Service) ListOrganizationApplications(ctx context.Context, orgID string, search store.Search, p Pager) ([]ApplicationWithOrganizationRoles, int64, error) {
	if _, err := s.GetOrganization(ctx, orgID); err != nil {
		return nil, 0, err
	}
	apps, total, err := s.cfg.Store.ListOrganizationApplicationsPage(ctx, s.cfg.Tenant, orgID, search, p.Limit(), p.Offset())
	if err != nil {
		return nil, 0, listFailed("list organization applications", err)
	}
	ids := make([]string, len(apps))
	for i, a := range apps {
		ids[i] = a.ID
	}
	roles, err := s.cfg.Store.OrganizationApplicationRoleRefs(ctx, s.cfg.Tenant, orgID, ids)
	if err != nil {
		return nil, 0, fmt.Errorf("management: list organization applications: %w", err)
	}
	out := make([]ApplicationWithOrganizationRoles, len(apps))
	for i, a := range apps {
		out[i] = ApplicationWithOrganizationRoles{Application: a, OrganizationRoles: roles[a.ID]}
	}
	return out, total, nil
}

// AddOrganizationApplications makes applications members of an
// organization, in one transaction; members already in stay. An unknown
// organization or application is 422 entity.relation_foreign_key_not_found,
// an application that is not machine-to-machine 422
// entity.db_constraint_violated.
func (s *Service) AddOrganizationApplications(ctx context.Context, orgID string, appIDs []string) error {
	appIDs = dedupe(appIDs)
	err := s.write(ctx, func(q *store.Queries, c *change.Set) error {
		*c = change.App(appIDs...)
		for _, id := range appIDs {
			if err := q.InsertOrganizationApplication(ctx, s.cfg.Tenant, orgID, id); err != nil {
				return organizationError(err)
			}
		}
		return nil
	})
	if err != nil {
		return wrapService("add organization applications", err)
	}
	return nil
}

// ReplaceOrganizationApplications makes appIDs the organization's member
// applications: the others leave (with their roles there), members that
// stay keep their roles. Which members left only the database knew: the
// change names the organization (its members before) and appIDs (its
// members after).
func (s *Service) ReplaceOrganizationApplications(ctx context.Context, orgID string, appIDs []string) error {
	appIDs = dedupe(appIDs)
	err := s.write(ctx, func(q *store.Queries, c *change.Set) error {
		*c = change.Set{Apps: appIDs, Organizations: []string{orgID}}
		if _, err := q.GetOrganization(ctx, s.cfg.Tenant, orgID); errors.Is(err, store.ErrNotFound) {
			return foreignKeyNotFound(http.StatusUnprocessableEntity)
		} else if err != nil {
			return err
		}
		if err := q.DeleteOrganizationApplicationsExcept(ctx, s.cfg.Tenant, orgID, appIDs); err != nil {
			return err
		}
		for _, id := range appIDs {
			if err := q.InsertOrganizationApplication(ctx, s.cfg.Tenant, orgID, id); err != nil {
				return organizationError(err)
			}
		}
		return nil
	})
	if err != nil {
		return wrapService("replace organization applications", err)
	}
	return nil
}

// RemoveOrganizationApplication removes an application from an
// organization; 404 entity.not_found if it is not a member. Its next token
// request for the organization is refused.
func (s *Service) RemoveOrganizationApplication(ctx context.Context, orgID, appID string) error {
	err := s.write(ctx, func(q *store.Queries, c *change.Set) error {
		*c = change.App(appID)
		return q.DeleteOrganizationApplication(ctx, s.cfg.Tenant, orgID, appID)
	})
	if errors.Is(err, store.ErrNotFound) {
		return notFound()
	} else if err != nil {
		return fmt.Errorf("management: remove organization application: %w", err)
	}
	return nil
}

// checkMembership is 422 organization.require_membership unless appID is a
// member of orgID.
func (s *Service) checkMembership(ctx context.Context, q *store.Queries, orgID, appID string) error {
	ok, err := q.IsOrganizationMember(ctx, s.cfg.Tenant, orgID, appID)
	if err != nil {
		return err
	}
	if !ok {
		return requireMembership()
	}
	return nil
}

// ListOrganizationApplicationRoles returns the organization roles a member
// application holds in the organization; 422 if it is not a member.
func (s *Service) ListOrganizationApplicationRoles(ctx context.Context, orgID, appID string) ([]store.OrganizationRole, error) {
	q := s.cfg.Store.Queries
	if err := s.checkMembership(ctx, q, orgID, appID); err != nil {
		return nil, wrapService("list organization application roles", err)
	}
	list, err := q.ListOrganizationApplicationRoles(ctx, s.cfg.Tenant, orgID, appID)
	if err != nil {
		return nil, fmt.Errorf("management: list organization application roles: %w", err)
	}
	return list, nil
}

// AddOrganizationApplicationRoles gives organization roles to member
// applications, in one transaction (roles held stay). For each
// application: one that is not a member is 422 (require_membership when
// checkMember, as on the one-application route; a foreign-key error on the
// bulk route, as in Logto); a User role is 422
// entity.db_constraint_violated; an unknown role 422
// entity.relation_foreign_key_not_found.
func (s *Service) AddOrganizationApplicationRoles(ctx context.Context, orgID string, appIDs, roleIDs []string, checkMember bool) error {
	appIDs = dedupe(appIDs)
	err := s.write(ctx, func(q *store.Queries, c *change.Set) error {
		if len(roleIDs) > 0 {
			*c = change.App(appIDs...)
		}
		for _, appID := range appIDs {
			if checkMember {
				if err := s.checkMembership(ctx, q, orgID, appID); err != nil {
					return err
				}
			}
			for _, roleID := range dedupe(roleIDs) {
				if err := q.InsertOrganizationApplicationRole(ctx, s.cfg.Tenant, orgID, appID, roleID); err != nil {
					return organizationError(err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return wrapService("add organization application roles", err)
	}
	return nil
}

// ReplaceOrganizationApplicationRoles makes roleIDs the organization roles
// a member application holds in the organization.
func (s *Service) ReplaceOrganizationApplicationRoles(ctx context.Context, orgID, appID string, roleIDs []string) error {
	err := s.write(ctx, func(q *store.Queries, c *change.Set) error {
		*c = change.App(appID)
		if err := s.checkMembership(ctx, q, orgID, appID); err != nil {
			return err
		}
		if err := q.DeleteOrganizationApplicationRoles(ctx, s.cfg.Tenant, orgID, appID); err != nil {
			return err
		}
		for _, roleID := range dedupe(roleIDs) {
			if err := q.InsertOrganizationApplicationRole(ctx, s.cfg.Tenant, orgID, appID, roleID); err != nil {
				return organizationError(err)
			}
		}
		return nil
	})
	if err != nil {
		return wrapService("replace organization application roles", err)
	}
	return nil
}

// RemoveOrganizationApplicationRole takes an organization role from a
// member application: 422 if it is not a member, 404 entity.not_found if
// it does not hold the role. Its next token request no longer gets the
// role's scopes.
func (s *Service) RemoveOrganizationApplicationRole(ctx context.Context, orgID, appID, roleID string) error {
	err := s.write(ctx, func(q *store.Queries, c *change.Set) error {
		if err := s.checkMembership(ctx, q, orgID, appID); err != nil {
			return err
		}
		*c = change.App(appID)
		return q.DeleteOrganizationApplicationRole(ctx, s.cfg.Tenant, orgID, appID, roleID)
	})
	if errors.Is(err, store.ErrNotFound) {
		return notFound()
	} else if err != nil {
		return wrapService("remove organization application role", err)
	}
	return nil
}

// ListApplicationOrganizations returns a page of the organizations an
// application is a member of (everything when p is off), each with the
// organization roles it holds there; 404 for an unknown application.
func (s *Service) ListApplicationOrganizations(ctx context.Context, appID string, p Pager) ([]OrganizationWithRoles, int64, error) {
	if _, err := s.cfg.Store.GetApplication(ctx, s.cfg.Tenant, appID); err != nil {
		return nil, 0, appNotFound(err, appID)
	}
	orgs, total, err := s.cfg.Store.ListApplicationOrganizationsPage(ctx, s.cfg.Tenant, appID, p.Limit(), p.Offset())
	if err != nil {
		return nil, 0, fmt.Errorf("management: list application organizations: %w", err)
	}
	ids := make([]string, len(orgs))
	for i, o := range orgs {
		ids[i] = o.ID
	}
	roles, err := s.cfg.Store.ApplicationOrganizationRoleRefs(ctx, s.cfg.Tenant, appID, ids)
	if err != nil {
		return nil, 0, fmt.Errorf("management: list application organizations: %w", err)
	}
	out := make([]OrganizationWithRoles, len(orgs))
	for i, o := range orgs {
		out[i] = OrganizationWithRoles{Organization: o, OrganizationRoles: roles[o.ID]}
	}
	return out, total, nil
}
