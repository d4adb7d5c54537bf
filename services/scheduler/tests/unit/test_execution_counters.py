"""Execution counters come from job states and always add up to ``totalContacts``."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcast_scheduler.domain.progress import Counters

pytestmark = pytest.mark.unit

JOB_STATES = ["pending", "queued", "calling", "pending_retry", "completed", "failed", "skipped"]


@st.composite
def executions(draw: st.DrawFn) -> tuple[int, dict[str, int]]:
    """An execution's total and the states of the jobs projected so far (at most ``total``)."""
    states = draw(st.lists(st.sampled_from(JOB_STATES), max_size=300))
    total = len(states) + draw(st.integers(0, 50))  # jobs not enrolled in the projection yet
    by_state: dict[str, int] = {}
    for state in states:
        by_state[state] = by_state.get(state, 0) + 1
    return total, by_state


@given(executions())
def test_the_four_counters_always_add_up_to_the_total(execution: tuple[int, dict[str, int]]) -> None:
    total, by_state = execution
    c = Counters.from_states(total, by_state)
    assert c.completed + c.failed + c.pending + c.in_progress == c.total == total
    assert min(c.completed, c.failed, c.pending, c.in_progress) >= 0


@given(executions())
def test_an_execution_is_done_exactly_when_every_contact_is_final(execution: tuple[int, dict[str, int]]) -> None:
    total, by_state = execution
    final = sum(by_state.get(s, 0) for s in ("completed", "failed", "skipped"))
    assert Counters.from_states(total, by_state).done is (final == total)


def test_each_job_state_counts_where_the_documentation_says() -> None:
    by_state = {"pending": 1, "pending_retry": 2, "queued": 3, "calling": 4, "completed": 5, "failed": 6, "skipped": 7}
    c = Counters.from_states(30, by_state)
    # contactsPending includes the retry queue; contactsInProgress is queued or dialing;
    # skipped contacts (a cancelled or stopped execution) count as failed.
    assert (c.completed, c.failed, c.pending, c.in_progress) == (5, 13, 1 + 2 + 2, 7)
