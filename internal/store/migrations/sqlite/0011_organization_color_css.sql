-- Logto's organization color and custom CSS (issue 13), SQLite dialect.
-- Keep in step with ../postgres/0011_organization_color_css.sql.
ALTER TABLE organizations ADD COLUMN color TEXT NOT NULL DEFAULT '{}';
ALTER TABLE organizations ADD COLUMN custom_css TEXT;
