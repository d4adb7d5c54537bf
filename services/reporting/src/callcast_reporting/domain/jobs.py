"""A job's summary (status, outcome, attempt count) from its attempts and the scheduler's word.

Once the scheduler says the job is over (``JobCompleted``), its verdict stands. Before that the
job follows its latest attempt:

- no attempt yet, or the latest one queued → ``queued``;
- the latest call is dialing, ringing or in progress → ``active``;
- the latest call ended and the scheduler announced a retry (``RetryScheduled``) → ``queued``;
- the latest call ended and the scheduler has not decided yet → ``active`` (it is deciding);
- a job no scheduler follows (a test call: no execution) is settled by its call: ``completed``
  when the outcome is ``completed``, else ``failed``.

The outcome shown is the latest attempt's (None while it runs), then the job's final one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from callcast_reporting.domain.statuses import (
    CALL_LIVE_STATUSES,
    CALL_QUEUED,
    JOB_ACTIVE,
    JOB_COMPLETED,
    JOB_FAILED,
    JOB_QUEUED,
)


@dataclass(frozen=True, slots=True)
class AttemptProgress:
    attempt_id: str
    attempt_number: int
    status: str
    outcome: str | None = None
    outcome_reason: str | None = None
    answered_by: str | None = None


@dataclass(frozen=True, slots=True)
class JobVerdict:
    """What the scheduler's ``JobCompleted`` said."""

    status: str
    outcome: str
    attempts: int


@dataclass(frozen=True, slots=True)
class JobSummary:
    status: str
    outcome: str | None
    outcome_reason: str | None
    answered_by: str | None
    attempts: int
    latest_attempt_id: str | None


def _status_before_verdict(latest: AttemptProgress, *, followed: bool, retry_for: int | None) -> str:
    if latest.status == CALL_QUEUED:
        return JOB_QUEUED
    if latest.status in CALL_LIVE_STATUSES:
        return JOB_ACTIVE
    if not followed:
        return JOB_COMPLETED if latest.outcome == "completed" else JOB_FAILED
    if retry_for is not None and retry_for > latest.attempt_number:
        return JOB_QUEUED
    return JOB_ACTIVE


def summarize_job(
    verdict: JobVerdict | None,
    attempts: Sequence[AttemptProgress],
    *,
    followed: bool = True,
    retry_for: int | None = None,
) -> JobSummary:
    """``followed``: a scheduler runs this job (it belongs to an execution) and will close it;
    ``retry_for``: the attempt number of the latest RetryScheduled, if any."""
    latest = max(attempts, key=lambda a: a.attempt_number, default=None)
    count = max(len(attempts), verdict.attempts if verdict else 0)
    latest_id = latest.attempt_id if latest else None
    if verdict is not None:
        ended = [a for a in attempts if a.outcome is not None]
        last_ended = max(ended, key=lambda a: a.attempt_number, default=None)
        # The reason and who answered describe a call: only borrow them from the call whose
        # outcome the scheduler adopted (a job cancelled between attempts has no such call).
        same = last_ended if last_ended and last_ended.outcome == verdict.outcome else None
        return JobSummary(
            status=verdict.status,
            outcome=verdict.outcome,
            outcome_reason=same.outcome_reason if same else None,
            answered_by=same.answered_by if same else None,
            attempts=count,
            latest_attempt_id=latest_id,
        )
    if latest is None:
        return JobSummary(JOB_QUEUED, None, None, None, count, None)
    return JobSummary(
        status=_status_before_verdict(latest, followed=followed, retry_for=retry_for),
        outcome=latest.outcome,
        outcome_reason=latest.outcome_reason,
        answered_by=latest.answered_by,
        attempts=count,
        latest_attempt_id=latest_id,
    )
