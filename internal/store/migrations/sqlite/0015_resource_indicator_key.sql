-- Look-alike resource indicators are refused by the database itself (issue
-- 10), SQLite dialect. Keep in step with ../postgres/0015_resource_indicator_key.sql.
--
-- indicator_key is rbac.IndicatorKey(indicator): ASCII letters folded to
-- lower case and one trailing slash dropped, written by the server on
-- insert. One key per tenant: of two creations of look-alike indicators
-- at the same instant, exactly one succeeds.
ALTER TABLE resources ADD COLUMN indicator_key TEXT NOT NULL DEFAULT '';

-- SQLite's lower() folds ASCII letters only, as IndicatorKey does.
UPDATE resources SET indicator_key = CASE
  WHEN substr(indicator, -1) = '/' THEN lower(substr(indicator, 1, length(indicator) - 1))
  ELSE lower(indicator) END;

-- Look-alikes created before the check existed keep working: the first
-- (by id) keeps the key, the others get theirs followed by a space and
-- their id, which no new indicator can equal (indicators have no spaces).
UPDATE resources SET indicator_key = indicator_key || ' ' || id
WHERE EXISTS (SELECT 1 FROM resources o
              WHERE o.tenant_id = resources.tenant_id AND o.indicator_key = resources.indicator_key AND o.id < resources.id);

CREATE UNIQUE INDEX resources__indicator_key ON resources (tenant_id, indicator_key);
