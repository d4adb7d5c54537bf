-- Dictionaries: audio clips keyed by word or number, used to speak numbers, dates and words.
-- ``org_id`` NULL = a system dictionary, visible to every organization and read-only for them.
-- A clip lives in the JetStream object store (bucket ``callcast-audio``) under
-- ``dictionaries/<dictionaryId>/<key>.ulaw`` (raw G.711 μ-law, 8 kHz mono).
CREATE TABLE dictionaries (
    id          uuid        PRIMARY KEY,
    org_id      text,
    name        text        NOT NULL,
    description text,
    language    text        NOT NULL CHECK (language IN ('ar', 'fr')),
    is_system   boolean     NOT NULL,
    -- Counts saves (create = 1), so each DictionarySaved has its own deterministic Nats-Msg-Id.
    revision    integer     NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    deleted_at  timestamptz,
    created_by  text        NOT NULL,
    updated_by  text        NOT NULL,
    deleted_by  text,
    CHECK (is_system = (org_id IS NULL))
);

CREATE INDEX dictionaries_live_by_org ON dictionaries (org_id, language, created_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX dictionaries_live_system ON dictionaries (language, created_at) WHERE deleted_at IS NULL AND org_id IS NULL;

CREATE TABLE dictionary_entries (
    id                 uuid        PRIMARY KEY,
    dictionary_id      uuid        NOT NULL REFERENCES dictionaries (id),
    key                text        NOT NULL CHECK (length(key) BETWEEN 1 AND 256),
    object_name        text        NOT NULL,
    -- sha256:<hex> of the stored μ-law bytes (what players cache on).
    digest             text        NOT NULL,
    duration_ms        integer     NOT NULL CHECK (duration_ms >= 0),
    original_file_name text,
    file_content_type  text        NOT NULL,
    file_size          bigint      NOT NULL,
    -- sha256:<hex> of the uploaded bytes.
    file_checksum      text        NOT NULL,
    revision           integer     NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    UNIQUE (dictionary_id, key)
);
