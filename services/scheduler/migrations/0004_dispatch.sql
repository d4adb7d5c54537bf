-- Dispatch: idempotent launches, caller-id rotation that survives restarts, and the index the
-- dispatcher's due-jobs query walks (so a round costs the same for 100 or 100,000 pending jobs).

-- POST /programs/:id/launch with an Idempotency-Key: the execution that key launched (per
-- organization). The execution id itself is derived from the key, so a retry whose first try
-- stored events but never committed this row still lands on the same execution.
CREATE TABLE launch_keys (
    org_id          uuid        NOT NULL,
    idempotency_key text        NOT NULL,
    program_id      uuid        NOT NULL,
    execution_id    uuid        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, idempotency_key)
);

-- When each caller id of an organization last started a call: the pool is rotated least
-- recently used first, across executions and restarts.
CREATE TABLE caller_id_usage (
    org_id       uuid        NOT NULL,
    number       text        NOT NULL,
    last_used_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, number)
);

-- Due jobs in dispatch order (first attempts, then retries by due time): an index scan that stops
-- after one batch instead of sorting every pending job of the execution each round.
CREATE INDEX jobs_dispatch_order ON jobs (execution_id, next_attempt_at NULLS FIRST, id)
    WHERE status IN ('pending', 'pending_retry');
