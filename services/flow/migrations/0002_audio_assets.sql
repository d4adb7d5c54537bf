-- Uploaded audio. The converted media lives in the JetStream object store (bucket
-- ``callcast-audio``): ``<org>/<id>.ulaw`` (raw G.711 μ-law, 8 kHz mono, what the dialer streams)
-- and ``<org>/<id>.pcm16`` (16-bit little-endian PCM, 8 kHz mono, what the stream endpoint serves).
-- ``file_*`` columns describe the original upload.
CREATE TABLE audio_assets (
    id                 uuid        PRIMARY KEY,
    org_id             text        NOT NULL,
    title              text        NOT NULL,
    description        text,
    usage_type         text        NOT NULL CHECK (usage_type IN
                           ('welcome', 'goodbye', 'question', 'prompt', 'hold_music', 'notification', 'other')),
    tags               text[],
    duration_ms        integer     NOT NULL CHECK (duration_ms >= 0),
    original_file_name text,
    file_id            uuid        NOT NULL,
    file_content_type  text        NOT NULL,
    file_size          bigint      NOT NULL,
    file_checksum      text        NOT NULL,
    ulaw_object        text        NOT NULL,
    pcm16_object       text        NOT NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    deleted_at         timestamptz
);

CREATE INDEX audio_assets_live_by_org ON audio_assets (org_id, created_at DESC) WHERE deleted_at IS NULL;
