"""The scheduler's use cases: launch, dispatch, react to call outcomes, project its events.

Event-sourced state (executions, jobs) lives in JetStream (``programs.<org>.execution.<id>``,
``programs.<org>.job.<id>``); the ``executions``/``jobs`` tables are its projection. Every append
carries a ``Nats-Msg-Id`` derived from what it is about (execution, job, attempt number, kind).
"""

from __future__ import annotations

import asyncio
import zlib
from datetime import UTC, datetime, timedelta
from typing import cast

import msgspec
from opentelemetry import context as otel_context
from opentelemetry import trace

from callcast_contracts import ids
from callcast_contracts.envelope import Envelope, Event, envelope
from callcast_contracts.events import (
    AttemptDispatched,
    AudienceDeleted,
    AudienceMembersAdded,
    AudienceMembersRemoved,
    CallAttemptStarted,
    CallEnded,
    ContactDeleted,
    ContactSaved,
    DialRequested,
    ExecutionCompleted,
    ExecutionLaunched,
    FlowDeleted,
    FlowVersionSaved,
    JobCompleted,
    JobsEnrolled,
    RetryScheduled,
    TestCallRequested,
)
from callcast_contracts.events.flows import FlowSnapshot
from callcast_contracts.events.programs import EnrolledJob
from callcast_contracts.streams import CONTACTS, FLOWS, PROGRAMS
from callcast_contracts.subjects import Aggregate, Context, subject
from callcast_contracts.test_call import PlaceTestCallRequest
from callcast_runtime.logging import get_logger
from callcast_runtime.messaging import AppendConflict, Delivery, StoredEvent
from callcast_runtime.projections import advance
from callcast_runtime.service import Runtime
from callcast_runtime.tracing import extract_context, inject_headers, tracer
from callcast_scheduler.adapters import repository as repo
from callcast_scheduler.adapters.event_log import last_event
from callcast_scheduler.domain import errors
from callcast_scheduler.domain.callerid import pick_caller_id
from callcast_scheduler.domain.dispatching import DispatchStep, dispatch_step, execution_already_completed
from callcast_scheduler.domain.progress import Counters
from callcast_scheduler.domain.retry import next_attempt_at

log = get_logger(__name__)

ENROLL_CHUNK = 500
DISPATCH_RETRY_AFTER = timedelta(seconds=2)
DISPATCH_RETRY_AFTER_MAX = timedelta(minutes=1)
CONTACTS_DURABLE = "scheduler-contacts"
FLOWS_DURABLE = "scheduler-flows"
PROGRAMS_DURABLE = "scheduler-programs"
CALLS_DURABLE = "scheduler-calls"


def _now() -> datetime:
    return datetime.now(UTC)


def execution_subject(org_id: str, execution_id: str) -> str:
    return subject(Context.PROGRAMS, org_id, Aggregate.EXECUTION, execution_id)


def job_subject(org_id: str, job_id: str) -> str:
    return subject(Context.PROGRAMS, org_id, Aggregate.JOB, job_id)


class Scheduler:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self._wake = asyncio.Event()
        self._flow_cache: dict[tuple[str, str, int], FlowSnapshot] = {}
        #: Executions whose last dispatch failed: when to try again, and how many failures so far.
        self._retry_after: dict[str, tuple[datetime, int]] = {}

    # -- copies of other contexts are caught up -------------------------------------------------
    async def await_copies(self, timeout_s: float = 5.0) -> None:
        """Wait (bounded) until the contact and flow copies have applied every published event,
        so a launch right after an add-contacts or a flow save sees them."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        for stream, durable in ((CONTACTS.name, CONTACTS_DURABLE), (FLOWS.name, FLOWS_DURABLE)):
            while True:
                try:
                    info = await self.rt.js.consumer_info(stream, durable)
                    if info.num_pending == 0 and info.num_ack_pending == 0:
                        break
                except Exception:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    log.warning("copy still catching up", consumer=durable)
                    break
                await asyncio.sleep(0.05)

    # -- launch ------------------------------------------------------------------------------
    async def launch(self, org_id: str, program_id: str) -> str:
        await self.await_copies()
        async with self.rt.db.connection() as conn, conn.transaction():
            program = await repo.get_program(conn, org_id, program_id, for_update=True)
            if program is None:
                raise errors.program_not_found()
            if program["status"] == "archived":
                raise errors.program_status_conflict(program["status"])
            if program["mode"] != "batch":
                raise errors.program_status_conflict("live (live programs are not launchable yet)")
            # Counted before the live check: the projection may commit the execution of a failed
            # earlier try between the two reads; in this order that try is either resumed (same
            # derived id below) or found running, never launched a second time.
            launch_no = await repo.execution_count(conn, program_id) + 1
            if await repo.live_execution_of_program(conn, program_id):
                raise errors.execution_already_running()
            pool_ids = [str(d) for d in program["did_pool"]]
            dids = await repo.dids_by_ids(conn, org_id, pool_ids)
            caller_ids = [
                dids[d]["number"]
                for d in pool_ids
                if d in dids
                and dids[d]["status"] == "active"
                and (dids[d]["is_shared"] or str(dids[d]["org_id"]) == org_id)
            ]
            if not caller_ids:
                raise errors.empty_did_pool()
            flow = await repo.latest_flow_version(conn, org_id, str(program["flow_id"]))
            if flow is None:
                raise errors.flow_not_found(str(program["flow_id"]))
            members = await repo.audience_snapshot(conn, org_id, str(program["audience_id"]))
            if not members:
                raise errors.audience_empty()

            now = _now()
            # The n-th launch of a program has one id, so a launch whose events were stored but
            # whose transaction then failed is resumed by the client's retry, never doubled.
            execution_id = ids.derived_id("execution", program_id, launch_no)
            subj = execution_subject(org_id, execution_id)
            earlier = await self.rt.events.load(PROGRAMS.name, subj)
            start_at = program["start_at"] or now
            launched = ExecutionLaunched(
                execution_id=execution_id,
                program_id=program_id,
                audience_id=str(program["audience_id"]),
                flow_id=str(program["flow_id"]),
                flow_version=int(flow["version"]),
                caller_ids=caller_ids,
                retry_strategy=dict(program["retry_strategy"]),
                concurrency=int(program["concurrency"]),
                total_contacts=len(members),
                scheduled_start_at=max(start_at, now),
                scheduled_stop_at=program["stop_at"],
            )
            enrolled_before: set[int] = set()
            if earlier and isinstance(earlier[0].envelope.data, ExecutionLaunched):
                env = earlier[0].envelope  # type: ignore[assignment]
                launched = earlier[0].envelope.data
                seq = earlier[-1].seq
                enrolled_before = {e.envelope.data.chunk for e in earlier if isinstance(e.envelope.data, JobsEnrolled)}
                log.warning(
                    "resuming a launch whose events were stored before its commit failed", execution_id=execution_id
                )
            else:
                env = envelope(launched, org_id=org_id, aggregate_id=execution_id)
                appended = await self.rt.events.append(
                    subj, env, msg_id=f"execution-{execution_id}-launched", expected_last_seq=0
                )
                seq = appended.seq
            jobs: list[tuple[str, str, str]] = []
            for chunk_no, start in enumerate(range(0, len(members), ENROLL_CHUNK)):
                chunk = [
                    EnrolledJob(
                        job_id=ids.job_id(execution_id, str(m["contact_id"])),
                        contact_id=str(m["contact_id"]),
                        phone=m["phone"],
                    )
                    for m in members[start : start + ENROLL_CHUNK]
                ]
                jobs.extend((j.job_id, j.contact_id, j.phone) for j in chunk)
                if chunk_no in enrolled_before:
                    continue
                enrolled = envelope(
                    JobsEnrolled(execution_id=execution_id, chunk=chunk_no, jobs=chunk),
                    org_id=org_id,
                    aggregate_id=execution_id,
                    causation_id=env.id,
                    correlation_id=env.correlation_id,
                )
                seq = (
                    await self.rt.events.append(
                        subj, enrolled, msg_id=f"execution-{execution_id}-jobs-{chunk_no}", expected_last_seq=seq
                    )
                ).seq
            # Read-your-writes: the projection would create the same rows (idempotently).
            await self._project_launched(conn, org_id, launched, env.occurred_at, inject_headers().get("traceparent"))
            await repo.insert_jobs(conn, org_id, execution_id, jobs)
            if program["status"] == "draft":
                await repo.update_program(conn, org_id, program_id, {"status": "active"})
        self._wake.set()
        log.info("execution launched", execution_id=execution_id, program_id=program_id, contacts=len(members))
        return execution_id

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

    async def counters(self, org_id: str, execution_id: str) -> tuple[repo.Row, Counters]:
        async with self.rt.db.connection() as conn:
            ex = await repo.get_execution(conn, org_id, execution_id)
            if ex is None:
                raise errors.execution_not_found()
            states = await repo.job_states(conn, execution_id)
        return ex, Counters.from_states(int(ex["total_contacts"]), states)

    # -- dispatch ----------------------------------------------------------------------------
    def wake(self) -> None:
        self._wake.set()

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

    # -- test calls (POST /api/flows/execute, through the flow service) -------------------------
    async def place_test_call(self, request: PlaceTestCallRequest) -> str:
        """Start a test call's job and dispatch its only attempt; the job id.

        The job belongs to no execution: its first event is ``TestCallRequested`` (expected
        sequence 0, under a new UUIDv7 job id), the dial command is attempt 1 with the
        deterministic attempt id, and the CALLS reactor closes the job with ``JobCompleted``.
        """
        org_id = request.org_id
        await self.await_copies()
        async with self.rt.db.connection() as conn:
            if request.contact_id is not None:
                found = await repo.live_contact(conn, org_id, request.contact_id)
                if found is None:
                    raise errors.contact_not_found(request.contact_id)
                contact_id, phone, contact = request.contact_id, str(found["phone"]), dict(found["snapshot"])
            else:
                contact = dict(request.contact or {})
                contact_id = str(contact.get("id") or ids.new_id())
                contact["id"] = contact_id
                phone = str(contact.get("primaryPhone") or "")
            if request.did_id is not None:
                did = await repo.get_did(conn, org_id, request.did_id)
                if did is None:
                    raise errors.did_not_found(request.did_id)
                if did["status"] != "active":
                    raise errors.did_not_active(request.did_id)
                caller_id = str(did["number"])
            else:
                caller_id = str(request.from_number or "")
        if not phone or not caller_id:
            raise errors.test_call_incomplete("primaryPhone" if not phone else "fromNumber")

        job_id = ids.new_id()
        attempt_id = ids.attempt_id(job_id, 1)
        flow = request.flow
        requested = envelope(
            TestCallRequested(
                job_id=job_id,
                attempt_id=attempt_id,
                flow_id=flow.flow_id,
                flow_version=flow.version,
                contact_id=contact_id,
                to=phone,
                caller_id=caller_id,
            ),
            org_id=org_id,
            aggregate_id=job_id,
        )
        await self.rt.events.append(
            job_subject(org_id, job_id), requested, msg_id=f"job-{job_id}-test-call", expected_last_seq=0
        )
        command = envelope(
            DialRequested(
                attempt_id=attempt_id,
                attempt_number=1,
                job_id=job_id,
                execution_id=None,
                program_id=None,
                contact_id=contact_id,
                to=phone,
                caller_id=caller_id,
                flow=flow,
                contact=contact,
                variables=dict(request.variables),
            ),
            org_id=org_id,
            aggregate_id=attempt_id,
            causation_id=requested.id,
            correlation_id=requested.correlation_id,
        )
        await self.rt.events.append(
            subject(Context.DIAL, org_id, Aggregate.ATTEMPT, attempt_id), command, msg_id=f"dial-{attempt_id}"
        )
        log.info("test call dispatched", job_id=job_id, flow_id=flow.flow_id, flow_version=flow.version)
        return job_id

    # -- reacting to the call-event stream ----------------------------------------------------
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

    # -- projections --------------------------------------------------------------------------
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
