"""How a job's status and outcome follow its attempts and the scheduler's word."""

from __future__ import annotations

import pytest

from callcast_reporting.domain.jobs import AttemptProgress, JobVerdict, summarize_job

pytestmark = pytest.mark.unit


def attempt(n: int, status: str, outcome: str | None = None, **kw: str) -> AttemptProgress:
    return AttemptProgress(f"a{n}", n, status, outcome, kw.get("reason"), kw.get("answered_by"))


def test_job_without_attempts_is_queued() -> None:
    s = summarize_job(None, [])
    assert (s.status, s.outcome, s.attempts, s.latest_attempt_id) == ("queued", None, 0, None)


@pytest.mark.parametrize(
    ("status", "job_status"),
    [("queued", "queued"), ("dialing", "active"), ("ringing", "active"), ("in_progress", "active")],
)
def test_job_follows_its_latest_call_while_it_runs(status: str, job_status: str) -> None:
    s = summarize_job(None, [attempt(1, "busy", "busy"), attempt(2, status)])
    assert (s.status, s.outcome, s.attempts, s.latest_attempt_id) == (job_status, None, 2, "a2")


def test_ended_call_is_active_until_the_scheduler_decides() -> None:
    s = summarize_job(None, [attempt(1, "busy", "busy", reason="486")])
    assert (s.status, s.outcome, s.outcome_reason) == ("active", "busy", "486")


def test_announced_retry_makes_the_job_wait_queued() -> None:
    s = summarize_job(None, [attempt(1, "busy", "busy")], retry_for=2)
    assert (s.status, s.outcome) == ("queued", "busy")


def test_a_retry_announced_for_an_attempt_already_made_does_not_count() -> None:
    s = summarize_job(None, [attempt(1, "busy", "busy"), attempt(2, "no_answer", "no_answer")], retry_for=2)
    assert s.status == "active"


@pytest.mark.parametrize(("outcome", "status"), [("completed", "completed"), ("voicemail", "failed")])
def test_call_no_scheduler_follows_settles_its_job(outcome: str, status: str) -> None:
    s = summarize_job(None, [attempt(1, outcome, outcome)], followed=False)
    assert (s.status, s.outcome) == (status, outcome)


def test_verdict_decides_status_and_outcome_and_borrows_the_matching_call_details() -> None:
    attempts = [attempt(1, "busy", "busy"), attempt(2, "completed", "completed", answered_by="human")]
    s = summarize_job(JobVerdict("completed", "completed", 2), attempts)
    assert (s.status, s.outcome, s.answered_by, s.attempts) == ("completed", "completed", "human", 2)


def test_verdict_that_no_call_explains_borrows_nothing() -> None:
    s = summarize_job(JobVerdict("failed", "cancelled", 1), [attempt(1, "busy", "busy", reason="486")])
    assert (s.status, s.outcome, s.outcome_reason, s.answered_by) == ("failed", "cancelled", None, None)


def test_verdict_counts_attempts_the_view_has_not_seen_yet() -> None:
    s = summarize_job(JobVerdict("failed", "no_answer", 3), [attempt(1, "no_answer", "no_answer")])
    assert s.attempts == 3
