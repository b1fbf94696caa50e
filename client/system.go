package client

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// ListPrivateKeys is GET /api/configs/oidc/private-keys: the token signing
// keys (Next, Current, Previous), never their private parts.
func (m *ManagementAPI) ListPrivateKeys(ctx context.Context) ([]SigningKey, error) {
	var out []SigningKey
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/configs/oidc/private-keys"}, &out)
	return out, err
}

// RotatePrivateKeys is POST /api/configs/oidc/private-keys/rotate; it
// returns the keys after the rotation.
func (m *ManagementAPI) RotatePrivateKeys(ctx context.Context, in RotateKeys) ([]SigningKey, error) {
	var out []SigningKey
	_, err := m.do(ctx, call{method: http.MethodPost, path: "/api/configs/oidc/private-keys/rotate", body: in}, &out)
	return out, err
}

// DeletePrivateKey is DELETE /api/configs/oidc/private-keys/{keyId}; only a
// Previous key can go.
func (m *ManagementAPI) DeletePrivateKey(ctx context.Context, keyID string) error {
	_, err := m.do(ctx, call{method: http.MethodDelete, path: "/api/configs/oidc/private-keys/" + esc(keyID)}, nil)
	return err
}

func (p ListLogsParams) values() url.Values {
	q := url.Values{}
	if p.Page > 0 {
		q.Set("page", strconv.Itoa(p.Page))
	}
	if p.PageSize > 0 {
		q.Set("page_size", strconv.Itoa(p.PageSize))
	}
	for k, v := range map[string]string{"logKey": p.LogKey, "logKeyPrefix": p.LogKeyPrefix, "result": p.Result,
		"applicationId": p.ApplicationID, "userId": p.UserID} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if p.StartTime > 0 {
		q.Set("start_time", strconv.FormatInt(p.StartTime, 10))
	}
	if p.EndTime > 0 {
		q.Set("end_time", strconv.FormatInt(p.EndTime, 10))
	}
	return q
}

// ListLogs is GET /api/logs (always paginated, newest first).
func (m *ManagementAPI) ListLogs(ctx context.Context, p ListLogsParams) ([]LogEntry, error) {
	var out []LogEntry
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/logs", query: p.values()}, &out)
	return out, err
}

// AllLogs iterates over every log entry matching p, newest first.
func (m *ManagementAPI) AllLogs(ctx context.Context, p ListLogsParams) iter.Seq2[LogEntry, error] {
	return all[LogEntry](m, ctx, "/api/logs", p.values, p.PageSize)
}

// GetLog is GET /api/logs/{id}.
func (m *ManagementAPI) GetLog(ctx context.Context, id string) (*LogEntry, error) {
	var out LogEntry
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/logs/" + esc(id)}, &out)
	return nilIfErr(&out, err)
}

// GetStatus is GET /api/status (no token): nil when the server is up.
func (m *ManagementAPI) GetStatus(ctx context.Context) error {
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/status", anon: true}, nil)
	return err
}

// GetSwaggerJSON is GET /api/swagger.json (no token): the OpenAPI
// document of the Management API.
func (m *ManagementAPI) GetSwaggerJSON(ctx context.Context) (json.RawMessage, error) {
	var out json.RawMessage
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/swagger.json", anon: true}, &out)
	return out, err
}

// GetManagementOpenAPIJSON is GET /api/.well-known/management.openapi.json
// (no token): the same document.
func (m *ManagementAPI) GetManagementOpenAPIJSON(ctx context.Context) (json.RawMessage, error) {
	var out json.RawMessage
	_, err := m.do(ctx, call{method: http.MethodGet, path: "/api/.well-known/management.openapi.json", anon: true}, &out)
	return out, err
}
