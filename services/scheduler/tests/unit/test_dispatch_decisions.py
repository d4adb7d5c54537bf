"""The dispatcher decides from the job's last event, never from its (possibly lagging) projection."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcast_contracts.events import AttemptDispatched, ExecutionCompleted, JobCompleted, JobsEnrolled, RetryScheduled
from callcast_scheduler.domain.dispatching import DispatchStep, Pace, dispatch_step, execution_already_completed

pytestmark = pytest.mark.unit

AT = datetime(2025, 1, 20, 10, 0, tzinfo=UTC)


def _dispatched(n: int) -> AttemptDispatched:
    return AttemptDispatched(job_id="j", execution_id="e", attempt_id=f"a{n}", attempt_number=n, caller_id="+1")


def _retry(n: int) -> RetryScheduled:
    return RetryScheduled(job_id="j", execution_id="e", attempt_number=n, not_before=AT, last_outcome="busy")


def test_a_job_without_events_gets_its_first_attempt() -> None:
    assert dispatch_step(None, 1) is DispatchStep.DISPATCH


def test_a_job_with_a_retry_scheduled_gets_that_attempt() -> None:
    assert dispatch_step(_retry(3), 3) is DispatchStep.DISPATCH


def test_an_attempt_recorded_but_not_projected_has_its_command_published_again() -> None:
    assert dispatch_step(_dispatched(2), 2) is DispatchStep.REPUBLISH


@pytest.mark.parametrize(
    ("last", "attempt"),
    [
        (None, 2),  # the projection believes in attempts the job never had
        (_dispatched(1), 2),
        (_dispatched(2), 1),  # the projection is behind: attempt 1 was dispatched and retried
        (_retry(2), 1),
        (_retry(2), 3),
        (JobCompleted(job_id="j", execution_id="e", status="completed", outcome="completed", attempts=1), 1),
        (JobCompleted(job_id="j", execution_id="e", status="failed", outcome="busy", attempts=2), 3),
    ],
)
def test_a_job_ahead_of_the_projection_is_left_alone(last: object, attempt: int) -> None:
    assert dispatch_step(last, attempt) is DispatchStep.SKIP  # type: ignore[arg-type]


def test_an_execution_is_completed_once() -> None:
    done = ExecutionCompleted(execution_id="e", status="completed", contacts_completed=1, contacts_failed=0)
    assert execution_already_completed(done)
    assert not execution_already_completed(JobsEnrolled(execution_id="e", chunk=0, jobs=[]))
    assert not execution_already_completed(None)


def test_a_pace_allows_a_burst_of_one_round_then_its_rate() -> None:
    pace = Pace(100.0, burst_seconds=0.25, now=0.0)
    assert pace.available(0.0) == 25
    pace.take(25, 0.0)
    assert pace.available(0.0) == 0
    assert pace.seconds_until_next(0.0) == pytest.approx(0.01)
    assert pace.available(0.1) == 10


@given(st.floats(0.5, 500.0), st.lists(st.floats(0.0, 0.5), min_size=1, max_size=50))
def test_a_pace_never_starts_more_than_its_rate_allows(rate: float, gaps: list[float]) -> None:
    pace, now, started = Pace(rate, burst_seconds=0.25, now=0.0), 0.0, 0
    for gap in gaps:
        now += gap
        n = pace.available(now)
        pace.take(n, now)
        started += n
    assert started <= pace.burst + rate * now + 1e-6


def test_a_slower_rate_takes_effect_at_once() -> None:
    pace = Pace(1000.0, now=0.0)
    pace.set_rate(4.0)
    assert pace.available(0.0) == 1
