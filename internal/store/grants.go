package store

import (
	"context"
	"database/sql"
)

// AppGrants is everything the token endpoint needs of one application, as
// [Queries.LoadGrants] reads it: the rows of each relation, unaggregated.
type AppGrants struct {
	ID   string
	Type string
	// CustomClientMetadata is the JSON column as stored (its
	// corsAllowedOrigins matter to the token endpoint).
	CustomClientMetadata []byte
	// OIDCClientMetadata is the JSON column as stored (its
	// tokenEndpointAuthMethod, jwks and jwksUri matter to client
	// authentication, its dpopBoundAccessTokens to the token endpoint).
	OIDCClientMetadata []byte
	Secrets            []GrantSecret
	// Federated are the application's federated credentials.
	Federated []GrantFederated
	// Roles has one row per M2M role and scope it grants; a role without
	// scopes has one row with empty ResourceID, Indicator and Scope.
	Roles []GrantRow
	// Organizations has one row per organization membership, organization
	// role and organization scope (Role and Scope empty when there is
	// none), and one per resource scope granted through an organization
	// role (Resource set).
	Organizations []OrganizationGrantRow
}

// GrantSecret is a secret as the token endpoint checks it.
type GrantSecret struct {
	Name      string
	Digest    []byte
	ExpiresAt *int64 // epoch ms; nil: never
}

// GrantFederated is a federated credential as client authentication
// checks it. Match is the JSON object {"a": audiences, "c": claims}.
type GrantFederated struct {
	Name, Issuer, Subject, JWKSURI string
	Match                          []byte
}

// GrantRow is one scope an M2M role grants an application.
type GrantRow struct {
	RoleID, ResourceID, Indicator, Scope string
}

// OrganizationGrantRow is one thing an application holds in an
// organization: the membership itself, an organization scope, or a
// resource scope (when ResourceID is set) through organization role RoleID.
type OrganizationGrantRow struct {
	OrganizationID, RoleID, Scope, ResourceID, Indicator string
}

// grantsQuery reads, in one round trip, everything of the applications
// with ids between $2 and $3 that a token request needs. Rows come sorted
// by application id, so that callers can stream them application by
// application. Kinds: 0 the application, 1 a secret, 2 an M2M role grant,
// 3 an organization membership or organization scope, 4 a resource scope
// through an organization role, 5 a federated credential.
//
// The application's role links (ar) and organization role links (ra) are
// read first, by their application id index, as materialized CTEs: the
// plan must not depend on the tables' statistics. On a PostgreSQL whose
// statistics predate a bulk import (autovacuum off or not yet run), the
// planner otherwise started from the roles and walked every application
// holding them: 110 ms per application load with 100,000 apps on one role
// (EXPLAIN ANALYZE); this way every step is an index scan by application id
// (6-16 ms measured the same way, on a loaded machine with cold pages).
const grantsQuery = `WITH ar AS MATERIALIZED (
  SELECT application_id, role_id FROM applications_roles
  WHERE tenant_id = $1 AND application_id BETWEEN $2 AND $3
), ra AS MATERIALIZED (
  SELECT application_id, organization_id, organization_role_id FROM organization_role_application_relations
  WHERE tenant_id = $1 AND application_id BETWEEN $2 AND $3
)
SELECT 0, a.id, a.type, CAST(a.custom_client_metadata AS TEXT), CAST(a.oidc_client_metadata AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS BIGINT), NULL
FROM applications a WHERE a.tenant_id = $1 AND a.id BETWEEN $2 AND $3
UNION ALL
SELECT 1, s.application_id, s.name, NULL, NULL, NULL, NULL, s.expires_at, s.digest
FROM application_secrets s WHERE s.tenant_id = $1 AND s.application_id BETWEEN $2 AND $3
UNION ALL
SELECT 2, ar.application_id, ar.role_id, sc.resource_id, res.indicator, sc.name, NULL, NULL, NULL
FROM ar
JOIN roles r ON r.tenant_id = $1 AND r.id = ar.role_id AND r.type = 'MachineToMachine'
LEFT JOIN roles_scopes rs ON rs.tenant_id = $1 AND rs.role_id = ar.role_id
LEFT JOIN scopes sc ON sc.tenant_id = rs.tenant_id AND sc.id = rs.scope_id
LEFT JOIN resources res ON res.tenant_id = sc.tenant_id AND res.id = sc.resource_id
UNION ALL
SELECT 3, m.application_id, m.organization_id, ra.organization_role_id, os.name, NULL, NULL, NULL, NULL
FROM organization_application_relations m
LEFT JOIN ra ON ra.organization_id = m.organization_id AND ra.application_id = m.application_id
LEFT JOIN organization_roles r ON r.tenant_id = $1 AND r.id = ra.organization_role_id AND r.type = 'MachineToMachine'
LEFT JOIN organization_role_scope_relations ors ON ors.tenant_id = r.tenant_id AND ors.organization_role_id = r.id
LEFT JOIN organization_scopes os ON os.tenant_id = ors.tenant_id AND os.id = ors.organization_scope_id
WHERE m.tenant_id = $1 AND m.application_id BETWEEN $2 AND $3
UNION ALL
SELECT 4, ra.application_id, ra.organization_id, ra.organization_role_id, sc.name, sc.resource_id, res.indicator, NULL, NULL
FROM ra
JOIN organization_roles r ON r.tenant_id = $1 AND r.id = ra.organization_role_id AND r.type = 'MachineToMachine'
JOIN organization_role_resource_scope_relations rrs ON rrs.tenant_id = $1 AND rrs.organization_role_id = ra.organization_role_id
JOIN scopes sc ON sc.tenant_id = rrs.tenant_id AND sc.id = rrs.scope_id
JOIN resources res ON res.tenant_id = sc.tenant_id AND res.id = sc.resource_id
UNION ALL
SELECT 5, f.application_id, f.name, f.issuer, f.subject, '{"a":' || f.audiences || ',"c":' || f.claims || '}', f.jwks_uri, NULL, NULL
FROM application_federated_credentials f WHERE f.tenant_id = $1 AND f.application_id BETWEEN $2 AND $3
ORDER BY 2, 1`

// LoadGrants reads, in one query, the grants of every application of
// tenant whose id is between from and to (inclusive, in the database's
// order), and calls fn once per application, in id order. from = to loads
// one application; fn is not called when it does not exist. Relations of
// an application not (or no longer) in the applications table are skipped.
func (q *Queries) LoadGrants(ctx context.Context, tenant, from, to string, fn func(*AppGrants) error) error {
	const op = "load grants"
	rows, err := q.q.QueryContext(ctx, grantsQuery, tenant, from, to)
	if err != nil {
		return wrap(op, err)
	}
	defer rows.Close()
	var cur *AppGrants
	for rows.Next() {
		var (
			kind               int
			app                string
			s1, s2, s3, s4, s5 sql.NullString
			n                  sql.NullInt64
			b                  []byte
		)
		if err := rows.Scan(&kind, &app, &s1, &s2, &s3, &s4, &s5, &n, &b); err != nil {
			return wrap(op, err)
		}
		if kind == 0 {
			if cur != nil {
				if err := fn(cur); err != nil {
					return err
				}
			}
			cur = &AppGrants{ID: app, Type: s1.String, CustomClientMetadata: []byte(s2.String), OIDCClientMetadata: []byte(s3.String)}
			continue
		}
		if cur == nil || cur.ID != app {
			continue // a relation row of an application that is gone
		}
		switch kind {
		case 1:
			cur.Secrets = append(cur.Secrets, GrantSecret{Name: s1.String, Digest: b, ExpiresAt: int64Ptr(n)})
		case 2:
			cur.Roles = append(cur.Roles, GrantRow{RoleID: s1.String, ResourceID: s2.String, Indicator: s3.String, Scope: s4.String})
		case 3:
			cur.Organizations = append(cur.Organizations, OrganizationGrantRow{OrganizationID: s1.String, RoleID: s2.String, Scope: s3.String})
		case 4:
			cur.Organizations = append(cur.Organizations, OrganizationGrantRow{OrganizationID: s1.String, RoleID: s2.String,
				Scope: s3.String, ResourceID: s4.String, Indicator: s5.String})
		case 5:
			cur.Federated = append(cur.Federated, GrantFederated{Name: s1.String, Issuer: s2.String, Subject: s3.String,
				Match: []byte(s4.String), JWKSURI: s5.String})
		}
	}
	if err := rows.Err(); err != nil {
		return wrap(op, err)
	}
	if cur != nil {
		return fn(cur)
	}
	return nil
}

// ApplicationIDs returns up to limit application ids of tenant greater
// than after, in the database's order: the pages in which
// [Queries.LoadGrants] reads every application.
func (q *Queries) ApplicationIDs(ctx context.Context, tenant, after string, limit int) ([]string, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT id FROM applications WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
		tenant, after, limit)
	if err != nil {
		return nil, wrap("application ids", err)
	}
	defer rows.Close()
	ids := make([]string, 0, limit)
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, wrap("application ids", err)
		}
		ids = append(ids, id)
	}
	return ids, wrap("application ids", rows.Err())
}

// RoleGrants returns what M2M role roleID of tenant grants, one row per
// scope (none for a role without scopes, a role of another type, or none
// at all): the grant cache reloads a role's shared data with it after a
// change to the role or to a resource it grants on.
func (q *Queries) RoleGrants(ctx context.Context, tenant, roleID string) ([]GrantRow, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT sc.resource_id, res.indicator, sc.name
FROM roles r
JOIN roles_scopes rs ON rs.tenant_id = r.tenant_id AND rs.role_id = r.id
JOIN scopes sc ON sc.tenant_id = rs.tenant_id AND sc.id = rs.scope_id
JOIN resources res ON res.tenant_id = sc.tenant_id AND res.id = sc.resource_id
WHERE r.tenant_id = $1 AND r.id = $2 AND r.type = 'MachineToMachine'`, tenant, roleID)
	if err != nil {
		return nil, wrap("role grants", err)
	}
	defer rows.Close()
	var out []GrantRow
	for rows.Next() {
		g := GrantRow{RoleID: roleID}
		if err := rows.Scan(&g.ResourceID, &g.Indicator, &g.Scope); err != nil {
			return nil, wrap("role grants", err)
		}
		out = append(out, g)
	}
	return out, wrap("role grants", rows.Err())
}
