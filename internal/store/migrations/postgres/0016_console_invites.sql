-- Invitations of further console administrators: a one-time link, like the
-- setup link of the first one. Only the SHA-256 digest (hex) of the link's
-- random token is stored; the row goes when the link is used or revoked.
CREATE TABLE console_invites (
  digest VARCHAR(64) NOT NULL,
  created_by VARCHAR(64) NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  CONSTRAINT console_invites_pkey PRIMARY KEY (digest)
);
CREATE INDEX console_invites__expires_at ON console_invites (expires_at);
