"""The dispatcher: due jobs of runnable executions become attempts and dial commands."""

from __future__ import annotations

import asyncio
import zlib
from datetime import datetime
from typing import cast

import msgspec
from opentelemetry import context as otel_context
from opentelemetry import trace

from callcast_contracts import ids
from callcast_contracts.envelope import Envelope, envelope
from callcast_contracts.events import (
    AttemptDispatched,
    DialRequested,
    ExecutionCompleted,
)
from callcast_contracts.events.flows import FlowSnapshot
from callcast_contracts.streams import PROGRAMS
from callcast_contracts.subjects import Aggregate, Context, subject
from callcast_runtime.logging import get_logger
from callcast_runtime.messaging import AppendConflict
from callcast_runtime.tracing import extract_context, tracer
from callcast_scheduler.adapters import repository as repo
from callcast_scheduler.adapters.event_log import last_event
from callcast_scheduler.domain.callerid import pick_caller_id
from callcast_scheduler.domain.dispatching import DispatchStep, dispatch_step, execution_already_completed
from callcast_scheduler.domain.progress import Counters
from callcast_scheduler.service_base import (
    DISPATCH_RETRY_AFTER,
    DISPATCH_RETRY_AFTER_MAX,
    SchedulerBase,
    _now,
    execution_subject,
    job_subject,
)

log = get_logger(__name__)


class DispatchHandlers(SchedulerBase):
    async def run_dispatcher(self) -> None:
        """One active dispatcher (advisory lock); others stand by and take over if it dies."""
        lock_key = zlib.crc32(b"callcast-scheduler-dispatcher")
        while True:
            try:
                async with self.rt.db.connection() as lock_conn:
                    await lock_conn.set_autocommit(True)
                    cur = await lock_conn.execute("SELECT pg_try_advisory_lock(%s) AS ok", (lock_key,))
                    row = await cur.fetchone()
                    if not row or not row["ok"]:
                        await asyncio.sleep(2.0)
                        continue
                    try:
                        while True:
                            # Cleared before the round, so a wake-up that arrives during it
                            # starts the next round at once instead of being lost.
                            self._wake.clear()
                            await self.dispatch_once()
                            try:
                                await asyncio.wait_for(self._wake.wait(), timeout=0.25)
                            except TimeoutError:
                                pass
                    finally:
                        await lock_conn.execute("SELECT pg_advisory_unlock(%s)", (lock_key,))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dispatcher failed; retrying")
                await asyncio.sleep(1.0)

    async def dispatch_once(self) -> int:
        sent = 0
        now = _now()
        async with self.rt.db.connection() as conn:
            executions = await repo.runnable_executions(conn, now)
            await conn.commit()
        for ex in executions:
            execution_id = str(ex["id"])
            retry_at, failures = self._retry_after.get(execution_id, (now, 0))
            if retry_at > now:
                continue
            # One execution that cannot be dispatched (e.g. its flow version is missing from
            # the copy) must not hold up the others: it is retried later, less and less often.
            try:
                sent += await self._dispatch_execution(ex, now)
            except Exception:
                log.exception("dispatching an execution failed; retrying it later", execution_id=execution_id)
                backoff = min(DISPATCH_RETRY_AFTER * 2**failures, DISPATCH_RETRY_AFTER_MAX)
                self._retry_after[execution_id] = (now + backoff, failures + 1)
            else:
                self._retry_after.pop(execution_id, None)
        return sent

    async def _dispatch_execution(self, ex: repo.Row, now: datetime) -> int:
        execution_id, org_id = str(ex["id"]), str(ex["org_id"])
        async with self.rt.db.connection() as conn:
            if ex["status"] == "scheduled":
                await repo.set_execution_status(conn, execution_id, "running", now)
            counters = Counters.from_states(int(ex["total_contacts"]), await repo.job_states(conn, execution_id))
            await conn.commit()
            if counters.done:
                await self._complete_execution(org_id, execution_id, counters)
                return 0
            capacity = int(ex["concurrency"]) - counters.in_progress
            if capacity <= 0:
                return 0
            sent = 0
            async with conn.transaction():
                due = await repo.due_jobs(conn, execution_id, now, capacity)
                if not due:
                    return 0  # no span for an idle round (one every 0.25 s per running execution)
                parent = extract_context({"traceparent": ex["traceparent"]} if ex["traceparent"] else {})
                token = otel_context.attach(parent)
                try:
                    with tracer().start_as_current_span("scheduler dispatch", kind=trace.SpanKind.PRODUCER):
                        for job in due:
                            sent += await self._dispatch_job(conn, ex, job)
                finally:
                    otel_context.detach(token)
        return sent

    async def _dispatch_job(self, conn: repo.Conn, ex: repo.Row, job: repo.Row) -> int:
        """Dispatch the job's next attempt; 1 when a dial command went out, else 0."""
        org_id, execution_id, job_id = str(ex["org_id"]), str(ex["id"]), str(job["id"])
        attempt_number = int(job["attempts"]) + 1
        attempt_id = ids.attempt_id(job_id, attempt_number)
        caller_id = pick_caller_id(list(ex["caller_ids"]), job_id, attempt_number)
        subj = job_subject(org_id, job_id)
        last = await last_event(self.rt.js, PROGRAMS.name, subj)
        step = dispatch_step(last.envelope.data if last else None, attempt_number)
        if step is DispatchStep.SKIP:
            log.debug("job is ahead of the projection; not dispatched", job_id=job_id, attempt=attempt_number)
            return 0
        # Everything the command needs is read before the attempt is recorded, so a missing flow
        # leaves no AttemptDispatched without its command.
        flow = await self._flow(conn, org_id, str(ex["flow_id"]), int(ex["flow_version"]))
        contact = await repo.contact_snapshot(conn, org_id, str(job["contact_id"]))
        dispatched = envelope(
            AttemptDispatched(
                job_id=job_id,
                execution_id=execution_id,
                attempt_id=attempt_id,
                attempt_number=attempt_number,
                caller_id=caller_id,
            ),
            org_id=org_id,
            aggregate_id=job_id,
        )
        if step is DispatchStep.DISPATCH:
            try:
                await self.rt.events.append(
                    subj,
                    dispatched,
                    msg_id=f"job-{job_id}-attempt-{attempt_number}-dispatched",
                    expected_last_seq=last.seq if last else 0,
                )
            except AppendConflict:
                log.info("job changed while dispatching; next round decides", job_id=job_id)
                return 0
        else:
            assert last is not None
            dispatched = cast("Envelope[AttemptDispatched]", last.envelope)
            caller_id = dispatched.data.caller_id
        command = envelope(
            DialRequested(
                attempt_id=attempt_id,
                attempt_number=attempt_number,
                job_id=job_id,
                execution_id=execution_id,
                program_id=str(ex["program_id"]),
                contact_id=str(job["contact_id"]),
                to=job["phone"],
                caller_id=caller_id,
                flow=flow,
                contact=contact,
            ),
            org_id=org_id,
            aggregate_id=attempt_id,
            causation_id=dispatched.id,
            correlation_id=dispatched.correlation_id,
        )
        # The work-queue stream dedupes by msg-id; the dialer's expected-sequence-0 gate makes a
        # command published twice (after a crash here) dial once anyway.
        await self.rt.events.append(
            subject(Context.DIAL, org_id, Aggregate.ATTEMPT, attempt_id), command, msg_id=f"dial-{attempt_id}"
        )
        await repo.job_dispatched(conn, job_id, attempt_number)
        return 1

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
