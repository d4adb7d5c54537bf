"""Launching a program: the audience snapshot becomes an execution and its enrolled jobs.

A launch commits in waves so the first calls start while a large audience is still being
enrolled: the execution, its first chunk of jobs and the program's ``active`` status commit first
(the dispatcher is woken), then the rest follows in larger waves, each wave's jobs copied in and
its ``JobsEnrolled`` events appended together (acknowledgements awaited as one). The HTTP answer
comes once every wave is stored.

Idempotency: with an ``Idempotency-Key`` the execution id is derived from the program and the key,
so a retried launch (even one whose first try stored events but never committed) lands on the
same execution and answers it again; without one, the n-th launch of a program has one id (as
before). A retry that finds its execution partly enrolled finishes the enrolment.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from callcast_contracts import ids
from callcast_contracts.envelope import Envelope, envelope
from callcast_contracts.events import (
    ExecutionLaunched,
    JobsEnrolled,
)
from callcast_contracts.events.programs import EnrolledJob
from callcast_contracts.streams import PROGRAMS
from callcast_runtime.errors import Conflict, ValidationFailed
from callcast_runtime.logging import get_logger
from callcast_runtime.tracing import inject_headers
from callcast_scheduler.adapters import dispatch_repository as dispatch_repo
from callcast_scheduler.adapters import repository as repo
from callcast_scheduler.adapters.event_batches import PendingAppend, append_batch
from callcast_scheduler.domain import errors
from callcast_scheduler.live import LiveTriggers
from callcast_scheduler.projections import ProjectionHandlers
from callcast_scheduler.service_base import (
    ENROLL_CHUNK,
    _now,
    execution_subject,
)

log = get_logger(__name__)

#: Chunks per enrolment wave after the first (which is one chunk, so the first call starts soon).
#: Small enough that a wave's hold on the execution row (the job counters' trigger) is short.
WAVE_CHUNKS = 10
#: A launch whose snapshot is still kept this long after it began stopped before its last wave.
LAUNCH_RESUME_AFTER = timedelta(minutes=2)
LAUNCH_RESUME_EVERY_S = 30.0
MAX_IDEMPOTENCY_KEY_LENGTH = 255


def _checked_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not key or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed.single(
            "Idempotency-Key", f"must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} printable characters", "invalid"
        )
    return key


def _key_reused() -> Conflict:
    return Conflict("This Idempotency-Key already launched another program", code="IdempotencyKeyReusedError")


@dataclass
class _Enrolment:
    """What is left to enrol after the first commit."""

    org_id: str
    execution_id: str
    members: list[repo.Row]
    causation: Envelope[Any]
    enrolled_before: set[int] = field(default_factory=set)
    resumed: bool = False

    def chunks(self) -> Iterator[tuple[int, list[EnrolledJob]]]:
        for chunk_no, start in enumerate(range(0, len(self.members), ENROLL_CHUNK)):
            if chunk_no in self.enrolled_before:
                continue
            yield (
                chunk_no,
                [
                    EnrolledJob(
                        job_id=ids.job_id(self.execution_id, str(m["contact_id"])),
                        contact_id=str(m["contact_id"]),
                        phone=m["phone"],
                    )
                    for m in self.members[start : start + ENROLL_CHUNK]
                ],
            )


class LaunchHandlers(ProjectionHandlers, LiveTriggers):
    async def launch(
        self,
        org_id: str,
        program_id: str,
        *,
        idempotency_key: str | None = None,
        org_timezone: str = "UTC",
    ) -> str:
        """Launch the program; the execution id. The same ``idempotency_key`` answers the same
        execution, however often it is sent."""
        key = _checked_key(idempotency_key)
        await self.await_copies()
        execution_id, rest, already_active = await self._launch_first_wave(org_id, program_id, key, org_timezone)
        if already_active:
            raise errors.execution_already_running()
        if rest is not None:
            self._wake.set()
            if not rest.resumed and len(rest.members) > ENROLL_CHUNK:
                # Kept after the first commit, off the first call's path (the dispatcher is on
                # it already); a crash before this point resumes from the audience as it is then.
                async with self.rt.db.connection() as conn, conn.transaction():
                    audience_id = rest.causation.data.audience_id
                    if audience_id and not await dispatch_repo.keep_launch_snapshot(
                        conn, org_id, audience_id, execution_id, len(rest.members)
                    ):
                        log.warning("audience changed during the launch; no snapshot kept", execution_id=execution_id)
            await self._enrol_waves(rest)
            log.info("execution launched", execution_id=execution_id, program_id=program_id, contacts=len(rest.members))
        async with self.rt.db.connection() as conn:
            execution = await repo.get_execution(conn, org_id, execution_id)
        if execution is not None and execution["mode"] == "live":
            enrolled = await self.evaluate_live(execution)
            log.info("live execution launched", execution_id=execution_id, program_id=program_id, triggered=enrolled)
        self._wake.set()
        return execution_id

    async def run_launch_resumer(self) -> None:
        """Finish, every ``LAUNCH_RESUME_EVERY_S``, the launches that stopped before their last wave
        (a crash, a lost connection) and that no client retried."""
        while True:
            try:
                await self.resume_unfinished_launches()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("resuming unfinished launches failed; retrying")
            await asyncio.sleep(LAUNCH_RESUME_EVERY_S)

    async def resume_unfinished_launches(self, older_than: timedelta = LAUNCH_RESUME_AFTER) -> int:
        """Enrol what is left of each launch whose snapshot is still kept after ``older_than``
        (a launch in progress finishes well within it); how many were resumed. Enrolling twice
        is harmless (jobs upserted, each chunk's msg-id stored once)."""
        async with self.rt.db.connection() as conn:
            unfinished = await dispatch_repo.unfinished_launches(conn, _now() - older_than)
        for row in unfinished:
            execution_id, org_id = str(row["id"]), str(row["org_id"])
            earlier = await self.rt.events.load(PROGRAMS.name, execution_subject(org_id, execution_id))
            if not earlier or not isinstance(earlier[0].envelope.data, ExecutionLaunched):
                continue
            async with self.rt.db.connection() as conn:
                members = await dispatch_repo.launch_snapshot(conn, execution_id)
            rest = _Enrolment(
                org_id=org_id,
                execution_id=execution_id,
                members=members,
                causation=earlier[0].envelope,
                enrolled_before={e.envelope.data.chunk for e in earlier if isinstance(e.envelope.data, JobsEnrolled)},
                resumed=True,
            )
            log.warning("resuming a launch that stopped before its last wave", execution_id=execution_id)
            await self._enrol_waves(rest)
        return len(unfinished)

    async def _launch_first_wave(
        self, org_id: str, program_id: str, key: str | None, org_timezone: str
    ) -> tuple[str, _Enrolment | None, bool]:
        """``(execution id, what is left to enrol or None, another execution runs)``."""
        async with self.rt.db.connection() as conn, conn.transaction():
            program = await repo.get_program(conn, org_id, program_id, for_update=True)
            if program is None:
                raise errors.program_not_found()
            if key is not None:
                known = await dispatch_repo.launch_key(conn, org_id, key)
                if known is not None and str(known["program_id"]) != program_id:
                    raise _key_reused()
            if program["status"] == "archived":
                raise errors.program_status_conflict(program["status"])
            if key is not None:
                execution_id = ids.derived_id("execution", program_id, "idempotency-key", key)
            else:
                # Counted before the live check: the projection may commit the execution of a
                # failed earlier try between the two reads; in this order that try is either
                # resumed (same derived id below) or found running, never launched a second time.
                launch_no = await repo.execution_count(conn, program_id) + 1
                execution_id = ids.derived_id("execution", program_id, launch_no)
            existing = await repo.get_execution(conn, org_id, execution_id)
            live = await repo.live_execution_of_program(conn, program_id)
            if existing is None and live is not None:
                # An execution exists, so the program was launched: it is active whatever
                # happened to the try that launched it (a retried launch left it draft before).
                await self._activate(conn, org_id, program)
                return str(live["id"]), None, True
            if existing is not None and await dispatch_repo.enrolled_count(conn, execution_id) >= int(
                existing["total_contacts"]
            ):
                await self._activate(conn, org_id, program)
                if key is not None:
                    await dispatch_repo.remember_launch_key(conn, org_id, key, program_id, execution_id)
                return execution_id, None, False

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
            now = _now()
            subj = execution_subject(org_id, execution_id)
            earlier = await self.rt.events.load(PROGRAMS.name, subj)
            resuming = bool(earlier) and isinstance(earlier[0].envelope.data, ExecutionLaunched)
            is_live = program["mode"] == "live"
            members = []
            if not is_live:  # a live program enrols its contacts as their triggers come (live.py)
                # A resumed launch enrols what it snapshotted, in the same chunks (the audience
                # may have changed since); a first try keeps its snapshot for that (launch()).
                if resuming:
                    members = await dispatch_repo.launch_snapshot(conn, execution_id)
                if not members:
                    members = await dispatch_repo.callable_audience(conn, org_id, str(program["audience_id"]))
                if not members:
                    raise errors.audience_empty()
            start_at = program["start_at"] or now
            launched = ExecutionLaunched(
                execution_id=execution_id,
                program_id=program_id,
                audience_id=str(program["audience_id"]) if program["audience_id"] else None,
                flow_id=str(program["flow_id"]),
                flow_version=int(flow["version"]),
                caller_ids=caller_ids,
                retry_strategy=dict(program["retry_strategy"]),
                concurrency=int(program.get("concurrency") or 1),
                total_contacts=len(members),
                scheduled_start_at=max(start_at, now),
                scheduled_stop_at=program["stop_at"],
                timezone=str(program.get("timezone") or org_timezone),
                pause_windows=program.get("pause_windows"),
                recipient_timezones=bool(program.get("recipient_timezones")),
                auto_pause_rules=program.get("auto_pause_rules"),
                calls_per_second=program.get("calls_per_second"),
                mode="live" if is_live else "batch",
                trigger=dict(program["trigger_condition"]) if is_live and program["trigger_condition"] else None,
            )
            rest = _Enrolment(
                org_id=org_id,
                execution_id=execution_id,
                members=members,
                causation=envelope(launched, org_id=org_id, aggregate_id=execution_id),
            )
            if resuming and isinstance(earlier[0].envelope.data, ExecutionLaunched):
                rest.causation = earlier[0].envelope
                launched = earlier[0].envelope.data
                rest.enrolled_before = {
                    e.envelope.data.chunk for e in earlier if isinstance(e.envelope.data, JobsEnrolled)
                }
                rest.resumed = True
                log.warning("resuming a launch that did not finish", execution_id=execution_id)
            # Read-your-writes: the projection would create the same rows (idempotently). Before
            # the append: the projection's insert of this execution then waits for this
            # transaction. After it, the projection could insert first and wait for the program
            # row this transaction locked while this insert waits for the projection: a deadlock.
            await self._project_launched(
                conn, org_id, launched, rest.causation.occurred_at, inject_headers().get("traceparent")
            )
            if not rest.resumed:
                await self.rt.events.append(
                    subj, rest.causation, msg_id=f"execution-{execution_id}-launched", expected_last_seq=0
                )
            first = next(rest.chunks(), None)
            if first is not None:
                await self._enrol(conn, rest, [first])
                rest.enrolled_before.add(first[0])
            await self._activate(conn, org_id, program)
            if key is not None:
                await dispatch_repo.remember_launch_key(conn, org_id, key, program_id, execution_id)
        return execution_id, rest, False

    async def _enrol_waves(self, rest: _Enrolment) -> None:
        wave: list[tuple[int, list[EnrolledJob]]] = []
        for chunk in rest.chunks():
            # Building a chunk is CPU work on the dispatcher's event loop: one chunk at a time.
            await asyncio.sleep(0)
            wave.append(chunk)
            if len(wave) == WAVE_CHUNKS:
                await self._commit_wave(rest, wave)
                wave = []
        if wave:
            await self._commit_wave(rest, wave)
        async with self.rt.db.connection() as conn:
            await dispatch_repo.forget_launch_snapshot(conn, rest.execution_id)

    async def _commit_wave(self, rest: _Enrolment, wave: list[tuple[int, list[EnrolledJob]]]) -> None:
        async with self.rt.db.connection() as conn, conn.transaction():
            await self._enrol(conn, rest, wave)
        rest.enrolled_before.update(chunk_no for chunk_no, _ in wave)
        self._wake.set()
        await asyncio.sleep(0)  # the dispatcher takes the wave's jobs while the next one is built

    async def _enrol(self, conn: repo.Conn, rest: _Enrolment, wave: list[tuple[int, list[EnrolledJob]]]) -> None:
        """Copy the wave's jobs, then append their JobsEnrolled events (in this order: the
        projection's insert of the same jobs then waits for this transaction and finds them)."""
        rows = [(j.job_id, j.contact_id, j.phone) for _, chunk in wave for j in chunk]
        if rest.resumed:
            await dispatch_repo.upsert_jobs(conn, rest.org_id, rest.execution_id, rows)
        else:
            await dispatch_repo.copy_new_jobs(conn, rest.org_id, rest.execution_id, rows)
        # One writer per program (its row is locked for the first wave, and a resumed launch
        # skips the chunks stored): each chunk's msg-id keeps a retried wave from storing it twice.
        subj = execution_subject(rest.org_id, rest.execution_id)
        appends = [
            PendingAppend(
                subject=subj,
                envelope=envelope(
                    JobsEnrolled(execution_id=rest.execution_id, chunk=chunk_no, jobs=chunk),
                    org_id=rest.org_id,
                    aggregate_id=rest.execution_id,
                    causation_id=rest.causation.id,
                    correlation_id=rest.causation.correlation_id,
                ),
                msg_id=f"execution-{rest.execution_id}-jobs-{chunk_no}",
            )
            for chunk_no, chunk in wave
        ]
        await append_batch(self.rt.js, appends)

    @staticmethod
    async def _activate(conn: repo.Conn, org_id: str, program: repo.Row) -> None:
        if program["status"] == "draft":
            await repo.update_program(conn, org_id, str(program["id"]), {"status": "active"})
