-- The audit log of an SQLite deployment lives in a database file of its own
-- (see auditdb.go): the token endpoint appends a row per request, and in the
-- main file those inserts held SQLite's one write lock while Management API
-- writes waited. The table is the main file's logs table without the
-- foreign key (tenants live in the main file).
CREATE TABLE logs (
  seq INTEGER, -- with the PRIMARY KEY below: an alias of the rowid
  tenant_id VARCHAR(21) NOT NULL,
  id TEXT NOT NULL,
  key TEXT NOT NULL,
  payload TEXT NOT NULL DEFAULT '{}',
  application_id TEXT,
  result TEXT,
  created_at BIGINT NOT NULL,
  CONSTRAINT logs_pkey PRIMARY KEY (seq)
);
CREATE UNIQUE INDEX logs__id ON logs (tenant_id, id);
CREATE INDEX logs__key ON logs (tenant_id, key, seq);
CREATE INDEX logs__application_id ON logs (tenant_id, application_id, seq);
