-- Organizations for machine-to-machine applications (spec §2.7, §4.11),
-- PostgreSQL dialect. Keep in step with ../sqlite/0007_organizations.sql:
-- same tables, columns, constraints and index names; only the JSON column
-- type differs.
--
-- Logto's checks that only MachineToMachine applications join an
-- organization and only MachineToMachine organization roles go to
-- applications are made by the store's INSERT ... SELECT statements, as
-- for applications_roles: a CHECK cannot look at another table.

CREATE TABLE organizations (
  tenant_id VARCHAR(21) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id VARCHAR(21) NOT NULL,
  name VARCHAR(128) NOT NULL,
  description VARCHAR(256),
  custom_data JSONB NOT NULL DEFAULT '{}',
  is_mfa_required BOOLEAN NOT NULL DEFAULT FALSE,
  branding JSONB NOT NULL DEFAULT '{}',
  created_at BIGINT NOT NULL,
  CONSTRAINT organizations_pkey PRIMARY KEY (tenant_id, id)
);
-- GET /api/organizations: newest first.
CREATE INDEX organizations__created_at ON organizations (tenant_id, created_at, id);

CREATE TABLE organization_scopes (
  tenant_id VARCHAR(21) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id VARCHAR(21) NOT NULL,
  name VARCHAR(128) NOT NULL,
  description VARCHAR(256),
  CONSTRAINT organization_scopes_pkey PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX organization_scopes__name ON organization_scopes (tenant_id, name);

CREATE TABLE organization_roles (
  tenant_id VARCHAR(21) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id VARCHAR(21) NOT NULL,
  name VARCHAR(128) NOT NULL,
  description VARCHAR(256),
  type VARCHAR(32) NOT NULL DEFAULT 'User',
  CONSTRAINT organization_roles_pkey PRIMARY KEY (tenant_id, id),
  CONSTRAINT organization_roles__type CHECK (type IN ('User', 'MachineToMachine'))
);
CREATE UNIQUE INDEX organization_roles__name ON organization_roles (tenant_id, name);

CREATE TABLE organization_role_scope_relations (
  tenant_id VARCHAR(21) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  organization_role_id VARCHAR(21) NOT NULL,
  organization_scope_id VARCHAR(21) NOT NULL,
  CONSTRAINT organization_role_scope_relations_pkey PRIMARY KEY (tenant_id, organization_role_id, organization_scope_id),
  CONSTRAINT organization_role_scope_relations__role FOREIGN KEY (tenant_id, organization_role_id)
    REFERENCES organization_roles (tenant_id, id) ON DELETE CASCADE,
  CONSTRAINT organization_role_scope_relations__scope FOREIGN KEY (tenant_id, organization_scope_id)
    REFERENCES organization_scopes (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX organization_role_scope_relations__scope_id ON organization_role_scope_relations (tenant_id, organization_scope_id);

CREATE TABLE organization_role_resource_scope_relations (
  tenant_id VARCHAR(21) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  organization_role_id VARCHAR(21) NOT NULL,
  scope_id VARCHAR(21) NOT NULL,
  CONSTRAINT organization_role_resource_scope_relations_pkey PRIMARY KEY (tenant_id, organization_role_id, scope_id),
  CONSTRAINT organization_role_resource_scope_relations__role FOREIGN KEY (tenant_id, organization_role_id)
    REFERENCES organization_roles (tenant_id, id) ON DELETE CASCADE,
  CONSTRAINT organization_role_resource_scope_relations__scope FOREIGN KEY (tenant_id, scope_id)
    REFERENCES scopes (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX organization_role_resource_scope_relations__scope_id ON organization_role_resource_scope_relations (tenant_id, scope_id);

-- Membership of applications.
CREATE TABLE organization_application_relations (
  tenant_id VARCHAR(21) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  organization_id VARCHAR(21) NOT NULL,
  application_id VARCHAR(21) NOT NULL,
  CONSTRAINT organization_application_relations_pkey PRIMARY KEY (tenant_id, organization_id, application_id),
  CONSTRAINT organization_application_relations__organization FOREIGN KEY (tenant_id, organization_id)
    REFERENCES organizations (tenant_id, id) ON DELETE CASCADE,
  CONSTRAINT organization_application_relations__application FOREIGN KEY (tenant_id, application_id)
    REFERENCES applications (tenant_id, id) ON DELETE CASCADE
);
-- The grant cache loads an application's organizations through this.
CREATE INDEX organization_application_relations__application_id ON organization_application_relations (tenant_id, application_id);

-- Organization roles of member applications. The membership foreign key
-- cascades: leaving an organization drops the roles held in it.
CREATE TABLE organization_role_application_relations (
  tenant_id VARCHAR(21) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  organization_id VARCHAR(21) NOT NULL,
  organization_role_id VARCHAR(21) NOT NULL,
  application_id VARCHAR(21) NOT NULL,
  CONSTRAINT organization_role_application_relations_pkey PRIMARY KEY (tenant_id, organization_id, organization_role_id, application_id),
  CONSTRAINT organization_role_application_relations__membership FOREIGN KEY (tenant_id, organization_id, application_id)
    REFERENCES organization_application_relations (tenant_id, organization_id, application_id) ON DELETE CASCADE,
  CONSTRAINT organization_role_application_relations__role FOREIGN KEY (tenant_id, organization_role_id)
    REFERENCES organization_roles (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX organization_role_application_relations__application ON organization_role_application_relations (tenant_id, application_id, organization_id);
CREATE INDEX organization_role_application_relations__role_id ON organization_role_application_relations (tenant_id, organization_role_id);
