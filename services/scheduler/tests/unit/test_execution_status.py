"""Execution statuses: the digest §11.1 transitions, final statuses stay final, and the computed
effective status of the reports (§11.2)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcast_scheduler.domain.errors import execution_status_conflict
from callcast_scheduler.domain.execution_status import (
    ACTIONS,
    PAUSED_STATUSES,
    STATUSES,
    TERMINAL,
    InvalidTransition,
    allowed_actions,
    can,
    effective_status,
    transition,
)

pytestmark = pytest.mark.unit

actions = st.sampled_from(sorted(ACTIONS))


def test_the_documented_life_of_an_execution() -> None:
    status = "scheduled"
    for action, expected in [
        ("start", "running"),
        ("pause", "paused"),
        ("resume", "running"),
        ("pause_threshold", "paused_threshold"),
        ("resume", "running"),
        ("pause_no_credits", "paused_no_credits"),
        ("resume", "running"),
        ("complete", "completed"),
    ]:
        status = transition(status, action)
        assert status == expected


@pytest.mark.parametrize("status", ["scheduled", "running", "paused", "paused_threshold", "paused_no_credits"])
def test_every_unfinished_execution_can_be_cancelled_and_stopped(status: str) -> None:
    assert transition(status, "cancel") == "cancelled"
    assert transition(status, "stop") == "stopped"


@pytest.mark.parametrize("status", sorted(PAUSED_STATUSES))
def test_resume_works_from_every_kind_of_pause(status: str) -> None:
    assert transition(status, "resume") == "running"


def test_a_scheduled_execution_can_be_held_before_it_starts() -> None:
    assert transition("scheduled", "pause") == "paused"
    assert effective_status(transition("paused", "resume"), window_paused=False, before_start=True) == "scheduled"


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("scheduled", "resume"),
        ("scheduled", "complete"),
        ("scheduled", "pause_threshold"),
        ("running", "start"),
        ("running", "resume"),
        ("paused", "pause"),
        ("paused", "pause_threshold"),
        ("paused_threshold", "pause"),
        ("paused_no_credits", "start"),
    ],
)
def test_an_action_that_does_not_apply_is_a_conflict(status: str, action: str) -> None:
    with pytest.raises(InvalidTransition) as refused:
        transition(status, action)
    assert (refused.value.status, refused.value.action) == (status, action)
    assert not can(status, action)


@pytest.mark.parametrize("status", sorted(TERMINAL))
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_a_final_status_refuses_every_action(status: str, action: str) -> None:
    with pytest.raises(InvalidTransition):
        transition(status, action)
    assert allowed_actions(status) == frozenset()


def test_the_conflict_carries_what_the_409_answer_needs() -> None:
    with pytest.raises(InvalidTransition) as refused:
        transition("cancelled", "resume")
    answer = execution_status_conflict(refused.value.status, refused.value.action_done)
    assert (answer.status_code, answer.code) == (409, "ExecutionStatusConflictError")
    assert answer.message == "An execution in status cancelled cannot be resumed"


def test_unknown_names_are_programming_errors_not_conflicts() -> None:
    with pytest.raises(ValueError, match="action"):
        transition("running", "explode")
    with pytest.raises(ValueError, match="status"):
        transition("archived", "pause")


@given(st.sampled_from(STATUSES), st.lists(actions, max_size=30))
def test_no_sequence_of_actions_leaves_a_final_status(start: str, path: list[str]) -> None:
    status, finished = start, start in TERMINAL
    for action in path:
        try:
            status = transition(status, action)
        except InvalidTransition:
            continue
        assert not finished, "a final status moved"
        assert status in STATUSES
        finished = status in TERMINAL


@given(st.sampled_from(STATUSES), actions)
def test_can_and_allowed_actions_agree_with_transition(status: str, action: str) -> None:
    try:
        transition(status, action)
        allowed = True
    except InvalidTransition:
        allowed = False
    assert can(status, action) is allowed
    assert (action in allowed_actions(status)) is allowed


def test_every_status_is_reachable_from_scheduled() -> None:
    seen, frontier = {"scheduled"}, ["scheduled"]
    while frontier:
        status = frontier.pop()
        for action in allowed_actions(status):
            target = transition(status, action)
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    assert seen == set(STATUSES)


# -- effective status ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "window_paused", "effective"),
    [
        ("paused", False, "paused_manual"),
        ("paused", True, "paused_manual"),
        ("running", True, "paused_window"),
        ("running", False, "running"),
        ("scheduled", True, "scheduled"),
        ("paused_threshold", True, "paused_threshold"),
        ("paused_no_credits", False, "paused_no_credits"),
        ("completed", True, "completed"),
        ("stopped", False, "stopped"),
        ("cancelled", True, "cancelled"),
    ],
)
def test_the_effective_status_of_the_reports(status: str, window_paused: bool, effective: str) -> None:
    assert effective_status(status, window_paused=window_paused) == effective
