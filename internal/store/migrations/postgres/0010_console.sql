-- Console administrators and their sessions (the admin console at /console).
--
-- Administrators are not users of the tenant: they sign in to the console
-- only, and exist across tenants. Passwords are stored as argon2id PHC
-- strings. A session row is keyed by the SHA-256 digest (hex) of the
-- cookie's random token, so a copy of the database opens no session; csrf
-- is the session's form token. A setup token (digest too) lets the first
-- administrator be created through a one-time link when none is configured.
CREATE TABLE console_admins (
  id VARCHAR(21) NOT NULL,
  username VARCHAR(64) NOT NULL,
  password_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  CONSTRAINT console_admins_pkey PRIMARY KEY (id)
);
CREATE UNIQUE INDEX console_admins__username ON console_admins (username);

CREATE TABLE console_sessions (
  id_digest VARCHAR(64) NOT NULL,
  admin_id VARCHAR(21) NOT NULL REFERENCES console_admins (id) ON DELETE CASCADE,
  csrf VARCHAR(64) NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  CONSTRAINT console_sessions_pkey PRIMARY KEY (id_digest)
);
CREATE INDEX console_sessions__admin_id ON console_sessions (admin_id);
CREATE INDEX console_sessions__expires_at ON console_sessions (expires_at);

CREATE TABLE console_setup_tokens (
  digest VARCHAR(64) NOT NULL,
  expires_at BIGINT NOT NULL,
  CONSTRAINT console_setup_tokens_pkey PRIMARY KEY (digest)
);
