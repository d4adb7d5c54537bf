"""SQL of the scheduler's own schema. Every tenant-owned query filters by ``org_id``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import msgspec
import psycopg
from psycopg.rows import DictRow

Conn = psycopg.AsyncConnection[DictRow]
Row = dict[str, Any]


def _json(value: Any) -> str | None:
    return None if value is None else msgspec.json.encode(value).decode()


# -- DIDs ---------------------------------------------------------------------------------------
async def get_did(conn: Conn, org_id: str, did_id: str) -> Row | None:
    cur = await conn.execute(
        "SELECT * FROM dids WHERE id = %s AND (org_id = %s OR is_shared) AND deleted_at IS NULL", (did_id, org_id)
    )
    return await cur.fetchone()


async def dids_by_ids(conn: Conn, org_id: str, ids: list[str]) -> dict[str, Row]:
    """DIDs with these ids that are not deleted, whatever their org (the caller checks access)."""
    cur = await conn.execute("SELECT * FROM dids WHERE id = ANY(%s::uuid[]) AND deleted_at IS NULL", (ids,))
    return {str(r["id"]): r for r in await cur.fetchall()}


# -- programs -----------------------------------------------------------------------------------
async def get_program(conn: Conn, org_id: str, program_id: str, *, for_update: bool = False) -> Row | None:
    cur = await conn.execute(
        "SELECT * FROM programs WHERE id = %s AND org_id = %s AND deleted_at IS NULL"
        + (" FOR UPDATE" if for_update else ""),
        (program_id, org_id),
    )
    return await cur.fetchone()


async def update_program(conn: Conn, org_id: str, program_id: str, changes: dict[str, Any]) -> Row | None:
    if not changes:
        return await get_program(conn, org_id, program_id)
    values = dict(changes)
    for key in ("retry_strategy", "pause_windows", "auto_pause_rules"):
        if key in values:
            values[key] = _json(values[key])
    sets = ", ".join(f"{k} = %({k})s" + ("::uuid[]" if k == "did_pool" else "") for k in values)
    cur = await conn.execute(
        f"UPDATE programs SET {sets}, updated_at = now() WHERE id = %(id)s AND org_id = %(org)s "
        "AND deleted_at IS NULL RETURNING *",
        {**values, "id": program_id, "org": org_id},
    )
    return await cur.fetchone()


# -- copies of other contexts -----------------------------------------------------------------
async def upsert_contact(conn: Conn, org_id: str, contact_id: str, phone: str, snapshot: Any, revision: int) -> None:
    await conn.execute(
        "INSERT INTO contacts (org_id, id, phone, snapshot, revision, deleted) VALUES (%s, %s, %s, %s, %s, false) "
        "ON CONFLICT (org_id, id) DO UPDATE SET phone = EXCLUDED.phone, snapshot = EXCLUDED.snapshot, "
        "revision = EXCLUDED.revision, deleted = false WHERE contacts.revision <= EXCLUDED.revision",
        (org_id, contact_id, phone, _json(snapshot), revision),
    )


async def delete_contact(conn: Conn, org_id: str, contact_id: str) -> None:
    await conn.execute("UPDATE contacts SET deleted = true WHERE org_id = %s AND id = %s", (org_id, contact_id))


async def add_members(conn: Conn, org_id: str, audience_id: str, contact_ids: list[str]) -> None:
    await conn.execute(
        "INSERT INTO audience_members (org_id, audience_id, contact_id) "
        "SELECT %s, %s, unnest(%s::uuid[]) ON CONFLICT DO NOTHING",
        (org_id, audience_id, contact_ids),
    )


async def remove_members(conn: Conn, org_id: str, audience_id: str, contact_ids: list[str]) -> None:
    await conn.execute(
        "DELETE FROM audience_members WHERE org_id = %s AND audience_id = %s AND contact_id = ANY(%s::uuid[])",
        (org_id, audience_id, contact_ids),
    )


async def forget_audience(conn: Conn, org_id: str, audience_id: str) -> None:
    await conn.execute("DELETE FROM audience_members WHERE org_id = %s AND audience_id = %s", (org_id, audience_id))


async def live_contact(conn: Conn, org_id: str, contact_id: str) -> Row | None:
    """The contact's phone and snapshot, unless it is unknown or deleted."""
    cur = await conn.execute(
        "SELECT phone, snapshot FROM contacts WHERE org_id = %s AND id = %s AND NOT deleted", (org_id, contact_id)
    )
    return await cur.fetchone()


async def insert_flow_version(conn: Conn, org_id: str, flow_id: str, version: int, snapshot: Any) -> None:
    await conn.execute(
        "INSERT INTO flow_versions (org_id, flow_id, version, snapshot) VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (org_id, flow_id, version, _json(snapshot)),
    )
    await conn.execute("DELETE FROM flows_deleted WHERE org_id = %s AND flow_id = %s", (org_id, flow_id))


async def mark_flow_deleted(conn: Conn, org_id: str, flow_id: str) -> None:
    await conn.execute(
        "INSERT INTO flows_deleted (org_id, flow_id) VALUES (%s, %s) ON CONFLICT DO NOTHING", (org_id, flow_id)
    )


async def latest_flow_version(conn: Conn, org_id: str, flow_id: str) -> Row | None:
    cur = await conn.execute(
        "SELECT v.version, v.snapshot FROM flow_versions v WHERE v.org_id = %s AND v.flow_id = %s "
        "AND NOT EXISTS (SELECT 1 FROM flows_deleted d WHERE d.org_id = v.org_id AND d.flow_id = v.flow_id) "
        "ORDER BY v.version DESC LIMIT 1",
        (org_id, flow_id),
    )
    return await cur.fetchone()


async def flow_version(conn: Conn, org_id: str, flow_id: str, version: int) -> Row | None:
    cur = await conn.execute(
        "SELECT version, snapshot FROM flow_versions WHERE org_id = %s AND flow_id = %s AND version = %s",
        (org_id, flow_id, version),
    )
    return await cur.fetchone()


# -- executions and jobs (projection) ---------------------------------------------------------
# Job counters (``executions.jobs_<status>``) are kept by triggers on ``jobs`` (migration 0002) in
# the same transaction as each statement below: none of them counts jobs.
async def insert_execution(conn: Conn, **v: Any) -> None:
    v = {
        "timezone": "UTC",
        "pause_windows": None,
        "recipient_timezones": False,
        "auto_pause_rules": None,
        "calls_per_second": None,
        "last_seq": 0,
        "mode": "batch",
        "trigger": None,
        **v,
    }
    v["trigger"] = _json(v["trigger"])
    v["retry_strategy"] = _json(v["retry_strategy"])
    v["pause_windows"] = _json(v["pause_windows"])
    v["auto_pause_rules"] = _json(v["auto_pause_rules"])
    await conn.execute(
        "INSERT INTO executions (id, org_id, program_id, audience_id, flow_id, flow_version, status, total_contacts,"
        " caller_ids, retry_strategy, concurrency, scheduled_start_at, scheduled_stop_at, created_at, updated_at,"
        " actual_start_at, timezone, pause_windows, recipient_timezones, auto_pause_rules, calls_per_second, last_seq,"
        " mode, trigger)"
        " VALUES (%(id)s, %(org_id)s, %(program_id)s, %(audience_id)s, %(flow_id)s, %(flow_version)s, %(status)s,"
        " %(total_contacts)s, %(caller_ids)s, %(retry_strategy)s, %(concurrency)s, %(scheduled_start_at)s,"
        " %(scheduled_stop_at)s, %(created_at)s, %(created_at)s,"
        " CASE WHEN %(status)s = 'running' THEN %(created_at)s::timestamptz END, %(timezone)s, %(pause_windows)s,"
        " %(recipient_timezones)s, %(auto_pause_rules)s, %(calls_per_second)s, %(last_seq)s, %(mode)s, %(trigger)s)"
        " ON CONFLICT (id) DO UPDATE SET last_seq = greatest(executions.last_seq, EXCLUDED.last_seq)",
        v,
    )


async def activate_draft_program(conn: Conn, program_id: str) -> None:
    """A launched program is ``active`` (a ``draft`` becomes active at its first launch)."""
    await conn.execute(
        "UPDATE programs SET status = 'active', updated_at = now() WHERE id = %s AND status = 'draft'", (program_id,)
    )


async def get_execution(conn: Conn, org_id: str, execution_id: str) -> Row | None:
    cur = await conn.execute("SELECT * FROM executions WHERE id = %s AND org_id = %s", (execution_id, org_id))
    return await cur.fetchone()


async def execution_by_id(conn: Conn, execution_id: str) -> Row | None:
    cur = await conn.execute("SELECT * FROM executions WHERE id = %s", (execution_id,))
    return await cur.fetchone()


async def execution_count(conn: Conn, program_id: str) -> int:
    cur = await conn.execute("SELECT count(*) AS n FROM executions WHERE program_id = %s", (program_id,))
    row = await cur.fetchone()
    return int(row["n"]) if row else 0


async def live_execution_of_program(conn: Conn, program_id: str) -> Row | None:
    cur = await conn.execute(
        "SELECT * FROM executions WHERE program_id = %s AND status IN "
        "('scheduled', 'running', 'paused', 'paused_no_credits', 'paused_threshold') LIMIT 1",
        (program_id,),
    )
    return await cur.fetchone()


async def set_execution_status(conn: Conn, execution_id: str, status: str, at: datetime | None = None) -> None:
    await conn.execute(
        "UPDATE executions SET status = %s, updated_at = now(), "
        "actual_start_at = CASE WHEN %s = 'running' THEN coalesce(actual_start_at, %s) ELSE actual_start_at END, "
        "actual_end_at = CASE WHEN %s IN ('completed', 'stopped', 'cancelled') THEN coalesce(actual_end_at, %s) "
        "ELSE actual_end_at END WHERE id = %s",
        (status, status, at, status, at, execution_id),
    )


async def apply_execution_event(
    conn: Conn, execution_id: str, seq: int, at: datetime, *, status: str, **changes: Any
) -> Row | None:
    """Apply one lifecycle event (stream sequence ``seq``) to the execution row: its new status
    and other columns. None when it was applied already (the projection and the command that
    appended it both apply it; whichever comes second changes nothing)."""
    values = dict(changes)
    if "auto_pause_rules" in values:
        values["auto_pause_rules"] = _json(values["auto_pause_rules"])
    sets = "".join(f", {k} = %({k})s" for k in values)
    cur = await conn.execute(
        "UPDATE executions SET status = %(status)s, last_seq = %(seq)s, updated_at = %(at)s, "
        "actual_start_at = CASE WHEN %(status)s = 'running' THEN coalesce(actual_start_at, %(at)s) "
        "ELSE actual_start_at END, "
        "actual_end_at = CASE WHEN %(status)s IN ('completed', 'stopped', 'cancelled') "
        f"THEN coalesce(actual_end_at, %(at)s) ELSE actual_end_at END{sets} "
        "WHERE id = %(id)s AND last_seq < %(seq)s RETURNING *",
        {**values, "status": status, "seq": seq, "at": at, "id": execution_id},
    )
    return await cur.fetchone()


async def skip_open_jobs(conn: Conn, execution_id: str, reason: str) -> int:
    """Every job neither final nor in progress becomes ``skipped`` (one statement: the execution's
    ExecutionCancelled/ExecutionStopped implies it, no event per job)."""
    cur = await conn.execute(
        "UPDATE jobs SET status = 'skipped', next_attempt_at = NULL, outcome_reason = %s, updated_at = now() "
        "WHERE execution_id = %s AND status IN ('pending', 'pending_retry')",
        (reason, execution_id),
    )
    return cur.rowcount


EXECUTION_SORTS = {"createdAt": "created_at", "updatedAt": "updated_at", "status": "status"}


async def list_executions(
    conn: Conn,
    org_id: str,
    *,
    program_id: str | None,
    statuses: list[str] | None,
    sort: str,
    order: str,
    limit: int,
    offset: int,
) -> tuple[list[Row], int]:
    where = ["org_id = %(org)s"]
    params: dict[str, Any] = {"org": org_id, "limit": limit, "offset": offset}
    if program_id is not None:
        where.append("program_id = %(program)s")
        params["program"] = program_id
    if statuses:
        where.append("status = ANY(%(statuses)s)")
        params["statuses"] = statuses
    clause = " AND ".join(where)
    cur = await conn.execute(f"SELECT count(*) AS n FROM executions WHERE {clause}", params)
    total = (await cur.fetchone() or {"n": 0})["n"]
    cur = await conn.execute(
        f"SELECT * FROM executions WHERE {clause} ORDER BY {sort} {order}, id LIMIT %(limit)s OFFSET %(offset)s",
        params,
    )
    return await cur.fetchall(), int(total)


JOB_SORTS = {"updatedAt": "updated_at", "status": "status", "attempts": "attempts", "phone": "phone"}


async def list_jobs(
    conn: Conn,
    execution_id: str,
    *,
    statuses: list[str] | None,
    search: str | None,
    sort: str,
    order: str,
    limit: int,
    offset: int,
) -> tuple[list[Row], int]:
    where = ["execution_id = %(ex)s"]
    params: dict[str, Any] = {"ex": execution_id, "limit": limit, "offset": offset}
    if statuses:
        where.append("status = ANY(%(statuses)s)")
        params["statuses"] = statuses
    if search:
        where.append("phone ILIKE %(q)s")
        params["q"] = f"%{search}%"
    clause = " AND ".join(where)
    cur = await conn.execute(f"SELECT count(*) AS n FROM jobs WHERE {clause}", params)
    total = (await cur.fetchone() or {"n": 0})["n"]
    cur = await conn.execute(
        f"SELECT * FROM jobs WHERE {clause} ORDER BY {sort} {order}, id LIMIT %(limit)s OFFSET %(offset)s", params
    )
    return await cur.fetchall(), int(total)


async def pending_retry_times(conn: Conn, execution_id: str, limit: int = 10_000) -> list[datetime]:
    """Due times of the contacts waiting for a retry (the forecast's input; bounded)."""
    cur = await conn.execute(
        "SELECT next_attempt_at FROM jobs WHERE execution_id = %s AND status = 'pending_retry' "
        "AND next_attempt_at IS NOT NULL ORDER BY next_attempt_at LIMIT %s",
        (execution_id, limit),
    )
    return [r["next_attempt_at"] for r in await cur.fetchall()]


async def insert_jobs(conn: Conn, org_id: str, execution_id: str, jobs: list[tuple[str, str, str]]) -> None:
    # One statement per chunk: one run of the counting trigger, not one per job.
    await conn.execute(
        "INSERT INTO jobs (id, org_id, execution_id, contact_id, phone) "
        "SELECT j, %s, %s, c, p FROM unnest(%s::uuid[], %s::uuid[], %s::text[]) AS t(j, c, p) "
        "ON CONFLICT (id) DO NOTHING",
        (org_id, execution_id, [j for j, _, _ in jobs], [c for _, c, _ in jobs], [p for _, _, p in jobs]),
    )


async def get_job(conn: Conn, job_id: str) -> Row | None:
    cur = await conn.execute("SELECT * FROM jobs WHERE id = %s", (job_id,))
    return await cur.fetchone()


async def jobs_dispatched(conn: Conn, attempts: dict[str, tuple[int, int]]) -> None:
    """Attempts are out: job id → (attempt number, its AttemptDispatched sequence); the dispatcher
    right after its appends, and the projection of AttemptDispatched. Never backwards: a job still
    waiting becomes ``queued``; the attempt count and the sequence only grow. Its lease starts
    now (a trigger: whoever raises ``attempts``)."""
    if not attempts:
        return
    ids = list(attempts)
    # ``j.id = ANY(ids)`` besides the join: without it the planner hash-joins the unnest against
    # a sequential scan of every job (90 ms per 1,000 at 100,000 jobs, twice per dispatch round).
    await conn.execute(
        "UPDATE jobs AS j SET status = CASE WHEN j.status IN ('pending', 'pending_retry') AND j.attempts < v.n "
        "THEN 'queued' ELSE j.status END, "
        "attempts = greatest(j.attempts, v.n), last_seq = greatest(j.last_seq, v.seq), updated_at = now() "
        "FROM unnest(%s::uuid[], %s::int[], %s::bigint[]) AS v(id, n, seq) "
        "WHERE j.id = v.id AND j.id = ANY(%s::uuid[]) AND (j.attempts < v.n OR j.last_seq < v.seq)",
        (ids, [attempts[i][0] for i in ids], [attempts[i][1] for i in ids], ids),
    )


async def job_calling(conn: Conn, job_id: str, attempt_number: int) -> None:
    await conn.execute(
        "UPDATE jobs SET status = 'calling', last_call_event_at = now(), updated_at = now() "
        "WHERE id = %s AND attempts = %s AND status = 'queued'",
        (job_id, attempt_number),
    )


async def job_retry(
    conn: Conn, job_id: str, attempt_number: int, not_before: datetime, outcome: str, seq: int = 0
) -> None:
    """RetryScheduled for ``attempt_number``: the job waits, unless its execution ended meanwhile
    (cancelled or stopped after the retry was decided): then it is skipped like the others."""
    await conn.execute(
        "UPDATE jobs SET status = CASE WHEN attempts = %(prev)s AND status IN ('queued', 'calling') THEN "
        "  CASE WHEN (SELECT e.status FROM executions e WHERE e.id = jobs.execution_id) IN ('cancelled', 'stopped') "
        "  THEN 'skipped' ELSE 'pending_retry' END ELSE status END, "
        "next_attempt_at = CASE WHEN attempts = %(prev)s AND status IN ('queued', 'calling') THEN %(at)s "
        "ELSE next_attempt_at END, "
        "last_outcome = %(outcome)s, settled_attempts = greatest(settled_attempts, %(prev)s), "
        "last_seq = greatest(last_seq, %(seq)s), updated_at = now() WHERE id = %(id)s",
        {"prev": attempt_number - 1, "at": not_before, "outcome": outcome, "seq": seq, "id": job_id},
    )


async def job_completed(
    conn: Conn, job_id: str, status: str, outcome: str, seq: int = 0, *, attempts: int = 0, reason: str | None = None
) -> None:
    await conn.execute(
        "UPDATE jobs SET status = %s, last_outcome = %s, outcome_reason = %s, next_attempt_at = NULL, "
        "settled_attempts = greatest(settled_attempts, attempts, %s), last_seq = greatest(last_seq, %s), "
        "updated_at = now() WHERE id = %s",
        (status, outcome, reason, attempts, seq, job_id),
    )


# -- the attempt lease and auto-pause (from the call-event stream) -------------------------------
async def call_event_seen(conn: Conn, job_id: str, refresh: timedelta, *, at: datetime | None = None) -> None:
    """An event of the job's attempt in flight arrived (at ``at``, default now): its lease runs
    from then. Written only when the lease time is older than ``refresh`` (fewer writes per call)."""
    await conn.execute(
        "UPDATE jobs SET last_call_event_at = coalesce(%(at)s, now()) "
        "WHERE id = %(job)s AND status IN ('queued', 'calling') "
        "AND (last_call_event_at IS NULL OR last_call_event_at < coalesce(%(at)s, now()) - %(refresh)s)",
        {"job": job_id, "at": at, "refresh": refresh},
    )


async def lost_attempts(conn: Conn, older_than: datetime, limit: int = 500) -> list[Row]:
    """Attempts in flight whose call events stopped before ``older_than``."""
    cur = await conn.execute(
        "SELECT * FROM jobs WHERE status IN ('queued', 'calling') AND last_call_event_at < %s "
        "ORDER BY last_call_event_at LIMIT %s",
        (older_than, limit),
    )
    return await cur.fetchall()


async def job_execution(conn: Conn, job_id: str) -> Row | None:
    """The execution of a job (auto-pause: which rules count this call's nodes)."""
    cur = await conn.execute(
        "SELECT e.id, e.org_id, e.status, e.auto_pause_rules FROM jobs j JOIN executions e ON e.id = j.execution_id "
        "WHERE j.id = %s",
        (job_id,),
    )
    return await cur.fetchone()


async def mark_node_entry(conn: Conn, attempt_id: str, node_execution_index: int) -> bool:
    """True the first time this node execution of the attempt is counted."""
    cur = await conn.execute(
        "INSERT INTO auto_pause_marks (attempt_id, last_index) VALUES (%s, %s) ON CONFLICT (attempt_id) "
        "DO UPDATE SET last_index = EXCLUDED.last_index WHERE auto_pause_marks.last_index < EXCLUDED.last_index "
        "RETURNING attempt_id",
        (attempt_id, node_execution_index),
    )
    return await cur.fetchone() is not None


async def auto_pause_counts(conn: Conn, execution_id: str, *, for_update: bool = False) -> list[Row]:
    cur = await conn.execute(
        "SELECT node_id, count, fired FROM auto_pause_counts WHERE execution_id = %s ORDER BY node_id"
        + (" FOR UPDATE" if for_update else ""),
        (execution_id,),
    )
    return await cur.fetchall()


async def save_auto_pause_count(conn: Conn, execution_id: str, node_id: str, count: int, fired: bool) -> None:
    await conn.execute(
        "INSERT INTO auto_pause_counts (execution_id, node_id, count, fired) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT (execution_id, node_id) DO UPDATE SET count = EXCLUDED.count, fired = EXCLUDED.fired",
        (execution_id, node_id, count, fired),
    )


async def save_auto_pause_counts(conn: Conn, execution_id: str, counts: dict[str, int], fired: set[str]) -> None:
    """Replace the execution's counters (after a count or a resume)."""
    await conn.execute("DELETE FROM auto_pause_counts WHERE execution_id = %s", (execution_id,))
    if counts or fired:
        nodes = sorted(set(counts) | fired)
        await conn.execute(
            "INSERT INTO auto_pause_counts (execution_id, node_id, count, fired) "
            "SELECT %s, n, c, f FROM unnest(%s::text[], %s::int[], %s::bool[]) AS t(n, c, f)",
            (execution_id, nodes, [counts.get(n, 0) for n in nodes], [n in fired for n in nodes]),
        )
