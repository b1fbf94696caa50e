-- The audit log's index on application_id becomes a BRIN bloom index.
--
-- As a B-tree, (tenant_id, application_id, seq) took every token request's
-- row at a random leaf: with many apps, every leaf page was touched again
-- after each checkpoint and written to the WAL whole (full-page images).
-- Measured with 100,000 apps at 10,000 tokens/s: one third of all WAL, and
-- Management API commits waiting for those flushes (a bare UPDATE's p99
-- under that load: 190 and 206 ms with the B-tree, 60 and 69 ms without it).
--
-- A BRIN index keeps, for each range of 32 heap pages (about 470 rows), a
-- bloom filter of the application ids in it: inserts touch only the last
-- range's summary, the index is a few bytes a row instead of about 70, and a
-- filter on one app reads the ranges that may hold it (1% false positives)
-- rather than the whole log. Rows are summarized by autosummarize when
-- autovacuum runs, and every few seconds by Gatehouse itself
-- (Store.SummarizeLogs); ranges not summarized yet are always read.
-- Needs PostgreSQL 14 (bloom operator classes), which Open checks.
DROP INDEX logs__application_id;
CREATE INDEX logs__application_id ON logs
  USING brin (application_id text_bloom_ops) WITH (pages_per_range = 32, autosummarize = on);
