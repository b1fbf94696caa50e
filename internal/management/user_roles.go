package management

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Users hold User roles only; the store refuses a machine-to-machine role
// (ErrCheck), which is Logto's database constraint. A User role grants
// nothing at the token endpoint, so none of these writes calls OnChange.

// userRoleNotFound maps store.ErrNotFound to Logto's 404 for the role id.
func userRoleNotFound(id string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return notExistsWithID("roles", id)
	}
	return err
}

// invalidUserRoleType is Logto's answer to POST /users/{id}/roles with a
// machine-to-machine role.
func invalidUserRoleType() *Error {
	return errorf(http.StatusUnprocessableEntity, "user.invalid_role_type",
		"Invalid role type, can not assign machine-to-machine role to user.")
}

// linkUserRole gives role roleID to user userID inside q's transaction.
func (s *Service) linkUserRole(ctx context.Context, q *store.Queries, userID, roleID string) error {
	linkID, err := s.newID()
	if err != nil {
		return err
	}
	return q.InsertUserRole(ctx, s.cfg.Tenant, linkID, userID, roleID)
}

// ListUserRoles returns the User roles of user userID that search selects
// (by name), paginated, and their number. 404 if there is no such user.
func (s *Service) ListUserRoles(ctx context.Context, userID string, search store.Search, limit, offset int) ([]rbac.Role, int64, error) {
	if _, err := s.GetUser(ctx, userID); err != nil {
		return nil, 0, err
	}
	roles, total, err := s.cfg.Store.ListUserRoles(ctx, s.cfg.Tenant, userID, search, limit, offset)
	if err != nil {
		return nil, 0, searchError(err)
	}
	return roles, total, nil
}

// AddUserRoles gives user userID the roles roleIDs it does not hold yet
// (roles it holds and repeats are skipped, as in Logto). Checks in Logto's
// order: 404 for the user, 422 user.invalid_role_type for a
// machine-to-machine role, 404 for an unknown role. All or none. It
// returns the ids it added (Logto's addedRoleIds), never nil.
func (s *Service) AddUserRoles(ctx context.Context, userID string, roleIDs []string) ([]string, error) {
	added := []string{}
	err := s.cfg.Store.Tx(ctx, func(q *store.Queries) error {
		if _, err := q.GetUser(ctx, s.cfg.Tenant, userID); err != nil {
			return userNotFound(userID, err)
		}
		held, err := q.ListUserRoleIDs(ctx, s.cfg.Tenant, userID)
		if err != nil {
			return err
		}
		add := dedupe(roleIDs, held...)
		types, err := q.RoleTypes(ctx, s.cfg.Tenant, add) // one query: a request may name many
		if err != nil {
			return err
		}
		missing := ""
		for _, id := range add {
			typ, ok := types[id]
			switch {
			case !ok:
				if missing == "" {
					missing = id
				}
			case typ != rbac.RoleUser:
				return invalidUserRoleType()
			}
		}
		if missing != "" {
			return notExistsWithID("roles", missing)
		}
		for _, id := range add {
			if err := s.linkUserRole(ctx, q, userID, id); err != nil {
				return err
			}
		}
		added = add
		return nil
	})
	if err != nil {
		return nil, storeError(err)
	}
	return added, nil
}

// ReplaceUserRoles makes roleIDs the user's whole set of roles. 404 for the
// user or an unknown role; a machine-to-machine role breaks Logto's
// database constraint: 422 entity.db_constraint_violated. All or none.
func (s *Service) ReplaceUserRoles(ctx context.Context, userID string, roleIDs []string) error {
	err := s.cfg.Store.Tx(ctx, func(q *store.Queries) error {
		if _, err := q.GetUser(ctx, s.cfg.Tenant, userID); err != nil {
			return userNotFound(userID, err)
		}
		held, err := q.ListUserRoleIDs(ctx, s.cfg.Tenant, userID)
		if err != nil {
			return err
		}
		add := dedupe(roleIDs, held...)
		types, err := q.RoleTypes(ctx, s.cfg.Tenant, add)
		if err != nil {
			return err
		}
		for _, id := range add {
			if _, ok := types[id]; !ok {
				return notExistsWithID("roles", id)
			}
		}
		for _, id := range held {
			if !slices.Contains(roleIDs, id) {
				if err := q.DeleteUserRole(ctx, s.cfg.Tenant, userID, id); err != nil {
					return err
				}
			}
		}
		for _, id := range add {
			if err := s.linkUserRole(ctx, q, userID, id); err != nil {
				return err
			}
		}
		return nil
	})
	return storeError(err)
}

// RemoveUserRole takes role roleID from user userID; 404 entity.not_found
// when the user does not hold it (or either does not exist).
func (s *Service) RemoveUserRole(ctx context.Context, userID, roleID string) error {
	err := s.cfg.Store.DeleteUserRole(ctx, s.cfg.Tenant, userID, roleID)
	if errors.Is(err, store.ErrNotFound) {
		return notFound()
	}
	return err
}

// ListRoleUsers returns the users holding role roleID that f also selects
// (newest first), and their number. 404 if there is no such role.
func (s *Service) ListRoleUsers(ctx context.Context, roleID string, f store.UserFilter) ([]store.User, int64, error) {
	if _, err := s.cfg.Store.GetRole(ctx, s.cfg.Tenant, roleID); err != nil {
		return nil, 0, userRoleNotFound(roleID, err)
	}
	f.RoleID = roleID
	return s.ListUsers(ctx, f)
}

// AddRoleUsers gives role roleID to the users userIDs. Checks in Logto's
// order: 404 for the role, 422 role.user_exists if a user already holds it,
// 404 for an unknown user, then, row by row as Logto's insert meets them,
// 422 entity.db_constraint_violated for a machine-to-machine role and 422
// entity.unique_integrity_violation for a user id given twice (Logto's
// unique index on the pair refuses it). All or none.
func (s *Service) AddRoleUsers(ctx context.Context, roleID string, userIDs []string) error {
	err := s.cfg.Store.Tx(ctx, func(q *store.Queries) error {
		if _, err := q.GetRole(ctx, s.cfg.Tenant, roleID); err != nil {
			return userRoleNotFound(roleID, err)
		}
		holder, err := q.FirstUserHoldingRole(ctx, s.cfg.Tenant, roleID, userIDs)
		if err != nil {
			return err
		}
		if holder != "" {
			return errorf(http.StatusUnprocessableEntity, "role.user_exists",
				"The user id %s is already been added to this role", holder)
		}
		add := dedupe(userIDs)
		for _, id := range add {
			if _, err := q.GetUser(ctx, s.cfg.Tenant, id); err != nil {
				return userNotFound(id, err)
			}
		}
		linked := make(map[string]bool, len(add))
		for _, id := range userIDs {
			if linked[id] {
				return uniqueViolation()
			}
			if err := s.linkUserRole(ctx, q, id, roleID); err != nil {
				return err
			}
			linked[id] = true
		}
		return nil
	})
	return storeError(err)
}

// RemoveRoleUser takes role roleID from user userID; 404 entity.not_found
// when the user does not hold it.
func (s *Service) RemoveRoleUser(ctx context.Context, roleID, userID string) error {
	return s.RemoveUserRole(ctx, userID, roleID)
}
