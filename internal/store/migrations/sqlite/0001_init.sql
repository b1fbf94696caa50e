-- Gatehouse initial schema, SQLite dialect. Keep in step with
-- ../postgres/0001_init.sql: same tables, columns, constraints and index
-- names; only the column types differ (TEXT for JSON, BLOB for bytes,
-- INTEGER PRIMARY KEY for the log sequence).
--
-- Every tenant-scoped table leads with tenant_id, so its primary key also
-- indexes the tenants foreign key, and child rows refer to their parents by
-- (tenant_id, id) so that no link can cross tenants.

CREATE TABLE tenants (
  id VARCHAR(21) NOT NULL,
  CONSTRAINT tenants_pkey PRIMARY KEY (id)
);

CREATE TABLE gatehouse_meta (
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  CONSTRAINT gatehouse_meta_pkey PRIMARY KEY (key)
);

CREATE TABLE applications (
  tenant_id VARCHAR(21) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id VARCHAR(21) NOT NULL,
  name VARCHAR(256) NOT NULL,
  description TEXT,
  type VARCHAR(32) NOT NULL,
  oidc_client_metadata TEXT NOT NULL DEFAULT '{"redirectUris":[],"postLogoutRedirectUris":[]}',
  custom_client_metadata TEXT NOT NULL DEFAULT '{}',
  protected_app_metadata TEXT,
  custom_data TEXT NOT NULL DEFAULT '{}',
  is_third_party BOOLEAN NOT NULL DEFAULT FALSE,
  app_level_access_control_enabled BOOLEAN NOT NULL DEFAULT FALSE,
  created_at BIGINT NOT NULL,
  CONSTRAINT applications_pkey PRIMARY KEY (tenant_id, id),
  CONSTRAINT applications__type CHECK (type IN ('Native', 'SPA', 'Traditional', 'MachineToMachine', 'Protected', 'SAML'))
);
CREATE INDEX applications__created_at ON applications (tenant_id, created_at DESC);

CREATE TABLE application_secrets (
  tenant_id VARCHAR(21) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  application_id VARCHAR(21) NOT NULL,
  name VARCHAR(256) NOT NULL,
  sealed BLOB NOT NULL,
  digest BLOB NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT,
  CONSTRAINT application_secrets_pkey PRIMARY KEY (tenant_id, application_id, name),
  CONSTRAINT application_secrets__application FOREIGN KEY (tenant_id, application_id)
    REFERENCES applications (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX application_secrets__digest ON application_secrets (tenant_id, digest);

CREATE TABLE resources (
  tenant_id VARCHAR(21) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id VARCHAR(21) NOT NULL,
  name TEXT NOT NULL,
  indicator TEXT NOT NULL,
  is_default BOOLEAN NOT NULL DEFAULT FALSE,
  access_token_ttl BIGINT NOT NULL DEFAULT 3600,
  CONSTRAINT resources_pkey PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX resources__indicator ON resources (tenant_id, indicator);
CREATE UNIQUE INDEX resources__is_default ON resources (tenant_id) WHERE is_default;

CREATE TABLE scopes (
  tenant_id VARCHAR(21) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id VARCHAR(21) NOT NULL,
  resource_id VARCHAR(21) NOT NULL,
  name VARCHAR(256) NOT NULL,
  description TEXT,
  created_at BIGINT NOT NULL,
  CONSTRAINT scopes_pkey PRIMARY KEY (tenant_id, id),
  CONSTRAINT scopes__resource FOREIGN KEY (tenant_id, resource_id)
    REFERENCES resources (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX scopes__name ON scopes (tenant_id, resource_id, name);
CREATE INDEX scopes__resource_id ON scopes (tenant_id, resource_id);

CREATE TABLE roles (
  tenant_id VARCHAR(21) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id VARCHAR(21) NOT NULL,
  name VARCHAR(128) NOT NULL,
  description VARCHAR(128) NOT NULL,
  type VARCHAR(32) NOT NULL DEFAULT 'User',
  is_default BOOLEAN NOT NULL DEFAULT FALSE,
  CONSTRAINT roles_pkey PRIMARY KEY (tenant_id, id),
  CONSTRAINT roles__type CHECK (type IN ('User', 'MachineToMachine'))
);
CREATE UNIQUE INDEX roles__name ON roles (tenant_id, name);

CREATE TABLE roles_scopes (
  tenant_id VARCHAR(21) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id VARCHAR(21) NOT NULL,
  role_id VARCHAR(21) NOT NULL,
  scope_id VARCHAR(21) NOT NULL,
  CONSTRAINT roles_scopes_pkey PRIMARY KEY (tenant_id, id),
  CONSTRAINT roles_scopes__role FOREIGN KEY (tenant_id, role_id)
    REFERENCES roles (tenant_id, id) ON DELETE CASCADE,
  CONSTRAINT roles_scopes__scope FOREIGN KEY (tenant_id, scope_id)
    REFERENCES scopes (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX roles_scopes__role_scope ON roles_scopes (tenant_id, role_id, scope_id);
CREATE INDEX roles_scopes__scope_id ON roles_scopes (tenant_id, scope_id);

CREATE TABLE applications_roles (
  tenant_id VARCHAR(21) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id VARCHAR(21) NOT NULL,
  application_id VARCHAR(21) NOT NULL,
  role_id VARCHAR(21) NOT NULL,
  CONSTRAINT applications_roles_pkey PRIMARY KEY (tenant_id, id),
  CONSTRAINT applications_roles__application FOREIGN KEY (tenant_id, application_id)
    REFERENCES applications (tenant_id, id) ON DELETE CASCADE,
  CONSTRAINT applications_roles__role FOREIGN KEY (tenant_id, role_id)
    REFERENCES roles (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX applications_roles__application_role ON applications_roles (tenant_id, application_id, role_id);
CREATE INDEX applications_roles__role_id ON applications_roles (tenant_id, role_id);

CREATE TABLE signing_keys (
  tenant_id VARCHAR(21) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id VARCHAR(21) NOT NULL,
  alg VARCHAR(16) NOT NULL,
  private_sealed BLOB NOT NULL,
  status VARCHAR(16) NOT NULL,
  created_at BIGINT NOT NULL,
  effective_at BIGINT,
  CONSTRAINT signing_keys_pkey PRIMARY KEY (tenant_id, id),
  CONSTRAINT signing_keys__status CHECK (status IN ('Next', 'Current', 'Previous'))
);

-- seq orders the log (insertion order); created_at comes from the caller's
-- clock and may tie or step backwards. application_id is not a foreign key
-- and is unbounded text: a log row outlives its application, and failed
-- requests record whatever client id was presented.
CREATE TABLE logs (
  seq INTEGER, -- with the PRIMARY KEY below: an alias of the rowid
  tenant_id VARCHAR(21) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  key TEXT NOT NULL,
  payload TEXT NOT NULL DEFAULT '{}',
  application_id TEXT,
  result TEXT,
  created_at BIGINT NOT NULL,
  CONSTRAINT logs_pkey PRIMARY KEY (seq)
);
CREATE UNIQUE INDEX logs__id ON logs (tenant_id, id);
-- No (tenant_id, seq) index here, unlike PostgreSQL: seq is the rowid, so
-- "newest first" walks the table itself, and one index fewer makes every
-- audit insert cheaper.
CREATE INDEX logs__key ON logs (tenant_id, key, seq);
CREATE INDEX logs__application_id ON logs (tenant_id, application_id, seq);
