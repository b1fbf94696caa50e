-- GET /api/applications lists newest first with the id as tie-break
-- (ORDER BY created_at DESC, id DESC), so that pages are stable. This index
-- gives that order without a sort step, and covers the count of a tenant's
-- applications; it replaces applications__created_at, of which it is an
-- extension.
CREATE INDEX applications__created_at_id ON applications (tenant_id, created_at DESC, id DESC);
DROP INDEX applications__created_at;
