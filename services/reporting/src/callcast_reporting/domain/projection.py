"""How each event changes a job or an attempt record: pure functions, record in, record out.

The CALLS and PROGRAMS streams are consumed independently, so a job's events can arrive in
either order across the two (an attempt's own events always arrive in order). The functions make
that harmless: facts only fill gaps, a call's status only moves forward, and the job's summary
is recomputed from everything known after each change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from msgspec.structs import replace

from callcast_contracts.events import (
    AmdCompleted,
    AttemptDispatched,
    CallAnswered,
    CallAttemptStarted,
    CallEnded,
    CallHungUp,
    FlowNodeExecuted,
    PromptPlayed,
    RecordingSaved,
)
from callcast_reporting.domain.jobs import AttemptProgress, JobVerdict, summarize_job
from callcast_reporting.domain.media import add_prompt
from callcast_reporting.domain.records import AttemptRecord, JobRecord
from callcast_reporting.domain.statuses import (
    CALL_DIALING,
    CALL_IN_PROGRESS,
    CALL_QUEUED,
    CALL_RINGING,
    JOB_QUEUED,
)

# A call's progress; any other status is an outcome, which is final.
_CALL_PROGRESS = {CALL_QUEUED: 0, CALL_DIALING: 1, CALL_RINGING: 2, CALL_IN_PROGRESS: 3}
_ENDED = 4


def _rank(status: str) -> int:
    return _CALL_PROGRESS.get(status, _ENDED)


def _forward(current: str, new: str) -> str:
    return new if _rank(new) > _rank(current) else current


# -- jobs ------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class JobFacts:
    """What one event says about a job; None means "this event does not say"."""

    execution_id: str | None = None
    program_id: str | None = None
    contact_id: str | None = None
    phone: str | None = None


def new_job(org_id: str, job_id: str, at: datetime) -> JobRecord:
    return JobRecord(job_id=job_id, org_id=org_id, status=JOB_QUEUED, created_at=at, updated_at=at)


def job_with_facts(job: JobRecord, facts: JobFacts, at: datetime) -> JobRecord:
    return replace(
        job,
        execution_id=job.execution_id or facts.execution_id,
        program_id=job.program_id or facts.program_id,
        contact_id=job.contact_id or facts.contact_id,
        phone=job.phone or facts.phone,
        created_at=min(job.created_at, at),
        updated_at=max(job.updated_at, at),
    )


def job_with_verdict(job: JobRecord, verdict: JobVerdict, at: datetime) -> JobRecord:
    return replace(
        job,
        final_status=verdict.status,
        final_outcome=verdict.outcome,
        final_attempts=verdict.attempts,
        completed_at=at,
        updated_at=max(job.updated_at, at),
    )


def job_with_retry(job: JobRecord, attempt_number: int, at: datetime) -> JobRecord:
    """The scheduler will try again with attempt ``attempt_number``."""
    retry = max(job.retry_attempt_number or 0, attempt_number)
    return replace(job, retry_attempt_number=retry, updated_at=max(job.updated_at, at))


def job_summarized(job: JobRecord, attempts: Sequence[AttemptRecord]) -> JobRecord:
    verdict = (
        JobVerdict(job.final_status, job.final_outcome or "", job.final_attempts or 0) if job.final_status else None
    )
    progress = [
        AttemptProgress(a.attempt_id, a.attempt_number, a.status, a.outcome, a.outcome_reason, a.answered_by)
        for a in attempts
    ]
    s = summarize_job(verdict, progress, followed=job.execution_id is not None, retry_for=job.retry_attempt_number)
    return replace(
        job,
        status=s.status,
        outcome=s.outcome,
        outcome_reason=s.outcome_reason,
        answered_by=s.answered_by,
        attempts=s.attempts,
        latest_attempt_id=s.latest_attempt_id,
    )


# -- attempts --------------------------------------------------------------------------------------
def new_attempt(job: JobRecord, attempt_id: str, attempt_number: int, at: datetime) -> AttemptRecord:
    return AttemptRecord(
        attempt_id=attempt_id,
        org_id=job.org_id,
        job_id=job.job_id,
        attempt_number=attempt_number,
        execution_id=job.execution_id,
        program_id=job.program_id,
        contact_id=job.contact_id,
        to_number=job.phone,
        status=CALL_QUEUED,
        created_at=at,
        updated_at=at,
    )


def attempt_dispatched(
    attempt: AttemptRecord | None, job: JobRecord, e: AttemptDispatched, at: datetime
) -> AttemptRecord:
    """The scheduler queued this attempt; if the dialer's events came first, only gaps are filled."""
    a = attempt or new_attempt(job, e.attempt_id, e.attempt_number, at)
    return replace(
        a,
        execution_id=a.execution_id or job.execution_id,
        program_id=a.program_id or job.program_id,
        contact_id=a.contact_id or job.contact_id,
        from_number=a.from_number or e.caller_id,
        to_number=a.to_number or job.phone,
        created_at=min(a.created_at, at),
    )


def attempt_started(
    attempt: AttemptRecord | None, job: JobRecord, e: CallAttemptStarted, at: datetime
) -> AttemptRecord:
    a = attempt or new_attempt(job, e.attempt_id, e.attempt_number, at)
    return replace(
        a,
        execution_id=e.execution_id,
        program_id=e.program_id or a.program_id or job.program_id,
        contact_id=e.contact_id,
        from_number=e.caller_id,
        to_number=e.to,
        status=_forward(a.status, CALL_DIALING),
        dialed_at=a.dialed_at or at,
        flow_id=e.flow_id,
        flow_name=e.flow_name,
        flow_version=e.flow_version,
        created_at=min(a.created_at, at),
        updated_at=max(a.updated_at, at),
    )


def attempt_ringing(a: AttemptRecord, at: datetime) -> AttemptRecord:
    return replace(a, status=_forward(a.status, CALL_RINGING), updated_at=max(a.updated_at, at))


def attempt_answered(a: AttemptRecord, e: CallAnswered) -> AttemptRecord:
    return replace(
        a,
        status=_forward(a.status, CALL_IN_PROGRESS),
        answered_by=e.answered_by,
        answered_at=e.answered_at,
        updated_at=max(a.updated_at, e.answered_at),
    )


def amd_facts(e: AmdCompleted) -> dict[str, Any]:
    return {
        "answeredBy": e.answered_by,
        "confidence": e.confidence,
        "reason": e.reason,
        "decisionMs": e.decision_ms,
        "words": e.words,
        "greetingMs": e.greeting_ms,
        "nodeId": e.node_id,
    }


def attempt_amd_completed(a: AttemptRecord, e: AmdCompleted, at: datetime) -> AttemptRecord:
    # The answer came first with answeredBy "unknown" (AMD still listening); this is the verdict.
    return replace(a, amd=amd_facts(e), answered_by=e.answered_by, updated_at=max(a.updated_at, at))


def recording_facts(e: RecordingSaved) -> dict[str, Any]:
    return {
        "recordingId": e.recording_id,
        "nodeId": e.node_id,
        "nodeExecutionIndex": e.node_execution_index,
        "durationMs": e.duration_ms,
        "sizeBytes": e.size_bytes,
        "contentType": e.content_type,
        "sha256": e.sha256,
        "endedBy": e.ended_by,
        "bucket": e.bucket,
        "objectName": e.object_name,
    }


def attempt_recording_saved(a: AttemptRecord, e: RecordingSaved, at: datetime) -> AttemptRecord:
    if any(r.get("recordingId") == e.recording_id for r in a.recordings):
        return a  # the same recording saved again (a retried node execution keeps its id)
    return replace(a, recordings=[*a.recordings, recording_facts(e)], updated_at=max(a.updated_at, at))


def attempt_hung_up(a: AttemptRecord, e: CallHungUp) -> AttemptRecord:
    return replace(a, hangup_by=a.hangup_by or e.by, hangup_cause=e.cause, updated_at=max(a.updated_at, e.at))


def path_entry(e: FlowNodeExecuted) -> dict[str, Any]:
    """A ``NodeExecutionPathEntry`` (plus its index), as stored in ``executionPath``."""
    return {
        "nodeId": e.node_id,
        "nodeType": e.node_type,
        "nodeLabel": e.node_label,
        "outputPath": e.output_path,
        "timestamp": e.at,
        "nodeExecutionIndex": e.node_execution_index,
    }


def attempt_node_executed(a: AttemptRecord, e: FlowNodeExecuted) -> AttemptRecord:
    return replace(
        a,
        execution_path=[*a.execution_path, path_entry(e)],
        node_execution_count=a.node_execution_count + 1,
        updated_at=max(a.updated_at, e.at),
    )


def attempt_prompt_played(a: AttemptRecord, e: PromptPlayed, at: datetime) -> AttemptRecord:
    return replace(a, media=add_prompt(a.media, e), updated_at=max(a.updated_at, at))


def attempt_ended(a: AttemptRecord, e: CallEnded) -> AttemptRecord:
    return replace(
        a,
        status=e.outcome,
        outcome=e.outcome,
        outcome_reason=e.outcome_reason,
        answered_by=e.answered_by or a.answered_by,
        hangup_by=e.hangup_by or a.hangup_by,
        sip_status=e.sip_status if e.sip_status is not None else a.sip_status,
        dialed_at=e.dialed_at or a.dialed_at,
        answered_at=e.answered_at or a.answered_at,
        terminated_at=e.terminated_at,
        duration_ms=e.duration_ms,
        final_variables=e.final_variables,
        # The dialer's count is authoritative; older dialers send 0, then our own count stands.
        node_execution_count=e.node_execution_count or a.node_execution_count,
        flow_started_at=e.flow_started_at,
        flow_completed_at=e.flow_completed_at,
        updated_at=max(a.updated_at, e.terminated_at),
    )
