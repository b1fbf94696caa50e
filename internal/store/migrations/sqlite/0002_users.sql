-- Users, as far as the Management API's user routes need them (the seeds'
-- example service updates a user's custom data), and their User roles.
CREATE TABLE users (
  tenant_id VARCHAR(21) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id VARCHAR(12) NOT NULL,
  username VARCHAR(128),
  primary_email VARCHAR(128),
  primary_phone VARCHAR(128),
  name VARCHAR(128),
  avatar VARCHAR(2048),
  custom_data TEXT NOT NULL DEFAULT '{}',
  profile TEXT NOT NULL DEFAULT '{}',
  is_suspended BOOLEAN NOT NULL DEFAULT FALSE,
  last_sign_in_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  CONSTRAINT users_pkey PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX users__username ON users (tenant_id, username);
CREATE UNIQUE INDEX users__primary_email ON users (tenant_id, primary_email);
CREATE UNIQUE INDEX users__primary_phone ON users (tenant_id, primary_phone);
CREATE INDEX users__created_at ON users (tenant_id, created_at DESC);

CREATE TABLE users_roles (
  tenant_id VARCHAR(21) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id VARCHAR(21) NOT NULL,
  user_id VARCHAR(12) NOT NULL,
  role_id VARCHAR(21) NOT NULL,
  CONSTRAINT users_roles_pkey PRIMARY KEY (tenant_id, id),
  CONSTRAINT users_roles__user FOREIGN KEY (tenant_id, user_id)
    REFERENCES users (tenant_id, id) ON DELETE CASCADE,
  CONSTRAINT users_roles__role FOREIGN KEY (tenant_id, role_id)
    REFERENCES roles (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX users_roles__user_role ON users_roles (tenant_id, user_id, role_id);
CREATE INDEX users_roles__role_id ON users_roles (tenant_id, role_id);
