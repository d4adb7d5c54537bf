"""Where the projection keeps its records: the interface the handlers use, and PostgreSQL.

Every PostgreSQL method runs in the caller's transaction, the one that also advances the
projection's position. Jobs are the unit of concurrency: the CALLS and PROGRAMS consumers may
touch the same job at once, so a handler locks the job row (``lock_jobs``) before it reads or
writes the job or its attempts, and the two changes are serialized instead of one being lost.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

import msgspec

from callcast_contracts.envelope import Envelope
from callcast_reporting.adapters.sql import Conn, jsonb, utc_row
from callcast_reporting.domain.projection import new_job
from callcast_reporting.domain.records import AttemptRecord, EventRecord, ExecutionRecord, JobRecord
from callcast_runtime.outbox import enqueue


class ReportRepository(Protocol):
    async def execution(self, execution_id: str) -> ExecutionRecord | None: ...

    async def save_execution(self, execution: ExecutionRecord) -> None: ...

    async def lock_jobs(self, org_id: str, job_ids: Sequence[str], at: datetime) -> dict[str, JobRecord]:
        """The jobs, created empty if new, locked until the transaction ends."""
        ...

    async def save_job(self, job: JobRecord) -> None: ...

    async def job_id_of_attempt(self, attempt_id: str) -> str | None: ...

    async def attempt(self, attempt_id: str) -> AttemptRecord | None: ...

    async def attempts_of_job(self, job_id: str) -> list[AttemptRecord]: ...

    async def save_attempt(self, attempt: AttemptRecord) -> None: ...

    async def add_event(self, event: EventRecord) -> None: ...

    async def claim_outcome(self, attempt_id: str) -> bool:
        """True the first time ever for this attempt (rebuilds included)."""
        ...

    async def publish(self, subject: str, env: Envelope[Any], msg_id: str) -> None:
        """Publish after commit (through the transactional outbox)."""
        ...


_JSON_COLUMNS = frozenset({"execution_path", "final_variables", "media", "data", "amd", "recordings"})


def _columns(record: msgspec.Struct) -> dict[str, Any]:
    values = msgspec.structs.asdict(record)
    return {k: jsonb(v) if k in _JSON_COLUMNS else v for k, v in values.items()}


@functools.cache
def _upsert_query(table: str, key: str, names: tuple[str, ...], overwrite: bool) -> str:
    """``INSERT … ON CONFLICT`` for the columns of a record; built once per shape (the names come
    from our own record classes, never from input)."""
    on_conflict = (
        "DO UPDATE SET " + ", ".join(f'"{n}" = EXCLUDED."{n}"' for n in names if n != key)
        if overwrite
        else "DO NOTHING"
    )
    columns = ", ".join(f'"{n}"' for n in names)
    values = ", ".join(f"%({n})s" for n in names)
    return f'INSERT INTO "{table}" ({columns}) VALUES ({values}) ON CONFLICT ("{key}") {on_conflict}'


async def _upsert(
    conn: Conn, table: str, key: str, records: Sequence[msgspec.Struct], *, overwrite: bool = True
) -> None:
    """Insert the records, or (``overwrite``) replace the rows with the same ``key``."""
    if not records:
        return
    rows = [_columns(r) for r in records]
    query = _upsert_query(table, key, tuple(rows[0]), overwrite)
    if len(rows) == 1:
        # (psycopg types queries as literal strings; this one is composed from our own names.)
        await conn.execute(query, rows[0])  # type: ignore[arg-type]
        return
    async with conn.cursor() as cur:
        await cur.executemany(query, rows)  # type: ignore[arg-type]


class PostgresReportRepository:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn
        self.published = 0

    async def execution(self, execution_id: str) -> ExecutionRecord | None:
        cur = await self.conn.execute("SELECT * FROM call_executions WHERE execution_id = %s", (execution_id,))
        row = await cur.fetchone()
        return msgspec.convert(utc_row(row), ExecutionRecord) if row else None

    async def save_execution(self, execution: ExecutionRecord) -> None:
        await _upsert(self.conn, "call_executions", "execution_id", [execution], overwrite=False)

    async def lock_jobs(self, org_id: str, job_ids: Sequence[str], at: datetime) -> dict[str, JobRecord]:
        jobs = await self._select_for_update(job_ids)
        missing = [job_id for job_id in job_ids if job_id not in jobs]
        if missing:
            # New jobs: insert empty rows (a concurrent insert of the same job wins harmlessly),
            # then lock them like the others.
            stubs = [new_job(org_id, job_id, at) for job_id in missing]
            await _upsert(self.conn, "call_jobs", "job_id", stubs, overwrite=False)
            jobs.update(await self._select_for_update(missing))
        return jobs

    async def _select_for_update(self, job_ids: Sequence[str]) -> dict[str, JobRecord]:
        # ORDER BY: two transactions locking several jobs take them in the same order.
        cur = await self.conn.execute(
            "SELECT * FROM call_jobs WHERE job_id = ANY(%s) ORDER BY job_id FOR UPDATE", (list(job_ids),)
        )
        return {row["job_id"]: msgspec.convert(utc_row(row), JobRecord) for row in await cur.fetchall()}

    async def save_job(self, job: JobRecord) -> None:
        await _upsert(self.conn, "call_jobs", "job_id", [job])

    async def job_id_of_attempt(self, attempt_id: str) -> str | None:
        cur = await self.conn.execute("SELECT job_id FROM call_attempts WHERE attempt_id = %s", (attempt_id,))
        row = await cur.fetchone()
        return str(row["job_id"]) if row else None

    async def attempt(self, attempt_id: str) -> AttemptRecord | None:
        cur = await self.conn.execute("SELECT * FROM call_attempts WHERE attempt_id = %s", (attempt_id,))
        row = await cur.fetchone()
        return msgspec.convert(utc_row(row), AttemptRecord) if row else None

    async def attempts_of_job(self, job_id: str) -> list[AttemptRecord]:
        cur = await self.conn.execute(
            "SELECT * FROM call_attempts WHERE job_id = %s ORDER BY attempt_number", (job_id,)
        )
        return [msgspec.convert(utc_row(r), AttemptRecord) for r in await cur.fetchall()]

    async def save_attempt(self, attempt: AttemptRecord) -> None:
        await _upsert(self.conn, "call_attempts", "attempt_id", [attempt])

    async def add_event(self, event: EventRecord) -> None:
        await self.conn.execute(
            """
            INSERT INTO call_events (attempt_id, seq, org_id, job_id, type, occurred_at, data)
            VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (attempt_id, seq) DO NOTHING
            """,
            (event.attempt_id, event.seq, event.org_id, event.job_id, event.type, event.occurred_at, jsonb(event.data)),
        )

    async def claim_outcome(self, attempt_id: str) -> bool:
        cur = await self.conn.execute(
            "INSERT INTO outcome_publications (attempt_id) VALUES (%s) ON CONFLICT DO NOTHING RETURNING attempt_id",
            (attempt_id,),
        )
        return await cur.fetchone() is not None

    async def publish(self, subject: str, env: Envelope[Any], msg_id: str) -> None:
        await enqueue(self.conn, subject, env, msg_id=msg_id)
        self.published += 1
