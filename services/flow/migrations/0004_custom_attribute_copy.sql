-- The organization's custom attribute names, copied from the contact service's events
-- (CustomAttributeSaved/Deleted on CONTACTS): the validator warns on references to unknown ones.
CREATE TABLE custom_attributes (
    org_id       uuid NOT NULL,
    attribute_id uuid NOT NULL,
    name         text NOT NULL,
    deleted      boolean NOT NULL DEFAULT false,
    PRIMARY KEY (org_id, attribute_id)
);
CREATE INDEX custom_attributes_org ON custom_attributes (org_id) WHERE NOT deleted;
