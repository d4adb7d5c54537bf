-- Scheduler: programs and DIDs (CRUD), copies of other contexts' data (from their events),
-- and the projection of its own event-sourced executions and jobs.

CREATE TABLE dids (
    id          uuid PRIMARY KEY,
    org_id      uuid,               -- NULL: shared with every organization
    number      text        NOT NULL,
    country     text        NOT NULL,
    description text,
    status      text        NOT NULL DEFAULT 'active',
    is_shared   boolean     NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE INDEX dids_org ON dids (org_id) WHERE deleted_at IS NULL;

CREATE TABLE programs (
    id               uuid PRIMARY KEY,
    org_id           uuid        NOT NULL,
    name             text        NOT NULL,
    description      text,
    mode             text        NOT NULL DEFAULT 'batch',
    flow_id          uuid        NOT NULL,
    audience_id      uuid,
    status           text        NOT NULL DEFAULT 'draft',
    start_at         timestamptz,
    stop_at          timestamptz,
    did_pool         uuid[]      NOT NULL,
    retry_strategy   jsonb       NOT NULL,
    pause_windows    jsonb,
    auto_pause_rules jsonb,
    concurrency      integer     NOT NULL DEFAULT 10,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz
);
CREATE INDEX programs_org ON programs (org_id, created_at DESC) WHERE deleted_at IS NULL;

-- Event-carried state from the contact service (CONTACTS stream).
CREATE TABLE contacts (
    org_id     uuid    NOT NULL,
    id         uuid    NOT NULL,
    phone      text    NOT NULL,
    snapshot   jsonb   NOT NULL,
    revision   bigint  NOT NULL DEFAULT 0,
    deleted    boolean NOT NULL DEFAULT false,
    PRIMARY KEY (org_id, id)
);
CREATE TABLE audience_members (
    org_id      uuid NOT NULL,
    audience_id uuid NOT NULL,
    contact_id  uuid NOT NULL,
    PRIMARY KEY (org_id, audience_id, contact_id)
);

-- Event-carried state from the flow service (FLOWS stream): every immutable version.
CREATE TABLE flow_versions (
    org_id   uuid    NOT NULL,
    flow_id  uuid    NOT NULL,
    version  integer NOT NULL,
    snapshot jsonb   NOT NULL,
    PRIMARY KEY (org_id, flow_id, version)
);
CREATE TABLE flows_deleted (
    org_id  uuid NOT NULL,
    flow_id uuid NOT NULL,
    PRIMARY KEY (org_id, flow_id)
);

-- Projection of programs.<org>.execution.<id> and programs.<org>.job.<id>.
CREATE TABLE executions (
    id                 uuid PRIMARY KEY,
    org_id             uuid        NOT NULL,
    program_id         uuid        NOT NULL,
    audience_id        uuid,
    flow_id            uuid        NOT NULL,
    flow_version       integer     NOT NULL,
    status             text        NOT NULL,
    total_contacts     integer     NOT NULL,
    caller_ids         text[]      NOT NULL,
    retry_strategy     jsonb       NOT NULL,
    concurrency        integer     NOT NULL,
    scheduled_start_at timestamptz NOT NULL,
    scheduled_stop_at  timestamptz,
    actual_start_at    timestamptz,
    actual_end_at      timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX executions_program ON executions (program_id);
CREATE INDEX executions_active ON executions (status) WHERE status IN ('scheduled', 'running');

CREATE TABLE jobs (
    id              uuid PRIMARY KEY,
    org_id          uuid        NOT NULL,
    execution_id    uuid        NOT NULL REFERENCES executions (id),
    contact_id      uuid        NOT NULL,
    phone           text        NOT NULL,
    status          text        NOT NULL DEFAULT 'pending',
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    last_outcome    text,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_execution_status ON jobs (execution_id, status);
CREATE INDEX jobs_due ON jobs (execution_id, next_attempt_at) WHERE status IN ('pending', 'pending_retry');

-- W3C trace context of the launch, so the calls dispatched later continue the launch's trace.
ALTER TABLE executions ADD COLUMN traceparent text;
