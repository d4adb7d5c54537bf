-- Custom attribute definitions: contacts carry values keyed by ``name`` (a slug of display_name).
CREATE TABLE custom_attributes (
    id           uuid PRIMARY KEY,
    org_id       uuid        NOT NULL,
    name         text        NOT NULL,
    display_name text        NOT NULL,
    description  text,
    type         text        NOT NULL
        CHECK (type IN ('text', 'number', 'boolean', 'date', 'phone_number', 'email', 'url')),
    -- Bumped on every change; part of the message ids of its events.
    revision     bigint      NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz,
    created_by   text,
    updated_by   text,
    deleted_by   text
);

CREATE UNIQUE INDEX custom_attributes_live_name_per_org ON custom_attributes (org_id, name) WHERE deleted_at IS NULL;
