-- Flows: a header row per flow (its current state, for listing and sorting) and one immutable
-- row per saved version. A saved version is never updated: programs pin a version number and the
-- scheduler embeds that exact graph in every dial command.
CREATE TABLE flows (
    id             uuid        PRIMARY KEY,
    org_id         text        NOT NULL,
    name           text        NOT NULL,
    description    text,
    channel_type   text        NOT NULL CHECK (channel_type IN ('call', 'agnostic')),
    status         text        NOT NULL CHECK (status IN ('draft', 'active', 'archived')),
    latest_version integer     NOT NULL CHECK (latest_version >= 1),
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    deleted_at     timestamptz
);

CREATE INDEX flows_live_by_org ON flows (org_id, created_at DESC) WHERE deleted_at IS NULL;

CREATE TABLE flow_versions (
    flow_id     uuid        NOT NULL REFERENCES flows (id),
    version     integer     NOT NULL CHECK (version >= 1),
    name        text        NOT NULL,
    description text,
    status      text        NOT NULL,
    graph       jsonb       NOT NULL,
    graph_hash  text        NOT NULL,
    saved_at    timestamptz NOT NULL,
    PRIMARY KEY (flow_id, version)
);
