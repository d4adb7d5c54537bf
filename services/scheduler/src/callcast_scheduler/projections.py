"""Projections: the scheduler's tables follow the events it applies (contacts, flows, its own)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from callcast_contracts.envelope import Event
from callcast_contracts.events import (
    AttemptDispatched,
    AudienceDeleted,
    AudienceMembersAdded,
    AudienceMembersRemoved,
    ContactDeleted,
    ContactSaved,
    CustomAttributeDeleted,
    CustomAttributeSaved,
    ExecutionCancelled,
    ExecutionCompleted,
    ExecutionLaunched,
    ExecutionPaused,
    ExecutionResumed,
    ExecutionStarted,
    ExecutionStopped,
    FlowDeleted,
    FlowVersionSaved,
    JobCompleted,
    JobsEnrolled,
    RetryScheduled,
)
from callcast_runtime.logging import get_logger
from callcast_runtime.messaging import Delivery
from callcast_scheduler.adapters import live_repository as live_repo
from callcast_scheduler.adapters import repository as repo
from callcast_scheduler.domain import execution_status as st
from callcast_scheduler.domain.auto_pause import AutoPauseCounters
from callcast_scheduler.service_base import SchedulerBase

log = get_logger(__name__)

LIFECYCLE_EVENTS = (
    ExecutionStarted,
    ExecutionPaused,
    ExecutionResumed,
    ExecutionStopped,
    ExecutionCancelled,
    ExecutionCompleted,
)


#: Programs events that free a slot or make work due: the dispatcher runs a round at once.
WAKING_EVENTS = (RetryScheduled, JobCompleted, ExecutionStarted, ExecutionResumed)


def status_after(ev: Event) -> str | None:
    """The execution status a lifecycle event leaves (None for other events)."""
    if isinstance(ev, ExecutionStarted | ExecutionResumed):
        return st.RUNNING
    if isinstance(ev, ExecutionPaused):
        return st.PAUSED_THRESHOLD if ev.reason == "threshold" else st.PAUSED
    if isinstance(ev, ExecutionStopped):
        return st.STOPPED
    if isinstance(ev, ExecutionCancelled):
        return st.CANCELLED
    if isinstance(ev, ExecutionCompleted):
        return ev.status
    return None


async def lock_execution_counters(conn: repo.Conn, execution_id: str) -> None:
    """Serialises what changes an execution's auto-pause counters (node counts, resumes) for the
    transaction; always taken before the execution row, so the two never wait on each other."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 7))", (execution_id,))


async def apply_lifecycle_event(conn: repo.Conn, ev: Event, seq: int, at: datetime) -> repo.Row | None:
    """Apply an event of the execution's subject to its row (once: None when applied before).
    The projection and the command that appended the event both call this, in a transaction.

    Jobs are updated before the execution row (as the dispatcher does: its job updates lock the
    row through the counting trigger), so the two never deadlock."""
    status = status_after(ev)
    if status is None:
        return None
    execution_id: str = ev.execution_id  # type: ignore[attr-defined]
    if isinstance(ev, ExecutionStopped | ExecutionCancelled):
        # No event per job: the execution's end implies that what is not final and not in
        # progress is skipped. Harmless when applied a second time.
        reason = "execution_stopped" if isinstance(ev, ExecutionStopped) else "execution_cancelled"
        await repo.skip_open_jobs(conn, execution_id, reason)
        return await repo.apply_execution_event(conn, execution_id, seq, at, status=status, end_reason=reason)
    if isinstance(ev, ExecutionPaused):
        return await repo.apply_execution_event(
            conn,
            execution_id,
            seq,
            at,
            status=status,
            pauses=ev.number,
            pause_reason=ev.reason,
            paused_node_id=ev.node_id,
        )
    if isinstance(ev, ExecutionResumed):
        await lock_execution_counters(conn, execution_id)
        before = await repo.execution_by_id(conn, execution_id)
        if before is None or int(before["last_seq"]) >= seq:
            return None
        counters = AutoPauseCounters(rules=list(before["auto_pause_rules"] or []))
        for row in await repo.auto_pause_counts(conn, execution_id):
            counters.counts[row["node_id"]] = int(row["count"])
            if row["fired"]:
                counters.fired.add(row["node_id"])
        counters.reset_on_resume(ev.auto_pause_rules)
        await repo.save_auto_pause_counts(conn, execution_id, counters.counts, counters.fired)
        changes: dict[str, object] = {"pause_reason": None, "paused_node_id": None}
        if ev.auto_pause_rules is not None:
            changes["auto_pause_rules"] = counters.rules or None
        return await repo.apply_execution_event(conn, execution_id, seq, at, status=status, **changes)
    if isinstance(ev, ExecutionCompleted):
        return await repo.apply_execution_event(conn, execution_id, seq, at, status=status, end_reason="completed")
    return await repo.apply_execution_event(conn, execution_id, seq, at, status=status)


class ProjectionHandlers(SchedulerBase):
    async def _project_launched(
        self,
        conn: repo.Conn,
        org_id: str,
        ev: ExecutionLaunched,
        at: datetime,
        traceparent: str | None,
        seq: int = 0,
    ) -> None:
        # Running from the launch when it started at once, else scheduled until ExecutionStarted:
        # decided by the event's own time, so a replay gives the same row.
        running = ev.scheduled_start_at <= at
        await repo.insert_execution(
            conn,
            id=ev.execution_id,
            org_id=org_id,
            program_id=ev.program_id,
            audience_id=ev.audience_id,
            flow_id=ev.flow_id,
            flow_version=ev.flow_version,
            status=st.RUNNING if running else st.SCHEDULED,
            total_contacts=ev.total_contacts,
            caller_ids=ev.caller_ids,
            retry_strategy=ev.retry_strategy,
            concurrency=ev.concurrency,
            scheduled_start_at=ev.scheduled_start_at,
            scheduled_stop_at=ev.scheduled_stop_at,
            created_at=at,
            timezone=ev.timezone,
            pause_windows=ev.pause_windows,
            recipient_timezones=ev.recipient_timezones,
            auto_pause_rules=ev.auto_pause_rules,
            calls_per_second=ev.calls_per_second,
            last_seq=seq,
            mode=ev.mode,
            trigger=ev.trigger,
        )
        # Here rather than only in the launch's transaction: when that transaction failed after
        # the events were stored, the execution still comes from this projection, and a program
        # left ``draft`` would stay so (the client's retry finds the execution running).
        await repo.activate_draft_program(conn, ev.program_id)
        if traceparent:
            await conn.execute(
                "UPDATE executions SET traceparent = %s WHERE id = %s AND traceparent IS NULL",
                (traceparent, ev.execution_id),
            )

    # Each applies one event inside its projection's batch transaction (``OrderedProjection``
    # keeps the position and the order).
    async def apply_contacts(self, conn: repo.Conn, d: Delivery) -> None:
        ev, org_id = d.envelope.data, d.envelope.org_id
        if isinstance(ev, ContactSaved):
            snap = msgspec.to_builtins(ev.contact)
            revision = int(getattr(ev.contact, "revision", 0) or 0)
            await repo.upsert_contact(conn, org_id, ev.contact.id, ev.contact.primary_phone, snap, revision or d.seq)
        elif isinstance(ev, ContactDeleted):
            await repo.delete_contact(conn, org_id, ev.contact_id)
        elif isinstance(ev, AudienceMembersAdded):
            await repo.add_members(conn, org_id, ev.audience_id, ev.contact_ids)
        elif isinstance(ev, AudienceMembersRemoved):
            await repo.remove_members(conn, org_id, ev.audience_id, ev.contact_ids)
        elif isinstance(ev, CustomAttributeSaved):
            await live_repo.save_custom_attribute(conn, org_id, ev.attribute_id, ev.name, ev.attribute_type)
        elif isinstance(ev, CustomAttributeDeleted):
            await live_repo.delete_custom_attribute(conn, org_id, ev.attribute_id)
        elif isinstance(ev, AudienceDeleted):
            # The contact service removes no members when it deletes an audience: the deleted
            # audience has none for new launches (AudienceEmptyError).
            await repo.forget_audience(conn, org_id, ev.audience_id)

    async def apply_flows(self, conn: repo.Conn, d: Delivery) -> None:
        ev, org_id = d.envelope.data, d.envelope.org_id
        if isinstance(ev, FlowVersionSaved):
            await repo.insert_flow_version(conn, org_id, ev.flow.flow_id, ev.flow.version, msgspec.to_builtins(ev.flow))
        elif isinstance(ev, FlowDeleted):
            await repo.mark_flow_deleted(conn, org_id, ev.flow_id)

    async def apply_programs(self, conn: repo.Conn, d: Delivery) -> None:
        ev, org_id = d.envelope.data, d.envelope.org_id
        at = d.envelope.occurred_at
        if isinstance(ev, ExecutionLaunched):
            await self._project_launched(conn, org_id, ev, at, d.headers.get("traceparent"), d.seq)
        elif isinstance(ev, JobsEnrolled) and any(j.not_before is not None for j in ev.jobs):
            # A live execution's triggered contacts: its total grows with them.
            triggered = [(j.job_id, j.contact_id, j.phone, j.not_before or at) for j in ev.jobs]
            await live_repo.enrol_triggered(conn, org_id, ev.execution_id, triggered)
        elif isinstance(ev, JobsEnrolled):
            await repo.insert_jobs(conn, org_id, ev.execution_id, [(j.job_id, j.contact_id, j.phone) for j in ev.jobs])
        elif isinstance(ev, AttemptDispatched):
            await repo.jobs_dispatched(conn, {ev.job_id: (ev.attempt_number, d.seq)})
        elif isinstance(ev, RetryScheduled):
            await repo.job_retry(conn, ev.job_id, ev.attempt_number, ev.not_before, ev.last_outcome, d.seq)
        elif isinstance(ev, JobCompleted):
            await repo.job_completed(
                conn, ev.job_id, ev.status, ev.outcome, d.seq, attempts=ev.attempts, reason=ev.outcome_reason
            )
        elif isinstance(ev, LIFECYCLE_EVENTS):
            await apply_lifecycle_event(conn, ev, d.seq, at)

    @staticmethod
    def programs_parts(batch: list[Delivery]) -> list[list[Delivery]]:
        """Each run of AttemptDispatched in one transaction, every other event in one of its own.
        A dispatch round locks its jobs, then (counting trigger) their execution row; a part that
        held an execution row (a JobCompleted, a pause) while updating the round's jobs would wait
        on the round while the round waits on it."""
        parts: list[list[Delivery]] = []
        for d in batch:
            dispatched = isinstance(d.envelope.data, AttemptDispatched)
            if dispatched and parts and isinstance(parts[-1][-1].envelope.data, AttemptDispatched):
                parts[-1].append(d)
            else:
                parts.append([d])
        return parts

    async def apply_programs_part(self, conn: repo.Conn, part: list[Delivery]) -> None:
        """A part of ``programs_parts``: a run of AttemptDispatched in one statement."""
        if len(part) > 1 or (part and isinstance(part[0].envelope.data, AttemptDispatched)):
            attempts: dict[str, tuple[int, int]] = {}
            for d in part:
                ev = d.envelope.data
                assert isinstance(ev, AttemptDispatched)
                # One row per job: a later attempt of the same job is kept (an UPDATE … FROM
                # applies one source row per target row).
                attempts[ev.job_id] = max(attempts.get(ev.job_id, (0, 0)), (ev.attempt_number, d.seq))
            await repo.jobs_dispatched(conn, attempts)
            return
        for d in part:
            await self.apply_programs(conn, d)

    def programs_applied(self, applied: list[Delivery]) -> None:
        """What frees or starts work wakes the dispatcher of this replica."""
        if any(isinstance(d.envelope.data, WAKING_EVENTS) for d in applied):
            self._wake.set()
