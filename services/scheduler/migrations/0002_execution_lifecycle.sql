-- Execution lifecycle (issue 7): the time rules and auto-pause rules the execution was launched
-- with, its lifecycle position, incremental job counters, and what the CallEnded reactor and the
-- attempt lease need per job, so neither reads a job's history from the stream.

-- What ExecutionLaunched carries (snapshotted at launch) and ExecutionResumed may replace.
ALTER TABLE executions
    ADD COLUMN timezone            text    NOT NULL DEFAULT 'UTC',
    ADD COLUMN pause_windows       jsonb,
    ADD COLUMN recipient_timezones boolean NOT NULL DEFAULT false,
    ADD COLUMN auto_pause_rules    jsonb,
    ADD COLUMN calls_per_second    double precision,
    -- Stream sequence of the last lifecycle event of the execution's subject applied to this row
    -- (projection and command handlers both apply them; each applies an event once).
    ADD COLUMN last_seq            bigint  NOT NULL DEFAULT 0,
    -- How many ExecutionPaused were applied: the next pause is execution-<id>-pause-<pauses + 1>.
    ADD COLUMN pauses              integer NOT NULL DEFAULT 0,
    ADD COLUMN pause_reason        text,
    ADD COLUMN paused_node_id      text,
    ADD COLUMN end_reason          text;

-- Job counters per status, kept by the statement triggers below in the same transaction as every
-- change of jobs, whoever makes it (projection, dispatcher, reactor, cancel): reading progress
-- never counts jobs. Jobs of the audience not enrolled in the projection yet are in none of them
-- (they count as pending: total_contacts minus the others).
ALTER TABLE executions
    ADD COLUMN jobs_pending       integer NOT NULL DEFAULT 0,
    ADD COLUMN jobs_queued        integer NOT NULL DEFAULT 0,
    ADD COLUMN jobs_calling       integer NOT NULL DEFAULT 0,
    ADD COLUMN jobs_pending_retry integer NOT NULL DEFAULT 0,
    ADD COLUMN jobs_completed     integer NOT NULL DEFAULT 0,
    ADD COLUMN jobs_failed        integer NOT NULL DEFAULT 0,
    ADD COLUMN jobs_skipped       integer NOT NULL DEFAULT 0;

CREATE INDEX executions_org ON executions (org_id, created_at DESC);

ALTER TABLE jobs
    -- Stream sequence of the job subject's last event applied here: the CallEnded reactor appends
    -- with it as the expected last sequence.
    ADD COLUMN last_seq           bigint  NOT NULL DEFAULT 0,
    -- Attempts whose end was decided (RetryScheduled for the next one, or JobCompleted).
    ADD COLUMN settled_attempts   integer NOT NULL DEFAULT 0,
    -- When the attempt in flight (number ``attempts``) last showed a sign of life: its dispatch,
    -- then its call events. The scheduler's attempt lease runs from it.
    ADD COLUMN last_call_event_at timestamptz,
    ADD COLUMN outcome_reason     text;
CREATE INDEX jobs_in_flight ON jobs (last_call_event_at) WHERE status IN ('queued', 'calling');

-- Whoever dispatches an attempt (any statement raising ``attempts``) starts its lease.
CREATE FUNCTION jobs_attempt_lease_starts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.last_call_event_at := now();
    RETURN NEW;
END $$;
CREATE TRIGGER jobs_attempt_lease_starts BEFORE UPDATE OF attempts ON jobs
    FOR EACH ROW WHEN (NEW.attempts > OLD.attempts) EXECUTE FUNCTION jobs_attempt_lease_starts();

-- Auto-pause: node entries counted per execution and node (FlowNodeEntered), each entry once:
-- an attempt's events come in order, so its highest counted nodeExecutionIndex is enough.
CREATE TABLE auto_pause_counts (
    execution_id uuid    NOT NULL,
    node_id      text    NOT NULL,
    count        integer NOT NULL DEFAULT 0,
    -- The node's rule fired since its count was last reset (domain/auto_pause.py).
    fired        boolean NOT NULL DEFAULT false,
    PRIMARY KEY (execution_id, node_id)
);
CREATE TABLE auto_pause_marks (
    attempt_id text    PRIMARY KEY,
    last_index integer NOT NULL
);

CREATE FUNCTION jobs_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE executions e SET
        jobs_pending = e.jobs_pending + d.pending,
        jobs_queued = e.jobs_queued + d.queued,
        jobs_calling = e.jobs_calling + d.calling,
        jobs_pending_retry = e.jobs_pending_retry + d.pending_retry,
        jobs_completed = e.jobs_completed + d.completed,
        jobs_failed = e.jobs_failed + d.failed,
        jobs_skipped = e.jobs_skipped + d.skipped
    FROM (
        SELECT execution_id,
               count(*) FILTER (WHERE status = 'pending') AS pending,
               count(*) FILTER (WHERE status = 'queued') AS queued,
               count(*) FILTER (WHERE status = 'calling') AS calling,
               count(*) FILTER (WHERE status = 'pending_retry') AS pending_retry,
               count(*) FILTER (WHERE status = 'completed') AS completed,
               count(*) FILTER (WHERE status = 'failed') AS failed,
               count(*) FILTER (WHERE status = 'skipped') AS skipped
        FROM new_jobs GROUP BY execution_id
    ) d
    WHERE e.id = d.execution_id;
    RETURN NULL;
END $$;

CREATE FUNCTION jobs_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE executions e SET
        jobs_pending = e.jobs_pending - d.pending,
        jobs_queued = e.jobs_queued - d.queued,
        jobs_calling = e.jobs_calling - d.calling,
        jobs_pending_retry = e.jobs_pending_retry - d.pending_retry,
        jobs_completed = e.jobs_completed - d.completed,
        jobs_failed = e.jobs_failed - d.failed,
        jobs_skipped = e.jobs_skipped - d.skipped
    FROM (
        SELECT execution_id,
               count(*) FILTER (WHERE status = 'pending') AS pending,
               count(*) FILTER (WHERE status = 'queued') AS queued,
               count(*) FILTER (WHERE status = 'calling') AS calling,
               count(*) FILTER (WHERE status = 'pending_retry') AS pending_retry,
               count(*) FILTER (WHERE status = 'completed') AS completed,
               count(*) FILTER (WHERE status = 'failed') AS failed,
               count(*) FILTER (WHERE status = 'skipped') AS skipped
        FROM old_jobs GROUP BY execution_id
    ) d
    WHERE e.id = d.execution_id;
    RETURN NULL;
END $$;

-- Only rows whose status changed move a counter: an update of other columns (lease times,
-- sequences) touches no execution row.
CREATE FUNCTION jobs_count_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE executions e SET
        jobs_pending = e.jobs_pending + d.pending,
        jobs_queued = e.jobs_queued + d.queued,
        jobs_calling = e.jobs_calling + d.calling,
        jobs_pending_retry = e.jobs_pending_retry + d.pending_retry,
        jobs_completed = e.jobs_completed + d.completed,
        jobs_failed = e.jobs_failed + d.failed,
        jobs_skipped = e.jobs_skipped + d.skipped
    FROM (
        SELECT n.execution_id,
               count(*) FILTER (WHERE n.status = 'pending') - count(*) FILTER (WHERE o.status = 'pending') AS pending,
               count(*) FILTER (WHERE n.status = 'queued') - count(*) FILTER (WHERE o.status = 'queued') AS queued,
               count(*) FILTER (WHERE n.status = 'calling') - count(*) FILTER (WHERE o.status = 'calling') AS calling,
               count(*) FILTER (WHERE n.status = 'pending_retry')
                   - count(*) FILTER (WHERE o.status = 'pending_retry') AS pending_retry,
               count(*) FILTER (WHERE n.status = 'completed')
                   - count(*) FILTER (WHERE o.status = 'completed') AS completed,
               count(*) FILTER (WHERE n.status = 'failed') - count(*) FILTER (WHERE o.status = 'failed') AS failed,
               count(*) FILTER (WHERE n.status = 'skipped') - count(*) FILTER (WHERE o.status = 'skipped') AS skipped
        FROM new_jobs n JOIN old_jobs o ON o.id = n.id
        WHERE o.status IS DISTINCT FROM n.status
        GROUP BY n.execution_id
    ) d
    WHERE e.id = d.execution_id;
    RETURN NULL;
END $$;

CREATE TRIGGER jobs_counted_on_insert AFTER INSERT ON jobs
    REFERENCING NEW TABLE AS new_jobs FOR EACH STATEMENT EXECUTE FUNCTION jobs_count_inserted();
CREATE TRIGGER jobs_counted_on_update AFTER UPDATE ON jobs
    REFERENCING OLD TABLE AS old_jobs NEW TABLE AS new_jobs FOR EACH STATEMENT EXECUTE FUNCTION jobs_count_updated();
CREATE TRIGGER jobs_counted_on_delete AFTER DELETE ON jobs
    REFERENCING OLD TABLE AS old_jobs FOR EACH STATEMENT EXECUTE FUNCTION jobs_count_deleted();

-- Executions projected before this migration: counted once here, incrementally from now on.
UPDATE executions e SET
    jobs_pending = c.pending, jobs_queued = c.queued, jobs_calling = c.calling,
    jobs_pending_retry = c.pending_retry, jobs_completed = c.completed, jobs_failed = c.failed,
    jobs_skipped = c.skipped
FROM (
    SELECT execution_id,
           count(*) FILTER (WHERE status = 'pending') AS pending,
           count(*) FILTER (WHERE status = 'queued') AS queued,
           count(*) FILTER (WHERE status = 'calling') AS calling,
           count(*) FILTER (WHERE status = 'pending_retry') AS pending_retry,
           count(*) FILTER (WHERE status = 'completed') AS completed,
           count(*) FILTER (WHERE status = 'failed') AS failed,
           count(*) FILTER (WHERE status = 'skipped') AS skipped
    FROM jobs GROUP BY execution_id
) c
WHERE e.id = c.execution_id;
UPDATE jobs SET settled_attempts = attempts WHERE status IN ('completed', 'failed', 'skipped');
