package management

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/gatehouse/gatehouse/internal/change"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
)

// applicationsTable names the applications in Logto's messages.
const applicationsTable = "applications"

// AppCreate is a new application (POST /api/applications). Empty JSON
// fields get their defaults.
type AppCreate struct {
	Name                 string
	Description          *string
	Type                 rbac.AppType
	OIDCClientMetadata   json.RawMessage
	CustomClientMetadata json.RawMessage
	CustomData           json.RawMessage
	IsThirdParty         bool
}

// AppPatch is a change to an application (PATCH /api/applications/{id}):
// nil fields are left as they are; JSON fields given replace the stored
// value.
type AppPatch struct {
	Name                         *string
	Description                  *string
	DescriptionSet               bool // Description given (nil: set to null)
	OIDCClientMetadata           json.RawMessage
	CustomClientMetadata         json.RawMessage
	CustomData                   json.RawMessage
	ProtectedAppMetadata         json.RawMessage
	AppLevelAccessControlEnabled *bool
	// IsAdmin gives (true) or takes (false) the internal admin role.
	IsAdmin *bool
}

// AppDetail is an application with whether it holds the internal admin
// role (GET /api/applications/{id}).
type AppDetail struct {
	rbac.Application
	IsAdmin bool `json:"isAdmin"`
}

// ListApplications returns the applications f selects, newest first, and
// with withTotal their number regardless of f's limit.
//
// Only MachineToMachine applications are supported (spec README): a
// filter on other types selects nothing.
func (s *Service) ListApplications(ctx context.Context, f store.AppFilter, withTotal bool) ([]rbac.Application, int64, error) {
	st, t := s.cfg.Store, s.cfg.Tenant
	if len(f.Types) > 0 {
		if !slices.Contains(f.Types, rbac.AppMachineToMachine) {
			return []rbac.Application{}, 0, nil
		}
		f.Types = []rbac.AppType{rbac.AppMachineToMachine}
	}
	list, err := st.ListApplications(ctx, t, f)
	if err != nil {
		return nil, 0, searchError(err)
	}
	var total int64
	if withTotal {
		if total, err = st.CountApplications(ctx, t, f); err != nil {
			return nil, 0, searchError(err)
		}
	}
	return list, total, nil
}

// searchError wraps the error of a searched list; a pattern the database
// cannot compile is the store's ErrInvalidInput, answered 400.
func searchError(err error) error {
	return fmt.Errorf("management: search: %w", err)
}

// CreateApplication creates an M2M application with its "Default secret"
// in one transaction. Other types are refused (spec README): SAML with
// Logto's own error, the rest with application.type_not_supported.
func (s *Service) CreateApplication(ctx context.Context, in AppCreate) (*rbac.Application, error) {
	switch in.Type {
	case rbac.AppMachineToMachine:
	case rbac.AppSAML:
		return nil, errorf(http.StatusBadRequest, "application.saml.use_saml_app_api",
			"Use `[METHOD] /saml-applications(/.*)?` API to operate SAML app.")
	default:
		return nil, errorf(http.StatusBadRequest, "application.type_not_supported", "Only MachineToMachine applications are supported.")
	}
	if in.IsThirdParty {
		return nil, errorf(http.StatusBadRequest, "application.invalid_third_party_application_type",
			"Only traditional web applications can be marked as a third-party app.")
	}
	id, err := s.newID()
	if err != nil {
		return nil, err
	}
	plain, err := secret.NewSecret(s.cfg.Rand)
	if err != nil {
		return nil, err
	}
	now := s.nowMs()
	sec, err := s.sealSecret(id, DefaultSecretName, plain, now, nil)
	if err != nil {
		return nil, err
	}
	var out *rbac.Application
	err = s.write(ctx, func(q *store.Queries, c *change.Set) error {
		*c = change.App(id) // forgets that id was unknown
		app := &rbac.Application{TenantID: s.cfg.Tenant, ID: id, Name: in.Name, Description: in.Description, Type: in.Type,
			OIDCClientMetadata: in.OIDCClientMetadata, CustomClientMetadata: in.CustomClientMetadata, CustomData: in.CustomData,
			CreatedAt: now}
		if err := q.InsertApplication(ctx, app); err != nil {
			return storeError(err)
		}
		if err := q.InsertSecret(ctx, sec); err != nil {
			return storeError(err)
		}
		out, err = q.GetApplication(ctx, s.cfg.Tenant, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetApplication returns application id with its isAdmin flag; 404
// entity.not_exists_with_id if there is none.
func (s *Service) GetApplication(ctx context.Context, id string) (*AppDetail, error) {
	st, t := s.cfg.Store, s.cfg.Tenant
	app, err := st.GetApplication(ctx, t, id)
	if err != nil {
		return nil, appNotFound(err, id)
	}
	admin, err := st.HasApplicationRoleNamed(ctx, t, id, InternalAdminRoleName)
	if err != nil {
		return nil, err
	}
	return &AppDetail{Application: *app, IsAdmin: admin}, nil
}

// appNotFound maps ErrNotFound of application id to Logto's 404.
func appNotFound(err error, id string) error {
	if errors.Is(err, store.ErrNotFound) {
		return notExistsWithID(applicationsTable, id)
	}
	return err
}

// UpdateApplication applies p to application id in one transaction and
// returns the application. Any change is the application's own (the grant
// cache keeps the row for the JWT customizer's context); a patch that
// changes nothing announces nothing.
func (s *Service) UpdateApplication(ctx context.Context, id string, p AppPatch) (*rbac.Application, error) {
	t := s.cfg.Tenant
	if p.IsAdmin == nil && p.ProtectedAppMetadata == nil {
		// The common patch (names, descriptions, metadata, custom data):
		// one statement, no transaction. Under full token load every
		// round trip waits for a CPU twice (PostgreSQL's and ours), and
		// the read-modify-write transaction took five.
		return s.patchApplication(ctx, id, p)
	}
	var out *rbac.Application
	err := s.write(ctx, func(q *store.Queries, c *change.Set) error {
		app, err := q.GetApplication(ctx, t, id)
		if err != nil {
			return appNotFound(err, id)
		}
		if p.ProtectedAppMetadata != nil && app.Type != rbac.AppProtected {
			return errorf(http.StatusBadRequest, "application.protected_application_only",
				"The feature is only available for protected applications.")
		}
		if p.IsAdmin != nil {
			wrote, err := s.setAdmin(ctx, q, id, *p.IsAdmin)
			if err != nil {
				return err
			}
			if wrote {
				*c = change.App(id)
			}
		}
		changed := false
		set := func(cond bool, apply func()) {
			if cond {
				apply()
				changed = true
			}
		}
		set(p.Name != nil, func() { app.Name = *p.Name })
		set(p.DescriptionSet, func() { app.Description = p.Description })
		set(p.OIDCClientMetadata != nil, func() { app.OIDCClientMetadata = p.OIDCClientMetadata })
		set(p.CustomClientMetadata != nil, func() { app.CustomClientMetadata = p.CustomClientMetadata })
		set(p.CustomData != nil, func() { app.CustomData = p.CustomData })
		set(p.AppLevelAccessControlEnabled != nil, func() { app.AppLevelAccessControlEnabled = *p.AppLevelAccessControlEnabled })
		if changed {
			if err := q.UpdateApplication(ctx, app); err != nil {
				return storeError(err)
			}
			*c = change.App(id)
		}
		out, err = q.GetApplication(ctx, t, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// patchApplication applies p, which neither changes isAdmin nor protected
// app metadata, with store.PatchApplication.
func (s *Service) patchApplication(ctx context.Context, id string, p AppPatch) (*rbac.Application, error) {
	c := store.AppChanges{Name: p.Name, DescriptionSet: p.DescriptionSet, Description: p.Description,
		OIDCClientMetadata: p.OIDCClientMetadata, CustomClientMetadata: p.CustomClientMetadata,
		CustomData: p.CustomData, AppLevelAccessControlEnabled: p.AppLevelAccessControlEnabled}
	if c.Name == nil && !c.DescriptionSet && c.OIDCClientMetadata == nil && c.CustomClientMetadata == nil &&
		c.CustomData == nil && c.AppLevelAccessControlEnabled == nil {
		app, err := s.cfg.Store.GetApplication(ctx, s.cfg.Tenant, id)
		if err != nil {
			return nil, appNotFound(err, id)
		}
		return app, nil
	}
	// One statement that also notifies the other instances (see write):
	// no transaction holds the row across round trips, which under load
	// made PATCHes of one app queue behind each other.
	set := change.App(id)
	app, err := s.cfg.Store.PatchApplication(ctx, s.cfg.Tenant, id, c, s.payload(set))
	if app != nil {
		s.announce(set)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, appNotFound(err, id)
	} else if err != nil {
		return nil, storeError(err)
	}
	return app, nil
}

// setAdmin gives or takes the internal admin role (spec §4.2, isAdmin),
// reporting whether it had to.
func (s *Service) setAdmin(ctx context.Context, q *store.Queries, appID string, admin bool) (bool, error) {
	t := s.cfg.Tenant
	role, err := q.GetRoleByName(ctx, t, InternalAdminRoleName)
	if errors.Is(err, store.ErrNotFound) {
		return false, &Error{Status: http.StatusInternalServerError, Code: "entity.not_exists",
			Message: "The " + InternalAdminRoleName + " does not exist.", Data: map[string]string{"name": InternalAdminRoleName}}
	} else if err != nil {
		return false, err
	}
	// Checked first, not left to a conflict: a failed statement would
	// abort the transaction on PostgreSQL.
	has, err := q.HasApplicationRoleNamed(ctx, t, appID, InternalAdminRoleName)
	switch {
	case err != nil:
		return false, err
	case admin == has:
		return false, nil
	case !admin:
		return true, q.DeleteApplicationRole(ctx, t, appID, role.ID)
	}
	linkID, err := s.newID()
	if err != nil {
		return false, err
	}
	return true, storeError(q.InsertApplicationRole(ctx, t, linkID, appID, role.ID))
}

// DeleteApplication deletes application id with its secrets and role
// links.
func (s *Service) DeleteApplication(ctx context.Context, id string) error {
	err := s.write(ctx, func(q *store.Queries, c *change.Set) error {
		*c = change.App(id)
		return q.DeleteApplication(ctx, s.cfg.Tenant, id)
	})
	if err != nil {
		return appNotFound(err, id)
	}
	return nil
}

// MergeApplicationCustomData shallow-merges patch into the custom data of
// application id and returns the result; 404 entity.not_exists if there is
// no such application.
func (s *Service) MergeApplicationCustomData(ctx context.Context, id string, patch map[string]json.RawMessage) (json.RawMessage, error) {
	var merged json.RawMessage
	err := s.write(ctx, func(q *store.Queries, c *change.Set) error {
		*c = change.App(id) // the JWT customizer sees custom data
		var err error
		merged, err = q.MergeApplicationCustomData(ctx, s.cfg.Tenant, id, patch)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, notExists(applicationsTable)
	}
	if err != nil {
		return nil, fmt.Errorf("management: custom data: %w", err)
	}
	return merged, nil
}
