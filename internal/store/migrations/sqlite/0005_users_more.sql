-- Users, second step (Management API user routes).
--
-- Logto compares primary emails case-insensitively (lower(primary_email)
-- in hasUserWithEmail): a unique index on the lowered value makes that rule
-- hold under concurrent writes and serves the lookup. It implies the exact
-- index of 0002, which is dropped.
CREATE UNIQUE INDEX users__primary_email_lower ON users (tenant_id, lower(primary_email));
DROP INDEX users__primary_email;

-- GET /api/users lists newest first; id breaks ties so that pages are
-- stable when several users share a millisecond. Scanned backwards, this
-- index serves ORDER BY created_at DESC, id DESC on both engines.
CREATE INDEX users__created_at_id ON users (tenant_id, created_at, id);
DROP INDEX users__created_at;
