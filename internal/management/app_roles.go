package management

import (
	"context"
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/change"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// m2mApp loads application id and requires it to be machine-to-machine
// (spec §4.4): 404 if missing, 422 application.invalid_type otherwise.
func (s *Service) m2mApp(ctx context.Context, q *store.Queries, id string) error {
	app, err := q.GetApplication(ctx, s.cfg.Tenant, id)
	if err != nil {
		return appNotFound(err, id)
	}
	if app.Type != rbac.AppMachineToMachine {
		return errorf(http.StatusUnprocessableEntity, "application.invalid_type", "Only machine to machine applications can have associated roles.")
	}
	return nil
}

// ListAppRoles returns a page of application appID's machine-to-machine
// roles (internal ones hidden) and their total.
func (s *Service) ListAppRoles(ctx context.Context, appID string, search store.Search, limit, offset int) ([]rbac.Role, int64, error) {
	st, t := s.cfg.Store, s.cfg.Tenant
	if err := s.m2mApp(ctx, st.Queries, appID); err != nil {
		return nil, 0, err
	}
	list, err := st.ListApplicationRoles(ctx, t, appID, search, limit, offset)
	if err != nil {
		return nil, 0, searchError(err)
	}
	total, err := st.CountApplicationRoles(ctx, t, appID, search)
	if err != nil {
		return nil, 0, searchError(err)
	}
	return list, total, nil
}

// AddAppRoles gives application appID the roles roleIDs, skipping the
// ones it has and repeats, in one transaction, and returns the ids added.
// A User role is 422 application.invalid_role_type, an unknown role 404.
func (s *Service) AddAppRoles(ctx context.Context, appID string, roleIDs []string) ([]string, error) {
	t := s.cfg.Tenant
	added := []string{}
	err := s.write(ctx, func(q *store.Queries, c *change.Set) error {
		if err := s.m2mApp(ctx, q, appID); err != nil {
			return err
		}
		have, err := q.ListApplicationRoleIDs(ctx, t, appID)
		if err != nil {
			return err
		}
		added = dedupe(roleIDs, have...)
		// As Logto: the type of every known role first, then existence.
		// One query for all of them: a request may name many.
		types, err := q.RoleTypes(ctx, t, added)
		if err != nil {
			return err
		}
		var missing string
		for _, id := range added {
			typ, ok := types[id]
			switch {
			case !ok:
				if missing == "" {
					missing = id
				}
			case typ != rbac.RoleMachineToMachine:
				return errorf(http.StatusUnprocessableEntity, "application.invalid_role_type",
					"Can not assign user type role to machine to machine application.")
			}
		}
		if missing != "" {
			return notExistsWithID("roles", missing)
		}
		if len(added) > 0 {
			*c = change.App(appID)
		}
		return s.insertAppRoles(ctx, q, appID, added)
	})
	if err != nil {
		return nil, err
	}
	return added, nil
}

func (s *Service) insertAppRoles(ctx context.Context, q *store.Queries, appID string, roleIDs []string) error {
	for _, id := range roleIDs {
		linkID, err := s.newID()
		if err != nil {
			return err
		}
		if err := q.InsertApplicationRole(ctx, s.cfg.Tenant, linkID, appID, id); err != nil {
			return storeError(err)
		}
	}
	return nil
}

// ReplaceAppRoles makes roleIDs the exact set of application appID's
// roles, in one transaction. An unknown role is 404, a User role 422
// entity.db_constraint_violated (as Logto, which lets the database check).
func (s *Service) ReplaceAppRoles(ctx context.Context, appID string, roleIDs []string) error {
	t := s.cfg.Tenant
	return s.write(ctx, func(q *store.Queries, c *change.Set) error {
		if err := s.m2mApp(ctx, q, appID); err != nil {
			return err
		}
		have, err := q.ListApplicationRoleIDs(ctx, t, appID)
		if err != nil {
			return err
		}
		want := make(map[string]bool, len(roleIDs))
		var add []string
		held := make(map[string]bool, len(have))
		for _, id := range have {
			held[id] = true
		}
		for _, id := range roleIDs {
			if !want[id] && !held[id] {
				add = append(add, id)
			}
			want[id] = true
		}
		types, err := q.RoleTypes(ctx, t, add)
		if err != nil {
			return err
		}
		for _, id := range add {
			if _, ok := types[id]; !ok {
				return notExistsWithID("roles", id)
			}
		}
		for _, id := range have {
			if !want[id] {
				if err := q.DeleteApplicationRole(ctx, t, appID, id); err != nil {
					return err
				}
				*c = change.App(appID)
			}
		}
		if len(add) > 0 {
			*c = change.App(appID)
		}
		return s.insertAppRoles(ctx, q, appID, add)
	})
}

// RemoveAppRole takes role roleID from application appID; 404
// entity.not_found if the application does not hold it.
func (s *Service) RemoveAppRole(ctx context.Context, appID, roleID string) error {
	return s.write(ctx, func(q *store.Queries, c *change.Set) error {
		if err := s.m2mApp(ctx, q, appID); err != nil {
			return err
		}
		if err := q.DeleteApplicationRole(ctx, s.cfg.Tenant, appID, roleID); errors.Is(err, store.ErrNotFound) {
			return notFound()
		} else if err != nil {
			return err
		}
		*c = change.App(appID)
		return nil
	})
}
