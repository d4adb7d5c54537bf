"""The public outcome event published when a call attempt ends (see docs/outcome-events.md)."""

from __future__ import annotations

from callcast_contracts.events import CallEnded, CallOutcomeReported
from callcast_contracts.subjects import Aggregate, Context, subject
from callcast_reporting.domain.records import AttemptRecord


def outcome_subject(org_id: str, job_id: str) -> str:
    return subject(Context.OUTCOMES, org_id, Aggregate.JOB, job_id)


def outcome_msg_id(attempt_id: str) -> str:
    """Stable per attempt, so a republished outcome is dropped by JetStream's duplicate window and
    recognised by consumers that remember the ids they processed."""
    return f"outcome-{attempt_id}"


def outcome_reported(attempt: AttemptRecord, ended: CallEnded) -> CallOutcomeReported:
    return CallOutcomeReported(
        job_id=attempt.job_id,
        attempt_id=attempt.attempt_id,
        attempt_number=attempt.attempt_number,
        execution_id=attempt.execution_id,
        program_id=attempt.program_id,
        contact_id=attempt.contact_id or "",
        to=attempt.to_number or "",
        outcome=ended.outcome,
        outcome_reason=ended.outcome_reason,
        answered_by=ended.answered_by,
        duration_ms=ended.duration_ms,
        terminated_at=ended.terminated_at,
    )
