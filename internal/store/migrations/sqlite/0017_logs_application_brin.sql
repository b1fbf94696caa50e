-- Nothing on SQLite: PostgreSQL's audit log index on application_id became
-- a BRIN bloom index (see the PostgreSQL migration of this name); SQLite
-- keeps the log in a file of its own (migrations/sqlite-audit) with its
-- B-tree index. The file exists because both dialects have the same
-- migrations.
SELECT 1;
