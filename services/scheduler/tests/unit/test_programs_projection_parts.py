"""How the programs view cuts a fetched batch into transactions (``programs_parts``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from callcast_contracts.envelope import Event, envelope
from callcast_contracts.events import AttemptDispatched, JobCompleted, RetryScheduled
from callcast_runtime.messaging import Delivery
from callcast_scheduler.projections import ProjectionHandlers

pytestmark = pytest.mark.unit


def _delivery(seq: int, event: Event) -> Delivery:
    env = envelope(event, org_id="org", aggregate_id="job")
    return Delivery(seq=seq, subject="programs.org.job.x", envelope=env, headers={}, raw=None)  # type: ignore[arg-type]


def _dispatched(seq: int, job: str) -> Delivery:
    return _delivery(
        seq,
        AttemptDispatched(job_id=job, execution_id="e", attempt_id=f"a-{job}", attempt_number=1, caller_id="+1"),
    )


def test_runs_of_dispatched_attempts_share_a_part_and_every_other_event_has_its_own() -> None:
    done = _delivery(
        3, JobCompleted(job_id="j0", execution_id="e", status="completed", outcome="completed", attempts=1)
    )
    retry = _delivery(
        6,
        RetryScheduled(
            job_id="j9", execution_id="e", attempt_number=2, not_before=datetime.now(UTC), last_outcome="busy"
        ),
    )
    batch = [_dispatched(1, "j1"), _dispatched(2, "j2"), done, _dispatched(4, "j4"), _dispatched(5, "j5"), retry]
    parts = ProjectionHandlers.programs_parts(batch)
    assert [[d.seq for d in part] for part in parts] == [[1, 2], [3], [4, 5], [6]]


def test_an_empty_batch_has_no_parts() -> None:
    assert ProjectionHandlers.programs_parts([]) == []
