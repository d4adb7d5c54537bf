-- Contacts of every organization. Soft-deleted rows keep their data (deleted_at) but free their phone.
CREATE TABLE contacts (
    id                uuid PRIMARY KEY,
    org_id            uuid        NOT NULL,
    primary_phone     text        NOT NULL,
    first_name        text,
    last_name         text,
    full_name         text,
    primary_email     text,
    address           text,
    city              text,
    state             text,
    zip               text,
    occupation        text,
    preferred_channel text,
    gender            text,
    -- NULL means "never set" (answered as []); lets a bulk upsert tell "absent" from "empty".
    channels          text[],
    -- {attribute name: typed value}, validated against custom_attributes when written.
    custom_attributes jsonb       NOT NULL DEFAULT '{}'::jsonb,
    -- Bumped on every change; part of the ContactSaved message id and snapshot.
    revision          bigint      NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    deleted_at        timestamptz
);

-- One live contact per phone number in an organization (the upsert matches on it).
CREATE UNIQUE INDEX contacts_live_phone_per_org ON contacts (org_id, primary_phone) WHERE deleted_at IS NULL;
CREATE INDEX contacts_live_by_created ON contacts (org_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
