-- Live programs: the copy of the organization's custom attribute definitions (a trigger names a
-- date-type one), the mode and trigger an execution was launched with, and when its triggers
-- were last evaluated.
CREATE TABLE custom_attributes (
    org_id         uuid    NOT NULL,
    id             uuid    NOT NULL,
    name           text    NOT NULL,
    attribute_type text    NOT NULL,
    deleted        boolean NOT NULL DEFAULT false,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX custom_attributes_by_name ON custom_attributes (org_id, name) WHERE NOT deleted;

ALTER TABLE executions
    ADD COLUMN mode    text  NOT NULL DEFAULT 'batch',
    ADD COLUMN trigger jsonb;
