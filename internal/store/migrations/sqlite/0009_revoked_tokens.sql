-- The revocation denylist (RFC 7009): the jti of every access token revoked
-- before its exp, kept until that exp and then pruned. Identical in both
-- dialects.
CREATE TABLE revoked_tokens (
  tenant_id VARCHAR(21) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  jti VARCHAR(128) NOT NULL,
  client_id VARCHAR(21) NOT NULL,
  expires_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  CONSTRAINT revoked_tokens_pkey PRIMARY KEY (tenant_id, jti)
);
CREATE INDEX revoked_tokens__expires_at ON revoked_tokens (expires_at);
