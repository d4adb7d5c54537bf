"""Helpers of the execution lifecycle tests: the lifecycle actions over HTTP, programs with time
and auto-pause settings, node entries as a dialer reports them, and the counters checked against
the jobs they count."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg
from scheduler_support import Campaign, DialCommand, FakeDialer, Tenant

from callcast_contracts.envelope import Event
from callcast_contracts.events import FlowNodeEntered
from callcast_contracts.streams import PROGRAMS
from callcast_scheduler.handlers import execution_subject

COUNTERS = ("totalContacts", "contactsCompleted", "contactsFailed", "contactsPending", "contactsInProgress")


def counters(execution: dict[str, Any]) -> tuple[int, ...]:
    return tuple(int(execution[k]) for k in COUNTERS)


def add_up(execution: dict[str, Any]) -> bool:
    total, *four = counters(execution)
    return sum(four) == total and sum(execution["contactStatuses"].values()) == total


async def campaign_with(tenant: Tenant, *, contacts: int = 1, concurrency: int = 10, **program: Any) -> Campaign:
    """Like ``Tenant.campaign`` but the program carries extra fields (``autoPauseRules``,
    ``stopAt``, ``retryStrategy``, ...) in their API spelling."""
    people = [await tenant.contact(f"+2126{uuid.uuid4().int % 10**8:08d}") for _ in range(contacts)]
    audience_id = await tenant.audience(*people)
    flow = await tenant.flow_version(1)
    did_id = await tenant.did("+212522000077")
    body = {
        "name": "Lifecycle",
        "flowId": flow.flow_id,
        "audienceId": audience_id,
        "didPool": [did_id],
        "concurrency": concurrency,
        **program,
    }
    response = await tenant.app.client.post("/api/programs", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return Campaign(
        program_id=str(response.json()["id"]),
        contacts=people,
        audience_id=audience_id,
        flow=flow,
        did_ids=[did_id],
        caller_ids=["+212522000077"],
    )


async def act(tenant: Tenant, execution_id: str, action: str, body: Any = None) -> Any:
    """``PATCH /program-executions/:id/<action>``; the raw response."""
    kwargs: dict[str, Any] = {"headers": tenant.headers}
    if body is not None:
        kwargs["json"] = body
    return await tenant.app.client.patch(f"/api/program-executions/{execution_id}/{action}", **kwargs)


async def act_ok(tenant: Tenant, execution_id: str, action: str, body: Any = None) -> dict[str, Any]:
    response = await act(tenant, execution_id, action, body)
    assert response.status_code == 200, response.text
    answered: dict[str, Any] = response.json()
    return answered


async def execution_events(tenant: Tenant, execution_id: str) -> list[Event]:
    stored = await tenant.events.load(PROGRAMS.name, execution_subject(tenant.org_id, execution_id))
    return [s.envelope.data for s in stored]


async def node_entered(dialer: FakeDialer, command: DialCommand, node_id: str, index: int, *, after_seq: int) -> int:
    """The dialer's FlowNodeEntered for the attempt (``index``: its nodeExecutionIndex)."""
    event = FlowNodeEntered(
        attempt_id=command.data.attempt_id,
        node_id=node_id,
        node_type="hangup",
        node_execution_index=index,
        at=datetime.now(UTC),
        job_id=command.data.job_id,
    )
    appended = await dialer.tenant.events.append(
        command.calls_subject,
        dialer._envelope(command, event),
        msg_id=f"attempt-{command.data.attempt_id}-node-{index}-{uuid.uuid4()}",
        expected_last_seq=after_seq,
    )
    return appended.seq


async def job_counts(tenant: Tenant, execution_id: str) -> tuple[dict[str, int], dict[str, int]]:
    """The execution row's counters and the jobs counted by status, from the database."""
    settings = tenant.app.settings
    assert settings.database_url is not None
    async with await psycopg.AsyncConnection.connect(settings.database_url) as conn:
        await conn.execute(f"SET search_path TO {settings.db_schema}")
        cur = await conn.execute(
            "SELECT jobs_pending, jobs_queued, jobs_calling, jobs_pending_retry, jobs_completed, jobs_failed,"
            " jobs_skipped FROM executions WHERE id = %s",
            (execution_id,),
        )
        row = await cur.fetchone()
        assert row is not None
        names = ("pending", "queued", "calling", "pending_retry", "completed", "failed", "skipped")
        kept = {n: int(v) for n, v in zip(names, row, strict=True) if v}
        cur = await conn.execute(
            "SELECT status, count(*) FROM jobs WHERE execution_id = %s GROUP BY status", (execution_id,)
        )
        counted = {str(s): int(n) for s, n in await cur.fetchall()}
    return kept, counted


async def projection_rows(tenant: Tenant, execution_id: str) -> tuple[Any, list[Any]]:
    """The execution's row and its jobs' rows (without the columns that record when a write
    happened, which a replay cannot reproduce)."""
    settings = tenant.app.settings
    assert settings.database_url is not None
    async with await psycopg.AsyncConnection.connect(settings.database_url) as conn:
        await conn.execute(f"SET search_path TO {settings.db_schema}")
        cur = await conn.execute(
            "SELECT status, total_contacts, jobs_pending, jobs_queued, jobs_calling, jobs_pending_retry,"
            " jobs_completed, jobs_failed, jobs_skipped, auto_pause_rules, pauses, pause_reason, end_reason,"
            " actual_start_at, actual_end_at, last_seq FROM executions WHERE id = %s",
            (execution_id,),
        )
        execution = await cur.fetchone()
        cur = await conn.execute(
            "SELECT id, status, attempts, settled_attempts, last_outcome, outcome_reason, last_seq"
            " FROM jobs WHERE execution_id = %s ORDER BY id",
            (execution_id,),
        )
        jobs = await cur.fetchall()
    return execution, jobs
