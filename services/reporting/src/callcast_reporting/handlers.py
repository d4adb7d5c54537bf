"""What reporting does with each event it consumes, and the queries its API answers.

Event handlers load records from a ``ReportRepository``, change them with the pure functions of
``domain.projection`` and save them; ``project`` runs one inside the transaction that also
advances the projection's position. Handlers are listed per stream in explicit maps; an event
missing from a map only advances the position.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from callcast_contracts.envelope import Envelope, Event, envelope
from callcast_contracts.events import (
    AmdCompleted,
    AttemptDispatched,
    CallAnswered,
    CallAttemptStarted,
    CallEarlyMedia,
    CallEnded,
    CallHungUp,
    CallRinging,
    DigitReceived,
    ExecutionLaunched,
    FlowNodeExecuted,
    JobCompleted,
    JobsEnrolled,
    PromptPlayed,
    RecordingSaved,
    RetryScheduled,
)
from callcast_reporting.adapters import queries
from callcast_reporting.adapters.repository import PostgresReportRepository, ReportRepository
from callcast_reporting.adapters.sql import Conn
from callcast_reporting.domain import projection as p
from callcast_reporting.domain.jobs import JobVerdict
from callcast_reporting.domain.outcomes import outcome_msg_id, outcome_reported, outcome_subject
from callcast_reporting.domain.records import AttemptRecord, EventRecord, ExecutionRecord, JobRecord
from callcast_reporting.domain.report import CallReport, CallRow, build_call_report, call_row
from callcast_reporting.domain.timeline import timeline_entry
from callcast_runtime import projections
from callcast_runtime.api import Page, PageQuery, page_of
from callcast_runtime.db import Pool
from callcast_runtime.logging import get_logger

log = get_logger(__name__)

#: Durable consumer names, also the projections' names in ``projection_positions``.
CALLS_PROJECTION = "reporting-calls"
PROGRAMS_PROJECTION = "reporting-programs"

#: (repository, envelope, stream sequence) → the view changed in the repository.
EventHandler = Callable[[ReportRepository, Envelope[Any], int], Awaitable[None]]


async def _lock_job(repo: ReportRepository, env: Envelope[Any], job_id: str) -> JobRecord:
    return (await repo.lock_jobs(env.org_id, [job_id], env.occurred_at))[job_id]


async def _save_summarized(repo: ReportRepository, job: JobRecord) -> None:
    await repo.save_job(p.job_summarized(job, await repo.attempts_of_job(job.job_id)))


async def _add_to_timeline(repo: ReportRepository, env: Envelope[Any], seq: int, attempt: AttemptRecord) -> None:
    entry = timeline_entry(env)
    if entry is not None:
        await repo.add_event(
            EventRecord(
                attempt_id=attempt.attempt_id,
                seq=seq,
                org_id=attempt.org_id,
                job_id=attempt.job_id,
                type=entry.type,
                occurred_at=entry.timestamp,
                data=entry.data,
            )
        )


async def _change_attempt(
    repo: ReportRepository, env: Envelope[Any], seq: int, change: Callable[[AttemptRecord], AttemptRecord]
) -> AttemptRecord | None:
    """Apply ``change`` to the event's attempt (its job locked), record the event in the
    timeline, and refresh the job's summary when what it reads from the attempt changed."""
    attempt_id = env.data.attempt_id
    job_id = await repo.job_id_of_attempt(attempt_id)
    if job_id is None:
        # CallAttemptStarted is always an attempt's first event and the stream is applied in
        # order, so only a dialer breaking that contract gets here: nothing to attach it to.
        log.warning("call event for an unknown attempt ignored", type=env.type, attempt_id=attempt_id)
        return None
    job = await _lock_job(repo, env, job_id)
    current = await repo.attempt(attempt_id)
    assert current is not None  # its job is locked and attempts are never deleted
    attempt = change(current)
    if attempt is not current:
        await repo.save_attempt(attempt)
    await _add_to_timeline(repo, env, seq, attempt)
    if _summary_facts(attempt) != _summary_facts(current):
        await _save_summarized(repo, job)
    return attempt


def _summary_facts(a: AttemptRecord) -> tuple[str, str | None, str | None, str | None]:
    """What a job's summary reads from an attempt: when none of it changed, neither did the job."""
    return (a.status, a.outcome, a.outcome_reason, a.answered_by)


# -- the call-event stream (CALLS) ---------------------------------------------------------------
async def on_call_attempt_started(repo: ReportRepository, env: Envelope[CallAttemptStarted], seq: int) -> None:
    e, at = env.data, env.occurred_at
    facts = p.JobFacts(execution_id=e.execution_id, program_id=e.program_id, contact_id=e.contact_id, phone=e.to)
    job = p.job_with_facts(await _lock_job(repo, env, e.job_id), facts, at)
    attempt = p.attempt_started(await repo.attempt(e.attempt_id), job, e, at)
    await repo.save_attempt(attempt)
    await _add_to_timeline(repo, env, seq, attempt)
    await _save_summarized(repo, job)


async def on_call_ringing(repo: ReportRepository, env: Envelope[CallRinging], seq: int) -> None:
    await _change_attempt(repo, env, seq, lambda a: p.attempt_ringing(a, env.occurred_at))


async def on_call_answered(repo: ReportRepository, env: Envelope[CallAnswered], seq: int) -> None:
    await _change_attempt(repo, env, seq, lambda a: p.attempt_answered(a, env.data))


async def on_flow_node_executed(repo: ReportRepository, env: Envelope[FlowNodeExecuted], seq: int) -> None:
    await _change_attempt(repo, env, seq, lambda a: p.attempt_node_executed(a, env.data))


async def on_prompt_played(repo: ReportRepository, env: Envelope[PromptPlayed], seq: int) -> None:
    await _change_attempt(repo, env, seq, lambda a: p.attempt_prompt_played(a, env.data, env.occurred_at))


async def on_call_early_media(repo: ReportRepository, env: Envelope[CallEarlyMedia], seq: int) -> None:
    await _change_attempt(repo, env, seq, lambda a: p.attempt_ringing(a, env.occurred_at))


async def on_amd_completed(repo: ReportRepository, env: Envelope[AmdCompleted], seq: int) -> None:
    await _change_attempt(repo, env, seq, lambda a: p.attempt_amd_completed(a, env.data, env.occurred_at))


async def on_digit_received(repo: ReportRepository, env: Envelope[DigitReceived], seq: int) -> None:
    # A key press changes no record, only the timeline (the dtmf node's entry lists them too).
    await _change_attempt(repo, env, seq, lambda a: a)


async def on_recording_saved(repo: ReportRepository, env: Envelope[RecordingSaved], seq: int) -> None:
    await _change_attempt(repo, env, seq, lambda a: p.attempt_recording_saved(a, env.data, env.occurred_at))


async def on_call_hung_up(repo: ReportRepository, env: Envelope[CallHungUp], seq: int) -> None:
    await _change_attempt(repo, env, seq, lambda a: p.attempt_hung_up(a, env.data))


async def on_call_ended(repo: ReportRepository, env: Envelope[CallEnded], seq: int) -> None:
    e = env.data
    attempt = await _change_attempt(repo, env, seq, lambda a: p.attempt_ended(a, e))
    if attempt is None or not await repo.claim_outcome(e.attempt_id):
        return  # nothing to report on, or reported before (this is a replay after a rebuild)
    outcome = envelope(
        outcome_reported(attempt, e),
        org_id=env.org_id,
        aggregate_id=attempt.job_id,
        causation_id=env.id,
        correlation_id=env.correlation_id,
    )
    await repo.publish(outcome_subject(env.org_id, attempt.job_id), outcome, outcome_msg_id(e.attempt_id))


CALL_EVENT_HANDLERS: dict[type[Event], EventHandler] = {
    CallAttemptStarted: on_call_attempt_started,
    CallRinging: on_call_ringing,
    CallEarlyMedia: on_call_early_media,
    CallAnswered: on_call_answered,
    AmdCompleted: on_amd_completed,
    FlowNodeExecuted: on_flow_node_executed,
    PromptPlayed: on_prompt_played,
    DigitReceived: on_digit_received,
    RecordingSaved: on_recording_saved,
    CallHungUp: on_call_hung_up,
    CallEnded: on_call_ended,
}


# -- the scheduler's stream (PROGRAMS) -----------------------------------------------------------
async def _program_of(repo: ReportRepository, execution_id: str) -> str | None:
    execution = await repo.execution(execution_id)
    return execution.program_id if execution else None


async def on_execution_launched(repo: ReportRepository, env: Envelope[ExecutionLaunched], seq: int) -> None:
    e = env.data
    await repo.save_execution(
        ExecutionRecord(
            execution_id=e.execution_id,
            org_id=env.org_id,
            program_id=e.program_id,
            flow_id=e.flow_id,
            launched_at=env.occurred_at,
        )
    )


async def on_jobs_enrolled(repo: ReportRepository, env: Envelope[JobsEnrolled], seq: int) -> None:
    e, at = env.data, env.occurred_at
    program_id = await _program_of(repo, e.execution_id)
    jobs = await repo.lock_jobs(env.org_id, [j.job_id for j in e.jobs], at)
    for enrolled in e.jobs:
        facts = p.JobFacts(
            execution_id=e.execution_id, program_id=program_id, contact_id=enrolled.contact_id, phone=enrolled.phone
        )
        # Facts never change a job's summary, so no refresh is needed here.
        await repo.save_job(p.job_with_facts(jobs[enrolled.job_id], facts, at))


async def on_attempt_dispatched(repo: ReportRepository, env: Envelope[AttemptDispatched], seq: int) -> None:
    e, at = env.data, env.occurred_at
    facts = p.JobFacts(execution_id=e.execution_id, program_id=await _program_of(repo, e.execution_id))
    job = p.job_with_facts(await _lock_job(repo, env, e.job_id), facts, at)
    await repo.save_attempt(p.attempt_dispatched(await repo.attempt(e.attempt_id), job, e, at))
    await _save_summarized(repo, job)


async def on_retry_scheduled(repo: ReportRepository, env: Envelope[RetryScheduled], seq: int) -> None:
    e, at = env.data, env.occurred_at
    job = p.job_with_facts(await _lock_job(repo, env, e.job_id), p.JobFacts(execution_id=e.execution_id), at)
    await _save_summarized(repo, p.job_with_retry(job, e.attempt_number, at))


async def on_job_completed(repo: ReportRepository, env: Envelope[JobCompleted], seq: int) -> None:
    e, at = env.data, env.occurred_at
    job = p.job_with_facts(await _lock_job(repo, env, e.job_id), p.JobFacts(execution_id=e.execution_id), at)
    verdict = JobVerdict(status=e.status, outcome=e.outcome, attempts=e.attempts)
    await _save_summarized(repo, p.job_with_verdict(job, verdict, at))


PROGRAM_EVENT_HANDLERS: dict[type[Event], EventHandler] = {
    ExecutionLaunched: on_execution_launched,
    JobsEnrolled: on_jobs_enrolled,
    AttemptDispatched: on_attempt_dispatched,
    RetryScheduled: on_retry_scheduled,
    JobCompleted: on_job_completed,
}


async def apply_event(conn: Conn, handlers: dict[type[Event], EventHandler], env: Envelope[Event], seq: int) -> bool:
    """Apply one event inside the caller's transaction (which keeps the position). Returns
    whether an event went into the outbox (then wake the relay after the commit)."""
    handler = handlers.get(type(env.data))
    if handler is None:
        return False
    repo = PostgresReportRepository(conn)
    await handler(repo, env, seq)
    return repo.published > 0


async def project(
    pool: Pool, projection: str, handlers: dict[type[Event], EventHandler], env: Envelope[Event], seq: int
) -> bool:
    """Apply one event exactly once on its own: the position check, the view change and the
    outbox entry commit together (what the ordered projection does per batch)."""
    async with pool.connection() as conn, conn.transaction():
        if not await projections.advance(conn, projection, seq):
            # Applied before: a redelivery, or a replay of what the view already has.
            log.debug("event already applied; skipped", projection=projection, seq=seq, type=env.type)
            return False
        return await apply_event(conn, handlers, env, seq)


# -- queries -------------------------------------------------------------------------------------
async def call_report(pool: Pool, org_id: str, job_id: str) -> CallReport | None:
    async with pool.connection() as conn, conn.transaction():
        # One snapshot: the job, its attempts and its events as of the same commit.
        await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        job = await queries.get_job(conn, org_id, job_id)
        if job is None:
            return None
        attempts = await queries.attempts_of_job(conn, org_id, job_id)
        events = await queries.events_of_job(conn, org_id, job_id)
    return build_call_report(job, attempts, events)


async def list_calls(pool: Pool, org_id: str, filters: queries.CallFilters, q: PageQuery) -> Page[CallRow]:
    async with pool.connection() as conn:
        rows, total = await queries.list_attempts(
            conn, org_id, filters, sort_by=q.sort_by, descending=q.sort_order == "desc", limit=q.limit, offset=q.offset
        )
    return page_of([call_row(r) for r in rows], total, q)


async def get_call(pool: Pool, org_id: str, attempt_id: str) -> CallRow | None:
    async with pool.connection() as conn:
        attempt = await queries.get_attempt(conn, org_id, attempt_id)
    return call_row(attempt) if attempt else None
