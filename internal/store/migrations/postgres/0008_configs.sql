-- Tenant configuration documents, like Logto's logto_configs: one JSON
-- value per (tenant, key), such as the client-credentials JWT customizer
-- under "jwt.clientCredentials".
--
-- The value is TEXT on both engines, not JSONB: it is handed back exactly
-- as written, member order included (the customizer's environment
-- variables become claims in that order).
CREATE TABLE configs (
  tenant_id VARCHAR(21) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  key VARCHAR(256) NOT NULL,
  value TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  CONSTRAINT configs_pkey PRIMARY KEY (tenant_id, key)
);
