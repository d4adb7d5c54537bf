-- Audiences (named groups of contacts) and their membership history.
CREATE TABLE audiences (
    id          uuid PRIMARY KEY,
    org_id      uuid        NOT NULL,
    name        text        NOT NULL,
    description text,
    type        text        NOT NULL DEFAULT 'static' CHECK (type IN ('static', 'live')),
    -- Live audiences: the rule group (public form plus each attribute condition's type).
    rules       jsonb,
    -- Bumped on every change (membership included); part of the message ids of its events.
    revision    bigint      NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);

CREATE INDEX audiences_live_by_created ON audiences (org_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;

-- A row per contact that ever joined; removed_at marks one that left (it can join again).
CREATE TABLE audience_members (
    audience_id uuid        NOT NULL REFERENCES audiences (id),
    contact_id  uuid        NOT NULL REFERENCES contacts (id),
    added_at    timestamptz NOT NULL DEFAULT now(),
    removed_at  timestamptz,
    PRIMARY KEY (audience_id, contact_id)
);

CREATE INDEX audience_members_current_by_contact ON audience_members (contact_id) WHERE removed_at IS NULL;
