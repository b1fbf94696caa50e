package management

import (
	"context"
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/change"
	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
)

// federatedTable names federated credentials in messages.
const federatedTable = "application_federated_credentials"

// FederatedCreate is a new federated credential (workload identity
// federation, docs/secretless.md).
type FederatedCreate struct {
	Name, Issuer, Subject string
	Audiences             []string
	Claims                map[string]string
	JWKSURI               string
}

// ListFederatedCredentials returns the federated credentials of
// application appID, oldest first; 404 if there is no such application.
func (s *Service) ListFederatedCredentials(ctx context.Context, appID string) ([]rbac.FederatedCredential, error) {
	st, t := s.cfg.Store, s.cfg.Tenant
	if _, err := st.GetApplication(ctx, t, appID); err != nil {
		return nil, appNotFound(err, appID)
	}
	return st.ListFederatedCredentials(ctx, t, appID)
}

// CreateFederatedCredential adds a federated credential to application
// appID: 404 for an unknown application, 422 for a name in use or past
// rbac.MaxFederatedCredentials.
func (s *Service) CreateFederatedCredential(ctx context.Context, appID string, in FederatedCreate) (*rbac.FederatedCredential, error) {
	id, err := secret.NewID(s.cfg.Rand)
	if err != nil {
		return nil, err
	}
	c := &rbac.FederatedCredential{TenantID: s.cfg.Tenant, ID: id, ApplicationID: appID, Name: in.Name, Issuer: in.Issuer,
		Subject: in.Subject, Audiences: in.Audiences, Claims: in.Claims, JWKSURI: in.JWKSURI, CreatedAt: s.nowMs()}
	if c.Claims == nil {
		c.Claims = map[string]string{}
	}
	err = s.write(ctx, func(q *store.Queries, set *change.Set) error {
		*set = change.App(appID)
		if _, err := q.GetApplication(ctx, s.cfg.Tenant, appID); err != nil {
			return appNotFound(err, appID)
		}
		list, err := q.ListFederatedCredentials(ctx, s.cfg.Tenant, appID)
		if err != nil {
			return err
		}
		if len(list) >= rbac.MaxFederatedCredentials {
			return errorf(http.StatusUnprocessableEntity, "application.federated_credentials_limit",
				"An application has at most %d federated credentials.", rbac.MaxFederatedCredentials)
		}
		err = q.InsertFederatedCredential(ctx, c)
		if errors.Is(err, store.ErrConflict) {
			return errorf(http.StatusUnprocessableEntity, "application.federated_credential_name_exists",
				"Federated credential name already exists.")
		}
		return storeError(err)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// DeleteFederatedCredential removes credential id of application appID;
// 404 entity.not_exists_with_id when there is none.
func (s *Service) DeleteFederatedCredential(ctx context.Context, appID, id string) error {
	err := s.write(ctx, func(q *store.Queries, c *change.Set) error {
		*c = change.App(appID)
		return q.DeleteFederatedCredential(ctx, s.cfg.Tenant, appID, id)
	})
	if errors.Is(err, store.ErrNotFound) {
		return notExistsWithID(federatedTable, id)
	}
	return err
}
