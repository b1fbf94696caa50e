-- Logto's organization color and custom CSS (issue 13), PostgreSQL
-- dialect. Keep in step with ../sqlite/0011_organization_color_css.sql.
ALTER TABLE organizations ADD COLUMN color JSONB NOT NULL DEFAULT '{}';
ALTER TABLE organizations ADD COLUMN custom_css TEXT;
