-- Indexes for the Management API's lists of resources, scopes and roles
-- (spec §4.6-§4.10). Keep in step with ../postgres/0004_roles.sql.

-- GET /api/resources: the tenant's resources by name.
CREATE INDEX resources__name ON resources (tenant_id, name, id);

-- GET /api/resources/{id}/scopes: a resource's scopes, oldest first.
CREATE INDEX scopes__resource_created_at ON scopes (tenant_id, resource_id, created_at, id);
