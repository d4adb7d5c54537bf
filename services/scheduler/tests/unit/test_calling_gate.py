"""The calling gate: not before startAt, never at or after stopAt, not inside a window, and it
says until when its answer holds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from callcast_scheduler.domain.calling_gate import Gate, GateState, calling_gate
from callcast_scheduler.domain.windows import PauseSchedule

pytestmark = pytest.mark.unit

LUNCH = PauseSchedule.from_windows(
    {"monday": [{"startAt": {"hour": 12, "minute": 0}, "endAt": {"hour": 14, "minute": 0}}]}, "UTC"
)


def at(hour: int, minute: int = 0, day: int = 2) -> datetime:
    return datetime(2025, 6, day, hour, minute, tzinfo=UTC)  # 2025-06-02 is a Monday


def test_without_bounds_or_windows_the_gate_is_open_for_good() -> None:
    assert calling_gate(at(9), start_at=None, stop_at=None, schedule=None) == Gate(GateState.OPEN, None)


def test_before_start_at_the_gate_waits_for_it() -> None:
    gate = calling_gate(at(8), start_at=at(9), stop_at=at(18), schedule=LUNCH)
    assert gate == Gate(GateState.NOT_STARTED, at(9))


def test_at_start_at_the_gate_opens_until_the_next_window() -> None:
    assert calling_gate(at(9), start_at=at(9), stop_at=at(18), schedule=LUNCH) == Gate(GateState.OPEN, at(12))


def test_inside_a_window_the_gate_is_paused_until_the_window_ends() -> None:
    gate = calling_gate(at(12, 30), start_at=at(9), stop_at=at(18), schedule=LUNCH)
    assert gate == Gate(GateState.PAUSED_WINDOW, at(14))


def test_a_window_outlasting_stop_at_pauses_only_until_stop_at() -> None:
    gate = calling_gate(at(12, 30), start_at=None, stop_at=at(13), schedule=LUNCH)
    assert gate == Gate(GateState.PAUSED_WINDOW, at(13))


def test_after_the_window_the_gate_is_open_until_stop_at_when_that_comes_first() -> None:
    gate = calling_gate(at(14), start_at=at(9), stop_at=at(18), schedule=LUNCH)
    assert gate == Gate(GateState.OPEN, at(18))


def test_at_and_after_stop_at_the_gate_is_stopped_for_good() -> None:
    assert calling_gate(at(18), start_at=at(9), stop_at=at(18), schedule=LUNCH) == Gate(GateState.STOPPED, None)
    assert calling_gate(at(12, 30), start_at=None, stop_at=at(12), schedule=LUNCH).state is GateState.STOPPED


def test_stop_at_before_start_at_means_never_open() -> None:
    assert calling_gate(at(8), start_at=at(10), stop_at=at(7), schedule=None).state is GateState.STOPPED


def test_gate_states_are_strings_for_logs_and_events() -> None:
    assert GateState.PAUSED_WINDOW == "paused_window"
