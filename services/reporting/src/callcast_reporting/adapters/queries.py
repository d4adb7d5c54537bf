"""Reads of the read model, always scoped to the caller's organization."""

from __future__ import annotations

from dataclasses import dataclass

import msgspec
from psycopg import sql

from callcast_reporting.adapters.sql import Conn, utc_row
from callcast_reporting.domain.records import AttemptRecord, EventRecord, JobRecord

#: API ``sortBy`` → column of ``call_attempts``.
CALL_SORT_COLUMNS = {"createdAt": "created_at", "terminatedAt": "terminated_at", "durationMs": "duration_ms"}


@dataclass(frozen=True, slots=True)
class CallFilters:
    execution_id: str | None = None
    program_id: str | None = None
    job_id: str | None = None
    contact_id: str | None = None
    outcome: str | None = None
    status: str | None = None
    #: Part of the called or calling number.
    search: str | None = None


async def get_job(conn: Conn, org_id: str, job_id: str) -> JobRecord | None:
    cur = await conn.execute("SELECT * FROM call_jobs WHERE org_id = %s AND job_id = %s", (org_id, job_id))
    row = await cur.fetchone()
    return msgspec.convert(utc_row(row), JobRecord) if row else None


async def attempts_of_job(conn: Conn, org_id: str, job_id: str) -> list[AttemptRecord]:
    cur = await conn.execute(
        "SELECT * FROM call_attempts WHERE org_id = %s AND job_id = %s ORDER BY attempt_number",
        (org_id, job_id),
    )
    return [msgspec.convert(utc_row(r), AttemptRecord) for r in await cur.fetchall()]


async def events_of_job(conn: Conn, org_id: str, job_id: str) -> list[EventRecord]:
    cur = await conn.execute(
        "SELECT * FROM call_events WHERE org_id = %s AND job_id = %s ORDER BY seq",
        (org_id, job_id),
    )
    return [msgspec.convert(utc_row(r), EventRecord) for r in await cur.fetchall()]


async def get_attempt(conn: Conn, org_id: str, attempt_id: str) -> AttemptRecord | None:
    cur = await conn.execute("SELECT * FROM call_attempts WHERE org_id = %s AND attempt_id = %s", (org_id, attempt_id))
    row = await cur.fetchone()
    return msgspec.convert(utc_row(row), AttemptRecord) if row else None


async def list_attempts(
    conn: Conn,
    org_id: str,
    filters: CallFilters,
    *,
    sort_by: str,
    descending: bool,
    limit: int,
    offset: int,
) -> tuple[list[AttemptRecord], int]:
    where: list[sql.Composable] = [sql.SQL("org_id = %(org)s")]
    params: dict[str, object] = {"org": org_id, "limit": limit, "offset": offset}
    for column, value in (
        ("execution_id", filters.execution_id),
        ("program_id", filters.program_id),
        ("job_id", filters.job_id),
        ("contact_id", filters.contact_id),
        ("outcome", filters.outcome),
        ("status", filters.status),
    ):
        if value is not None:
            where.append(sql.SQL("{} = {}").format(sql.Identifier(column), sql.Placeholder(column)))
            params[column] = value
    if filters.search:
        where.append(sql.SQL("(to_number ILIKE %(search)s OR from_number ILIKE %(search)s)"))
        params["search"] = "%" + filters.search.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
    condition = sql.SQL(" AND ").join(where)
    order = sql.SQL("{} {} NULLS LAST, attempt_id {}").format(
        sql.Identifier(CALL_SORT_COLUMNS[sort_by]),
        sql.SQL("DESC" if descending else "ASC"),
        sql.SQL("DESC" if descending else "ASC"),
    )
    cur = await conn.execute(sql.SQL("SELECT count(*) AS n FROM call_attempts WHERE {}").format(condition), params)
    total_row = await cur.fetchone()
    cur = await conn.execute(
        sql.SQL("SELECT * FROM call_attempts WHERE {} ORDER BY {} LIMIT %(limit)s OFFSET %(offset)s").format(
            condition, order
        ),
        params,
    )
    rows = [msgspec.convert(utc_row(r), AttemptRecord) for r in await cur.fetchall()]
    return rows, int(total_row["n"]) if total_row else 0
