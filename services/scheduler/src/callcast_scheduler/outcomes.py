"""Reacting to the call-event stream: an ended attempt is retried or closes its job."""

from __future__ import annotations

from datetime import UTC

from callcast_contracts.envelope import Envelope, Event, envelope
from callcast_contracts.events import (
    AttemptDispatched,
    CallAttemptStarted,
    CallEnded,
    JobCompleted,
    RetryScheduled,
    TestCallRequested,
)
from callcast_contracts.streams import PROGRAMS
from callcast_runtime.logging import get_logger
from callcast_runtime.messaging import Delivery, StoredEvent
from callcast_scheduler.adapters import repository as repo
from callcast_scheduler.domain.retry import next_attempt_at
from callcast_scheduler.service_base import (
    SchedulerBase,
    job_subject,
)

log = get_logger(__name__)


class OutcomeHandlers(SchedulerBase):
    async def on_call_event(self, d: Delivery) -> None:
        ev = d.envelope.data
        if isinstance(ev, CallAttemptStarted):
            async with self.rt.db.connection() as conn:
                await repo.job_calling(conn, ev.job_id, ev.attempt_number)
        elif isinstance(ev, CallEnded):
            await self._on_call_ended(d.envelope, ev)

    async def _on_call_ended(self, env: Envelope[Event], ev: CallEnded) -> None:
        org_id = env.org_id
        subj = job_subject(org_id, ev.job_id)
        history = await self.rt.events.load(PROGRAMS.name, subj)
        if not history:
            return  # a test call or a job of another scheduler deployment: not ours to follow
        if self._attempt_already_settled(history, ev.attempt_number):
            return
        if isinstance(history[0].envelope.data, TestCallRequested):
            # A test call has one attempt and no execution: its outcome is the job's, never retried.
            await self._complete_test_call(env, ev, history[-1].seq)
            return
        dispatched = [e.envelope.data for e in history if isinstance(e.envelope.data, AttemptDispatched)]
        execution_id = dispatched[-1].execution_id if dispatched else ""
        async with self.rt.db.connection() as conn:
            ex = await repo.execution_by_id(conn, execution_id)
        if ex is None:
            raise RuntimeError(f"execution {execution_id} not projected yet")
        not_before = None
        if ev.outcome != "completed":
            not_before = next_attempt_at(
                dict(ex["retry_strategy"]),
                attempts_made=ev.attempt_number,
                outcome=ev.outcome,
                ended_at=ev.terminated_at if ev.terminated_at.tzinfo else ev.terminated_at.replace(tzinfo=UTC),
            )
            stop_at = ex["scheduled_stop_at"]
            if not_before is not None and stop_at is not None and not_before >= stop_at:
                not_before = None
        follow_up: Event
        if not_before is not None:
            follow_up = RetryScheduled(
                job_id=ev.job_id,
                execution_id=execution_id,
                attempt_number=ev.attempt_number + 1,
                not_before=not_before,
                last_outcome=ev.outcome,
            )
            kind = "retry"
        else:
            follow_up = JobCompleted(
                job_id=ev.job_id,
                execution_id=execution_id,
                status="completed" if ev.outcome == "completed" else "failed",
                outcome=ev.outcome,
                attempts=ev.attempt_number,
            )
            kind = "completed"
        out = envelope(
            follow_up,
            org_id=org_id,
            aggregate_id=ev.job_id,
            causation_id=env.id,
            correlation_id=env.correlation_id,
        )
        await self.rt.events.append(
            subj, out, msg_id=f"job-{ev.job_id}-attempt-{ev.attempt_number}-{kind}", expected_last_seq=history[-1].seq
        )

    async def _complete_test_call(self, env: Envelope[Event], ev: CallEnded, last_seq: int) -> None:
        done = envelope(
            JobCompleted(
                job_id=ev.job_id,
                execution_id=None,
                status="completed" if ev.outcome == "completed" else "failed",
                outcome=ev.outcome,
                attempts=ev.attempt_number,
            ),
            org_id=env.org_id,
            aggregate_id=ev.job_id,
            causation_id=env.id,
            correlation_id=env.correlation_id,
        )
        await self.rt.events.append(
            job_subject(env.org_id, ev.job_id),
            done,
            msg_id=f"job-{ev.job_id}-attempt-{ev.attempt_number}-completed",
            expected_last_seq=last_seq,
        )

    @staticmethod
    def _attempt_already_settled(history: list[StoredEvent], attempt_number: int) -> bool:
        for stored in history:
            e = stored.envelope.data
            if isinstance(e, JobCompleted):
                return True
            if isinstance(e, RetryScheduled) and e.attempt_number > attempt_number:
                return True
        return False
