package management

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/change"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
)

// The seeded Management API resource, scope and role (spec §1.3). Their
// names and descriptions are Logto's, so that its documentation applies word
// for word.
const (
	ManagementResourceID   = "management-api"
	ManagementResourceName = "Logto Management API"
	ManagementScopeID      = "management-api-all"
	ManagementScopeName    = "all"
	managementScopeDesc    = "Default scope for Management API, allows all permissions."
	ManagementRoleName     = "Logto Management API access"
	managementRoleDesc     = "This default role grants access to the Logto management API."
	// InternalAdminRoleID and InternalAdminRoleName name Logto's internal
	// admin role (spec §1.3): hidden from lists, it holds the Management API
	// scope "all" and is what PATCH /api/applications/{id} {isAdmin} gives.
	InternalAdminRoleID   = "admin-role"
	InternalAdminRoleName = "#internal:admin"
	// DefaultSecretName names the secret made with every M2M app.
	DefaultSecretName = "Default secret"
	bootstrapAppName  = "Gatehouse bootstrap"
	bootstrapMetaKey  = "bootstrap.app_id"
)

// Seed makes what a new database needs: the tenant, the Management API
// resource with its scope "all", and the "Logto Management API access" M2M
// role holding it. It is idempotent and safe to run from several instances
// at once: each step tolerates another instance having done it first.
//
// Each step commits on its own. The steps that change grants (a new
// resource, a role given the scope; a new role or scope alone changes
// none) are writes (see write), each announced in its own transaction. A
// database seeded before announces nothing.
func (s *Service) Seed(ctx context.Context) error {
	st, t := s.cfg.Store, s.cfg.Tenant
	if err := st.EnsureTenant(ctx, t); err != nil {
		return fmt.Errorf("management: seed tenant: %w", err)
	}
	err := s.write(ctx, func(q *store.Queries, c *change.Set) error {
		*c = change.Set{Resources: []string{ManagementResourceID}}
		return q.InsertResource(ctx, &rbac.Resource{TenantID: t, ID: ManagementResourceID, Name: ManagementResourceName,
			Indicator: s.cfg.Indicator, AccessTokenTTL: 3600})
	})
	if errors.Is(err, store.ErrConflict) {
		if r, gerr := st.GetResource(ctx, t, ManagementResourceID); gerr == nil && r.Indicator != s.cfg.Indicator {
			s.cfg.Logger.Warn("the Management API resource keeps the indicator it was created with; the configured one is not used",
				"stored", r.Indicator, "configured", s.cfg.Indicator)
		}
	} else if err != nil {
		return fmt.Errorf("management: seed resource: %w", err)
	}
	desc := managementScopeDesc
	err = st.InsertScope(ctx, &rbac.Scope{TenantID: t, ID: ManagementScopeID, ResourceID: ManagementResourceID,
		Name: ManagementScopeName, Description: &desc, CreatedAt: s.nowMs()})
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("management: seed scope: %w", err)
	}
	role, err := s.managementRole(ctx)
	if err != nil {
		return err
	}
	rsID, err := s.newID()
	if err != nil {
		return err
	}
	if err := s.giveRoleScope(ctx, rsID, role.ID); err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("management: seed role scope: %w", err)
	}
	return s.seedInternalAdminRole(ctx)
}

// giveRoleScope gives role the Management API scope "all", as a write.
func (s *Service) giveRoleScope(ctx context.Context, id, roleID string) error {
	return s.write(ctx, func(q *store.Queries, c *change.Set) error {
		*c = change.Set{Roles: []string{roleID}}
		return q.InsertRoleScope(ctx, s.cfg.Tenant, id, roleID, ManagementScopeID)
	})
}

// seedInternalAdminRole makes Logto's internal admin role with the
// Management API scope "all", tolerating either existing.
func (s *Service) seedInternalAdminRole(ctx context.Context) error {
	st, t := s.cfg.Store, s.cfg.Tenant
	err := st.InsertRole(ctx, &rbac.Role{TenantID: t, ID: InternalAdminRoleID, Name: InternalAdminRoleName,
		Description: "Internal admin role for Logto tenant " + t + ".", Type: rbac.RoleMachineToMachine})
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("management: seed internal admin role: %w", err)
	}
	rsID, err := s.newID()
	if err != nil {
		return err
	}
	err = s.giveRoleScope(ctx, rsID, InternalAdminRoleID)
	if err != nil && !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrForeignKey) {
		return fmt.Errorf("management: seed internal admin role scope: %w", err)
	}
	return nil
}

// managementRole returns the "Logto Management API access" role, creating it
// when missing.
func (s *Service) managementRole(ctx context.Context) (*rbac.Role, error) {
	st, t := s.cfg.Store, s.cfg.Tenant
	role, err := st.GetRoleByName(ctx, t, ManagementRoleName)
	if err == nil {
		return role, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("management: find role: %w", err)
	}
	id, err := s.newID()
	if err != nil {
		return nil, err
	}
	role = &rbac.Role{TenantID: t, ID: id, Name: ManagementRoleName, Description: managementRoleDesc, Type: rbac.RoleMachineToMachine}
	if err := st.InsertRole(ctx, role); err != nil {
		if errors.Is(err, store.ErrConflict) { // another instance was quicker
			return st.GetRoleByName(ctx, t, ManagementRoleName)
		}
		return nil, fmt.Errorf("management: seed role: %w", err)
	}
	return role, nil
}

// EnsureBootstrapApp makes sure an M2M application with exactly this id and
// secret exists and holds the "Logto Management API access" role. It is
// idempotent: run at every start with GATEHOUSE_BOOTSTRAP_APP_ID/SECRET, it
// creates the app once, and when the configured secret changes it replaces
// the app's "Default secret" so the new one works (others stay untouched).
// Each step that writes something of the app is a write (see write),
// announced in its own transaction.
func (s *Service) EnsureBootstrapApp(ctx context.Context, id, plain string) (created bool, err error) {
	st, t := s.cfg.Store, s.cfg.Tenant
	app, err := st.GetApplication(ctx, t, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if err := s.createM2MApp(ctx, id, bootstrapAppName, plain); err != nil && !errors.Is(err, store.ErrConflict) {
			return false, err
		} else if err == nil {
			created = true
		}
	case err != nil:
		return false, fmt.Errorf("management: find bootstrap app: %w", err)
	case app.Type != rbac.AppMachineToMachine:
		return false, fmt.Errorf("management: bootstrap app %q exists but is a %s application", id, app.Type)
	default:
		if err = s.ensureSecret(ctx, id, plain); err != nil {
			return false, err
		}
	}
	if err := s.assignManagementRole(ctx, id); err != nil {
		return false, err
	}
	if err := st.InsertMeta(ctx, bootstrapMetaKey, id); err != nil && !errors.Is(err, store.ErrConflict) {
		return false, fmt.Errorf("management: record bootstrap app: %w", err)
	}
	return created, nil
}

// CreateFirstBootstrapApp makes a bootstrap app with a generated id and
// secret, once per database: it returns ok=false when one was made before
// (by this or an earlier start, or another instance).
func (s *Service) CreateFirstBootstrapApp(ctx context.Context) (id, plain string, ok bool, err error) {
	st := s.cfg.Store
	if _, err := st.GetMeta(ctx, bootstrapMetaKey); err == nil {
		return "", "", false, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", "", false, fmt.Errorf("management: read bootstrap record: %w", err)
	}
	if id, err = s.newID(); err != nil {
		return "", "", false, err
	}
	if plain, err = secret.NewSecret(s.cfg.Rand); err != nil {
		return "", "", false, err
	}
	// Claim the record first, so that two instances starting together do
	// not both make (and print) an app.
	if err := st.InsertMeta(ctx, bootstrapMetaKey, id); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return "", "", false, nil
		}
		return "", "", false, fmt.Errorf("management: record bootstrap app: %w", err)
	}
	if err := s.createM2MApp(ctx, id, bootstrapAppName, plain); err != nil {
		return "", "", false, err
	}
	if err := s.assignManagementRole(ctx, id); err != nil {
		return "", "", false, err
	}
	return id, plain, true, nil
}

// createM2MApp creates an M2M application with a "Default secret" holding
// plain, in one write.
func (s *Service) createM2MApp(ctx context.Context, id, name, plain string) error {
	now := s.nowMs()
	sec, err := s.sealSecret(id, DefaultSecretName, plain, now, nil)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q *store.Queries, c *change.Set) error {
		*c = change.App(id)
		app := &rbac.Application{TenantID: s.cfg.Tenant, ID: id, Name: name, Type: rbac.AppMachineToMachine, CreatedAt: now}
		if err := q.InsertApplication(ctx, app); err != nil {
			return fmt.Errorf("management: create app: %w", err)
		}
		if err := q.InsertSecret(ctx, sec); err != nil {
			return fmt.Errorf("management: create secret: %w", err)
		}
		return nil
	})
}

func (s *Service) sealSecret(appID, name, plain string, now int64, expiresAt *int64) (*rbac.Secret, error) {
	sealed, err := s.cfg.Box.Seal(secret.PurposeAppSecret, []byte(plain))
	if err != nil {
		return nil, err
	}
	return &rbac.Secret{TenantID: s.cfg.Tenant, ApplicationID: appID, Name: name, Sealed: sealed,
		Digest: s.cfg.Box.Digest(plain), CreatedAt: now, ExpiresAt: expiresAt}, nil
}

// ensureSecret makes plain a valid, unexpiring secret of app, replacing its
// "Default secret" (a write) when no secret matches.
func (s *Service) ensureSecret(ctx context.Context, appID, plain string) error {
	st, t := s.cfg.Store, s.cfg.Tenant
	list, err := st.ListSecrets(ctx, t, appID)
	if err != nil {
		return fmt.Errorf("management: list secrets: %w", err)
	}
	d := s.cfg.Box.Digest(plain)
	for _, sec := range list {
		if secret.Equal(sec.Digest, d) && sec.ExpiresAt == nil {
			return nil
		}
	}
	sec, err := s.sealSecret(appID, DefaultSecretName, plain, s.nowMs(), nil)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q *store.Queries, c *change.Set) error {
		*c = change.App(appID)
		if err := q.DeleteSecret(ctx, t, appID, DefaultSecretName); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("management: replace secret: %w", err)
		}
		if err := q.InsertSecret(ctx, sec); err != nil {
			return fmt.Errorf("management: replace secret: %w", err)
		}
		return nil
	})
}

// assignManagementRole gives app the "Logto Management API access" role (a
// write) unless it holds it.
func (s *Service) assignManagementRole(ctx context.Context, appID string) error {
	role, err := s.managementRole(ctx)
	if err != nil {
		return err
	}
	linkID, err := s.newID()
	if err != nil {
		return err
	}
	err = s.write(ctx, func(q *store.Queries, c *change.Set) error {
		*c = change.App(appID)
		return q.InsertApplicationRole(ctx, s.cfg.Tenant, linkID, appID, role.ID)
	})
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("management: assign role: %w", err)
	}
	return nil
}

// BootstrapAppID returns the id of the bootstrap application ("" when
// this database has none).
func (s *Service) BootstrapAppID(ctx context.Context) (string, error) {
	id, err := s.cfg.Store.GetMeta(ctx, bootstrapMetaKey)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("management: read bootstrap record: %w", err)
	}
	return id, nil
}
