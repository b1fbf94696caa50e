-- Secretless client authentication (issue 12). Identical in both dialects.
--
-- assertion_jtis: the jti of every private_key_jwt client assertion
-- accepted (RFC 7523 §3 item 7), kept until the assertion's exp so that it
-- is never accepted twice, by any instance, then pruned.
CREATE TABLE assertion_jtis (
  tenant_id VARCHAR(21) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  client_id VARCHAR(21) NOT NULL,
  jti VARCHAR(256) NOT NULL,
  expires_at BIGINT NOT NULL,
  CONSTRAINT assertion_jtis_pkey PRIMARY KEY (tenant_id, client_id, jti)
);
CREATE INDEX assertion_jtis__expires_at ON assertion_jtis (expires_at);

-- application_federated_credentials: external identities (an issuer, a
-- subject or subject pattern, audiences, extra claims) whose tokens an
-- application accepts in place of a secret (workload identity
-- federation). audiences is a JSON array and claims a JSON object, both as
-- text.
CREATE TABLE application_federated_credentials (
  tenant_id VARCHAR(21) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id VARCHAR(21) NOT NULL,
  application_id VARCHAR(21) NOT NULL,
  name VARCHAR(128) NOT NULL,
  issuer VARCHAR(2048) NOT NULL,
  subject VARCHAR(1024) NOT NULL,
  audiences TEXT NOT NULL,
  claims TEXT NOT NULL,
  jwks_uri VARCHAR(2048),
  created_at BIGINT NOT NULL,
  CONSTRAINT application_federated_credentials_pkey PRIMARY KEY (tenant_id, id),
  CONSTRAINT application_federated_credentials__name UNIQUE (tenant_id, application_id, name),
  CONSTRAINT application_federated_credentials__application FOREIGN KEY (tenant_id, application_id)
    REFERENCES applications (tenant_id, id) ON DELETE CASCADE
);
