"""Projections: the scheduler's tables follow the events it applies (contacts, flows, its own)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from callcast_contracts.events import (
    AttemptDispatched,
    AudienceDeleted,
    AudienceMembersAdded,
    AudienceMembersRemoved,
    ContactDeleted,
    ContactSaved,
    ExecutionCompleted,
    ExecutionLaunched,
    FlowDeleted,
    FlowVersionSaved,
    JobCompleted,
    JobsEnrolled,
    RetryScheduled,
)
from callcast_runtime.logging import get_logger
from callcast_runtime.messaging import Delivery
from callcast_runtime.projections import advance
from callcast_scheduler.adapters import repository as repo
from callcast_scheduler.service_base import (
    SchedulerBase,
    _now,
)

log = get_logger(__name__)


class ProjectionHandlers(SchedulerBase):
    async def _project_launched(
        self, conn: repo.Conn, org_id: str, ev: ExecutionLaunched, at: datetime, traceparent: str | None
    ) -> None:
        await repo.insert_execution(
            conn,
            id=ev.execution_id,
            org_id=org_id,
            program_id=ev.program_id,
            audience_id=ev.audience_id,
            flow_id=ev.flow_id,
            flow_version=ev.flow_version,
            status="running" if ev.scheduled_start_at <= _now() else "scheduled",
            total_contacts=ev.total_contacts,
            caller_ids=ev.caller_ids,
            retry_strategy=ev.retry_strategy,
            concurrency=ev.concurrency,
            scheduled_start_at=ev.scheduled_start_at,
            scheduled_stop_at=ev.scheduled_stop_at,
            created_at=at,
        )
        if traceparent:
            await conn.execute(
                "UPDATE executions SET traceparent = %s WHERE id = %s AND traceparent IS NULL",
                (traceparent, ev.execution_id),
            )
        if ev.scheduled_start_at <= _now():
            await repo.set_execution_status(conn, ev.execution_id, "running", at)

    async def project_contacts(self, d: Delivery) -> None:
        ev, org_id = d.envelope.data, d.envelope.org_id
        async with self.rt.db.connection() as conn, conn.transaction():
            if not await advance(conn, "contacts", d.seq):
                return
            if isinstance(ev, ContactSaved):
                snap = msgspec.to_builtins(ev.contact)
                revision = int(getattr(ev.contact, "revision", 0) or 0)
                await repo.upsert_contact(
                    conn, org_id, ev.contact.id, ev.contact.primary_phone, snap, revision or d.seq
                )
            elif isinstance(ev, ContactDeleted):
                await repo.delete_contact(conn, org_id, ev.contact_id)
            elif isinstance(ev, AudienceMembersAdded):
                await repo.add_members(conn, org_id, ev.audience_id, ev.contact_ids)
            elif isinstance(ev, AudienceMembersRemoved):
                await repo.remove_members(conn, org_id, ev.audience_id, ev.contact_ids)
            elif isinstance(ev, AudienceDeleted):
                # The contact service removes no members when it deletes an audience: the
                # deleted audience has none for new launches (AudienceEmptyError).
                await repo.forget_audience(conn, org_id, ev.audience_id)

    async def project_flows(self, d: Delivery) -> None:
        ev, org_id = d.envelope.data, d.envelope.org_id
        async with self.rt.db.connection() as conn, conn.transaction():
            if not await advance(conn, "flows", d.seq):
                return
            if isinstance(ev, FlowVersionSaved):
                await repo.insert_flow_version(
                    conn, org_id, ev.flow.flow_id, ev.flow.version, msgspec.to_builtins(ev.flow)
                )
            elif isinstance(ev, FlowDeleted):
                await repo.mark_flow_deleted(conn, org_id, ev.flow_id)

    async def project_programs(self, d: Delivery) -> None:
        ev, org_id = d.envelope.data, d.envelope.org_id
        async with self.rt.db.connection() as conn, conn.transaction():
            if not await advance(conn, "programs", d.seq):
                return
            if isinstance(ev, ExecutionLaunched):
                await self._project_launched(conn, org_id, ev, d.envelope.occurred_at, d.headers.get("traceparent"))
            elif isinstance(ev, JobsEnrolled):
                await repo.insert_jobs(
                    conn, org_id, ev.execution_id, [(j.job_id, j.contact_id, j.phone) for j in ev.jobs]
                )
            elif isinstance(ev, AttemptDispatched):
                await repo.job_dispatched(conn, ev.job_id, ev.attempt_number)
            elif isinstance(ev, RetryScheduled):
                await repo.job_retry(conn, ev.job_id, ev.attempt_number, ev.not_before, ev.last_outcome)
            elif isinstance(ev, JobCompleted):
                await repo.job_completed(conn, ev.job_id, ev.status, ev.outcome)
            elif isinstance(ev, ExecutionCompleted):
                await repo.set_execution_status(conn, ev.execution_id, ev.status, d.envelope.occurred_at)
        if isinstance(ev, RetryScheduled | JobCompleted):
            self._wake.set()
