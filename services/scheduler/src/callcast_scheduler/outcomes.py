"""Reacting to the call-event stream: an ended attempt is retried or closes its job; node entries
feed the auto-pause rules; attempts whose call events stopped are closed by the scheduler's lease.

The decision needs, per job, its execution, how many attempts were settled and the job subject's
last sequence: the jobs projection keeps them (``settled_attempts``, ``last_seq``), so no job
history is read. The follow-up is appended with that sequence as the expected one; when the
projection was behind (a conflict), the subject's last event alone (one direct get) decides again:
its kind and attempt number say whether the attempt is settled.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from callcast_contracts import ids
from callcast_contracts.envelope import Envelope, Event, envelope
from callcast_contracts.events import (
    AttemptDispatched,
    CallAttemptStarted,
    CallEnded,
    FlowNodeEntered,
    JobCompleted,
    RetryScheduled,
    TestCallRequested,
)
from callcast_contracts.streams import CALLS, PROGRAMS
from callcast_contracts.subjects import Aggregate, Context, subject
from callcast_runtime.logging import get_logger
from callcast_runtime.messaging import AppendConflict, Delivery, StoredEvent
from callcast_scheduler.adapters import repository as repo
from callcast_scheduler.adapters.event_log import last_event
from callcast_scheduler.domain import execution_status as st
from callcast_scheduler.domain.auto_pause import AutoPauseCounters
from callcast_scheduler.domain.retry import next_attempt_at
from callcast_scheduler.execution_control import ExecutionControl
from callcast_scheduler.projections import lock_execution_counters
from callcast_scheduler.service_base import _now, job_subject

log = get_logger(__name__)

#: How long an attempt in flight (dispatched or calling) may go without any call event before the
#: scheduler closes it failed/``dialer_lost``. Dialers send CallStillLive every ~10 s and settle a
#: lost attempt themselves after their own lease (45 s) when its command is redelivered; this one
#: is the backstop for a command nobody redelivers.
DEFAULT_ATTEMPT_LEASE_S = 120.0
LEASE_SWEEP_EVERY_S = 5.0
#: A call event moves the lease forward at most this often (fewer writes per live call).
LEASE_REFRESH = timedelta(seconds=5)


def attempt_lease() -> timedelta:
    raw = os.environ.get("CALLCAST_SCHEDULER_ATTEMPT_LEASE_S")
    return timedelta(seconds=float(raw) if raw else DEFAULT_ATTEMPT_LEASE_S)


@dataclass(frozen=True)
class JobFacts:
    """What deciding an attempt's end needs to know about its job."""

    execution_id: str
    last_seq: int
    #: The highest attempt number whose end is already decided (a later attempt counts too).
    settled_through: int
    final: bool = False

    def settled(self, attempt_number: int) -> bool:
        return self.final or self.settled_through >= attempt_number

    @classmethod
    def from_row(cls, job: repo.Row) -> JobFacts:
        attempts = int(job["attempts"])
        return cls(
            execution_id=str(job["execution_id"]),
            last_seq=int(job["last_seq"]),
            # A dispatched attempt n+1 means attempt n was settled.
            settled_through=max(int(job["settled_attempts"]), attempts - 1),
            final=job["status"] in ("completed", "failed"),
        )

    @classmethod
    def from_last_event(cls, last: StoredEvent, execution_id: str) -> JobFacts:
        e = last.envelope.data
        if isinstance(e, JobCompleted):
            return cls(execution_id=execution_id, last_seq=last.seq, settled_through=e.attempts, final=True)
        if isinstance(e, RetryScheduled):
            return cls(execution_id=e.execution_id, last_seq=last.seq, settled_through=e.attempt_number - 1)
        if isinstance(e, AttemptDispatched):
            return cls(execution_id=e.execution_id, last_seq=last.seq, settled_through=e.attempt_number - 1)
        raise RuntimeError(f"unexpected last event {type(e).__name__} on job subject {last.subject}")


def follow_up(
    *,
    job_id: str,
    execution: repo.Row,
    attempt_number: int,
    outcome: str,
    ended_at: datetime,
    reason: str | None = None,
) -> tuple[Event, str]:
    """The event that settles an attempt, and its msg-id kind: a retry, or the job's end.

    No retry after ``stopAt``, nor for an execution that was cancelled or stopped: the job ends
    with the attempt's outcome (``skipped`` when the dialer called off the call for the
    cancellation)."""
    execution_id = str(execution["id"])
    ended = str(execution["status"]) in (st.CANCELLED, st.STOPPED)
    not_before = None
    if outcome != "completed" and not ended:
        not_before = next_attempt_at(
            dict(execution["retry_strategy"]),
            attempts_made=attempt_number,
            outcome=outcome,
            ended_at=ended_at if ended_at.tzinfo else ended_at.replace(tzinfo=UTC),
        )
        stop_at = execution["scheduled_stop_at"]
        if not_before is not None and stop_at is not None and not_before >= stop_at:
            not_before = None
    if not_before is not None:
        retry = RetryScheduled(
            job_id=job_id,
            execution_id=execution_id,
            attempt_number=attempt_number + 1,
            not_before=not_before,
            last_outcome=outcome,
            last_outcome_reason=reason,
        )
        return retry, "retry"
    if outcome == "completed":
        status = "completed"
    elif outcome == "cancelled":
        status = "skipped"
    else:
        status = "failed"
    if ended and reason is None and status != "completed":
        reason = "execution_cancelled" if execution["status"] == st.CANCELLED else "execution_stopped"
    done = JobCompleted(
        job_id=job_id,
        execution_id=execution_id,
        status=status,
        outcome=outcome,
        attempts=attempt_number,
        outcome_reason=reason,
    )
    return done, "completed"


class OutcomeHandlers(ExecutionControl):
    async def on_call_event(self, d: Delivery) -> None:
        ev = d.envelope.data
        if isinstance(ev, CallAttemptStarted):
            async with self.rt.db.connection() as conn:
                await repo.job_calling(conn, ev.job_id, ev.attempt_number)
        elif isinstance(ev, CallEnded):
            await self._on_call_ended(d.envelope, ev)
        else:
            # Any sign of life moves the attempt's lease on (events that do not name their job,
            # from older dialers, do not: the sweeper reads the attempt's subject before closing).
            job_id = getattr(ev, "job_id", None)
            if job_id:
                async with self.rt.db.connection() as conn:
                    await repo.call_event_seen(conn, job_id, LEASE_REFRESH)
            if isinstance(ev, FlowNodeEntered):
                await self._count_node_entry(d.envelope.org_id, ev)

    # -- an attempt ended ------------------------------------------------------------------------
    async def _on_call_ended(self, env: Envelope[Event], ev: CallEnded) -> None:
        async with self.rt.db.connection() as conn:
            job = await repo.get_job(conn, ev.job_id)
        if job is None:
            await self._on_call_ended_off_projection(env, ev)
            return
        await self._settle_attempt(
            env.org_id,
            ev.job_id,
            JobFacts.from_row(job),
            attempt_number=ev.attempt_number,
            outcome=ev.outcome,
            ended_at=ev.terminated_at,
            causation=env,
        )

    async def _on_call_ended_off_projection(self, env: Envelope[Event], ev: CallEnded) -> None:
        """A job the projection has no row for: a test call's, or not this deployment's."""
        last = await last_event(self.rt.js, PROGRAMS.name, job_subject(env.org_id, ev.job_id))
        if last is None:
            return  # a job of another scheduler deployment: not ours to follow
        first = last.envelope.data
        if isinstance(first, TestCallRequested):
            # A test call has one attempt and no execution: its outcome is the job's, never retried.
            await self._complete_test_call(env, ev, last.seq)
        elif not isinstance(first, JobCompleted):
            raise RuntimeError(f"job {ev.job_id} not projected yet")

    async def _settle_attempt(
        self,
        org_id: str,
        job_id: str,
        facts: JobFacts,
        *,
        attempt_number: int,
        outcome: str,
        ended_at: datetime,
        reason: str | None = None,
        causation: Envelope[Event] | None = None,
    ) -> bool:
        """Append the attempt's follow-up unless it is settled already; True when appended."""
        subj = job_subject(org_id, job_id)
        for attempt in (1, 2):
            if facts.settled(attempt_number):
                return False
            async with self.rt.db.connection() as conn:
                execution = await repo.execution_by_id(conn, facts.execution_id)
            if execution is None:
                raise RuntimeError(f"execution {facts.execution_id} not projected yet")
            event, kind = follow_up(
                job_id=job_id,
                execution=execution,
                attempt_number=attempt_number,
                outcome=outcome,
                ended_at=ended_at,
                reason=reason,
            )
            out = envelope(
                event,
                org_id=org_id,
                aggregate_id=job_id,
                causation_id=causation.id if causation else None,
                correlation_id=causation.correlation_id if causation else None,
            )
            try:
                await self.rt.events.append(
                    subj, out, msg_id=f"job-{job_id}-attempt-{attempt_number}-{kind}", expected_last_seq=facts.last_seq
                )
            except AppendConflict:
                if attempt == 2:
                    raise
                # The projection was behind the subject: its last event decides again.
                last = await last_event(self.rt.js, PROGRAMS.name, subj)
                if last is None:
                    raise
                facts = JobFacts.from_last_event(last, facts.execution_id)
                continue
            return True
        return False

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

    # -- auto-pause ------------------------------------------------------------------------------
    async def _count_node_entry(self, org_id: str, ev: FlowNodeEntered) -> None:
        """Count one entry of a node that an auto-pause rule watches; pause at the threshold.
        Each node execution of an attempt counts once (a redelivery is not counted again)."""
        if not ev.job_id:
            return  # a dialer that does not name the job; test calls have no rules either
        async with self.rt.db.connection() as conn:
            execution = await repo.job_execution(conn, ev.job_id)
            rules = list(execution["auto_pause_rules"] or []) if execution else []
            if execution is None or not any(r.get("nodeId") == ev.node_id for r in rules):
                return
            execution_id = str(execution["id"])
            fired: list[dict[str, object]] = []
            async with conn.transaction():
                await lock_execution_counters(conn, execution_id)
                if not await repo.mark_node_entry(conn, ev.attempt_id, ev.node_execution_index):
                    return
                current = await repo.execution_by_id(conn, execution_id)
                counters = AutoPauseCounters(rules=list((current or execution)["auto_pause_rules"] or []))
                for row in await repo.auto_pause_counts(conn, execution_id):
                    counters.counts[row["node_id"]] = int(row["count"])
                    if row["fired"]:
                        counters.fired.add(row["node_id"])
                fired = counters.record(ev.node_id)
                await repo.save_auto_pause_count(
                    conn, execution_id, ev.node_id, counters.counts.get(ev.node_id, 0), ev.node_id in counters.fired
                )
            count = counters.counts.get(ev.node_id, 0)
        if fired:
            paused = await self.pause_at_threshold(org_id, execution_id, ev.node_id, count)
            log.info("auto-pause rule fired", execution_id=execution_id, node_id=ev.node_id, count=count, paused=paused)

    # -- the attempt lease -----------------------------------------------------------------------
    async def run_lease_sweeper(self) -> None:
        """Close lost attempts every few seconds (every replica may run it: the appends' expected
        sequences let one close an attempt once)."""
        while True:
            try:
                await self.close_lost_attempts()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("closing lost attempts failed; retrying")
            await asyncio.sleep(LEASE_SWEEP_EVERY_S)

    async def close_lost_attempts(self, now: datetime | None = None) -> int:
        """Attempts dispatched or calling whose CALLS subject had no event for longer than the
        lease are closed failed/``dialer_lost`` on their job subject (never on ``calls.*``, which
        only dialers write) and retried per the strategy. Answers how many were closed."""
        now = now or _now()
        lease = attempt_lease()
        async with self.rt.db.connection() as conn:
            suspects = await repo.lost_attempts(conn, now - lease)
        closed = 0
        for job in suspects:
            try:
                if await self._close_if_lost(job, now, lease):
                    closed += 1
            except Exception:
                # One job's trouble (a conflict twice, NATS slow) must not keep the sweep from
                # the others; this one comes up again on the next sweep.
                log.exception("closing a lost attempt failed", job_id=str(job["id"]))
        return closed

    async def _close_if_lost(self, job: repo.Row, now: datetime, lease: timedelta) -> bool:
        org_id, job_id = str(job["org_id"]), str(job["id"])
        attempt_number = int(job["attempts"])
        attempt_id = ids.attempt_id(job_id, attempt_number)
        # The row's lease time follows the call-event consumer, which may lag: the attempt's own
        # subject says when it last heard from its dialer.
        calls = await last_event(self.rt.js, CALLS.name, subject(Context.CALLS, org_id, Aggregate.ATTEMPT, attempt_id))
        if calls is not None:
            if isinstance(calls.envelope.data, CallEnded):
                # Its outcome is on its way through the consumer. Renewed, so that the sweep's
                # oldest-first list moves on to others if the consumer is stuck on it.
                async with self.rt.db.connection() as conn:
                    await repo.call_event_seen(conn, job_id, timedelta(0), at=min(now, _now()))
                return False
            heard = calls.envelope.occurred_at
            if heard.tzinfo is None:
                heard = heard.replace(tzinfo=UTC)
            if heard > now - lease:
                async with self.rt.db.connection() as conn:
                    await repo.call_event_seen(conn, job_id, timedelta(0), at=heard)
                return False
        log.warning("attempt lost: no call event within the lease", job_id=job_id, attempt_id=attempt_id)
        return await self._settle_attempt(
            org_id,
            job_id,
            JobFacts.from_row(job),
            attempt_number=attempt_number,
            outcome="failed",
            # The retry delay runs from when the scheduler closed the attempt (``now`` may be a
            # clock moved forward to judge the lease).
            ended_at=min(now, _now()),
            reason="dialer_lost",
        )
