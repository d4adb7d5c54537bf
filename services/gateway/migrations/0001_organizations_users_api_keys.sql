-- The gateway owns who may call the API: organizations, their users, and API keys.
-- Keys are stored as a SHA-256 hash of the secret (shown once) plus a display prefix.

CREATE TABLE organizations (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 128),
    slug        text NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND char_length(slug) <= 256),
    timezone    text NOT NULL DEFAULT 'Africa/Casablanca',
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'inactive')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT organizations_slug_key UNIQUE (slug)
);

CREATE TABLE users (
    id          uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES organizations (id),
    email       text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 320),
    first_name  text,
    last_name   text,
    role        text NOT NULL DEFAULT 'owner' CHECK (role IN ('owner', 'admin', 'member')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX users_org_email_key ON users (org_id, lower(email));

CREATE TABLE api_keys (
    id            uuid PRIMARY KEY,
    org_id        uuid NOT NULL REFERENCES organizations (id),
    -- The user the key acts as (GET /users/me answers with it).
    user_id       uuid NOT NULL REFERENCES users (id),
    name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
    key_prefix    text NOT NULL,
    secret_hash   bytea NOT NULL CHECK (octet_length(secret_hash) = 32),
    is_active     boolean NOT NULL DEFAULT true,
    expires_at    timestamptz,
    last_used_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    -- Revoked keys keep their row (who had access, and when) but never authenticate again.
    deleted_at    timestamptz,
    CONSTRAINT api_keys_secret_hash_key UNIQUE (secret_hash)
);

CREATE INDEX api_keys_org_created_idx ON api_keys (org_id, created_at DESC) WHERE deleted_at IS NULL;
