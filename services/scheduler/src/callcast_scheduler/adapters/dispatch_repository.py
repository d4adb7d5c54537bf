"""SQL of launching and dispatching: the callable audience snapshot, launch keys, job batches
(COPY in, one UPDATE out), caller-id use, the counters a dispatch round reads."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import msgspec

from callcast_scheduler.adapters.repository import Conn, Row
from callcast_scheduler.domain.dispatching import OPT_OUT_FIELDS, OPT_OUT_TRUE_VALUES

_decode_snapshot = msgspec.json.Decoder(dict[str, Any]).decode

#: A contact snapshot (alias ``c``) is opted out: a flag field or attribute set (``%(yes)s``).
OPTED_OUT_SQL = " OR ".join(
    f"lower(c.snapshot->>'{f}') = ANY(%(yes)s) OR lower(c.snapshot->'customAttributes'->>'{f}') = ANY(%(yes)s)"
    for f in OPT_OUT_FIELDS
)


#: The audience's members to call (``%(org)s``, ``%(audience)s``, ``%(yes)s``): deleted and
#: opted-out contacts left out. One text for the launch's read and the snapshot it keeps.
_CALLABLE_MEMBERS = (
    "FROM audience_members m JOIN contacts c ON c.org_id = m.org_id AND c.id = m.contact_id "
    "WHERE m.org_id = %(org)s AND m.audience_id = %(audience)s AND NOT c.deleted "
    f"AND NOT coalesce({OPTED_OUT_SQL}, false)"
)


async def callable_audience(conn: Conn, org_id: str, audience_id: str) -> list[Row]:
    """The audience's members to call, in id order."""
    cur = await conn.execute(
        f"SELECT c.id AS contact_id, c.phone {_CALLABLE_MEMBERS} ORDER BY c.id",
        {"org": org_id, "audience": audience_id, "yes": list(OPT_OUT_TRUE_VALUES)},
    )
    return await cur.fetchall()


async def keep_launch_snapshot(conn: Conn, org_id: str, audience_id: str, execution_id: str, expected: int) -> bool:
    """Keep the callable audience, in ``callable_audience``'s order, as the launch's snapshot (in
    PostgreSQL: no rows through Python). False, and nothing kept, when it no longer has the
    ``expected`` members the launch counted (the audience changed in between)."""
    cur = await conn.execute(
        "INSERT INTO launch_members (execution_id, n, contact_id, phone) "
        f"SELECT %(execution)s, row_number() OVER (ORDER BY c.id), c.id, c.phone {_CALLABLE_MEMBERS} "
        "ON CONFLICT DO NOTHING",
        {"org": org_id, "audience": audience_id, "execution": execution_id, "yes": list(OPT_OUT_TRUE_VALUES)},
    )
    if cur.rowcount != expected:
        await forget_launch_snapshot(conn, execution_id)
        return False
    return True


async def launch_snapshot(conn: Conn, execution_id: str) -> list[Row]:
    """The snapshot a launch kept (empty once its enrolment finished, or for a launch from before)."""
    cur = await conn.execute(
        "SELECT contact_id, phone FROM launch_members WHERE execution_id = %s ORDER BY n", (execution_id,)
    )
    return await cur.fetchall()


async def forget_launch_snapshot(conn: Conn, execution_id: str) -> None:
    await conn.execute("DELETE FROM launch_members WHERE execution_id = %s", (execution_id,))


async def unfinished_launches(conn: Conn, older_than: datetime) -> list[Row]:
    """Executions whose launch snapshot is still kept (the launch stopped before its last wave)."""
    cur = await conn.execute(
        "SELECT e.id, e.org_id FROM executions e WHERE e.id IN "
        "(SELECT DISTINCT execution_id FROM launch_members WHERE created_at < %s)",
        (older_than,),
    )
    return await cur.fetchall()


# -- launch keys ------------------------------------------------------------------------------
async def launch_key(conn: Conn, org_id: str, key: str) -> Row | None:
    cur = await conn.execute(
        "SELECT program_id, execution_id FROM launch_keys WHERE org_id = %s AND idempotency_key = %s", (org_id, key)
    )
    return await cur.fetchone()


async def remember_launch_key(conn: Conn, org_id: str, key: str, program_id: str, execution_id: str) -> None:
    await conn.execute(
        "INSERT INTO launch_keys (org_id, idempotency_key, program_id, execution_id) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT DO NOTHING",
        (org_id, key, program_id, execution_id),
    )


async def enrolled_count(conn: Conn, execution_id: str) -> int:
    cur = await conn.execute("SELECT count(*) AS n FROM jobs WHERE execution_id = %s", (execution_id,))
    row = await cur.fetchone()
    return int(row["n"]) if row else 0


# -- jobs in ----------------------------------------------------------------------------------
async def copy_new_jobs(conn: Conn, org_id: str, execution_id: str, jobs: Iterable[tuple[str, str, str]]) -> None:
    """COPY jobs that cannot exist yet (their JobsEnrolled is appended after this, in the same
    transaction: the projection's insert of them waits for this commit, then finds them)."""
    sql = "COPY jobs (id, org_id, execution_id, contact_id, phone) FROM STDIN"
    async with conn.cursor() as cur, cur.copy(sql) as copy:
        for job_id, contact_id, phone in jobs:
            await copy.write_row((job_id, org_id, execution_id, contact_id, phone))


async def upsert_jobs(conn: Conn, org_id: str, execution_id: str, jobs: Sequence[tuple[str, str, str]]) -> None:
    """Jobs some of which may exist (a resumed launch): COPY into a temporary table, then insert
    what is missing."""
    await conn.execute(
        "CREATE TEMPORARY TABLE IF NOT EXISTS enrolling (id uuid, contact_id uuid, phone text) ON COMMIT DELETE ROWS"
    )
    async with conn.cursor() as cur, cur.copy("COPY enrolling (id, contact_id, phone) FROM STDIN") as copy:
        for row in jobs:
            await copy.write_row(row)
    await conn.execute(
        "INSERT INTO jobs (id, org_id, execution_id, contact_id, phone) "
        "SELECT id, %s, %s, contact_id, phone FROM enrolling ON CONFLICT (id) DO NOTHING",
        (org_id, execution_id),
    )
    await conn.execute("DELETE FROM enrolling")


# -- a dispatch round ---------------------------------------------------------------------------
async def due_jobs(conn: Conn, execution_id: str, now: datetime, limit: int) -> list[Row]:
    """Up to ``limit`` due jobs, locked for this round (others skip them); walks
    ``jobs_due_order`` (migration 0007) as one range."""
    cur = await conn.execute(
        "SELECT id, contact_id, phone, status, attempts, last_seq FROM jobs WHERE execution_id = %s "
        "AND status IN ('pending', 'pending_retry') AND coalesce(next_attempt_at, '-infinity'::timestamptz) <= %s "
        "ORDER BY coalesce(next_attempt_at, '-infinity'::timestamptz), id LIMIT %s FOR UPDATE SKIP LOCKED",
        (execution_id, now, limit),
    )
    return await cur.fetchall()


async def defer_jobs(conn: Conn, deferred: Sequence[tuple[str, datetime]]) -> None:
    """Jobs that may not be called before a time of their own (a window in the recipient's zone)."""
    if not deferred:
        return
    ids = [j for j, _ in deferred]
    # ``ANY(ids)`` lets the planner probe the primary key (as in ``jobs_dispatched``).
    await conn.execute(
        "UPDATE jobs SET next_attempt_at = d.at, updated_at = now() "
        "FROM unnest(%s::uuid[], %s::timestamptz[]) AS d(id, at) "
        "WHERE jobs.id = d.id AND jobs.id = ANY(%s::uuid[]) AND jobs.status IN ('pending', 'pending_retry')",
        (ids, [t for _, t in deferred], ids),
    )


async def contact_snapshots(conn: Conn, org_id: str, contact_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    # As text, decoded by msgspec: several times faster than psycopg's json.loads of jsonb.
    cur = await conn.execute(
        "SELECT id::text AS id, snapshot::text AS snapshot FROM contacts WHERE org_id = %s AND id = ANY(%s::uuid[])",
        (org_id, list(contact_ids)),
    )
    return {r["id"]: _decode_snapshot(r["snapshot"]) for r in await cur.fetchall()}


async def dispatchable_executions(conn: Conn, now: datetime) -> list[Row]:
    """Executions a round looks at: those that may dispatch, and paused ones (not dispatched, but
    ``stopAt`` ends them and their last call completes them while paused)."""
    cur = await conn.execute(
        "SELECT * FROM executions WHERE status IN ('scheduled', 'running', 'paused', 'paused_threshold', "
        "'paused_no_credits') AND scheduled_start_at <= %s",
        (now,),
    )
    return await cur.fetchall()


async def org_in_progress(conn: Conn, org_ids: Sequence[str]) -> dict[str, int]:
    """Calls up per organization across all its executions, whatever their status (a paused,
    stopped or cancelled execution's live calls go on and count), from the executions'
    ``jobs_queued``/``jobs_calling`` counter columns."""
    cur = await conn.execute(
        "SELECT org_id, sum(jobs_queued + jobs_calling)::int AS n FROM executions WHERE org_id = ANY(%s::uuid[]) "
        "AND jobs_queued + jobs_calling > 0 GROUP BY org_id",
        (list(org_ids),),
    )
    return {str(r["org_id"]): int(r["n"]) for r in await cur.fetchall()}


# -- caller ids ---------------------------------------------------------------------------------
async def caller_id_usage(conn: Conn, org_id: str, numbers: Sequence[str]) -> dict[str, datetime]:
    cur = await conn.execute(
        "SELECT number, last_used_at FROM caller_id_usage WHERE org_id = %s AND number = ANY(%s)",
        (org_id, list(numbers)),
    )
    return {r["number"]: r["last_used_at"] for r in await cur.fetchall()}


async def record_caller_id_usage(conn: Conn, org_id: str, used: dict[str, datetime]) -> None:
    if not used:
        return
    await conn.execute(
        "INSERT INTO caller_id_usage (org_id, number, last_used_at) SELECT %s, n, t "
        "FROM unnest(%s::text[], %s::timestamptz[]) AS u(n, t) ON CONFLICT (org_id, number) "
        "DO UPDATE SET last_used_at = greatest(caller_id_usage.last_used_at, EXCLUDED.last_used_at)",
        (org_id, list(used), list(used.values())),
    )
