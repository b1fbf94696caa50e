-- Users as members of organizations, and the organization roles they hold
-- in each (issue 13), SQLite dialect. Keep in step with
-- ../postgres/0012_organization_users.sql: same tables, columns, constraints
-- and index names.
--
-- Logto's check that only User organization roles go to users is made by
-- the store's INSERT ... SELECT, as for organization_role_application_relations.
-- Nothing here is read by the grant cache: users get no tokens.

CREATE TABLE organization_user_relations (
  tenant_id VARCHAR(21) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  organization_id VARCHAR(21) NOT NULL,
  user_id VARCHAR(12) NOT NULL,
  CONSTRAINT organization_user_relations_pkey PRIMARY KEY (tenant_id, organization_id, user_id),
  CONSTRAINT organization_user_relations__organization FOREIGN KEY (tenant_id, organization_id)
    REFERENCES organizations (tenant_id, id) ON DELETE CASCADE,
  CONSTRAINT organization_user_relations__user FOREIGN KEY (tenant_id, user_id)
    REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
-- GET /api/users/{userId}/organizations, excludeOrganizationId, and the
-- cascade when a user is deleted.
CREATE INDEX organization_user_relations__user_id ON organization_user_relations (tenant_id, user_id);

-- Organization roles of member users. The membership foreign key cascades:
-- leaving an organization drops the roles held in it.
CREATE TABLE organization_role_user_relations (
  tenant_id VARCHAR(21) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  organization_id VARCHAR(21) NOT NULL,
  organization_role_id VARCHAR(21) NOT NULL,
  user_id VARCHAR(12) NOT NULL,
  CONSTRAINT organization_role_user_relations_pkey PRIMARY KEY (tenant_id, organization_id, organization_role_id, user_id),
  CONSTRAINT organization_role_user_relations__membership FOREIGN KEY (tenant_id, organization_id, user_id)
    REFERENCES organization_user_relations (tenant_id, organization_id, user_id) ON DELETE CASCADE,
  CONSTRAINT organization_role_user_relations__role FOREIGN KEY (tenant_id, organization_role_id)
    REFERENCES organization_roles (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX organization_role_user_relations__user ON organization_role_user_relations (tenant_id, user_id, organization_id);
CREATE INDEX organization_role_user_relations__role_id ON organization_role_user_relations (tenant_id, organization_role_id);
