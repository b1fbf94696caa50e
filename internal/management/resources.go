package management

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/change"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// logtoManagementIndicator is the shape of every Management API indicator
// Logto knows (spec §1.3, §7.14): any resource with such an indicator,
// even one a user created, is protected like the Management API itself.
var logtoManagementIndicator = regexp.MustCompile(`^https://[^.]+\.logto\.app/api$`)

// ResourceWithScopes is a resource with its scopes, as POST /api/resources
// and GET /api/resources?includeScopes=true answer.
type ResourceWithScopes struct {
	rbac.Resource
	Scopes []rbac.Scope `json:"scopes"`
}

// isManagementAPI reports whether r is the Management API resource: the
// seeded one (whatever indicator it was created with), the configured
// indicator, or any indicator of Logto's Management API shape.
func (s *Service) isManagementAPI(r *rbac.Resource) bool {
	return r.ID == ManagementResourceID || r.Indicator == s.cfg.Indicator || logtoManagementIndicator.MatchString(r.Indicator)
}

func cannotModifyManagementAPI() *Error {
	return errorf(http.StatusBadRequest, "resource.cannot_modify_management_api", "Cannot modify Logto management API.")
}

// listFailed wraps the error of a list query.
func listFailed(what string, err error) error {
	return fmt.Errorf("management: %s: %w", what, err)
}

// ListResources returns a page of the resources (everything when p is
// off) and their number; with scopes, each carries its scopes.
func (s *Service) ListResources(ctx context.Context, p Pager, scopes bool) ([]ResourceWithScopes, int64, error) {
	list, total, err := s.cfg.Store.ListResourcesPage(ctx, s.cfg.Tenant, p.Limit(), p.Offset())
	if err != nil {
		return nil, 0, listFailed("list resources", err)
	}
	out := make([]ResourceWithScopes, len(list))
	for i, r := range list {
		out[i].Resource = r
	}
	if !scopes {
		return out, total, nil
	}
	ids := make([]string, len(list))
	for i, r := range list {
		ids[i] = r.ID
	}
	byResource, err := s.cfg.Store.ScopesOfResources(ctx, s.cfg.Tenant, ids)
	if err != nil {
		return nil, 0, fmt.Errorf("management: list resources: %w", err)
	}
	for i := range out {
		out[i].Scopes = byResource[out[i].ID]
		if out[i].Scopes == nil {
			out[i].Scopes = []rbac.Scope{}
		}
	}
	return out, total, nil
}

// ResourceInput is what POST /api/resources takes. A nil AccessTokenTTL
// is Logto's default of 3600 seconds.
type ResourceInput struct {
	Name, Indicator string
	AccessTokenTTL  *int64
}

// CreateResource creates a resource (never a default one). 422
// resource.resource_identifier_in_use if the indicator is taken. The grant
// cache's resource list gains it; no application is granted anything on it
// yet.
func (s *Service) CreateResource(ctx context.Context, in ResourceInput) (*rbac.Resource, error) {
	if err := checkResource(in.Name, in.Indicator, in.AccessTokenTTL, true); err != nil {
		return nil, err
	}
	id, err := s.newID()
	if err != nil {
		return nil, err
	}
	r := &rbac.Resource{TenantID: s.cfg.Tenant, ID: id, Name: in.Name, Indicator: in.Indicator, AccessTokenTTL: 3600}
	if in.AccessTokenTTL != nil {
		r.AccessTokenTTL = *in.AccessTokenTTL
	}
	err = s.write(ctx, func(q *store.Queries, c *change.Set) error {
		*c = change.Set{Resources: []string{id}}
		// An indicator that differs from an existing one only in case or a
		// trailing slash is taken: the two would be look-alike audiences.
		all, err := q.ListResources(ctx, s.cfg.Tenant)
		if err != nil {
			return err
		}
		key := rbac.IndicatorKey(in.Indicator)
		for _, o := range all {
			if rbac.IndicatorKey(o.Indicator) == key {
				return store.ErrConflict
			}
		}
		return q.InsertResource(ctx, r)
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, errorf(http.StatusUnprocessableEntity, "resource.resource_identifier_in_use",
			"The API identifier %s is already in use", in.Indicator)
	}
	if err != nil {
		return nil, storeError(err)
	}
	return r, nil
}

// checkResource applies the bounds of a resource (rbac/limits.go): the
// name's length, the indicator (when creating) and the token lifetime. The
// answer is guard.invalid_input naming the field, for the API and the
// console alike.
func checkResource(name, indicator string, ttl *int64, create bool) error {
	g := &Guard{where: "body"}
	if n := utf8.RuneCountInString(name); n > rbac.MaxResourceName {
		g.add(issue{Code: "too_big", Path: []any{"name"}, Message: fmt.Sprintf("String must contain at most %d character(s)", rbac.MaxResourceName)})
	}
	if create {
		if utf8.RuneCountInString(indicator) > rbac.MaxIndicator {
			g.add(issue{Code: "too_big", Path: []any{"indicator"}, Message: fmt.Sprintf("String must contain at most %d character(s)", rbac.MaxIndicator)})
		} else if err := rbac.CheckIndicator(indicator); err != nil {
			g.add(issue{Code: "custom", Path: []any{"indicator"}, Message: err.Error()})
		}
	}
	if ttl != nil && (*ttl < rbac.MinAccessTokenTTL || *ttl > rbac.MaxAccessTokenTTL) {
		g.add(issue{Code: "custom", Path: []any{"accessTokenTtl"},
			Message: fmt.Sprintf("Access token TTL must be between %d and %d seconds", rbac.MinAccessTokenTTL, rbac.MaxAccessTokenTTL)})
	}
	return g.Err()
}

// GetResource returns the resource id; 404 if there is none.
func (s *Service) GetResource(ctx context.Context, id string) (*rbac.Resource, error) {
	r, err := s.cfg.Store.GetResource(ctx, s.cfg.Tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notExistsWithID("resources", id)
	}
	if err != nil {
		return nil, fmt.Errorf("management: get resource: %w", err)
	}
	return r, nil
}

// UpdateResource changes a resource's name and access token TTL (nil:
// unchanged). The Management API resource cannot be changed. Only the TTL
// is in the grant cache: a new name alone changes no token.
func (s *Service) UpdateResource(ctx context.Context, id string, name *string, ttl *int64) (*rbac.Resource, error) {
	r, err := s.GetResource(ctx, id)
	if err != nil {
		return nil, err
	}
	if s.isManagementAPI(r) {
		return nil, cannotModifyManagementAPI()
	}
	newName := ""
	if name != nil {
		newName = *name
	}
	if err := checkResource(newName, "", ttl, false); err != nil {
		return nil, err
	}
	err = s.write(ctx, func(q *store.Queries, c *change.Set) error {
		if ttl != nil {
			*c = change.Set{Resources: []string{id}}
		}
		var err error
		r, err = q.UpdateResource(ctx, s.cfg.Tenant, id, name, ttl)
		return err
	})
	if errors.Is(err, store.ErrNotFound) { // deleted meanwhile
		return nil, notExists("resources")
	}
	if err != nil {
		return nil, storeError(err)
	}
	return r, nil
}

// SetResourceDefault makes the resource id the default one (clearing the
// previous default in the same transaction) or unmarks it. Unlike other
// changes, this one is allowed on the Management API resource (spec §4.6).
func (s *Service) SetResourceDefault(ctx context.Context, id string, isDefault bool) (*rbac.Resource, error) {
	var r *rbac.Resource
	err := s.write(ctx, func(q *store.Queries, c *change.Set) error {
		changed, err := q.SetDefaultResource(ctx, s.cfg.Tenant, id, isDefault)
		if err != nil {
			return err
		}
		*c = change.Set{Resources: changed} // the resources whose flag changed
		r, err = q.GetResource(ctx, s.cfg.Tenant, id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, notExists("resources")
	}
	if err != nil {
		return nil, fmt.Errorf("management: set default resource: %w", err)
	}
	return r, nil
}

// DeleteResource deletes a resource with its scopes and their role links.
// The Management API resource cannot be deleted.
func (s *Service) DeleteResource(ctx context.Context, id string) error {
	r, err := s.GetResource(ctx, id)
	if err != nil {
		return err
	}
	if s.isManagementAPI(r) {
		return errorf(http.StatusBadRequest, "resource.cannot_delete_management_api", "Cannot delete Logto management API.")
	}
	err = s.write(ctx, func(q *store.Queries, c *change.Set) error {
		*c = change.Set{Resources: []string{id}}
		return q.DeleteResource(ctx, s.cfg.Tenant, id)
	})
	if errors.Is(err, store.ErrNotFound) {
		return notFound()
	} else if err != nil {
		return fmt.Errorf("management: delete resource: %w", err)
	}
	return nil
}
