package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
)

// The organizations of the Management API (spec §2.7, §4.11): the
// organizations themselves here, their template (scopes and roles) in
// organizations_template.go, applications' membership and roles in
// organizations_apps.go.

// Organization is an organization. Timestamps are epoch milliseconds.
type Organization struct {
	TenantID      string          `json:"tenantId"`
	ID            string          `json:"id"`
	Name          string          `json:"name"`
	Description   *string         `json:"description"`
	CustomData    json.RawMessage `json:"customData"`
	IsMfaRequired bool            `json:"isMfaRequired"`
	Color         json.RawMessage `json:"color"`
	Branding      json.RawMessage `json:"branding"`
	CustomCSS     *string         `json:"customCss"`
	CreatedAt     int64           `json:"createdAt"`
}

// organizationColumns are an organization's columns, for a query where
// the table is aliased o.
const organizationColumns = `o.tenant_id, o.id, o.name, o.description, o.custom_data, o.is_mfa_required, o.color, o.branding, o.custom_css, o.created_at`

// organizationReturning is organizationColumns unqualified, for RETURNING
// (SQLite does not take a qualified name there).
const organizationReturning = `tenant_id, id, name, description, custom_data, is_mfa_required, color, branding, custom_css, created_at`

// organizationSearchColumns are the fields GET /api/organizations searches.
var organizationSearchColumns = map[string]string{"id": "o.id", "name": "o.name"}

func scanOrganization(row interface{ Scan(...any) error }) (*Organization, error) {
	var (
		o                           Organization
		description, customCSS      sql.NullString
		customData, color, branding []byte
	)
	if err := row.Scan(&o.TenantID, &o.ID, &o.Name, &description, &customData, &o.IsMfaRequired, &color, &branding, &customCSS, &o.CreatedAt); err != nil {
		return nil, err
	}
	o.Description = stringPtr(description)
	o.CustomData = json.RawMessage(customData)
	o.Color = json.RawMessage(color)
	o.Branding = json.RawMessage(branding)
	o.CustomCSS = stringPtr(customCSS)
	return &o, nil
}

// InsertOrganization creates o; empty JSON fields are {}. ErrConflict if
// the id is taken.
func (q *Queries) InsertOrganization(ctx context.Context, o *Organization) error {
	custom, err := jsonArg("custom_data", o.CustomData, emptyObject)
	if err != nil {
		return err
	}
	branding, err := jsonArg("branding", o.Branding, emptyObject)
	if err != nil {
		return err
	}
	color, err := jsonArg("color", o.Color, emptyObject)
	if err != nil {
		return err
	}
	_, err = q.q.ExecContext(ctx, `INSERT INTO organizations (tenant_id, id, name, description, custom_data, is_mfa_required, color, branding, custom_css, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, o.TenantID, o.ID, o.Name, o.Description, custom, o.IsMfaRequired, color, branding, o.CustomCSS, o.CreatedAt)
	if err == nil {
		o.CustomData, o.Color, o.Branding = json.RawMessage(custom), json.RawMessage(color), json.RawMessage(branding)
	}
	return wrap("insert organization "+o.ID, err)
}

// GetOrganization returns the organization id; ErrNotFound if none.
func (q *Queries) GetOrganization(ctx context.Context, tenant, id string) (*Organization, error) {
	o, err := scanOrganization(q.q.QueryRowContext(ctx, `SELECT `+organizationColumns+` FROM organizations o
WHERE o.tenant_id = $1 AND o.id = $2`, tenant, id))
	return o, wrap("organization "+id, err)
}

// OrganizationUpdate is a change to an organization; nil fields stay as
// they are. Description is set (possibly to NULL) when DescriptionSet.
type OrganizationUpdate struct {
	Name           *string
	Description    *string
	DescriptionSet bool
	CustomData     json.RawMessage
	IsMfaRequired  *bool
	Color          json.RawMessage
	Branding       json.RawMessage
	// CustomCSS is set (possibly to NULL) when CustomCSSSet.
	CustomCSS    *string
	CustomCSSSet bool
}

// UpdateOrganization changes the organization id and returns it;
// ErrNotFound if there is none.
func (q *Queries) UpdateOrganization(ctx context.Context, tenant, id string, u OrganizationUpdate) (*Organization, error) {
	args := []any{tenant, id}
	var sets []string
	set := func(col string, v any) {
		args = append(args, v)
		sets = append(sets, fmt.Sprintf("%s = $%d", col, len(args)))
	}
	if u.Name != nil {
		set("name", *u.Name)
	}
	if u.DescriptionSet {
		set("description", u.Description)
	}
	if u.CustomData != nil {
		v, err := jsonArg("custom_data", u.CustomData, emptyObject)
		if err != nil {
			return nil, err
		}
		set("custom_data", v)
	}
	if u.IsMfaRequired != nil {
		set("is_mfa_required", *u.IsMfaRequired)
	}
	if u.Branding != nil {
		v, err := jsonArg("branding", u.Branding, emptyObject)
		if err != nil {
			return nil, err
		}
		set("branding", v)
	}
	if u.Color != nil {
		v, err := jsonArg("color", u.Color, emptyObject)
		if err != nil {
			return nil, err
		}
		set("color", v)
	}
	if u.CustomCSSSet {
		set("custom_css", u.CustomCSS)
	}
	if len(sets) == 0 {
		return q.GetOrganization(ctx, tenant, id)
	}
	o, err := scanOrganization(q.q.QueryRowContext(ctx, `UPDATE organizations SET `+strings.Join(sets, ", ")+`
WHERE tenant_id = $1 AND id = $2 RETURNING `+organizationReturning, args...))
	return o, wrap("update organization "+id, err)
}

// DeleteOrganization deletes the organization id with its memberships and
// their roles (foreign keys cascade); ErrNotFound if there is none.
func (q *Queries) DeleteOrganization(ctx context.Context, tenant, id string) error {
	res, err := q.q.ExecContext(ctx, `DELETE FROM organizations WHERE tenant_id = $1 AND id = $2`, tenant, id)
	return affectedOne(res, err, "delete organization "+id)
}

// ListOrganizationsPage returns a page of the tenant's organizations that
// match search (over id and name), newest first, and how many match.
// ErrInvalidInput for a search pattern that does not compile.
func (q *Queries) ListOrganizationsPage(ctx context.Context, tenant string, search Search, limit, offset int) ([]Organization, int64, error) {
	args := []any{tenant}
	cond, err := q.where(search, organizationSearchColumns, &args)
	if err != nil {
		return nil, 0, err
	}
	if cond != "" {
		cond = " AND " + cond
	}
	from := ` FROM organizations o WHERE o.tenant_id = $1` + cond
	var total int64
	if err := q.q.QueryRowContext(ctx, `SELECT COUNT(*)`+from, args...).Scan(&total); err != nil {
		return nil, 0, wrap("count organizations", err)
	}
	rows, err := q.q.QueryContext(ctx, `SELECT `+organizationColumns+from+
		` ORDER BY o.created_at DESC, o.id DESC`+pageSQL(&args, limit, offset), args...)
	if err != nil {
		return nil, 0, wrap("list organizations", err)
	}
	defer rows.Close()
	out := []Organization{}
	for rows.Next() {
		o, err := scanOrganization(rows)
		if err != nil {
			return nil, 0, wrap("list organizations", err)
		}
		out = append(out, *o)
	}
	return out, total, wrap("list organizations", rows.Err())
}
