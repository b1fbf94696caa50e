package management

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/store"
)

// Users as members of organizations (issue 13, Logto's organization user
// routes): membership, the organization roles members hold, the
// organization scopes those roles grant, and a user's organizations.
//
// Users get no tokens from Gatehouse, so none of these writes changes a
// grant: they announce nothing. Deleting an organization or an
// organization role (which cascades here) announces what it announced
// before, for the applications.

// UserWithOrganizationRoles is a member user with the organization roles it
// holds in the organization.
type UserWithOrganizationRoles struct {
	store.User
	OrganizationRoles []store.OrganizationRoleRef
}

// roleNamesNotFound is Logto's 422 for organization role names that name
// no role.
func roleNamesNotFound(names []string) *Error {
	return errorf(http.StatusUnprocessableEntity, "organization.role_names_not_found",
		"Invalid role names detected: %s. Please create these roles first before proceeding.", conjunction(names))
}

// conjunction joins words as an English list: "a", "a and b", "a, b, and c".
func conjunction(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	case 2:
		return words[0] + " and " + words[1]
	}
	return strings.Join(words[:len(words)-1], ", ") + ", and " + words[len(words)-1]
}

// ListOrganizationUsers returns a page of an organization's member users
// that search selects (and, with roleID, that hold that organization
// role there), each with its organization roles there, and how many match;
// 404 for an unknown organization.
func (s *Service) ListOrganizationUsers(ctx context.Context, orgID, roleID string, search store.Search, p Pager) ([]UserWithOrganizationRoles, int64, error) {
	if _, err := s.GetOrganization(ctx, orgID); err != nil {
		return nil, 0, err
	}
	users, total, err := s.cfg.Store.ListOrganizationUsersPage(ctx, s.cfg.Tenant, orgID, roleID, search, p.Limit(), p.Offset())
	if err != nil {
		return nil, 0, listFailed("list organization users", err)
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	roles, err := s.cfg.Store.OrganizationUserRoleRefs(ctx, s.cfg.Tenant, orgID, ids)
	if err != nil {
		return nil, 0, fmt.Errorf("management: list organization users: %w", err)
	}
	out := make([]UserWithOrganizationRoles, len(users))
	for i, u := range users {
		out[i] = UserWithOrganizationRoles{User: u, OrganizationRoles: roles[u.ID]}
	}
	return out, total, nil
}

// AddOrganizationUsers makes users members of an organization, in one
// transaction; members already in stay. An unknown organization or user
// is 422 entity.relation_foreign_key_not_found.
func (s *Service) AddOrganizationUsers(ctx context.Context, orgID string, userIDs []string) error {
	err := s.cfg.Store.Tx(ctx, func(q *store.Queries) error {
		for _, id := range dedupe(userIDs) {
			if err := q.InsertOrganizationUser(ctx, s.cfg.Tenant, orgID, id); err != nil {
				return organizationError(err)
			}
		}
		return nil
	})
	if err != nil {
		return wrapService("add organization users", err)
	}
	return nil
}

// ReplaceOrganizationUsers makes userIDs the organization's member users:
// the others leave (with their roles there), members that stay keep their
// roles. An unknown organization or user is 422.
func (s *Service) ReplaceOrganizationUsers(ctx context.Context, orgID string, userIDs []string) error {
	userIDs = dedupe(userIDs)
	err := s.cfg.Store.Tx(ctx, func(q *store.Queries) error {
		if _, err := q.GetOrganization(ctx, s.cfg.Tenant, orgID); errors.Is(err, store.ErrNotFound) {
			return foreignKeyNotFound(http.StatusUnprocessableEntity)
		} else if err != nil {
			return err
		}
		if err := q.DeleteOrganizationUsersExcept(ctx, s.cfg.Tenant, orgID, userIDs); err != nil {
			return err
		}
		for _, id := range userIDs {
			if err := q.InsertOrganizationUser(ctx, s.cfg.Tenant, orgID, id); err != nil {
				return organizationError(err)
			}
		}
		return nil
	})
	if err != nil {
		return wrapService("replace organization users", err)
	}
	return nil
}

// RemoveOrganizationUser removes a user from an organization with the roles
// it held there; 404 entity.not_found if it is not a member.
func (s *Service) RemoveOrganizationUser(ctx context.Context, orgID, userID string) error {
	if err := s.cfg.Store.DeleteOrganizationUser(ctx, s.cfg.Tenant, orgID, userID); errors.Is(err, store.ErrNotFound) {
		return notFound()
	} else if err != nil {
		return fmt.Errorf("management: remove organization user: %w", err)
	}
	return nil
}

// checkUserMembership is 422 organization.require_membership unless userID
// is a member of orgID.
func (s *Service) checkUserMembership(ctx context.Context, q *store.Queries, orgID, userID string) error {
	ok, err := q.IsOrganizationUser(ctx, s.cfg.Tenant, orgID, userID)
	if err != nil {
		return err
	}
	if !ok {
		return requireMembership()
	}
	return nil
}

// AddOrganizationUsersRoles gives every organization role of roleIDs to
// every member user of userIDs, in one transaction (roles held stay). A
// user that is not a member or an unknown role is 422
// entity.relation_foreign_key_not_found, a machine-to-machine role 422
// entity.db_constraint_violated, as Logto's database answers.
func (s *Service) AddOrganizationUsersRoles(ctx context.Context, orgID string, userIDs, roleIDs []string) error {
	err := s.cfg.Store.Tx(ctx, func(q *store.Queries) error {
		for _, roleID := range dedupe(roleIDs) {
			for _, userID := range dedupe(userIDs) {
				if err := q.InsertOrganizationUserRole(ctx, s.cfg.Tenant, orgID, userID, roleID); err != nil {
					return organizationError(err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return wrapService("add organization users roles", err)
	}
	return nil
}

// ListOrganizationUserRoles returns a page (everything when p is off) of
// the organization roles a member user holds in the organization, and how
// many it holds; 422 if it is not a member.
func (s *Service) ListOrganizationUserRoles(ctx context.Context, orgID, userID string, p Pager) ([]store.OrganizationRole, int64, error) {
	q := s.cfg.Store.Queries
	if err := s.checkUserMembership(ctx, q, orgID, userID); err != nil {
		return nil, 0, wrapService("list organization user roles", err)
	}
	list, total, err := q.ListOrganizationUserRoles(ctx, s.cfg.Tenant, orgID, userID, p.Limit(), p.Offset())
	if err != nil {
		return nil, 0, fmt.Errorf("management: list organization user roles: %w", err)
	}
	return list, total, nil
}

// resolveRoleNames returns ids followed by the ids of the organization
// roles named in names, without repeats; 422
// organization.role_names_not_found names those that name no role.
func (s *Service) resolveRoleNames(ctx context.Context, q *store.Queries, ids, names []string) ([]string, error) {
	roles, err := q.OrganizationRolesByName(ctx, s.cfg.Tenant, names)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]string, len(roles))
	for _, r := range roles {
		byName[r.Name] = r.ID
	}
	var missing []string
	all := append([]string{}, ids...)
	for _, n := range names {
		id, ok := byName[n]
		if !ok {
			missing = append(missing, n)
			continue
		}
		all = append(all, id)
	}
	if len(missing) > 0 {
		return nil, roleNamesNotFound(missing)
	}
	return dedupe(all), nil
}

// AddOrganizationUserRoles gives a member user the organization roles
// roleIDs and those named in roleNames (roles held stay), and returns the
// ids given, without repeats. 422 organization.require_membership for a
// non-member, organization.role_names_not_found for an unknown name,
// entity.relation_foreign_key_not_found for an unknown id,
// entity.db_constraint_violated for a machine-to-machine role.
func (s *Service) AddOrganizationUserRoles(ctx context.Context, orgID, userID string, roleIDs, roleNames []string) ([]string, error) {
	var ids []string
	err := s.cfg.Store.Tx(ctx, func(q *store.Queries) error {
		if err := s.checkUserMembership(ctx, q, orgID, userID); err != nil {
			return err
		}
		var err error
		if ids, err = s.resolveRoleNames(ctx, q, roleIDs, roleNames); err != nil {
			return err
		}
		for _, id := range ids {
			if err := q.InsertOrganizationUserRole(ctx, s.cfg.Tenant, orgID, userID, id); err != nil {
				return organizationError(err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrapService("add organization user roles", err)
	}
	return ids, nil
}

// ReplaceOrganizationUserRoles makes roleIDs and the roles named in
// roleNames the organization roles a member user holds in the
// organization; the errors are AddOrganizationUserRoles's.
func (s *Service) ReplaceOrganizationUserRoles(ctx context.Context, orgID, userID string, roleIDs, roleNames []string) error {
	err := s.cfg.Store.Tx(ctx, func(q *store.Queries) error {
		if err := s.checkUserMembership(ctx, q, orgID, userID); err != nil {
			return err
		}
		ids, err := s.resolveRoleNames(ctx, q, roleIDs, roleNames)
		if err != nil {
			return err
		}
		if err := q.DeleteOrganizationUserRoles(ctx, s.cfg.Tenant, orgID, userID); err != nil {
			return err
		}
		for _, id := range ids {
			if err := q.InsertOrganizationUserRole(ctx, s.cfg.Tenant, orgID, userID, id); err != nil {
				return organizationError(err)
			}
		}
		return nil
	})
	if err != nil {
		return wrapService("replace organization user roles", err)
	}
	return nil
}

// RemoveOrganizationUserRole takes an organization role from a member
// user: 422 if it is not a member, 404 entity.not_found if it does not
// hold the role.
func (s *Service) RemoveOrganizationUserRole(ctx context.Context, orgID, userID, roleID string) error {
	q := s.cfg.Store.Queries
	if err := s.checkUserMembership(ctx, q, orgID, userID); err != nil {
		return wrapService("remove organization user role", err)
	}
	if err := q.DeleteOrganizationUserRole(ctx, s.cfg.Tenant, orgID, userID, roleID); errors.Is(err, store.ErrNotFound) {
		return notFound()
	} else if err != nil {
		return fmt.Errorf("management: remove organization user role: %w", err)
	}
	return nil
}

// ListOrganizationUserScopes returns the organization scopes a user's
// organization roles in the organization grant, each once. As in Logto
// (whose membership check covers the roles routes only), a user that is
// not a member, or an unknown user or organization, has none: 200 [].
func (s *Service) ListOrganizationUserScopes(ctx context.Context, orgID, userID string) ([]store.OrganizationScope, error) {
	list, err := s.cfg.Store.OrganizationUserScopes(ctx, s.cfg.Tenant, orgID, userID)
	if err != nil {
		return nil, fmt.Errorf("management: list organization user scopes: %w", err)
	}
	return list, nil
}

// ListUserOrganizations returns every organization a user is a member of
// (newest first), each with the organization roles it holds there; 404
// for an unknown user.
func (s *Service) ListUserOrganizations(ctx context.Context, userID string) ([]OrganizationWithRoles, error) {
	if _, err := s.GetUser(ctx, userID); err != nil {
		return nil, err
	}
	orgs, err := s.cfg.Store.ListUserOrganizations(ctx, s.cfg.Tenant, userID)
	if err != nil {
		return nil, fmt.Errorf("management: list user organizations: %w", err)
	}
	ids := make([]string, len(orgs))
	for i, o := range orgs {
		ids[i] = o.ID
	}
	roles, err := s.cfg.Store.UserOrganizationRoleRefs(ctx, s.cfg.Tenant, userID, ids)
	if err != nil {
		return nil, fmt.Errorf("management: list user organizations: %w", err)
	}
	out := make([]OrganizationWithRoles, len(orgs))
	for i, o := range orgs {
		out[i] = OrganizationWithRoles{Organization: o, OrganizationRoles: roles[o.ID]}
	}
	return out, nil
}

// organizationsFeatured sets usersCount and featuredUsers (the first three
// members by id) on each of list.
func (s *Service) organizationsFeatured(ctx context.Context, list []OrganizationWithFeatured) error {
	ids := make([]string, len(list))
	for i, o := range list {
		ids[i] = o.ID
	}
	sums, err := s.cfg.Store.OrganizationUsersSummaries(ctx, s.cfg.Tenant, ids)
	if err != nil {
		return fmt.Errorf("management: featured organization users: %w", err)
	}
	for i := range list {
		sum := sums[list[i].ID]
		n := sum.Count
		list[i].UsersCount = &n
		featured := make([]FeaturedUser, len(sum.Featured))
		for j, u := range sum.Featured {
			featured[j] = FeaturedUser{ID: u.ID, Avatar: u.Avatar, Name: u.Name}
		}
		list[i].FeaturedUsers = &featured
	}
	return nil
}
