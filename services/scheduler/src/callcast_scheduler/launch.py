"""Launching a program: the audience snapshot becomes an execution and its enrolled jobs."""

from __future__ import annotations

from callcast_contracts import ids
from callcast_contracts.envelope import envelope
from callcast_contracts.events import (
    ExecutionLaunched,
    JobsEnrolled,
)
from callcast_contracts.events.programs import EnrolledJob
from callcast_contracts.streams import PROGRAMS
from callcast_runtime.logging import get_logger
from callcast_runtime.tracing import inject_headers
from callcast_scheduler.adapters import repository as repo
from callcast_scheduler.domain import errors
from callcast_scheduler.domain.progress import Counters
from callcast_scheduler.projections import ProjectionHandlers
from callcast_scheduler.service_base import (
    ENROLL_CHUNK,
    _now,
    execution_subject,
)

log = get_logger(__name__)


class LaunchHandlers(ProjectionHandlers):
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

    async def counters(self, org_id: str, execution_id: str) -> tuple[repo.Row, Counters]:
        async with self.rt.db.connection() as conn:
            ex = await repo.get_execution(conn, org_id, execution_id)
            if ex is None:
                raise errors.execution_not_found()
            states = await repo.job_states(conn, execution_id)
        return ex, Counters.from_states(int(ex["total_contacts"]), states)
