package management

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"

	"github.com/gatehouse/gatehouse/internal/change"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// The scopes ("permissions") of a resource (spec §4.7). Checks run in
// Logto's order, so that a request breaking several rules gets the same
// error as from Logto.

func scopeNameWithSpace() *Error {
	return errorf(http.StatusBadRequest, "scope.name_with_space", "The name of the scope cannot contain any spaces.")
}

func scopeNameExists(name string) *Error {
	return errorf(http.StatusUnprocessableEntity, "scope.name_exists", "The scope name %s is already in use", name)
}

// hasSpace reports whether s holds whitespace (Logto tests /\s/).
func hasSpace(s string) bool { return strings.IndexFunc(s, unicode.IsSpace) >= 0 }

// ListResourceScopes returns a page of the scopes of a resource that match
// search, and how many match. An unknown resource has no scopes; it is not
// an error (spec §7.22).
func (s *Service) ListResourceScopes(ctx context.Context, resourceID string, search store.Search, p Pager) ([]rbac.Scope, int64, error) {
	list, total, err := s.cfg.Store.ListScopesPage(ctx, s.cfg.Tenant, resourceID, search, p.Limit(), p.Offset())
	if err != nil {
		return nil, 0, listFailed("list scopes", err)
	}
	return list, total, nil
}

// modifiableResource returns the resource id unless it is missing (404)
// or the Management API (400).
func (s *Service) modifiableResource(ctx context.Context, id string) (*rbac.Resource, error) {
	r, err := s.GetResource(ctx, id)
	if err != nil {
		return nil, err
	}
	if s.isManagementAPI(r) {
		return nil, cannotModifyManagementAPI()
	}
	return r, nil
}

// CreateScope adds a scope to a resource. In order: a name with
// whitespace is 400 scope.name_with_space, an unknown resource 404, the
// Management API 400, a name taken in the resource 422 scope.name_exists.
// No role holds a new scope and the grant cache's resource list has no
// scopes, so no grant changes.
func (s *Service) CreateScope(ctx context.Context, resourceID, name string, description *string) (*rbac.Scope, error) {
	if hasSpace(name) {
		return nil, scopeNameWithSpace()
	}
	if _, err := s.modifiableResource(ctx, resourceID); err != nil {
		return nil, err
	}
	id, err := s.newID()
	if err != nil {
		return nil, err
	}
	sc := &rbac.Scope{TenantID: s.cfg.Tenant, ID: id, ResourceID: resourceID, Name: name, Description: description, CreatedAt: s.nowMs()}
	err = s.cfg.Store.InsertScope(ctx, sc)
	switch {
	case errors.Is(err, store.ErrConflict):
		return nil, scopeNameExists(name)
	case errors.Is(err, store.ErrForeignKey): // the resource was deleted meanwhile
		return nil, notExistsWithID("resources", resourceID)
	case err != nil:
		return nil, storeError(err)
	}
	return sc, nil
}

// UpdateScope changes a scope of a resource. In order: an unknown resource
// is 404, the Management API 400, a new name with whitespace 400, a name
// taken by another scope of the resource 422, an unknown scope 404
// entity.not_exists. A rename changes what every application granted the
// scope gets; a new description changes no token.
func (s *Service) UpdateScope(ctx context.Context, resourceID, scopeID string, u store.ScopeUpdate) (*rbac.Scope, error) {
	if _, err := s.modifiableResource(ctx, resourceID); err != nil {
		return nil, err
	}
	if u.Name != nil {
		if hasSpace(*u.Name) {
			return nil, scopeNameWithSpace()
		}
		other, err := s.cfg.Store.GetScopeByName(ctx, s.cfg.Tenant, resourceID, *u.Name)
		if err == nil && other.ID != scopeID {
			return nil, scopeNameExists(*u.Name)
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("management: update scope: %w", err)
		}
	}
	var sc *rbac.Scope
	err := s.write(ctx, func(q *store.Queries, c *change.Set) error {
		if u.Name != nil {
			*c = change.Set{Resources: []string{resourceID}}
		}
		var err error
		sc, err = q.UpdateScope(ctx, s.cfg.Tenant, resourceID, scopeID, u)
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, notExists("scopes")
	case errors.Is(err, store.ErrConflict): // taken meanwhile
		return nil, scopeNameExists(*u.Name)
	case err != nil:
		return nil, storeError(err)
	}
	return sc, nil
}

// DeleteScope deletes a scope of a resource, and so takes it from every
// role. An unknown resource is 404, the Management API 400, a scope the
// resource does not have 404 entity.not_found.
func (s *Service) DeleteScope(ctx context.Context, resourceID, scopeID string) error {
	if _, err := s.modifiableResource(ctx, resourceID); err != nil {
		return err
	}
	err := s.write(ctx, func(q *store.Queries, c *change.Set) error {
		*c = change.Set{Resources: []string{resourceID}}
		return q.DeleteScope(ctx, s.cfg.Tenant, resourceID, scopeID)
	})
	if errors.Is(err, store.ErrNotFound) {
		return notFound()
	} else if err != nil {
		return fmt.Errorf("management: delete scope: %w", err)
	}
	return nil
}
