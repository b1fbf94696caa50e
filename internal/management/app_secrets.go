package management

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/change"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
)

// secretsTable names the secrets in Logto's messages.
const secretsTable = "application_secrets"

// SecretView is an application secret as the API shows it: with its value
// in plaintext, as Logto returns it (spec README: sealed at rest, opened
// for the answer).
type SecretView struct {
	TenantID      string `json:"tenantId"`
	ApplicationID string `json:"applicationId"`
	Name          string `json:"name"`
	Value         string `json:"value"`
	CreatedAt     int64  `json:"createdAt"`
	ExpiresAt     *int64 `json:"expiresAt"`
}

// view opens the sealed value of sec.
func (s *Service) view(sec *rbac.Secret) (*SecretView, error) {
	plain, err := s.cfg.Box.Open(secret.PurposeAppSecret, sec.Sealed)
	if err != nil {
		return nil, fmt.Errorf("management: open secret %q of %s: %w", sec.Name, sec.ApplicationID, err)
	}
	return &SecretView{TenantID: sec.TenantID, ApplicationID: sec.ApplicationID, Name: sec.Name, Value: string(plain),
		CreatedAt: sec.CreatedAt, ExpiresAt: sec.ExpiresAt}, nil
}

// hasSecrets reports whether applications of type t can have secrets (the
// check constraint of Logto's application_secrets, spec §1.2).
func hasSecrets(t rbac.AppType) bool {
	return t == rbac.AppMachineToMachine || t == rbac.AppTraditional || t == rbac.AppProtected
}

// ListAppSecrets returns the secrets of application appID, oldest first;
// 404 if there is no such application.
func (s *Service) ListAppSecrets(ctx context.Context, appID string) ([]SecretView, error) {
	st, t := s.cfg.Store, s.cfg.Tenant
	if _, err := st.GetApplication(ctx, t, appID); err != nil {
		return nil, appNotFound(err, appID)
	}
	list, err := st.ListSecrets(ctx, t, appID)
	if err != nil {
		return nil, err
	}
	out := make([]SecretView, 0, len(list))
	for i := range list {
		v, err := s.view(&list[i])
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, nil
}

// secretNameExists is Logto's answer to a duplicate secret name.
func secretNameExists() *Error {
	return errorf(http.StatusUnprocessableEntity, "application.secret_name_exists", "Secret name already exists.")
}

// CreateAppSecret makes a new secret called name for application appID,
// expiring at expiresAt (epoch ms; nil: never), which must be in the
// future.
func (s *Service) CreateAppSecret(ctx context.Context, appID, name string, expiresAt *int64) (*SecretView, error) {
	now := s.nowMs()
	if expiresAt != nil && *expiresAt <= now {
		return nil, invalidInput("The value of `expiresAt` must be in the future.")
	}
	plain, err := secret.NewSecret(s.cfg.Rand)
	if err != nil {
		return nil, err
	}
	sec, err := s.sealSecret(appID, name, plain, now, expiresAt)
	if err != nil {
		return nil, err
	}
	err = s.write(ctx, func(q *store.Queries, c *change.Set) error {
		*c = change.App(appID)
		app, err := q.GetApplication(ctx, s.cfg.Tenant, appID)
		if errors.Is(err, store.ErrNotFound) {
			// Logto inserts straight away: the foreign key answers.
			return foreignKeyNotFound(http.StatusNotFound)
		} else if err != nil {
			return err
		}
		if !hasSecrets(app.Type) {
			return constraintViolated()
		}
		err = q.InsertSecret(ctx, sec)
		if errors.Is(err, store.ErrConflict) {
			return secretNameExists()
		}
		return storeError(err)
	})
	if err != nil {
		return nil, err
	}
	return &SecretView{TenantID: sec.TenantID, ApplicationID: appID, Name: name, Value: plain, CreatedAt: now, ExpiresAt: expiresAt}, nil
}

// RenameAppSecret renames a secret; its value and expiry stay. 404
// entity.not_exists if there is no such secret, 422
// application.secret_name_exists if newName is taken.
func (s *Service) RenameAppSecret(ctx context.Context, appID, name, newName string) (*SecretView, error) {
	var sec *rbac.Secret
	err := s.write(ctx, func(q *store.Queries, c *change.Set) error {
		*c = change.App(appID)
		err := q.RenameSecret(ctx, s.cfg.Tenant, appID, name, newName)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return notExists(secretsTable)
		case errors.Is(err, store.ErrConflict):
			return secretNameExists()
		case err != nil:
			return storeError(err)
		}
		sec, err = q.GetSecret(ctx, s.cfg.Tenant, appID, newName)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.view(sec)
}

// DeleteAppSecret deletes a secret; it stops working at once. 404
// entity.not_found if there is none.
func (s *Service) DeleteAppSecret(ctx context.Context, appID, name string) error {
	err := s.write(ctx, func(q *store.Queries, c *change.Set) error {
		*c = change.App(appID)
		return q.DeleteSecret(ctx, s.cfg.Tenant, appID, name)
	})
	if errors.Is(err, store.ErrNotFound) {
		return notFound()
	}
	return err
}

// DeleteLegacySecret is Logto's removal of an application's legacy
// (single, unnamed) secret. Gatehouse never had legacy secrets, so an
// existing application always answers 400
// application.no_legacy_secret_found.
func (s *Service) DeleteLegacySecret(ctx context.Context, appID string) error {
	if _, err := s.cfg.Store.GetApplication(ctx, s.cfg.Tenant, appID); err != nil {
		return appNotFound(err, appID)
	}
	return errorf(http.StatusBadRequest, "application.no_legacy_secret_found", "The application does not have a legacy secret.")
}
