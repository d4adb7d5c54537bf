-- Read models of the reporting service. Everything here except outcome_publications is a
-- projection of the CALLS and PROGRAMS streams: it can be dropped and rebuilt by replay.
-- Ids are text, not uuid: a malformed id in an event must not wedge the projection forever.

-- Executions seen on the PROGRAMS stream: lets jobs enrolled before any call know their program.
CREATE TABLE call_executions (
    execution_id text        PRIMARY KEY,
    org_id       text        NOT NULL,
    program_id   text        NOT NULL,
    flow_id      text,
    launched_at  timestamptz NOT NULL
);

-- One row per job (one contact in one execution, or one test call).
CREATE TABLE call_jobs (
    job_id             text        PRIMARY KEY,
    org_id             text        NOT NULL,
    execution_id       text,
    program_id         text,
    contact_id         text,
    phone              text,
    -- queued | active | completed | failed (derived: see domain.jobs.summarize_job)
    status             text        NOT NULL DEFAULT 'queued',
    outcome            text,
    outcome_reason     text,
    answered_by        text,
    attempts           integer     NOT NULL DEFAULT 0,
    latest_attempt_id  text,
    -- What the scheduler's JobCompleted said; NULL while the job may still try again.
    final_status       text,
    final_outcome      text,
    final_attempts     integer,
    completed_at       timestamptz,
    -- The attempt number a RetryScheduled announced: the job waits for it (status queued).
    retry_attempt_number integer,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL
);
CREATE INDEX call_jobs_org_execution ON call_jobs (org_id, execution_id);

-- One row per call attempt ("call" in the API).
CREATE TABLE call_attempts (
    attempt_id           text        PRIMARY KEY,
    org_id               text        NOT NULL,
    job_id               text        NOT NULL,
    attempt_number       integer     NOT NULL,
    execution_id         text,
    program_id           text,
    contact_id           text,
    from_number          text,
    to_number            text,
    -- queued | dialing | ringing | in_progress, then the outcome once the call ended
    status               text        NOT NULL,
    outcome              text,
    outcome_reason       text,
    answered_by          text,
    hangup_by            text,
    sip_status           integer,
    dialed_at            timestamptz,
    answered_at          timestamptz,
    terminated_at        timestamptz,
    duration_ms          bigint,
    flow_id              text,
    flow_name            text,
    flow_version         integer,
    execution_path       jsonb       NOT NULL DEFAULT '[]'::jsonb,
    final_variables      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    node_execution_count integer     NOT NULL DEFAULT 0,
    flow_started_at      timestamptz,
    flow_completed_at    timestamptz,
    media                jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);
CREATE INDEX call_attempts_job ON call_attempts (job_id, attempt_number);
CREATE INDEX call_attempts_org_created ON call_attempts (org_id, created_at DESC);
CREATE INDEX call_attempts_org_execution ON call_attempts (org_id, execution_id);

-- The timeline: one row per call event, in stream order.
CREATE TABLE call_events (
    attempt_id  text        NOT NULL,
    seq         bigint      NOT NULL,
    org_id      text        NOT NULL,
    job_id      text        NOT NULL,
    type        text        NOT NULL,
    occurred_at timestamptz NOT NULL,
    data        jsonb       NOT NULL,
    PRIMARY KEY (attempt_id, seq)
);
CREATE INDEX call_events_job ON call_events (job_id, seq);

-- Not a view: the attempts whose CallOutcomeReported was put in the outbox. A rebuild keeps it,
-- so replaying the CALLS stream never publishes an outcome twice.
CREATE TABLE outcome_publications (
    attempt_id  text        PRIMARY KEY,
    enqueued_at timestamptz NOT NULL DEFAULT now()
);
