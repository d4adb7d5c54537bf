"""The dispatcher: due jobs of running executions become attempts and dial commands.

One active dispatcher per deployment (a PostgreSQL advisory lock; see docs/scheduler.md
"Dispatch"). Each round, per execution: the calling gate (startAt, pause windows, stopAt), the
in-flight bound (the lower of the program's concurrency and the organization's
``maxConcurrentCalls``, the latter across all of the organization's executions) and the pace (the
lower of the program's and the organization's calls per second) decide how many jobs may start;
that many due jobs are dispatched as one batch:

1. ``AttemptDispatched`` for every job, appended together, each with the expected last sequence
   of its job's subject (0 for a first attempt: no read needed; a retry's from its
   ``RetryScheduled``). A conflict means the projection is stale: that job is decided from its
   own last event, one by one. A duplicate means this attempt was recorded before (a crash before
   the projection caught up): its stored caller id is reused.
2. One ``DialRequested`` per recorded attempt, published together (``Nats-Msg-Id`` ``dial-<attemptId>``:
   the work queue drops a second copy, and the dialer's gate dials once whatever happens).
3. One UPDATE marks the batch queued; the round's row locks (``FOR UPDATE SKIP LOCKED``) end.

A dial command is published only after its attempt is recorded, and an attempt is recorded once
(the expected sequence on the job's subject), so neither a restart nor a replica dials twice.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import msgspec
import nats.js.errors
import psycopg
from opentelemetry import context as otel_context
from opentelemetry import trace

from callcast_contracts import ids
from callcast_contracts.envelope import Envelope, decode, envelope
from callcast_contracts.events import (
    AttemptDispatched,
    DialRequested,
    ExecutionCompleted,
    ExecutionLaunched,
)
from callcast_contracts.events.flows import FlowSnapshot
from callcast_contracts.streams import PROGRAMS
from callcast_contracts.subjects import Aggregate, Context, subject
from callcast_runtime.logging import get_logger
from callcast_runtime.messaging import AppendConflict, Appended
from callcast_runtime.tracing import extract_context, tracer
from callcast_scheduler.adapters import dispatch_repository as dispatch_repo
from callcast_scheduler.adapters import program_repository
from callcast_scheduler.adapters import repository as repo
from callcast_scheduler.adapters.event_batches import PendingAppend, append_batch
from callcast_scheduler.adapters.event_log import last_event
from callcast_scheduler.domain import execution_status as st
from callcast_scheduler.domain.callerid import rotate
from callcast_scheduler.domain.calling_gate import GateState, calling_gate
from callcast_scheduler.domain.dispatching import (
    DispatchStep,
    Pace,
    dispatch_step,
    execution_already_completed,
)
from callcast_scheduler.domain.progress import Counters
from callcast_scheduler.domain.recipient_timezone import recipient_timezone
from callcast_scheduler.domain.windows import PauseSchedule
from callcast_scheduler.execution_control import ExecutionControl
from callcast_scheduler.live import LiveTriggers
from callcast_scheduler.service_base import (
    DISPATCH_BATCH,
    DISPATCH_RETRY_AFTER,
    DISPATCH_RETRY_AFTER_MAX,
    IDLE_ROUND_S,
    ORG_LIMITS_TTL_S,
    _now,
    execution_subject,
    job_subject,
)

log = get_logger(__name__)

#: A standby replica tries for the dispatcher's lock this often.
LOCK_RETRY_S = 2.0
#: The active dispatcher checks its lock's connection at most this often (between rounds).
LOCK_CHECK_S = 1.0


@dataclass
class _OrgRound:
    """An organization's room this round: calls it may still add, and its pace."""

    room: int
    pace: Pace


@dataclass(frozen=True, slots=True)
class _Planned:
    job: repo.Row
    attempt_number: int
    #: Expected last sequence of the job's subject for AttemptDispatched; None: republish only.
    expected_seq: int | None
    #: The recorded attempt when it exists already (republish), and its stream sequence.
    recorded: Envelope[AttemptDispatched] | None = None
    recorded_seq: int = 0


class DispatchHandlers(ExecutionControl, LiveTriggers):
    async def run_dispatcher(self) -> None:
        """One active dispatcher (advisory lock); others stand by and take over if it dies.

        The lock lives on a connection of its own (not the pool's: a pooled connection would go
        back to the pool in autocommit, and the lock with it). The connection is checked between
        rounds: when it is gone, so is the lock (the server released it and another replica may
        hold it now), and this replica stops dispatching and goes back to standing by."""
        lock_key = zlib.crc32(b"callcast-scheduler-dispatcher")
        database_url = self.rt.settings.database_url
        assert database_url is not None
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as lock_conn:
                    cur = await lock_conn.execute("SELECT pg_try_advisory_lock(%s)", (lock_key,))
                    row = await cur.fetchone()
                    if not row or not row[0]:
                        await asyncio.sleep(LOCK_RETRY_S)
                        continue
                    log.info("dispatcher active", instance=self.rt.settings.instance_id)
                    checked = time.monotonic()
                    while True:
                        if time.monotonic() - checked >= LOCK_CHECK_S:
                            await lock_conn.execute("SELECT 1")  # raises when the session is gone
                            checked = time.monotonic()
                        # Cleared before the round, so a wake-up that arrives during it starts
                        # the next round at once instead of being lost.
                        self._wake.clear()
                        await self.dispatch_once()
                        if self._more_due:
                            await asyncio.sleep(0)  # let acks, projections and HTTP in
                            continue
                        try:
                            await asyncio.wait_for(self._wake.wait(), timeout=self._next_round_in)
                        except TimeoutError:
                            pass
                # Leaving the block closes the connection, which releases the lock.
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dispatcher failed; standing by again")
                await asyncio.sleep(1.0)

    async def dispatch_once(self, now: datetime | None = None) -> int:
        """One round over every execution; ``now`` is the clock (tests move it forward)."""
        sent = 0
        now = now or _now()
        self._more_due = False
        self._next_round_in = IDLE_ROUND_S
        async with self.rt.db.connection() as conn:
            executions = await dispatch_repo.dispatchable_executions(conn, now)
            counters = {str(ex["id"]): Counters.from_row(ex) for ex in executions}
            orgs = await self._org_rounds(conn, executions, counters)
            await conn.commit()
        # What ended otherwise than by completing (stopped, cancelled) is forgotten here.
        listed = {str(ex["id"]) for ex in executions}
        for ended in [e for e in self._launched_cache if e not in listed]:
            self._forget(ended)
        for ex in executions:
            execution_id = str(ex["id"])
            retry_at, failures = self._retry_after.get(execution_id, (now, 0))
            if retry_at > now:
                continue
            # One execution that cannot be dispatched (e.g. its flow version is missing from
            # the copy) must not hold up the others: it is retried later, less and less often.
            try:
                sent += await self._dispatch_execution(ex, now, counters[execution_id], orgs[str(ex["org_id"])])
            except Exception:
                log.exception("dispatching an execution failed; retrying it later", execution_id=execution_id)
                backoff = min(DISPATCH_RETRY_AFTER * 2**failures, DISPATCH_RETRY_AFTER_MAX)
                self._retry_after[execution_id] = (now + backoff, failures + 1)
            else:
                self._retry_after.pop(execution_id, None)
        self._live_evaluated.pop(execution_id, None)
        return sent

    # -- what a round may do ------------------------------------------------------------------------
    async def _org_rounds(
        self, conn: repo.Conn, executions: list[repo.Row], counters: dict[str, Counters]
    ) -> dict[str, _OrgRound]:
        org_ids = sorted({str(ex["org_id"]) for ex in executions})
        if not org_ids:
            return {}
        up = await dispatch_repo.org_in_progress(conn, org_ids)
        rounds: dict[str, _OrgRound] = {}
        clock = time.monotonic()
        for org in org_ids:
            max_calls, max_cps = await self._org_limits(conn, org, clock)
            pace = self._paces.get(("org", org))
            if pace is None:
                pace = self._paces[("org", org)] = Pace(max_cps, now=clock)
            pace.set_rate(max_cps)
            rounds[org] = _OrgRound(room=max_calls - up.get(org, 0), pace=pace)
        return rounds

    async def _org_limits(self, conn: repo.Conn, org_id: str, clock: float) -> tuple[int, float]:
        cached = self._org_limits_cache.get(org_id)
        if cached is not None and cached[0] > clock:
            return cached[1]
        limits = await program_repository.org_limits(conn, org_id)
        self._org_limits_cache[org_id] = (clock + ORG_LIMITS_TTL_S, limits)
        return limits

    async def _launched(self, ex: repo.Row) -> ExecutionLaunched:
        """The execution's launch event (its time rules and limits), read once per execution."""
        execution_id = str(ex["id"])
        cached = self._launched_cache.get(execution_id)
        if cached is None:
            subj = execution_subject(str(ex["org_id"]), execution_id)
            msg = await self.rt.js.get_msg(PROGRAMS.name, seq=1, subject=subj, next=True)
            data = decode(msg.data or b"").data
            if not isinstance(data, ExecutionLaunched):
                raise RuntimeError(f"execution {execution_id} does not start with ExecutionLaunched")
            cached = self._launched_cache[execution_id] = data
        return cached

    def _schedule(self, execution_id: str, launched: ExecutionLaunched, tz: str) -> PauseSchedule | None:
        if not launched.pause_windows:
            return None
        key = (execution_id, tz)
        schedule = self._schedules.get(key)
        if schedule is None:
            schedule = self._schedules[key] = PauseSchedule.from_windows(launched.pause_windows, tz)
        return schedule

    # -- one execution ------------------------------------------------------------------------------
    async def _dispatch_execution(self, ex: repo.Row, now: datetime, counters: Counters, org: _OrgRound) -> int:
        execution_id, org_id = str(ex["id"]), str(ex["org_id"])
        launched = await self._launched(ex)
        per_recipient = launched.recipient_timezones
        gate = calling_gate(
            now,
            start_at=ex["scheduled_start_at"],
            stop_at=ex["scheduled_stop_at"],
            schedule=None if per_recipient else self._schedule(execution_id, launched, launched.timezone),
        )
        if gate.state is GateState.STOPPED:
            await self._stop(org_id, execution_id)
            return 0
        live = ex["mode"] == "live"
        if live and self.live_evaluation_due(execution_id):
            await self.evaluate_live(ex, now)  # its new jobs are counted by the next round
        if ex["status"] in st.PAUSED_STATUSES:
            # Held: nothing is dispatched, but the last call of a paused execution completes it.
            if counters.done and not live:
                await self._complete_execution(org_id, execution_id, counters)
            return 0
        if gate.state is GateState.NOT_STARTED:
            self._sleep_until(gate.until, now)
            return 0
        if ex["status"] == "scheduled":
            await self.start_execution(org_id, execution_id)  # ExecutionStarted; the next round dispatches
            return 0
        async with self.rt.db.connection() as conn:
            if counters.done and not live:  # a live one waits for its next trigger
                await self._complete_execution(org_id, execution_id, counters)
                return 0
            if gate.state is GateState.PAUSED_WINDOW:
                self._sleep_until(gate.until, now)
                return 0
            clock = time.monotonic()
            cps = min(launched.calls_per_second or org.pace.rate, org.pace.rate)
            pace = self._paces.get(("execution", execution_id))
            if pace is None:
                pace = self._paces[("execution", execution_id)] = Pace(cps, now=clock)
            pace.set_rate(cps)
            room = min(int(ex["concurrency"]) - counters.in_progress, org.room)
            allowed = min(room, pace.available(clock), org.pace.available(clock), DISPATCH_BATCH)
            if allowed <= 0:
                if room > 0:  # paced: come back when the next start is allowed
                    wait = max(pace.seconds_until_next(clock), org.pace.seconds_until_next(clock))
                    self._next_round_in = min(self._next_round_in, max(wait, 0.005))
                return 0
            async with conn.transaction():
                due = await dispatch_repo.due_jobs(conn, execution_id, now, allowed)
                if not due:
                    return 0  # no span for an idle round (one every 0.25 s per running execution)
                contacts = await dispatch_repo.contact_snapshots(conn, org_id, [str(j["contact_id"]) for j in due])
                if per_recipient:
                    due = await self._recipients_open(conn, ex, launched, due, contacts, now)
                parent = extract_context({"traceparent": ex["traceparent"]} if ex["traceparent"] else {})
                token = otel_context.attach(parent)
                try:
                    with tracer().start_as_current_span("scheduler dispatch", kind=trace.SpanKind.PRODUCER):
                        sent = await self._dispatch_batch(conn, ex, due, contacts, now)
                finally:
                    otel_context.detach(token)
        pace.take(sent, clock)
        org.pace.take(sent, clock)
        org.room -= sent
        if len(due) == allowed and allowed == DISPATCH_BATCH:
            self._more_due = True
        return sent

    def _sleep_until(self, until: datetime | None, now: datetime) -> None:
        if until is not None:
            self._next_round_in = min(self._next_round_in, max((until - now).total_seconds(), 0.005))

    async def _recipients_open(
        self,
        conn: repo.Conn,
        ex: repo.Row,
        launched: ExecutionLaunched,
        due: list[repo.Row],
        contacts: dict[str, dict[str, Any]],
        now: datetime,
    ) -> list[repo.Row]:
        """The due jobs whose recipient is outside a pause window in the recipient's own zone;
        the others wait (their next attempt time moves to when their window ends)."""
        open_jobs: list[repo.Row] = []
        deferred: list[tuple[str, datetime]] = []
        for job in due:
            tz = recipient_timezone(job["phone"], contacts.get(str(job["contact_id"])), default=launched.timezone)
            gate = calling_gate(
                now,
                start_at=ex["scheduled_start_at"],
                stop_at=ex["scheduled_stop_at"],
                schedule=self._schedule(str(ex["id"]), launched, tz),
            )
            if gate.state is GateState.OPEN:
                open_jobs.append(job)
            elif gate.until is not None:
                deferred.append((str(job["id"]), gate.until))
                self._sleep_until(gate.until, now)
        await dispatch_repo.defer_jobs(conn, deferred)
        return open_jobs

    async def _stop(self, org_id: str, execution_id: str) -> None:
        await self.stop_execution(org_id, execution_id)
        log.info("stopAt reached: execution stopped", execution_id=execution_id)

    # -- one batch ----------------------------------------------------------------------------------
    async def _plan(self, org_id: str, jobs: list[repo.Row]) -> list[_Planned]:
        """Each job's next attempt and the sequence its AttemptDispatched must follow. A first
        attempt follows nothing (0); a retry follows its RetryScheduled, whose sequence the job's
        row keeps (``last_seq``), else read from the job's subject. A stale row shows as a
        conflict when appending, never as a second attempt."""
        plans: list[_Planned | None] = [None] * len(jobs)
        retries: list[int] = []
        for i, job in enumerate(jobs):
            attempts, last_seq = int(job["attempts"]), int(job.get("last_seq") or 0)
            if attempts == 0:
                plans[i] = _Planned(job, 1, 0)
            elif last_seq > 0:
                plans[i] = _Planned(job, attempts + 1, last_seq)
            else:
                retries.append(i)
        lasts = await asyncio.gather(
            *(last_event(self.rt.js, PROGRAMS.name, job_subject(org_id, str(jobs[i]["id"]))) for i in retries)
        )
        for i, last in zip(retries, lasts, strict=True):
            plans[i] = self._decide(jobs[i], int(jobs[i]["attempts"]) + 1, last)
        return [p for p in plans if p is not None]

    @staticmethod
    def _decide(job: repo.Row, attempt_number: int, last: Any) -> _Planned | None:
        step = dispatch_step(last.envelope.data if last else None, attempt_number)
        if step is DispatchStep.SKIP:
            log.debug("job is ahead of the projection; not dispatched", job_id=str(job["id"]), attempt=attempt_number)
            return None
        if step is DispatchStep.REPUBLISH:
            return _Planned(job, attempt_number, None, cast("Envelope[AttemptDispatched]", last.envelope), last.seq)
        return _Planned(job, attempt_number, last.seq if last else 0)

    async def _dispatch_batch(
        self, conn: repo.Conn, ex: repo.Row, jobs: list[repo.Row], contacts: dict[str, dict[str, Any]], now: datetime
    ) -> int:
        """Dispatch the jobs' next attempts; how many dial commands went out."""
        org_id, execution_id = str(ex["org_id"]), str(ex["id"])
        # Everything the commands need is read before any attempt is recorded, so a missing flow
        # leaves no AttemptDispatched without its command.
        flow = await self._flow(conn, org_id, str(ex["flow_id"]), int(ex["flow_version"]))
        plans = await self._plan(org_id, jobs)
        recorded = await self._record_attempts(conn, ex, plans, now)
        if not recorded:
            return 0
        dial_prefix = subject(Context.DIAL, org_id, Aggregate.ATTEMPT, "_")[:-1]
        commands = [
            PendingAppend(
                subject=dial_prefix + dispatched.data.attempt_id,
                envelope=envelope(
                    DialRequested(
                        attempt_id=dispatched.data.attempt_id,
                        attempt_number=plan.attempt_number,
                        job_id=dispatched.data.job_id,
                        execution_id=execution_id,
                        program_id=str(ex["program_id"]),
                        contact_id=str(plan.job["contact_id"]),
                        to=plan.job["phone"],
                        caller_id=dispatched.data.caller_id,
                        flow=flow,
                        contact=contacts.get(str(plan.job["contact_id"]), {}),
                    ),
                    org_id=org_id,
                    aggregate_id=dispatched.data.attempt_id,
                    causation_id=dispatched.id,
                    correlation_id=dispatched.correlation_id,
                ),
                msg_id=f"dial-{dispatched.data.attempt_id}",
            )
            for plan, dispatched, _ in recorded
        ]
        # The work-queue stream dedupes by msg-id; the dialer's expected-sequence-0 gate makes a
        # command published twice (after a crash here) dial once anyway.
        await append_batch(self.rt.js, commands)
        await repo.jobs_dispatched(conn, {str(p.job["id"]): (p.attempt_number, seq) for p, _, seq in recorded})
        self.dispatch_stats["rounds"] += 1
        self.dispatch_stats["dispatched"] += len(recorded)
        self.dispatch_stats["republished"] += sum(1 for p, _, _ in recorded if p.recorded is not None)
        return len(recorded)

    async def _record_attempts(
        self, conn: repo.Conn, ex: repo.Row, plans: list[_Planned], now: datetime
    ) -> list[tuple[_Planned, Envelope[AttemptDispatched], int]]:
        """AttemptDispatched for every plan that needs one (appended together); the attempts
        that are recorded now, each with its stored event and that event's sequence."""
        org_id, execution_id = str(ex["org_id"]), str(ex["id"])
        new = [p for p in plans if p.recorded is None]
        pool = list(ex["caller_ids"])
        usage = await self._caller_usage(conn, org_id, pool)
        rotation = rotate(pool, usage, len(new), now=now)
        envelopes = [
            envelope(
                AttemptDispatched(
                    job_id=str(p.job["id"]),
                    execution_id=execution_id,
                    attempt_id=ids.attempt_id(str(p.job["id"]), p.attempt_number),
                    attempt_number=p.attempt_number,
                    caller_id=caller_id,
                ),
                org_id=org_id,
                aggregate_id=str(p.job["id"]),
            )
            for p, caller_id in zip(new, rotation.caller_ids, strict=True)
        ]
        job_prefix = job_subject(org_id, "_")[:-1]  # one validated prefix, ids appended (uuids)
        results = await append_batch(
            self.rt.js,
            [
                PendingAppend(
                    subject=job_prefix + str(p.job["id"]),
                    envelope=env,
                    msg_id=f"job-{p.job['id']}-attempt-{p.attempt_number}-dispatched",
                    expected_last_seq=p.expected_seq,
                )
                for p, env in zip(new, envelopes, strict=True)
            ],
        )
        recorded: list[tuple[_Planned, Envelope[AttemptDispatched], int]] = [
            (p, p.recorded, p.recorded_seq) for p in plans if p.recorded is not None
        ]
        used: dict[str, datetime] = {}
        for plan, env, result in zip(new, envelopes, results, strict=True):
            if isinstance(result, Appended) and not result.duplicate:
                recorded.append((plan, env, result.seq))
                used[env.data.caller_id] = rotation.last_used[env.data.caller_id]
            elif isinstance(result, Appended):
                # Recorded by an earlier round that died before the projection saw it: its own
                # caller id, not this round's pick.
                stored = await self._stored_attempt(result.seq)
                if stored is not None:
                    recorded.append((plan, stored, result.seq))
            else:
                again = await self._after_conflict(conn, ex, plan, result, now)
                if again is not None:
                    recorded.append(again)
        if used:
            self._caller_usage_cache.setdefault(org_id, {}).update(used)
            await dispatch_repo.record_caller_id_usage(conn, org_id, used)
        return recorded

    async def _stored_attempt(self, seq: int) -> Envelope[AttemptDispatched] | None:
        try:
            msg = await self.rt.js.get_msg(PROGRAMS.name, seq=seq)
        except nats.js.errors.NotFoundError:
            return None
        env = decode(msg.data or b"")
        return cast("Envelope[AttemptDispatched]", env) if isinstance(env.data, AttemptDispatched) else None

    async def _after_conflict(
        self, conn: repo.Conn, ex: repo.Row, plan: _Planned, conflict: AppendConflict, now: datetime
    ) -> tuple[_Planned, Envelope[AttemptDispatched], int] | None:
        """The job's subject moved since the projection last saw it: decide from its last event."""
        self.dispatch_stats["conflicts"] += 1
        org_id, job_id = str(ex["org_id"]), str(plan.job["id"])
        last = await last_event(self.rt.js, PROGRAMS.name, job_subject(org_id, job_id))
        again = self._decide(plan.job, plan.attempt_number, last)
        if again is None:
            return None
        if again.recorded is not None:
            return again, again.recorded, again.recorded_seq
        log.info("job changed while dispatching; next round decides", job_id=job_id, conflict=str(conflict))
        return None

    async def _caller_usage(self, conn: repo.Conn, org_id: str, pool: list[str]) -> dict[str, datetime]:
        usage = self._caller_usage_cache.setdefault(org_id, {})
        unknown = [n for n in pool if n not in usage and (org_id, n) not in self._caller_usage_loaded]
        if unknown:
            usage.update(await dispatch_repo.caller_id_usage(conn, org_id, unknown))
            self._caller_usage_loaded.update((org_id, n) for n in unknown)
        return usage

    async def _flow(self, conn: repo.Conn, org_id: str, flow_id: str, version: int) -> FlowSnapshot:
        key = (org_id, flow_id, version)
        cached = self._flow_cache.get(key)
        if cached is None:
            row = await repo.flow_version(conn, org_id, flow_id, version)
            if row is None:
                raise RuntimeError(f"flow {flow_id} v{version} is not in the scheduler's copy")
            cached = msgspec.convert(row["snapshot"], FlowSnapshot)
            self._flow_cache[key] = cached
        return cached

    async def _complete_execution(self, org_id: str, execution_id: str, counters: Counters) -> None:
        subj = execution_subject(org_id, execution_id)
        last = await last_event(self.rt.js, PROGRAMS.name, subj)
        if last is not None and execution_already_completed(last.envelope.data):
            # Stored before (the projection is catching up, e.g. during a rebuild): not twice.
            at = last.envelope.occurred_at
        else:
            env = envelope(
                ExecutionCompleted(
                    execution_id=execution_id,
                    status="completed",
                    contacts_completed=counters.completed,
                    contacts_failed=counters.failed,
                ),
                org_id=org_id,
                aggregate_id=execution_id,
            )
            await self.rt.events.append(
                subj,
                env,
                msg_id=f"execution-{execution_id}-completed",
                expected_last_seq=last.seq if last else 0,
            )
            at = env.occurred_at
            log.info("execution completed", execution_id=execution_id)
        async with self.rt.db.connection() as conn:
            await repo.set_execution_status(conn, execution_id, "completed", at)
        self._forget(execution_id)

    def _forget(self, execution_id: str) -> None:
        self._launched_cache.pop(execution_id, None)
        self._retry_after.pop(execution_id, None)
        self._paces.pop(("execution", execution_id), None)
        for key in [k for k in self._schedules if k[0] == execution_id]:
            del self._schedules[key]
