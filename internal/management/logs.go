package management

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/rbac"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Logs returns the tenant's audit log entries f selects, newest first, and
// how many it selects in all (f.TenantID is set to the Service's tenant).
func (s *Service) Logs(ctx context.Context, f rbac.LogFilter) ([]rbac.LogEntry, int64, error) {
	f.TenantID = s.cfg.Tenant
	list, total, err := s.cfg.Store.ListLogs(ctx, f)
	if err != nil {
		return nil, 0, fmt.Errorf("management: logs: %w", err)
	}
	if list == nil {
		list = []rbac.LogEntry{}
	}
	return list, total, nil
}

// Log returns the audit log entry id: 404 entity.not_exists_with_id (table
// "logs") if there is none.
func (s *Service) Log(ctx context.Context, id string) (*rbac.LogEntry, error) {
	e, err := s.cfg.Store.GetLog(ctx, s.cfg.Tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notExistsWithID("logs", id)
	}
	if err != nil {
		return nil, fmt.Errorf("management: log %s: %w", id, err)
	}
	return e, nil
}
